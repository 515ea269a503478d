import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { NO_SLOT, nextCapacity, PeerTable, POS4, POS6 } from "./peer-table.ts";

const id = (i: number) => `-XX0001-${String(i).padStart(12, "0")}`;

test("finds what was inserted, per swarm; the same id in two swarms is two peers", () => {
  const t = new PeerTable();
  const a = t.insert(1, id(1), t.hash(1, id(1)));
  const b = t.insert(2, id(1), t.hash(2, id(1)));
  assert.notEqual(a, b);
  assert.equal(t.find(1, id(1), t.hash(1, id(1))), a);
  assert.equal(t.find(2, id(1), t.hash(2, id(1))), b);
  assert.equal(t.find(3, id(1), t.hash(3, id(1))), NO_SLOT);
  assert.equal(t.find(1, id(2), t.hash(1, id(2))), NO_SLOT);
  assert.equal(t.stored(a).peerId, id(1));
  assert.throws(() => t.insert(1, "short", t.hash(1, "short")), TypeError);
});

test("grows past its first capacity and keeps every peer findable", () => {
  const t = new PeerTable();
  const slots = new Map<number, number>();
  for (let i = 0; i < 5000; i++) slots.set(i, t.insert(i % 7, id(i), t.hash(i % 7, id(i))));
  assert.ok(t.capacity >= 5000);
  for (const [i, slot] of slots) assert.equal(t.find(i % 7, id(i), t.hash(i % 7, id(i))), slot);
  assert.equal(t.count, 5000);
});

test("property: inserts and releases in any order match a Map", () => {
  const op = fc.record({
    insert: fc.boolean(),
    swarm: fc.integer({ min: 0, max: 3 }),
    peer: fc.integer({ min: 0, max: 40 }),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const t = new PeerTable();
      const model = new Map<string, number>();
      for (const o of ops) {
        const key = `${o.swarm}/${o.peer}`;
        const h = t.hash(o.swarm, id(o.peer));
        const found = t.find(o.swarm, id(o.peer), h);
        assert.equal(found, model.get(key) ?? NO_SLOT);
        if (o.insert && found === NO_SLOT) model.set(key, t.insert(o.swarm, id(o.peer), h));
        else if (!o.insert && found !== NO_SLOT) {
          t.release(found);
          model.delete(key);
        }
      }
      // Backward-shift deletion must leave every remaining peer reachable.
      for (const [key, slot] of model) {
        const [s, p] = key.split("/").map(Number) as [number, number];
        assert.equal(t.find(s, id(p), t.hash(s, id(p))), slot);
      }
      assert.equal(t.count, model.size);
    }),
    { numRuns: 300 },
  );
});

test("entries: BEP 23 (6 bytes) and BEP 7 (18 bytes)", () => {
  const t = new PeerTable();
  const s = t.insert(0, id(1), t.hash(0, id(1)));
  t.setEntry4(s, 0x7f000001, 6881);
  t.setPos(s, POS4, 0);
  const out = Buffer.alloc(18);
  assert.equal(t.writeEntry4(s, out, 0), 6);
  assert.deepEqual([...out.subarray(0, 6)], [127, 0, 0, 1, 0x1a, 0xe1]);
  t.setEntry6(s, `${"\0".repeat(15)}\x01`, 51413);
  t.setPos(s, POS6, 0);
  assert.equal(t.writeEntry6(s, out, 0), 18);
  assert.equal(out.readUInt16BE(16), 51413);
  assert.equal(out[15], 1);
  const p = t.stored(s);
  assert.equal(p.addr4.length, 6);
  assert.equal(p.addr6.length, 18);
});

test("capacity doubles while small, then grows by a quarter: little slack in a large table", () => {
  assert.equal(nextCapacity(1024), 2048);
  assert.equal(nextCapacity(32768), 65536);
  assert.equal(nextCapacity(65536), 81920);
  assert.equal(nextCapacity(81920), 102400);
  let c = 1024;
  while (c < 100_001) c = nextCapacity(c);
  assert.ok(c <= 1.25 * 100_001, `capacity ${c} for 100,001 peers`);
  for (let n = 65536; n < 10_000_000; n = nextCapacity(n)) {
    assert.ok(nextCapacity(n) >= n + 16384);
    assert.ok(nextCapacity(n) <= Math.ceil(n * 1.25) + 1024);
  }
});

test("a table grown past the doubling limit keeps every peer, and releases work after", () => {
  const t = new PeerTable();
  const n = 70_000;
  for (let i = 0; i < n; i++) t.insert(i % 13, id(i), t.hash(i % 13, id(i)));
  assert.equal(t.capacity, 81920);
  for (let i = 0; i < n; i += 7)
    assert.notEqual(t.find(i % 13, id(i), t.hash(i % 13, id(i))), NO_SLOT);
  for (let i = 0; i < n; i += 2) t.release(t.find(i % 13, id(i), t.hash(i % 13, id(i))));
  for (let i = 1; i < n; i += 2)
    assert.notEqual(t.find(i % 13, id(i), t.hash(i % 13, id(i))), NO_SLOT);
  assert.equal(t.find(0, id(0), t.hash(0, id(0))), NO_SLOT);
  assert.equal(t.count, n / 2);
});

test("the same id with two owners is two peers; the owner reads back", () => {
  const t = new PeerTable();
  const keyOwner = 2 * 2 ** 32 + 0xdeadbeef;
  const a = t.insert(1, id(1), t.hash(1, id(1), 0x7f000001), 0x7f000001);
  const b = t.insert(1, id(1), t.hash(1, id(1), keyOwner), keyOwner);
  assert.notEqual(a, b);
  assert.equal(t.find(1, id(1), t.hash(1, id(1), 0x7f000001), 0x7f000001), a);
  assert.equal(t.find(1, id(1), t.hash(1, id(1), keyOwner), keyOwner), b);
  // The same 32-bit value of another kind is another owner.
  const other = 0xdeadbeef;
  assert.equal(t.find(1, id(1), t.hash(1, id(1), other), other), NO_SLOT);
  assert.equal(t.stored(b).owner, keyOwner);
  assert.ok(t.hasPeerId(a, id(1)) && !t.hasPeerId(a, id(2)));
});
