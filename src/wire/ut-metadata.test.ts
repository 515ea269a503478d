import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { WireError } from "./errors.ts";
import {
  decodeUtMetadata,
  encodeUtMetadata,
  MAX_METADATA_PIECES,
  MAX_METADATA_SIZE,
  METADATA_PIECE_LENGTH,
  metadataPieceCount,
  metadataPieceLength,
} from "./ut-metadata.ts";

const latin1 = (s: string) => Buffer.from(s, "latin1");

test("ut_metadata: BEP 9's examples encode byte for byte", () => {
  assert.equal(
    encodeUtMetadata({ type: "request", piece: 0 }).toString("latin1"),
    "d8:msg_typei0e5:piecei0ee",
  );
  assert.equal(
    encodeUtMetadata({ type: "reject", piece: 0 }).toString("latin1"),
    "d8:msg_typei2e5:piecei0ee",
  );
  const data = Buffer.alloc(100, 7);
  const out = encodeUtMetadata({ type: "data", piece: 0, totalSize: 100, data });
  assert.equal(
    out.subarray(0, out.length - 100).toString("latin1"),
    "d8:msg_typei1e5:piecei0e10:total_sizei100ee",
  );
  assert.deepEqual(out.subarray(out.length - 100), data);
});

test("ut_metadata: request, reject and data round-trip (property)", () => {
  const size = fc.integer({ min: 1, max: 5 * METADATA_PIECE_LENGTH + 17 });
  const dataMessage = size.chain((totalSize) =>
    fc.integer({ min: 0, max: metadataPieceCount(totalSize) - 1 }).chain((piece) =>
      fc
        .uint8Array({
          minLength: metadataPieceLength(totalSize, piece),
          maxLength: metadataPieceLength(totalSize, piece),
        })
        .map((bytes) => ({
          type: "data" as const,
          piece,
          totalSize,
          data: Buffer.from(bytes),
        })),
    ),
  );
  const piece = fc.integer({ min: 0, max: MAX_METADATA_PIECES - 1 });
  const message = fc.oneof(
    piece.map((p) => ({ type: "request" as const, piece: p })),
    piece.map((p) => ({ type: "reject" as const, piece: p })),
    dataMessage,
  );
  fc.assert(
    fc.property(message, (m) => {
      assert.deepEqual(decodeUtMetadata(encodeUtMetadata(m)), m);
    }),
    { numRuns: 300 },
  );
});

test("ut_metadata: other clients' spellings are read (extra keys, total_size on a reject)", () => {
  // libtorrent adds total_size to rejects; unknown keys are ignored (BEP 10 style).
  assert.deepEqual(decodeUtMetadata(latin1("d8:msg_typei2e5:piecei3e10:total_sizei9ee")), {
    type: "reject",
    piece: 3,
  });
  assert.deepEqual(decodeUtMetadata(latin1("d1:xi1e8:msg_typei0e5:piecei1ee")), {
    type: "request",
    piece: 1,
  });
  // Unsorted keys, as some clients write them.
  assert.deepEqual(decodeUtMetadata(latin1("d5:piecei1e8:msg_typei0ee")), {
    type: "request",
    piece: 1,
  });
});

test("ut_metadata: an unknown msg_type is ignorable, not an error (BEP 9)", () => {
  assert.deepEqual(decodeUtMetadata(latin1("d8:msg_typei7e5:piecei0ee")), {
    type: "unknown",
    msgType: 7,
  });
});

test("ut_metadata: every malformed class is refused with a WireError", () => {
  const full = Buffer.alloc(METADATA_PIECE_LENGTH, 1);
  const cases: [string, Buffer][] = [
    ["empty", latin1("")],
    ["not bencode", latin1("hello")],
    ["truncated dictionary", latin1("d8:msg_typei0e5:piecei0e")],
    ["a list, not a dictionary", latin1("li0ei0ee")],
    ["an integer, not a dictionary", latin1("i0e")],
    ["no msg_type", latin1("d5:piecei0ee")],
    ["msg_type a string", latin1("d8:msg_type1:05:piecei0ee")],
    ["no piece", latin1("d8:msg_typei0ee")],
    ["piece a string", latin1("d8:msg_typei0e5:piece1:0e")],
    ["negative piece", latin1("d8:msg_typei0e5:piecei-1ee")],
    ["piece past the limit", latin1(`d8:msg_typei0e5:piecei${MAX_METADATA_PIECES}ee`)],
    ["huge piece", latin1("d8:msg_typei0e5:piecei99999999999999999999ee")],
    ["bytes after a request", latin1("d8:msg_typei0e5:piecei0eexyz")],
    ["bytes after a reject", latin1("d8:msg_typei2e5:piecei0eex")],
    ["data without total_size", Buffer.concat([latin1("d8:msg_typei1e5:piecei0ee"), full])],
    [
      "data with total_size 0",
      Buffer.concat([latin1("d8:msg_typei1e5:piecei0e10:total_sizei0ee")]),
    ],
    ["data with negative total_size", latin1("d8:msg_typei1e5:piecei0e10:total_sizei-5ee")],
    [
      "data with total_size over the limit",
      Buffer.concat([
        latin1(`d8:msg_typei1e5:piecei0e10:total_sizei${MAX_METADATA_SIZE + 1}ee`),
        full,
      ]),
    ],
    [
      "data with total_size a string",
      Buffer.concat([latin1("d8:msg_typei1e5:piecei0e10:total_size3:100e"), full]),
    ],
    [
      "data piece past total_size",
      Buffer.concat([latin1("d8:msg_typei1e5:piecei1e10:total_sizei100ee"), full]),
    ],
    [
      "data shorter than its piece",
      Buffer.concat([latin1("d8:msg_typei1e5:piecei0e10:total_sizei100ee"), Buffer.alloc(99)]),
    ],
    [
      "data longer than its piece",
      Buffer.concat([latin1("d8:msg_typei1e5:piecei0e10:total_sizei100ee"), Buffer.alloc(101)]),
    ],
    [
      "a full piece longer than 16 KiB",
      Buffer.concat([
        latin1("d8:msg_typei1e5:piecei0e10:total_sizei99999ee"),
        Buffer.alloc(METADATA_PIECE_LENGTH + 1),
      ]),
    ],
    ["a header over its limit", latin1(`d1:x2000:${"a".repeat(2000)}8:msg_typei0e5:piecei0ee`)],
    ["too deep", latin1(`d1:x${"l".repeat(10)}${"e".repeat(10)}8:msg_typei0e5:piecei0ee`)],
  ];
  for (const [name, payload] of cases) {
    assert.throws(
      () => decodeUtMetadata(payload),
      (err: unknown) => err instanceof WireError && err.code === "bad_extended_message",
      name,
    );
  }
});

test("ut_metadata: random bytes never crash the decoder (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeUtMetadata(Buffer.from(bytes));
      } catch (err) {
        assert.ok(err instanceof WireError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});

test("ut_metadata: the encoder refuses what the decoder would", () => {
  assert.throws(() => encodeUtMetadata({ type: "request", piece: -1 }), RangeError);
  assert.throws(
    () => encodeUtMetadata({ type: "data", piece: 0, totalSize: 10, data: Buffer.alloc(9) }),
    RangeError,
  );
  assert.throws(
    () =>
      encodeUtMetadata({
        type: "data",
        piece: 0,
        totalSize: MAX_METADATA_SIZE + 1,
        data: Buffer.alloc(METADATA_PIECE_LENGTH),
      }),
    RangeError,
  );
});

test("ut_metadata: piece arithmetic", () => {
  assert.equal(metadataPieceCount(1), 1);
  assert.equal(metadataPieceCount(METADATA_PIECE_LENGTH), 1);
  assert.equal(metadataPieceCount(METADATA_PIECE_LENGTH + 1), 2);
  assert.equal(metadataPieceLength(METADATA_PIECE_LENGTH + 1, 1), 1);
  assert.equal(metadataPieceCount(MAX_METADATA_SIZE), MAX_METADATA_PIECES);
});
