import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type BencodeDict,
  BencodeError,
  type BencodeValue,
  decode,
  decodeDocument,
  encode,
  isDict,
  isList,
} from "./index.ts";

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Keys as the decoder gives them: raw bytes as latin1, with a few short ones to collide. */
const latin1Key = fc.oneof(
  fc.constantFrom("", "a", "b", "A", "aa", "ab", "\u00e9", "\u00ff", "\u0000"),
  fc.uint8Array({ maxLength: 6 }).map((u) => Buffer.from(u).toString("latin1")),
);

const leaf: fc.Arbitrary<BencodeValue> = fc.oneof(
  fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u)),
  fc.maxSafeInteger(),
  // Beyond ±2^53 the decoder gives bigints (with `bigint: true`); 64 digits at most.
  fc.bigInt({ min: SAFE + 1n, max: 10n ** 63n }),
  fc.bigInt({ min: -(10n ** 63n), max: -SAFE - 1n }),
);

/** Any value of the decoder's data model. */
const { value: bencodeValue } = fc.letrec<{
  value: BencodeValue;
  list: BencodeValue[];
  dict: BencodeDict;
}>((tie) => ({
  value: fc.oneof({ maxDepth: 6, depthSize: "small" }, leaf, tie("list"), tie("dict")),
  list: fc.array(tie("value"), { maxLength: 5 }),
  dict: fc
    .uniqueArray(fc.tuple(latin1Key, tie("value")), { selector: (e) => e[0], maxLength: 6 })
    .map((entries) => new Map(entries)),
}));

/** Walks every dictionary of a decoded value. */
function* dicts(v: BencodeValue): Generator<BencodeDict> {
  if (isDict(v)) {
    yield v;
    for (const x of v.values()) yield* dicts(x);
  } else if (isList(v)) {
    for (const x of v) yield* dicts(x);
  }
}

function mustBeBencodeError(input: Uint8Array, opts: Parameters<typeof decode>[1]): void {
  try {
    decode(input, opts);
  } catch (err) {
    if (!(err instanceof BencodeError)) throw err;
    assert.ok(Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= input.length);
  }
}

describe("bencode properties", () => {
  it("decode(encode(v)) deep-equals v", () => {
    fc.assert(
      fc.property(bencodeValue, (v) => {
        assert.deepEqual(decode(encode(v), { bigint: true }), v);
      }),
    );
  });

  it("encoder output is canonical: strict decode accepts it and re-encodes it exactly", () => {
    fc.assert(
      fc.property(bencodeValue, (v) => {
        const bytes = encode(v);
        const doc = decodeDocument(bytes, { bigint: true, strict: false });
        assert.deepEqual(doc.warnings, []);
        assert.deepEqual(encode(decode(bytes, { bigint: true })), bytes);
      }),
    );
  });

  it("keys are sorted by raw bytes, whatever the text of plain-object keys", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), fc.maxSafeInteger(), {
          maxKeys: 8,
        }),
        (obj) => {
          const d = decode(encode(obj));
          assert.ok(isDict(d));
          const keys = [...d.keys()].map((k) => Buffer.from(k, "latin1"));
          for (let i = 1; i < keys.length; i++) {
            assert.ok(Buffer.compare(keys[i - 1]!, keys[i]!) < 0);
          }
          const asText = new Map([...d].map(([k, n]) => [Buffer.from(k, "latin1").toString(), n]));
          assert.deepEqual(asText, new Map(Object.entries(obj)));
        },
      ),
    );
  });

  it("raw() of every dictionary is its canonical encoding, sliced from the input", () => {
    fc.assert(
      fc.property(bencodeValue, (v) => {
        const bytes = encode(v);
        const doc = decodeDocument(bytes, { bigint: true });
        for (const d of dicts(doc.value)) {
          assert.deepEqual(doc.raw(d), encode(d));
          assert.equal(doc.raw(d)?.buffer, bytes.buffer);
        }
      }),
    );
  });

  it("a dictionary written in any key order: strict refuses it unless sorted, lenient keeps the first of each key and its raw bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(latin1Key, leaf), { maxLength: 8 }), (entries) => {
        const parts = entries.map(([k, v]) => {
          const key = Buffer.from(k, "latin1");
          return Buffer.concat([Buffer.from(`${key.length}:`), key, encode(v)]);
        });
        const bytes = Buffer.concat([Buffer.from("d"), ...parts, Buffer.from("e")]);
        const keys = entries.map(([k]) => Buffer.from(k, "latin1"));
        const sorted = keys.every((k, i) => i === 0 || Buffer.compare(keys[i - 1]!, k) < 0);

        const doc = decodeDocument(bytes, { strict: false, bigint: true });
        const expected = new Map<string, BencodeValue>();
        for (const [k, v] of entries) if (!expected.has(k)) expected.set(k, v);
        assert.deepEqual(doc.value, expected);
        assert.deepEqual([...(doc.value as BencodeDict).keys()], [...expected.keys()]);
        assert.deepEqual(doc.raw(doc.value as BencodeDict), bytes);
        assert.equal(doc.warnings.length === 0, sorted);

        if (sorted) {
          assert.deepEqual(decode(bytes, { bigint: true }), expected);
        } else {
          assert.throws(
            () => decode(bytes, { bigint: true }),
            (err: unknown) =>
              err instanceof BencodeError &&
              (err.code === "unsorted_keys" || err.code === "duplicate_key"),
          );
        }
      }),
    );
  });

  it("whatever the strict decoder accepts is canonical (mutated encodings)", () => {
    const mutated = fc
      .tuple(bencodeValue, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2))
      .map(([v, at, byte, kind]) => {
        const bytes = [...encode(v)];
        const i = at % (bytes.length + 1);
        if (kind === 0) bytes.splice(i, 1);
        else if (kind === 1) bytes.splice(i, 0, byte);
        else bytes[Math.min(i, bytes.length - 1)] = byte;
        return Buffer.from(bytes);
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        let v: BencodeValue;
        try {
          v = decode(bytes, { bigint: true });
        } catch (err) {
          if (err instanceof BencodeError) return;
          throw err;
        }
        assert.deepEqual(encode(v), bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("random bytes never throw anything but BencodeError", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Mostly bencode's own alphabet, so the decoder gets deep into its paths.
      fc
        .array(fc.constantFrom(..."ilde0123456789:-+ x"), { maxLength: 64 })
        .map((cs) => Buffer.from(cs.join(""), "latin1")),
    );
    fc.assert(
      fc.property(bytes, (input) => {
        mustBeBencodeError(input, {});
        mustBeBencodeError(input, { strict: false, bigint: true });
        mustBeBencodeError(input, { maxDepth: 2, maxItems: 4, maxStringLength: 3, maxSize: 32 });
      }),
      { numRuns: 1000 },
    );
  });
});
