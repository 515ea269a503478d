import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { seededRandom } from "../util/index.ts";
import { MemorySwarmStore } from "./memory-swarm-store.ts";
import type { StoredPeer } from "./swarm-store.ts";

const H = "h".repeat(20);
const pid = (i: number) => `peer${String(i).padStart(16, "0")}`;
const ip4 = (i: number) => ((10 << 24) | i) >>> 0;
const ip6 = (i: number) => `${"\0".repeat(14)}${String.fromCharCode(i >> 8, i & 255)}`;
const update = (i: number, left: number, v6 = false) => ({
  peerId: pid(i),
  ip4: v6 ? -1 : ip4(i),
  ip6: v6 ? ip6(i) : "",
  port: 6881,
  left,
  previousLeft: 0,
});

function store(expiryMs = 60_000, seed = 1, maxPeersPerSwarm = 1000) {
  return new MemorySwarmStore({
    expiryMs,
    maxSwarms: 10,
    maxPeersPerSwarm,
    random: seededRandom(seed),
  });
}

function put(s: MemorySwarmStore, i: number, left: number, now = 0, v6 = false) {
  return s.put(H, update(i, left, v6), now);
}

test("counts seeders and leechers; a leecher that finishes becomes a seeder", () => {
  const s = store();
  assert.equal(put(s, 1, 100), "added");
  assert.equal(put(s, 2, 0), "added");
  assert.deepEqual({ ...s.counts(H) }, { ...s.counts(H), seeders: 1, leechers: 1 });
  assert.equal(put(s, 1, 0), "updated");
  assert.equal(s.counts(H)?.seeders, 2);
  assert.equal(s.counts(H)?.leechers, 0);
  assert.deepEqual(s.totals(), { swarms: 1, peers: 2, seeders: 2, leechers: 0 });
  assert.ok(s.remove(H, pid(1)));
  assert.ok(!s.remove(H, pid(1)));
  assert.equal(s.counts(H)?.seeders, 1);
});

test("samples never include the asker; seeders get only leechers", () => {
  const s = store();
  for (let i = 0; i < 10; i++) put(s, i, i < 5 ? 0 : 10);
  const out: StoredPeer[] = [];
  for (let round = 0; round < 50; round++) {
    s.sample(H, 4, 3, pid(7), false, out);
    assert.equal(out.length, 3);
    assert.ok(!out.some((p) => p.peerId === pid(7)));
    assert.equal(new Set(out).size, 3, "no peer twice");
    s.sample(H, 4, 50, pid(0), true, out);
    assert.equal(out.length, 5);
    assert.ok(out.every((p) => p.left !== 0));
  }
  s.sample(H, 4, 50, pid(7), false, out);
  assert.equal(out.length, 9);
  s.sample(H, 6, 50, pid(7), false, out);
  assert.equal(out.length, 0, "no IPv6 peers");
});

test("samples are roughly uniform", () => {
  const s = store(60_000, 42);
  for (let i = 0; i < 20; i++) put(s, i, 5);
  const hits = new Map<string, number>();
  const out: StoredPeer[] = [];
  for (let round = 0; round < 4000; round++) {
    s.sample(H, 4, 5, pid(0), false, out);
    for (const p of out) hits.set(p.peerId, (hits.get(p.peerId) ?? 0) + 1);
  }
  assert.equal(hits.size, 19);
  // Each of 19 peers expects 4000 * 5 / 19 ≈ 1053 picks.
  for (const n of hits.values()) assert.ok(n > 850 && n < 1250, `picked ${n} times`);
});

test("compact samples carry each peer's entry, and follow the peer through every change", () => {
  const s = store();
  for (let i = 1; i <= 6; i++) put(s, i, i % 2 === 0 ? 0 : 9);
  put(s, 2, 5); // seeder → leecher
  put(s, 3, 0); // leecher → seeder
  s.remove(H, pid(4));
  const out = Buffer.alloc(6 * 10);
  const n = s.sampleCompact(H, 4, 10, pid(1), false, out, 0);
  assert.equal(n, 4);
  const got = new Set<number>();
  for (let k = 0; k < n; k++) {
    assert.equal(out.readUInt16BE(6 * k + 4), 6881);
    got.add(out.readUInt32BE(6 * k) - ip4(0));
  }
  assert.deepEqual([...got].sort(), [2, 3, 5, 6]);
  for (const p of s.peers(H)) {
    const i = Number(p.peerId.slice(4));
    assert.equal(p.addr4, Buffer.from([10, 0, i >> 8, i & 255, 0x1a, 0xe1]).toString("latin1"));
  }
  const seeders = Buffer.alloc(60);
  const m = s.sampleCompact(H, 4, 10, "", true, seeders, 0);
  assert.deepEqual(
    Array.from({ length: m }, (_, k) => seeders.readUInt32BE(6 * k) - ip4(0)).sort(),
    [1, 2, 5],
    "leechers only",
  );
});

test("expiry: a silent peer goes once the expiry time has passed, an active one stays", () => {
  const s = store(10_000);
  put(s, 1, 5, 0);
  put(s, 2, 5, 0);
  for (let t = 1000; t <= 9000; t += 1000) put(s, 2, 5, t);
  assert.equal(s.expire(9_999), 0);
  // Peer 1 last announced at 0: gone at the first sweep after 10 s.
  const removed = s.expire(10_000 + 1250);
  assert.equal(removed, 1);
  assert.equal(s.get(H, pid(1)), undefined);
  assert.ok(s.get(H, pid(2)));
  assert.equal(s.expire(30_000), 1);
  assert.equal(s.counts(H), undefined, "an empty swarm is dropped");
});

test("bounds: peers per swarm and swarms", () => {
  const s = store(60_000, 1, 2);
  put(s, 1, 1);
  put(s, 2, 1);
  assert.equal(put(s, 3, 1), "swarm_full");
  assert.equal(put(s, 1, 0), "updated", "known peers still update");
  for (let i = 0; i < 9; i++) s.put(`s${i}`.padEnd(20, "x"), update(1, 0), 0);
  assert.equal(s.put("z".repeat(20), update(1, 0), 0), "too_many_swarms");
});

test("a dual-stack peer is in both families' lists, counted once", () => {
  const s = store();
  s.put(H, update(1, 3), 0);
  s.put(H, update(1, 3, true), 0);
  const out: StoredPeer[] = [];
  assert.equal(s.sample(H, 4, 5, "", false, out), 1);
  assert.equal(s.sample(H, 6, 5, "", false, out), 1);
  assert.equal(s.totals().peers, 1);
});

test("property: after any sequence of operations the counts match the peers", () => {
  const op = fc.record({
    kind: fc.constantFrom("put", "put", "put", "remove", "expire"),
    peer: fc.integer({ min: 0, max: 15 }),
    left: fc.constantFrom(0, 0, 5, -1),
    v6: fc.boolean(),
    dt: fc.integer({ min: 0, max: 3000 }),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), fc.integer(), (ops, seed) => {
      const s = store(5000, seed);
      let now = 0;
      for (const o of ops) {
        now += o.dt;
        if (o.kind === "put") put(s, o.peer, o.left, now, o.v6);
        else if (o.kind === "remove") s.remove(H, pid(o.peer));
        else s.expire(now);
      }
      const peers = s.peers(H);
      const seeders = peers.filter((p) => p.left === 0).length;
      const c = s.counts(H);
      assert.equal(c?.seeders ?? 0, seeders);
      assert.equal(c?.leechers ?? 0, peers.length - seeders);
      assert.equal(s.totals().peers, peers.length);
      const out: StoredPeer[] = [];
      for (const fam of [4, 6] as const) {
        const want = peers.filter((p) => (fam === 4 ? p.addr4 : p.addr6) !== "");
        s.sample(H, fam, 100, "", false, out);
        assert.equal(out.length, want.length);
        s.sample(H, fam, 100, "", true, out);
        assert.equal(out.length, want.filter((p) => p.left !== 0).length);
        assert.ok(out.every((p) => p.left !== 0));
      }
    }),
    { numRuns: 300 },
  );
});
