import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import fc from "fast-check";
import {
  compareBytes,
  formatBytes,
  fromBase32,
  fromHex,
  latin1String,
  parseSize,
  readU32BE,
  toBase32,
  toHex,
  writeU32BE,
} from "./index.ts";

// RFC 4648 §10 test vectors.
const RFC4648: [string, string, string][] = [
  ["", "", ""],
  ["f", "MY======", "66"],
  ["fo", "MZXQ====", "666F"],
  ["foo", "MZXW6===", "666F6F"],
  ["foob", "MZXW6YQ=", "666F6F62"],
  ["fooba", "MZXW6YTB", "666F6F6261"],
  ["foobar", "MZXW6YTBOI======", "666F6F626172"],
];

describe("hex", () => {
  it("matches the RFC 4648 base16 vectors both ways", () => {
    for (const [plain, , hex] of RFC4648) {
      assert.equal(toHex(Buffer.from(plain)), hex.toLowerCase());
      assert.deepEqual(fromHex(hex), Buffer.from(plain));
      assert.deepEqual(fromHex(hex.toLowerCase()), Buffer.from(plain));
    }
  });

  it("honours the offset of a Uint8Array view", () => {
    const view = new Uint8Array([0xaa, 0x01, 0x02, 0xbb]).subarray(1, 3);
    assert.equal(toHex(view), "0102");
  });

  it("refuses odd lengths and non-hex characters", () => {
    assert.equal(fromHex("abc"), undefined);
    assert.equal(fromHex("zz"), undefined);
    assert.equal(fromHex("0x12"), undefined);
    assert.equal(fromHex("12 34"), undefined);
  });

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (u) => {
        assert.deepEqual(fromHex(toHex(u)), Buffer.from(u));
      }),
    );
  });
});

describe("base32", () => {
  it("matches the RFC 4648 base32 vectors (unpadded out, padding optional in)", () => {
    for (const [plain, b32] of RFC4648) {
      const unpadded = b32.replace(/=+$/, "");
      assert.equal(toBase32(Buffer.from(plain)), unpadded);
      assert.deepEqual(fromBase32(b32), Buffer.from(plain));
      assert.deepEqual(fromBase32(unpadded), Buffer.from(plain));
      assert.deepEqual(fromBase32(unpadded.toLowerCase()), Buffer.from(plain));
    }
  });

  it("gives 32 characters for a 20-byte info hash (the magnet form)", () => {
    const hash = Buffer.from("d4b197dff199aad447a9a352e31528adbbd97922", "hex");
    const text = toBase32(hash);
    assert.equal(text.length, 32);
    assert.match(text, /^[A-Z2-7]{32}$/);
    assert.deepEqual(fromBase32(text), hash);
  });

  it("refuses characters outside the alphabet", () => {
    assert.equal(fromBase32("MZXW1"), undefined); // 1 is not base32
    assert.equal(fromBase32("MZXW8"), undefined);
    assert.equal(fromBase32("MZ=XW"), undefined); // padding only at the end
    assert.equal(fromBase32("MZ XW"), undefined);
  });

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (u) => {
        assert.deepEqual(fromBase32(toBase32(u)), Buffer.from(u));
      }),
    );
  });
});

describe("compareBytes", () => {
  it("orders by raw bytes, shorter prefix first", () => {
    assert.ok(compareBytes(Buffer.from("a"), Buffer.from("b")) < 0);
    assert.ok(compareBytes(Buffer.from("a"), Buffer.from("aa")) < 0);
    assert.ok(compareBytes(Buffer.from([0xff]), Buffer.from("z")) > 0);
    assert.equal(compareBytes(Buffer.from("x"), new Uint8Array([0x78])), 0);
  });
});

describe("parseSize", () => {
  it("reads the forms people write", () => {
    const cases: [string, number][] = [
      ["16384", 16384],
      ["0", 0],
      ["256KiB", 256 * 1024],
      ["256kib", 256 * 1024],
      ["1MB", 1_000_000],
      ["1kb", 1000],
      ["4m", 4 * 1024 * 1024],
      ["256k", 256 * 1024],
      ["1.5GiB", 1.5 * 1024 ** 3],
      ["1TiB", 1024 ** 4],
      ["2GB", 2_000_000_000],
      ["1B", 1],
      [" 10 MiB ", 10 * 1024 * 1024],
    ];
    for (const [text, n] of cases) assert.equal(parseSize(text), n, text);
  });

  it("returns an integer byte count", () => {
    assert.equal(parseSize("1.5KiB"), 1536);
    assert.ok(Number.isInteger(parseSize("0.3k")));
  });

  it("refuses what is not a size", () => {
    for (const bad of [
      "",
      " ",
      "abc",
      "KiB",
      "-1",
      "-1MB",
      "1XB",
      "1 KiBB",
      "1e3",
      "1..5",
      "1,5M",
      "1.M",
      "0x10",
    ]) {
      assert.equal(parseSize(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe("formatBytes", () => {
  it("uses binary units", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(1023), "1023 B");
    assert.equal(formatBytes(1024), "1.00 KiB");
    assert.equal(formatBytes(1536), "1.50 KiB");
    assert.equal(formatBytes(10 * 1024 * 1024), "10.0 MiB");
    assert.equal(formatBytes(1024 ** 4), "1.00 TiB");
  });
});

it("base32 of an impossible length is refused", () => {
  assert.equal(fromBase32("M"), undefined);
  assert.equal(fromBase32("MZX"), undefined);
  assert.equal(fromBase32("MZXW6Y"), undefined);
});

test("latin1String matches Buffer's latin1 text at every length", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), (bytes, skip) => {
      const start = Math.min(skip, bytes.length);
      const text = latin1String(bytes, start, bytes.length - start);
      assert.equal(text, Buffer.from(bytes).toString("latin1", start));
    }),
  );
});

test("readU32BE and writeU32BE agree with Buffer's big-endian methods", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.nat(4), (value, offset) => {
      const bytes = Buffer.alloc(8);
      writeU32BE(bytes, offset, value);
      assert.equal(bytes.readUInt32BE(offset), value);
      assert.equal(readU32BE(bytes, offset), value);
    }),
  );
});
