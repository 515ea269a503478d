/**
 * The daemon's DHT (issue 15): on by default, silent while no node is
 * named; its counters in the API's session stats and in the Prometheus
 * text at `GET /metrics` (the API's guard and credentials apply). A daemon
 * joined through a real node on loopback shows the exchange in both.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { DhtNode } from "../../src/dht/index.ts";
import { nodeUdp } from "../../src/net/index.ts";
import { call, makeSeededTorrent, startTestDaemon, type TestDaemon } from "./daemon-helpers.ts";

const daemons: TestDaemon[] = [];
const nodes: DhtNode[] = [];
after(async () => {
  for (const d of daemons) await d.stop();
  for (const n of nodes) await n.close();
});

/** One sample's value from the exposition text (undefined when absent). */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + 30_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("the DHT is on by default and, with no node named, sends nothing; /metrics says so", async () => {
  const d = await startTestDaemon();
  daemons.push(d);
  assert.equal(d.daemon.config.dht, true);
  const t = await makeSeededTorrent(d.downloadDir, "quiet");
  const added = await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64") },
  });
  assert.equal(added.status, 201);
  await waitFor("seeding", async () =>
    (await call(d.base, "GET", "/api/v1/session")).body.seeding === 1 ? true : undefined,
  );
  // The torrent's lookups and announces ran against an empty table: nothing went out.
  await new Promise((r) => setTimeout(r, 500));
  const stats = (await call(d.base, "GET", "/api/v1/session")).body;
  assert.equal(stats.dht.nodes, 0);
  assert.equal(stats.dht.queriesSent, 0);
  assert.equal(stats.dht.bytesSent, 0);
  const res = await fetch(`${d.base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get("content-type")), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /^# TYPE shoal_dht_queries_sent_total counter$/m);
  assert.equal(sample(text, "shoal_dht_queries_sent_total"), 0);
  assert.equal(sample(text, "shoal_dht_sent_bytes_total"), 0);
  assert.equal(sample(text, 'shoal_torrents{state="seeding"}'), 1);
  assert.equal((await call(d.base, "POST", "/metrics")).status, 405);
});

test("joined through a node on loopback: the exchange counted in the stats and /metrics", async () => {
  const node = new DhtNode({ udp: nodeUdp, host: "127.0.0.1", port: 0 });
  nodes.push(node);
  const { port } = await node.start();
  const d = await startTestDaemon({ peer: { "dht-bootstrap": [`127.0.0.1:${port}`] } });
  daemons.push(d);
  const stats = await waitFor("the daemon's DHT to meet the node", async () => {
    const s = (await call(d.base, "GET", "/api/v1/session")).body;
    return s.dht.responsesReceived > 0 && s.dht.nodes > 0 ? s : undefined;
  });
  assert.ok(stats.dht.queriesSent >= stats.dht.responsesReceived);
  assert.ok(node.stats().queriesReceived > 0);
  const text = await (await fetch(`${d.base}/metrics`)).text();
  assert.ok(sample(text, "shoal_dht_queries_sent_total")! >= stats.dht.queriesSent);
  assert.ok(sample(text, "shoal_dht_responses_received_total")! >= 1);
  assert.ok(sample(text, "shoal_dht_nodes")! >= 1);
});

test("--no-dht (dht = false): no DHT, no DHT metrics", async () => {
  const d = await startTestDaemon({ peer: { dht: false } });
  daemons.push(d);
  assert.equal((await call(d.base, "GET", "/api/v1/session")).body.dht, undefined);
  const text = await (await fetch(`${d.base}/metrics`)).text();
  assert.equal(sample(text, "shoal_dht_queries_sent_total"), undefined);
  assert.equal(sample(text, "shoal_peers"), 0);
});

test("/metrics asks for the API's credentials when they are set", async () => {
  const d = await startTestDaemon({ api: { tokens: ["metrics-t0ken"] } });
  daemons.push(d);
  assert.equal((await fetch(`${d.base}/metrics`)).status, 401);
  const ok = await fetch(`${d.base}/metrics`, {
    headers: { authorization: "Bearer metrics-t0ken" },
  });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^shoal_dht_queries_sent_total 0$/m);
});

test("[peer] dht-read-only (BEP 43): the daemon looks up through a node that does not add it to its table", async () => {
  const tables: number[] = [];
  for (const readOnly of [false, true]) {
    const node = new DhtNode({ udp: nodeUdp, host: "127.0.0.1", port: 0 });
    nodes.push(node);
    const { port } = await node.start();
    const d = await startTestDaemon({
      peer: { "dht-bootstrap": [`127.0.0.1:${port}`], "dht-read-only": readOnly },
    });
    daemons.push(d);
    assert.equal(d.daemon.config.dhtReadOnly, readOnly);
    await waitFor("an answer from the node", async () => {
      const s = (await call(d.base, "GET", "/api/v1/session")).body;
      return s.dht.responsesReceived > 0 ? true : undefined;
    });
    // A node enters a table once it has answered a ping: give that time either way.
    if (!readOnly)
      await waitFor("the node to add it", async () => node.table.nodes().length || undefined);
    else await new Promise((r) => setTimeout(r, 500));
    tables.push(node.table.nodes().length);
  }
  assert.deepEqual(tables, [1, 0], "a read-only node is not added to others' tables");
});
