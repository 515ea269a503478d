import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { NO_SLOT, PeerTable } from "./peer-table.ts";

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
  t.ip4[s] = 0x7f000001;
  t.port4[s] = 6881;
  t.pos4[s] = 0;
  const out = Buffer.alloc(18);
  assert.equal(t.writeEntry4(s, out, 0), 6);
  assert.deepEqual([...out.subarray(0, 6)], [127, 0, 0, 1, 0x1a, 0xe1]);
  t.setIp6(s, `${"\0".repeat(15)}\x01`, 51413);
  t.pos6[s] = 0;
  assert.equal(t.writeEntry6(s, out, 0), 18);
  assert.equal(out.readUInt16BE(16), 51413);
  assert.equal(out[15], 1);
  const p = t.stored(s);
  assert.equal(p.addr4.length, 6);
  assert.equal(p.addr6.length, 18);
});
