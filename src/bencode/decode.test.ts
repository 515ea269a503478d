import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readGoFuzzSeed } from "../../test/fixtures/go-fuzz-seed.ts";
import {
  BencodeError,
  type BencodeErrorCode,
  type DecodeOptions,
  decode,
  decodeDocument,
  isDict,
  isList,
} from "./index.ts";

const b = (s: string) => Buffer.from(s, "latin1");

/** Asserts that `input` is refused with exactly this code at exactly this byte. */
function refused(
  input: string | Buffer,
  code: BencodeErrorCode,
  offset: number,
  opts: DecodeOptions = {},
): void {
  const bytes = typeof input === "string" ? b(input) : input;
  assert.throws(
    () => decode(bytes, opts),
    (err: unknown) => {
      assert.ok(err instanceof BencodeError, `expected a BencodeError, got ${String(err)}`);
      assert.equal(err.code, code, `code for ${JSON.stringify(bytes.toString("latin1"))}`);
      assert.equal(err.offset, offset, `offset for ${JSON.stringify(bytes.toString("latin1"))}`);
      assert.match(err.message, new RegExp(`at byte ${offset}:`));
      return true;
    },
  );
}

describe("decode: well-formed values", () => {
  it("decodes integers", () => {
    assert.equal(decode(b("i0e")), 0);
    assert.equal(decode(b("i42e")), 42);
    assert.equal(decode(b("i-42e")), -42);
    assert.equal(decode(b("i9007199254740991e")), Number.MAX_SAFE_INTEGER);
    assert.equal(decode(b("i-9007199254740991e")), Number.MIN_SAFE_INTEGER);
    // 15 digits take the fast path, 16 the bigint path: both give numbers.
    assert.equal(decode(b("i999999999999999e")), 999_999_999_999_999);
    assert.equal(decode(b("i1000000000000000e")), 1_000_000_000_000_000);
  });

  it("decodes byte strings as zero-copy slices", () => {
    const input = b("4:spam");
    const v = decode(input);
    assert.ok(Buffer.isBuffer(v));
    assert.deepEqual(v, b("spam"));
    assert.equal(v.buffer, input.buffer, "a slice of the input, not a copy");
    assert.deepEqual(decode(b("0:")), Buffer.alloc(0));
    const binary = Buffer.concat([b("3:"), Buffer.from([0x00, 0xff, 0x80])]);
    assert.deepEqual(decode(binary), Buffer.from([0x00, 0xff, 0x80]));
  });

  it("accepts a plain Uint8Array as input", () => {
    const u8 = new Uint8Array(b("l4:spami7ee"));
    assert.deepEqual(decode(u8), [b("spam"), 7]);
  });

  it("decodes lists and dictionaries, keeping keys as latin1", () => {
    assert.deepEqual(decode(b("le")), []);
    assert.deepEqual(decode(b("de")), new Map());
    assert.deepEqual(decode(b("l4:spam4:eggse")), [b("spam"), b("eggs")]);
    const d = decode(b("d3:cow3:moo4:spaml1:ai1eee"));
    assert.ok(isDict(d));
    assert.deepEqual([...d.keys()], ["cow", "spam"]);
    assert.deepEqual(d.get("spam"), [b("a"), 1]);
    // A non-ASCII key byte maps to one latin1 character.
    const k = decode(Buffer.concat([b("d1:"), Buffer.from([0xe9]), b("i1ee")]));
    assert.ok(isDict(k));
    assert.deepEqual([...k.keys()], ["\u00e9"]);
  });

  it("keeps __proto__ and constructor as ordinary keys", () => {
    const d = decode(b("d9:__proto__i2e11:constructori1ee"));
    assert.ok(isDict(d));
    assert.equal(d.get("__proto__"), 2);
    assert.equal(d.get("constructor"), 1);
  });

  it("accepts integers beyond 2^53 as bigint when asked", () => {
    assert.equal(decode(b("i9007199254740992e"), { bigint: true }), 9007199254740992n);
    assert.equal(decode(b("i-9007199254740992e"), { bigint: true }), -9007199254740992n);
    const big = `1${"0".repeat(63)}`;
    assert.equal(decode(b(`i${big}e`), { bigint: true }), BigInt(big));
    // Safe values stay numbers even in bigint mode.
    assert.equal(decode(b("i12e"), { bigint: true }), 12);
  });

  it("stops after the first value in prefix mode and reports where", () => {
    const doc = decodeDocument(b("i1ei2e"), { prefix: true });
    assert.equal(doc.value, 1);
    assert.equal(doc.end, 3);
    assert.deepEqual(doc.warnings, []);
  });
});

describe("decode: malformed input is refused with its code and offset", () => {
  it("refuses bad integers", () => {
    refused("i01e", "leading_zero", 0);
    refused("i00e", "leading_zero", 0);
    refused("i-01e", "leading_zero", 0);
    refused("l1:ai007ee", "leading_zero", 4);
    refused("i-0e", "negative_zero", 0);
    refused("ie", "invalid_integer", 0);
    refused("i-e", "invalid_integer", 0);
    refused("i+1e", "invalid_integer", 1);
    refused("i+0e", "invalid_integer", 1);
    refused("i1.5e", "invalid_integer", 2);
    refused("i--1e", "invalid_integer", 2);
    refused("i 1e", "invalid_integer", 1);
    refused("i1-e", "invalid_integer", 2);
  });

  it("refuses unterminated integers", () => {
    refused("i", "unexpected_end", 1);
    refused("i-", "unexpected_end", 2);
    refused("i12", "unexpected_end", 3);
    refused("li12", "unexpected_end", 4);
  });

  it("refuses integers beyond ±2^53 unless bigints are allowed", () => {
    refused("i9007199254740992e", "integer_too_large", 0);
    refused("i-9007199254740992e", "integer_too_large", 0);
    refused("l0:i99999999999999999999ee", "integer_too_large", 3);
    // More digits than any real value: refused even in bigint mode.
    refused(`i${"9".repeat(65)}e`, "integer_too_large", 0, { bigint: true });
  });

  it("refuses bad string lengths", () => {
    refused("00:", "leading_zero", 0);
    refused("01:a", "leading_zero", 0);
    refused("l03:abce", "leading_zero", 1);
    refused("1:", "unexpected_end", 0);
    refused("5:abc", "unexpected_end", 0);
    refused("l2:abi1e10:xe", "unexpected_end", 8);
    refused("5", "unexpected_end", 1);
    refused("12", "unexpected_end", 2);
    refused("5x", "invalid_length", 1);
    refused("5-abc", "invalid_length", 1);
    // The length itself may not hold more digits than a real length needs.
    refused(`${"1".repeat(17)}:`, "string_too_long", 0);
  });

  it("refuses bytes that cannot start a value", () => {
    refused("x", "unexpected_byte", 0);
    refused("e", "unexpected_byte", 0);
    refused("-1", "unexpected_byte", 0);
    refused("lxe", "unexpected_byte", 1);
    refused("d1:ax", "unexpected_byte", 4);
  });

  it("refuses unterminated lists and dictionaries", () => {
    refused("l", "unexpected_end", 1);
    refused("li1e", "unexpected_end", 4);
    refused("lli1ee", "unexpected_end", 6);
    refused("d", "unexpected_end", 1);
    refused("d1:ai1e", "unexpected_end", 7);
    refused("d1:a", "unexpected_end", 4);
    refused("d3:000e", "unexpected_byte", 6);
  });

  it("refuses dictionary keys that are not strings", () => {
    refused("di1ei2ee", "invalid_key", 1);
    refused("dlei1ee", "invalid_key", 1);
    refused("d1:ai1edei1ee", "invalid_key", 7);
  });

  it("refuses unsorted and duplicate keys in strict mode", () => {
    refused("d1:bi1e1:ai2ee", "unsorted_keys", 7);
    refused("d1:ai1e1:ai2ee", "duplicate_key", 7);
    refused("d1:ai1e1:ci2e1:bi3ee", "unsorted_keys", 13);
    // Sorting is by raw bytes: "B" (0x42) < "a" (0x61) < 0xe9, and a prefix sorts first.
    assert.doesNotThrow(() => decode(b("d1:Bi1e1:ai2e2:aai3e1:\xe9i4ee")));
    refused("d1:\xe9i1e1:ai2ee", "unsorted_keys", 7);
    refused("d2:aai1e1:ai2ee", "unsorted_keys", 8);
    // Nested dictionaries are checked too, offsets are absolute.
    refused("d1:xd1:bi1e1:ai2eee", "unsorted_keys", 11);
  });

  it("refuses trailing data", () => {
    refused("i1ei2e", "trailing_data", 3);
    refused("de\n", "trailing_data", 2);
    refused("0:0:", "trailing_data", 2);
  });

  it("refuses nesting deeper than maxDepth", () => {
    assert.deepEqual(decode(b("llee"), { maxDepth: 2 }), [[]]);
    refused("llleee", "depth_exceeded", 2, { maxDepth: 2 });
    refused("ld1:alleeee", "depth_exceeded", 6, { maxDepth: 3 });
    refused("le", "depth_exceeded", 0, { maxDepth: 0 });
    // The default limit holds against a deep input (cf. libtorrent's v2_deep_recursion).
    const deep = b("l".repeat(907) + "e".repeat(907));
    refused(deep, "depth_exceeded", 64);
  });

  it("refuses more values than maxItems", () => {
    assert.deepEqual(decode(b("li1ei2ee"), { maxItems: 3 }), [1, 2]);
    refused("li1ei2ei3ee", "too_many_items", 7, { maxItems: 3 });
    // Dictionary keys count as values.
    refused("d1:ai1e1:bi2ee", "too_many_items", 10, { maxItems: 4 });
  });

  it("refuses input over maxSize before reading it", () => {
    assert.equal(decode(b("i1234e"), { maxSize: 6 }), 1234);
    refused("i12345e", "input_too_large", 0, { maxSize: 6 });
  });

  it("refuses strings longer than maxStringLength", () => {
    assert.deepEqual(decode(b("4:spam"), { maxStringLength: 4 }), b("spam"));
    refused("5:spams", "string_too_long", 0, { maxStringLength: 4 });
    // The claim alone is enough: no need to read (or have) the bytes.
    refused("l999999999:", "string_too_long", 1, { maxStringLength: 1000 });
  });

  it("refuses empty input", () => {
    refused("", "unexpected_end", 0);
  });
});

describe("decode: lenient mode", () => {
  it("reports unsorted keys as warnings and keeps every entry", () => {
    const doc = decodeDocument(b("d1:bi1e1:ai2ee"), { strict: false });
    assert.deepEqual(
      doc.value,
      new Map<string, number>([
        ["b", 1],
        ["a", 2],
      ]),
    );
    assert.deepEqual(doc.warnings, [{ code: "unsorted_keys", offset: 7, key: "a" }]);
  });

  it("reports duplicate keys and keeps the first value", () => {
    const doc = decodeDocument(b("d1:ai1e1:ai2ee"), { strict: false });
    assert.deepEqual(doc.value, new Map([["a", 1]]));
    assert.deepEqual(doc.warnings, [{ code: "duplicate_key", offset: 7, key: "a" }]);
  });

  it("finds a duplicate that is not adjacent to its first occurrence", () => {
    // a, c, b (unsorted), a again (duplicate of the first), b again (duplicate).
    const doc = decodeDocument(b("d1:ai1e1:ci2e1:bi3e1:ai4e1:bi5ee"), { strict: false });
    assert.deepEqual(
      doc.value,
      new Map([
        ["a", 1],
        ["c", 2],
        ["b", 3],
      ]),
    );
    assert.deepEqual(doc.warnings, [
      { code: "unsorted_keys", offset: 13, key: "b" },
      { code: "duplicate_key", offset: 19, key: "a" },
      { code: "duplicate_key", offset: 25, key: "b" },
    ]);
  });

  it("reports trailing data and returns the first value", () => {
    const doc = decodeDocument(b("de\n"), { strict: false });
    assert.deepEqual(doc.value, new Map());
    assert.equal(doc.end, 2);
    assert.deepEqual(doc.warnings, [{ code: "trailing_data", offset: 2 }]);
  });

  it("still refuses what is malformed rather than merely non-canonical", () => {
    refused("i01e", "leading_zero", 0, { strict: false });
    refused("di1ei2ee", "invalid_key", 1, { strict: false });
    refused("d1:ai1e", "unexpected_end", 7, { strict: false });
  });
});

describe("decodeDocument: raw spans", () => {
  it("returns the exact original bytes of a nested dict with unsorted keys", () => {
    const info = "d4:name1:x12:piece lengthi16384e6:lengthi1ee";
    const input = b(`d8:announce3:url4:info${info}e`);
    const doc = decodeDocument(input, { strict: false });
    assert.ok(isDict(doc.value));
    const infoDict = doc.value.get("info");
    assert.ok(isDict(infoDict));
    const raw = doc.raw(infoDict);
    assert.ok(raw);
    assert.equal(raw.toString("latin1"), info);
    assert.equal(raw.buffer, input.buffer, "a zero-copy slice of the input");
    assert.equal(doc.raw(doc.value)?.toString("latin1"), input.toString("latin1"));
  });

  it("returns the raw bytes of lists and undefined for foreign values", () => {
    const doc = decodeDocument(b("l0:li1eli2eeee"));
    assert.ok(isList(doc.value));
    const inner = doc.value[1];
    assert.ok(isList(inner));
    assert.equal(doc.raw(inner)?.toString("latin1"), "li1eli2eee");
    assert.equal(doc.raw([]), undefined);
    assert.equal(doc.raw(new Map()), undefined);
  });
});

describe("anacrolix bencode fuzz seeds", () => {
  const root = join(import.meta.dirname, "../../../shared/corpus/torrents/anacrolix/bencode/fuzz");
  const present = existsSync(root);
  const skip = present ? false : `corpus folder ${root} is absent`;

  it("reads Go fuzz seed files exactly (checked against EXPECTED.md §6 hex)", { skip }, () => {
    const seed = readFileSync(
      join(root, "Fuzz/65cfcaf31066e15825ace0f8e03701b8729a159063a9ca0884df18a5c9499715"),
      "utf8",
    );
    assert.equal(
      readGoFuzzSeed(seed).toString("hex"),
      "6936323230383030323230303030303030303a30307bdd83797f206d2e16090c5a4c1827ade7c465",
    );
  });

  // Why each seed fails (EXPECTED.md §6): anacrolix only asks "refuse or round-trip
  // exactly"; we refuse them all, for the reason and at the byte given here.
  const expected: Record<string, [BencodeErrorCode, number]> = {
    "00:": ["leading_zero", 0],
    "d3:000e": ["unexpected_byte", 6],
    "i+0e": ["invalid_integer", 1],
    i00e: ["leading_zero", 0],
    "i-0e": ["negative_zero", 0],
    "d3:A005:000003:000i0ee": ["unsorted_keys", 13],
    "1:": ["unexpected_end", 0],
    d10000000000: ["unexpected_end", 12],
  };

  it("refuses every seed in strict mode", { skip }, () => {
    let count = 0;
    let pinned = 0;
    for (const target of readdirSync(root)) {
      for (const name of readdirSync(join(root, target))) {
        const input = readGoFuzzSeed(readFileSync(join(root, target, name), "utf8"));
        const text = input.toString("latin1");
        const [code, offset] = expected[text] ?? [undefined, undefined];
        assert.throws(
          () => decode(input),
          (err: unknown) =>
            err instanceof BencodeError &&
            (code === undefined || (err.code === code && err.offset === offset)),
          `${target}/${name} (${JSON.stringify(text)}) must be refused`,
        );
        count++;
        if (code !== undefined) pinned++;
      }
    }
    assert.equal(count, 10, "EXPECTED.md lists 10 bencode fuzz seeds");
    assert.equal(pinned, Object.keys(expected).length, "every pinned seed was found");
  });
});
