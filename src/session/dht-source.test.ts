import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { DhtNode, nodeIdForAddress } from "../dht/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { Client } from "./client.ts";

const { MemoryNetwork, MemoryUdpNetwork } = await loadMemoryNetwork();

const PIECE_LENGTH = 16 * 1024;

function makeTorrent(
  size: number,
  extra: Record<string, unknown> = {},
): { meta: Metainfo; content: Buffer } {
  const content = randomBytes(size);
  const hashes: Buffer[] = [];
  for (let at = 0; at < size; at += PIECE_LENGTH) {
    hashes.push(sha1(content.subarray(at, Math.min(size, at + PIECE_LENGTH))));
  }
  const info = {
    length: size,
    name: "dht.bin",
    "piece length": PIECE_LENGTH,
    pieces: Buffer.concat(hashes),
    ...extra,
  };
  return { meta: parseMetainfo(encode({ info })), content };
}

// TCP for peers and UDP for the DHT, both in memory, one host address each.
const tcp = new MemoryNetwork({ clock: realClock });
const udp = new MemoryUdpNetwork();
const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

let hosts = 0;
async function startClient(
  bootstrap: { host: string; port: number }[],
  content?: Buffer,
  dataDir?: string,
) {
  const address = `10.231.7.${++hosts}`;
  const dir = await mkdtemp(join(tmpdir(), "shoal-dht-"));
  dirs.push(dir);
  const host = tcp.addHost(address);
  const client = await Client.start({
    dataDir: dataDir ?? join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    dht: { bootstrap, udp: udp.host(address) },
    torrentDefaults: {
      trackers: false,
      chokeIntervalMs: 200,
      openStore: (meta) => MemoryStorage.open(meta, content ? { content } : {}),
    },
  });
  closers.push(() => client.close());
  return { client, address };
}

test("a trackerless torrent downloads through the DHT alone", async () => {
  const router = new DhtNode({ udp: udp.host("10.231.7.200") });
  await router.start();
  closers.push(() => router.close());
  const bootstrap = [{ host: "10.231.7.200", port: router.address!.port }];
  const { meta, content } = makeTorrent(200 * 1024);
  const seeder = await startClient(bootstrap, content);
  await seeder.client.add(meta);
  const leecher = await startClient(bootstrap);
  const torrent = await leecher.client.add(meta);
  await leecher.client.whenComplete(meta.infoHashHex, { timeoutMs: 30_000 });
  const store = torrent.stats();
  assert.equal(store.left, 0);
  // No tracker and no peer given: the seeder could only be found through the DHT.
  assert.ok(seeder.client.dhtStats()!.lookups >= 1);
  const stats = leecher.client.dhtStats()!;
  assert.ok(stats.lookups >= 1 && stats.responsesReceived >= 1 && stats.nodes >= 1);
  // The counters are part of the client's view (and so of the API's).
  assert.equal(leecher.client.view().dht?.id, stats.id);
});

test("the DHT stays off for private torrents", async () => {
  const router = new DhtNode({ udp: udp.host("10.231.7.201") });
  await router.start();
  closers.push(() => router.close());
  const { meta } = makeTorrent(32 * 1024, { private: 1 });
  const { client } = await startClient([{ host: "10.231.7.201", port: router.address!.port }]);
  await client.add(meta);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(client.dhtStats()!.lookups, 1, "only the joining lookup, none for the torrent");
});

test("the routing table is saved on close and loaded on the next start", async () => {
  const router = new DhtNode({ udp: udp.host("10.231.7.202") });
  await router.start();
  closers.push(() => router.close());
  const dir = await mkdtemp(join(tmpdir(), "shoal-dht-state-"));
  dirs.push(dir);
  const { client } = await startClient(
    [{ host: "10.231.7.202", port: router.address!.port }],
    undefined,
    dir,
  );
  for (let i = 0; i < 250 && client.dhtStats()!.nodes === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  const id = client.dhtStats()!.id;
  await client.close();
  const saved = JSON.parse(readFileSync(join(dir, "dht.json"), "utf8"));
  assert.equal(saved.id, id);
  assert.equal(saved.nodes.length, 1);
  // No bootstrap node this time: the saved table is enough.
  const again = await startClient([], undefined, dir);
  for (let i = 0; i < 250 && again.client.dhtStats()!.nodes === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(again.client.dhtStats()!.id, id);
  assert.equal(again.client.dhtStats()!.nodes, 1);
  assert.ok(existsSync(join(dir, "dht.json")));
});

test("BEP 32: a dual-stack session runs an IPv6 node beside the IPv4 one", async () => {
  const router6 = new DhtNode({ udp: udp.host("fd00:231:7::200"), family: 6 });
  await router6.start();
  closers.push(() => router6.close());
  const dir = await mkdtemp(join(tmpdir(), "shoal-dht-v6-"));
  dirs.push(dir);
  const host = tcp.addHost("10.231.7.150");
  const client = await Client.start({
    dataDir: dir,
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    dht: {
      bootstrap: [{ host: "fd00:231:7::200", port: router6.address!.port }],
      udp: udp.host("10.231.7.150", "fd00:231:7::150"),
    },
    torrentDefaults: { trackers: false },
  });
  closers.push(() => client.close());
  for (let i = 0; i < 250 && client.dhtStats()!.nodes === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(client.dhtStats()!.nodes, 1, "the IPv6 router, through the IPv6 node");
  assert.ok(router6.table.nodes().some((n) => n.address === "fd00:231:7::150"));
  await client.close();
  const saved = JSON.parse(readFileSync(join(dir, "dht.json"), "utf8"));
  assert.deepEqual(
    saved.nodes.map((n: { address: string }) => n.address),
    ["fd00:231:7::200"],
  );
});

test("BEP 42 (enforceNodeId): a node whose id does not fit its public address stays out of the table", async () => {
  // Public (documentation) addresses: private and loopback ones are exempt from BEP 42.
  const honest = new DhtNode({
    udp: udp.host("203.0.113.61"),
    id: nodeIdForAddress("203.0.113.61", Buffer.alloc(20, 7)),
  });
  const liar = new DhtNode({ udp: udp.host("203.0.113.62"), id: Buffer.alloc(20, 0xee) });
  for (const n of [honest, liar]) {
    await n.start();
    closers.push(() => n.close());
  }
  const bootstrap = [
    { host: "203.0.113.61", port: honest.address!.port },
    { host: "203.0.113.62", port: liar.address!.port },
  ];
  const tables: number[] = [];
  for (const [i, enforceNodeId] of [false, true].entries()) {
    const address = `203.0.113.${70 + i}`;
    const dir = await mkdtemp(join(tmpdir(), "shoal-dht-bep42-"));
    dirs.push(dir);
    const host = tcp.addHost(address);
    const client = await Client.start({
      dataDir: dir,
      downloadDir: join(dir, "download"),
      port: 6881,
      dialer: host,
      listen: async (port) => host.listen(port),
      dht: { bootstrap, udp: udp.host(address), enforceNodeId },
      torrentDefaults: { trackers: false },
    });
    closers.push(() => client.close());
    for (let n = 0; n < 250 && client.dhtStats()!.responsesReceived < 2; n++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(client.dhtStats()!.responsesReceived >= 2, "both nodes answered");
    tables.push(client.dhtStats()!.nodes);
  }
  assert.deepEqual(tables, [2, 1], "without enforcement both; with it only the honest node");
});
