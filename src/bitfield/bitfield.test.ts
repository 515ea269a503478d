import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Bitfield, BitfieldError } from "./bitfield.ts";

test("MSB first, string form, count", () => {
  const bf = Bitfield.fromString("1101000001");
  assert.deepEqual([...bf.toBuffer()], [0b11010000, 0b01000000]);
  assert.equal(bf.count(), 4);
  assert.equal(bf.toString(), "1101000001");
  assert.deepEqual([...bf.indices()], [0, 1, 3, 9]);
  assert.equal(bf.has(10), false);
  assert.equal(bf.set(2), true);
  assert.equal(bf.set(2), false);
  assert.equal(bf.clear(2), true);
  assert.equal(bf.count(), 4);
  assert.throws(() => bf.set(10), RangeError);
});

test("wire form: length and spare bits are checked (BEP 3)", () => {
  assert.equal(Bitfield.fromWire(Buffer.from([0xff, 0xc0]), 10).count(), 10);
  assert.throws(() => Bitfield.fromWire(Buffer.from([0xff]), 10), BitfieldError);
  assert.throws(() => Bitfield.fromWire(Buffer.from([0xff, 0xc0, 0]), 10), BitfieldError);
  assert.throws(
    () => Bitfield.fromWire(Buffer.from([0xff, 0xe0]), 10),
    (e: unknown) => e instanceof BitfieldError && e.code === "bad_bitfield_spare_bits",
  );
});

test("full, complete, set operations", () => {
  const full = Bitfield.full(9);
  assert.equal(full.isComplete(), true);
  assert.deepEqual([...full.toBuffer()], [0xff, 0x80]);
  const a = Bitfield.fromString("1100");
  const b = Bitfield.fromString("1010");
  assert.equal(a.andNot(b).toString(), "0100");
  assert.equal(a.or(b).toString(), "1110");
  assert.equal(a.lacksAnyOf(b), true);
  assert.equal(a.or(b).lacksAnyOf(b), false);
});

test("string and wire round trips (property)", () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (bits) => {
      const text = bits.map((b) => (b ? "1" : "0")).join("");
      const bf = Bitfield.fromString(text);
      assert.equal(bf.toString(), text);
      assert.equal(bf.count(), bits.filter(Boolean).length);
      assert.equal(Bitfield.fromWire(bf.toBuffer(), bits.length).toString(), text);
    }),
  );
});

test("load takes another bitfield's bytes in place: spare bits and missing bytes cleared", () => {
  const bf = Bitfield.fromString("0000000001");
  bf.load(Buffer.from([0b10100000, 0b11111111]));
  assert.equal(bf.toString(), "1010000011");
  assert.equal(bf.count(), 4);
  bf.load(Buffer.from([0b01000000]));
  assert.equal(bf.toString(), "0100000000");
  assert.equal(bf.count(), 1);
});
