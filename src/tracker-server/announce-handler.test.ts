import assert from "node:assert/strict";
import { test } from "node:test";
import { type AnnounceFields, newAnnounceFields } from "../tracker-proto/index.ts";
import { FakeClock, seededRandom } from "../util/index.ts";
import { AnnounceHandler, type AnnounceSettings, UNREGISTERED_REASON } from "./announce-handler.ts";
import { MemorySwarmStore } from "./memory-swarm-store.ts";
import { TrackerMetrics } from "./metrics.ts";

const H = "\x01".repeat(20);

function setup(settings: Partial<AnnounceSettings> = {}, registered: string[] = []) {
  const clock = new FakeClock(0);
  const metrics = new TrackerMetrics();
  const store = new MemorySwarmStore({
    expiryMs: 60_000,
    maxSwarms: 100,
    maxPeersPerSwarm: 10_000,
    random: seededRandom(3),
  });
  const completed: number[] = [];
  const handler = new AnnounceHandler({
    store,
    clock,
    metrics,
    settings: {
      interval: 1800,
      minInterval: 900,
      defaultNumwant: 50,
      maxNumwant: 200,
      registeredOnly: false,
      trustIpParam: false,
      ...settings,
    },
    isRegistered: (k) => registered.includes(k),
    onCompleted: (_k, n) => completed.push(n),
  });
  return { handler, store, metrics, completed, clock };
}

function fields(i: number, over: Partial<AnnounceFields> = {}): AnnounceFields {
  return {
    ...newAnnounceFields(),
    infoHash: H,
    peerId: `p${i}`.padEnd(20, "-"),
    port: 6000 + i,
    left: 10,
    ...over,
  };
}

const src = (i: number) => ({
  family: 4 as const,
  ip: String.fromCharCode(10, 0, i >> 8, i & 255),
});

test("numwant: 50 by default, capped at 200, 0 means none", () => {
  const { handler } = setup();
  for (let i = 0; i < 300; i++) handler.announce(fields(i), src(i), "udp");
  assert.equal(handler.announce(fields(1), src(1), "udp").count4, 50);
  assert.equal(handler.announce(fields(1, { numwant: 1000 }), src(1), "udp").count4, 200);
  assert.equal(handler.announce(fields(1, { numwant: 0 }), src(1), "udp").count4, 0);
  const out = handler.announce(fields(1, { numwant: 10 }), src(1), "http");
  assert.equal(out.incomplete, 300);
  assert.equal(out.interval, 1800);
  assert.equal(out.minInterval, 900);
});

test("dictionary mode (compact=0) gives peer records, the same rules", () => {
  const { handler } = setup();
  handler.announce(fields(1, { left: 0 }), src(1), "http");
  handler.announce(fields(2), src(2), "http");
  const out = handler.announce(fields(3, { compact: false }), src(3), "http");
  assert.equal(out.count4, 0);
  assert.deepEqual(out.peers4.map((p) => p.peerId).sort(), [fields(1).peerId, fields(2).peerId]);
  const seeder = handler.announce(fields(1, { compact: false, left: 0 }), src(1), "http");
  assert.deepEqual(seeder.peers4.map((p) => p.peerId).sort(), [fields(2).peerId, fields(3).peerId]);
});

test("the asker's compact entry is its source address and announced port", () => {
  const { handler, store } = setup();
  handler.announce(fields(1, { port: 0x1ae1 }), src(7), "http");
  assert.equal(store.get(H, fields(1).peerId)?.addr4, "\x0a\x00\x00\x07\x1a\xe1");
});

test("the ip parameter is ignored unless trusted", () => {
  const a = setup();
  a.handler.announce(fields(1, { ip: "192.0.2.9" }), src(7), "http");
  assert.equal(a.store.get(H, fields(1).peerId)?.addr4.charCodeAt(0), 10);
  const b = setup({ trustIpParam: true });
  b.handler.announce(fields(1, { ip: "192.0.2.9", ipv6: "2001:db8::1" }), src(7), "http");
  const peer = b.store.get(H, fields(1).peerId);
  assert.equal(peer?.addr4.charCodeAt(0), 192);
  assert.equal(peer?.addr6.length, 18);
});

test("stopped leaves at once; completed counts once per download", () => {
  const { handler, completed } = setup();
  handler.announce(fields(1, { event: "started" }), src(1), "http");
  handler.announce(fields(2), src(2), "http");
  let out = handler.announce(fields(1, { event: "completed", left: 0 }), src(1), "http");
  assert.deepEqual([out.complete, out.incomplete, out.downloaded], [1, 1, 1]);
  out = handler.announce(fields(1, { event: "completed", left: 0 }), src(1), "http");
  assert.equal(out.downloaded, 1, "a repeated completed event from a seeder is not counted");
  assert.deepEqual(completed, [1]);
  out = handler.announce(fields(1, { event: "stopped", left: 0 }), src(1), "http");
  assert.deepEqual([out.complete, out.incomplete], [0, 1]);
  assert.equal(out.count4, 0);
  out = handler.announce(fields(2), src(2), "http");
  assert.equal(out.count4, 0, "the stopped peer is not handed out");
});

test("registered-only mode refuses unpublished info hashes with a failure reason", () => {
  const { handler, metrics } = setup({ registeredOnly: true }, ["\x02".repeat(20)]);
  assert.equal(handler.announce(fields(1), src(1), "http").failure, UNREGISTERED_REASON);
  assert.equal(metrics.errors.unregistered, 1);
  assert.equal(
    handler.announce(fields(1, { infoHash: "\x02".repeat(20) }), src(1), "http").failure,
    null,
  );
});

test("scrape counts; zeros for unknown swarms", () => {
  const { handler } = setup();
  handler.announce(fields(1, { left: 0 }), src(1), "http");
  assert.deepEqual({ ...handler.scrape(H) }, { complete: 1, downloaded: 0, incomplete: 0 });
  assert.deepEqual(
    { ...handler.scrape("\x09".repeat(20)) },
    { complete: 0, downloaded: 0, incomplete: 0 },
  );
});

test("BEP 21: a partial seed's paused announce counts it in incomplete, not as a seeder nor a download", () => {
  const { handler, completed } = setup();
  handler.announce(fields(1, { left: 0 }), src(1), "http");
  handler.announce(fields(2, { event: "started" }), src(2), "http");
  const paused = handler.announce(fields(2, { event: "paused", left: 4 }), src(2), "http");
  assert.equal(paused.failure, null);
  assert.equal(paused.complete, 1, "the seeder only");
  assert.equal(paused.incomplete, 1, "BEP 21: incomplete holds partial seeds and downloaders");
  // A partial seed still gets peers: it uploads, and may want more files later.
  assert.equal(paused.count4, 1);
  const scrape = handler.scrape(H);
  assert.deepEqual([scrape.complete, scrape.incomplete, scrape.downloaded], [1, 1, 0]);
  assert.ok(!("downloaders" in scrape), "BEP 21's downloaders is not claimed");
  assert.deepEqual(completed, [], "no download counted");
});
