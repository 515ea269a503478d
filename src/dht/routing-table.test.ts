import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../util/index.ts";
import { commonPrefixBits, compareDistance, idInBucket, RoutingTable } from "./index.ts";

const OWN = Buffer.alloc(20, 0);
let counter = 0;
/** A node id sharing exactly `bits` leading bits with OWN, distinct each call. */
function idAt(bits: number): Buffer {
  const tail = Buffer.alloc(20, 0);
  tail.writeUInt32BE(++counter, 16);
  return idInBucket(OWN, bits, tail);
}
function node(id: Buffer, n: number = ++counter) {
  return { id, address: `10.0.${(n >> 8) & 255}.${n & 255}`, port: 6881 };
}

describe("routing table", () => {
  it("adds nodes that answered, not nodes that only queried", () => {
    const t = new RoutingTable(OWN, new FakeClock());
    assert.equal(t.heard(node(idAt(0)), false).inTable, false);
    assert.equal(t.size, 0);
    assert.equal(t.heard(node(idAt(0)), true).inTable, true);
    assert.equal(t.size, 1);
    assert.equal(t.heard(node(OWN), true).inTable, false, "never our own id");
  });

  it("splits only the bucket that holds our own id", () => {
    const t = new RoutingTable(OWN, new FakeClock());
    for (let i = 0; i < 8; i++) t.heard(node(idAt(0)), true);
    assert.equal(t.bucketCount, 1);
    // The ninth far node: the bucket splits, the far half stays full of 8.
    assert.equal(t.heard(node(idAt(0)), true).inTable, false);
    assert.equal(t.bucketCount, 2);
    // Far buckets never split again: a tenth far node is refused too.
    assert.equal(t.heard(node(idAt(0)), true).inTable, false);
    assert.equal(t.bucketCount, 2);
    // Near nodes keep splitting the own bucket, one bucket per shared bit.
    for (let bits = 1; bits <= 20; bits++)
      for (let i = 0; i < 8; i++) t.heard(node(idAt(bits)), true);
    assert.equal(t.size, 8 * 21);
    assert.ok(t.bucketCount >= 21);
  });

  it("keeps one entry per address and port", () => {
    const t = new RoutingTable(OWN, new FakeClock());
    const at = { address: "10.9.9.9", port: 7000 };
    assert.ok(t.heard({ id: idAt(3), ...at }, true).inTable);
    assert.equal(t.heard({ id: idAt(4), ...at }, true).inTable, false);
    assert.equal(t.size, 1);
    // An id that moves to another endpoint does not drag its entry along.
    const id = idAt(5);
    t.heard({ id, address: "10.1.1.1", port: 1 }, true);
    assert.equal(t.heard({ id, address: "10.1.1.2", port: 1 }, true).inTable, false);
    assert.equal(t.find(id)?.address, "10.1.1.1");
  });

  it("ages nodes: good, questionable after 15 minutes, bad after failures", () => {
    const clock = new FakeClock();
    const t = new RoutingTable(OWN, clock);
    const n = node(idAt(2));
    t.heard(n, true);
    const entry = t.find(n.id)!;
    assert.equal(t.stateOf(entry), "good");
    clock.advance(15 * 60_000);
    assert.equal(t.stateOf(entry), "questionable");
    t.heard(n, false); // it queried us: good again, it has answered before
    assert.equal(t.stateOf(entry), "good");
    t.failed(n.id, n);
    assert.equal(t.stateOf(entry), "good");
    t.failed(n.id, n);
    assert.equal(t.stateOf(entry), "bad");
    assert.ok(!t.closest(n.id).includes(entry), "bad nodes are not handed out");
  });

  it("evicts a bad node for a waiting replacement, and asks to ping questionable ones", () => {
    const clock = new FakeClock();
    const t = new RoutingTable(OWN, clock);
    // Fill the own bucket first so the far bucket exists and is full.
    const far = Array.from({ length: 8 }, () => node(idAt(0)));
    for (const n of far) t.heard(n, true);
    t.heard(node(idAt(1)), true); // splits: far bucket of 8
    const newcomer = node(idAt(0));
    assert.deepEqual(t.heard(newcomer, true).ping, [], "all good: nobody to ping");
    clock.advance(16 * 60_000);
    const late = node(idAt(0));
    const result = t.heard(late, true);
    assert.equal(result.inTable, false);
    assert.equal(result.ping.length, 1, "the stalest questionable node is to be pinged");
    const stale = result.ping[0]!;
    t.failed(stale.id, stale);
    t.failed(stale.id, stale);
    assert.equal(t.find(stale.id), undefined, "the bad node left");
    assert.ok(t.find(late.id), "the latest replacement took its place");
    // The next bad node takes the remaining replacement (the first newcomer)...
    const farNow = () => t.nodes().filter((n) => commonPrefixBits(OWN, n.id) === 0);
    const victim = farNow().find((n) => !n.id.equals(late.id))!;
    t.failed(victim.id, victim);
    t.failed(victim.id, victim);
    assert.equal(t.find(victim.id), undefined);
    assert.ok(t.find(newcomer.id));
    // ...and with the cache empty a bad node stays until a newcomer takes its place at once.
    const last = farNow().find((n) => !n.id.equals(late.id) && !n.id.equals(newcomer.id))!;
    t.failed(last.id, last);
    t.failed(last.id, last);
    assert.ok(t.find(last.id));
    const another = node(idAt(0));
    assert.equal(t.heard(another, true).inTable, true);
    assert.equal(t.find(last.id), undefined);
  });

  it("returns the closest nodes in XOR order", () => {
    const t = new RoutingTable(OWN, new FakeClock());
    for (let bits = 0; bits < 30; bits++)
      for (let i = 0; i < 3; i++) t.heard(node(idAt(bits)), true);
    const target = idAt(12);
    const got = t.closest(target, 8);
    assert.equal(got.length, 8);
    for (let i = 1; i < got.length; i++)
      assert.ok(compareDistance(target, got[i - 1]!.id, got[i]!.id) <= 0);
    const all = t.nodes().sort((a, b) => compareDistance(target, a.id, b.id));
    assert.deepEqual(
      got.map((n) => n.id),
      all.slice(0, 8).map((n) => n.id),
    );
  });

  it("names buckets that need a refresh after 15 minutes", () => {
    const clock = new FakeClock();
    const t = new RoutingTable(OWN, clock);
    for (let i = 0; i < 9; i++) t.heard(node(idAt(i % 2)), true);
    assert.deepEqual(t.staleBuckets(), []);
    clock.advance(15 * 60_000);
    assert.deepEqual(t.staleBuckets(), [0, 1]);
    t.touchBucket(1);
    assert.deepEqual(t.staleBuckets(), [0]);
  });

  it("smooths round-trip times", () => {
    const t = new RoutingTable(OWN, new FakeClock());
    const n = node(idAt(1));
    t.heard(n, true, 100);
    t.heard(n, true, 200);
    assert.equal(t.find(n.id)?.rtt, 125);
  });

  it("extended: far buckets hold 128, 64, 32, 16 nodes, the rest k", () => {
    const t = new RoutingTable(OWN, new FakeClock(), 8, true);
    for (let bits = 0; bits < 6; bits++)
      for (let i = 0; i < 200; i++) t.heard(node(idAt(bits)), true);
    const perBucket = [0, 1, 2, 3, 4].map(
      (bits) => t.nodes().filter((n) => commonPrefixBits(OWN, n.id) === bits).length,
    );
    assert.deepEqual(perBucket, [128, 64, 32, 16, 8]);
    // A full far bucket has no room (no ping wasted on a newcomer); the own bucket has.
    assert.equal(t.hasRoomFor(idAt(0)), false);
    assert.equal(t.hasRoomFor(idAt(40)), true);
    assert.equal(t.hasRoomFor(OWN), false);
  });
});
