import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BencodeError, decode, type Encodable, encode } from "./index.ts";

const enc = (v: Encodable) => encode(v).toString("latin1");

function unencodable(v: unknown, message: RegExp): void {
  assert.throws(
    () => encode(v as Encodable),
    (err: unknown) => {
      assert.ok(err instanceof BencodeError);
      assert.equal(err.code, "unencodable");
      assert.match(err.message, message);
      return true;
    },
  );
}

describe("encode", () => {
  it("writes integers in shortest form", () => {
    assert.equal(enc(0), "i0e");
    assert.equal(enc(-0), "i0e");
    assert.equal(enc(42), "i42e");
    assert.equal(enc(-42), "i-42e");
    assert.equal(enc(Number.MAX_SAFE_INTEGER), "i9007199254740991e");
    assert.equal(enc(2n ** 64n), "i18446744073709551616e");
    assert.equal(enc(-(2n ** 64n)), "i-18446744073709551616e");
    assert.equal(enc(0n), "i0e");
  });

  it("refuses numbers bencode cannot carry exactly", () => {
    unencodable(1.5, /not an integer/);
    unencodable(Number.NaN, /not an integer/);
    unencodable(Number.POSITIVE_INFINITY, /not an integer/);
    unencodable(2 ** 53, /not an integer/);
  });

  it("writes strings as UTF-8 and bytes as they are", () => {
    assert.equal(enc("spam"), "4:spam");
    assert.equal(enc(""), "0:");
    assert.deepEqual(encode("é"), Buffer.from([0x32, 0x3a, 0xc3, 0xa9]));
    assert.deepEqual(encode(Buffer.from([0, 255])), Buffer.from([0x32, 0x3a, 0, 255]));
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    assert.deepEqual(encode(view), Buffer.from([0x33, 0x3a, 1, 2, 3]));
  });

  it("writes lists and nested values", () => {
    assert.equal(enc([]), "le");
    assert.equal(enc(["spam", 1, [[]]]), "l4:spami1elleee");
  });

  it("sorts plain-object keys by their UTF-8 bytes", () => {
    assert.equal(enc({ b: 1, a: 2, A: 3 }), "d1:Ai3e1:ai2e1:bi1ee");
    // UTF-16 order puts U+1F600 (D83D…) before U+FF61; UTF-8 order (F0… > EF…) does not.
    const out = encode({ "\u{1f600}": 1, "\uff61": 2 });
    assert.deepEqual(
      out,
      Buffer.concat([
        Buffer.from("d3:"),
        Buffer.from("\uff61"),
        Buffer.from("i2e4:"),
        Buffer.from("\u{1f600}"),
        Buffer.from("i1ee"),
      ]),
    );
    assert.doesNotThrow(() => decode(out));
  });

  it("sorts Map keys as raw latin1 bytes", () => {
    const m = new Map<string, Encodable>([
      ["\u00ff", 1],
      ["\u0000", 2],
      ["a", 3],
      ["", 4],
      ["ab", 5],
    ]);
    const out = encode(m);
    assert.deepEqual(out, Buffer.from("d0:i4e1:\u0000i2e1:ai3e2:abi5e1:\u00ffi1ee", "latin1"));
    assert.deepEqual(decode(out), new Map([...m].sort(([x], [y]) => (x < y ? -1 : 1))));
  });

  it("skips undefined dictionary entries", () => {
    assert.equal(enc({ a: undefined, b: 1 }), "d1:bi1ee");
    assert.equal(enc(new Map([["a", undefined]])), "de");
  });

  it("refuses Map keys that are not latin1 (they would be silently mangled)", () => {
    unencodable(new Map([["\u0100", 1]]), /not a byte string/);
    unencodable(new Map([["ok", new Map([["\u20ac", 1]])]]), /not a byte string/);
  });

  it("refuses values bencode has no form for", () => {
    unencodable(null, /type object/);
    unencodable(true, /type boolean/);
    unencodable(undefined, /type undefined/);
    unencodable([1, undefined], /type undefined/);
    unencodable(() => 1, /type function/);
  });

  it("refuses circular and absurdly deep values", () => {
    const circular: Encodable[] = [];
    circular.push(circular);
    unencodable(circular, /nests too deeply/);
    let deep: Encodable = [];
    for (let i = 0; i < 1000; i++) deep = [deep];
    unencodable(deep, /nests too deeply/);
  });

  it("reproduces canonical input byte for byte", () => {
    for (const s of [
      "i-7e",
      "0:",
      "le",
      "de",
      "d8:announce17:http://x/announce4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces0:ee",
      "ld1:ali1ei2eee1:\u00ffe",
    ]) {
      const input = Buffer.from(s, "latin1");
      assert.deepEqual(encode(decode(input)), input, s);
    }
  });
});
