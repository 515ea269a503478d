import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BLOCK_LENGTH,
  blockCount,
  blockLength,
  fileSpans,
  pieceCountFor,
  pieceFileSpans,
  pieceSize,
} from "./geometry.ts";
import type { TorrentFile } from "./types.ts";

function files(lengths: number[]): TorrentFile[] {
  let offset = 0;
  return lengths.map((length, i) => {
    const f = { path: [`f${i}`], length, offset, pad: false, attr: "" };
    offset += length;
    return f;
  });
}

test("piece and block sizes", () => {
  const layout = { pieceLength: 65536, totalLength: 65536 * 2 + 100 };
  assert.equal(pieceCountFor(layout.totalLength, layout.pieceLength), 3);
  assert.equal(pieceSize(layout, 0), 65536);
  assert.equal(pieceSize(layout, 2), 100);
  assert.throws(() => pieceSize(layout, 3), RangeError);
  assert.equal(blockCount(65536), 4);
  assert.equal(blockCount(100), 1);
  assert.equal(blockLength(BLOCK_LENGTH + 5, 1), 5);
});

test("a piece spanning three files, skipping an empty one", () => {
  const layout = { pieceLength: 16, totalLength: 40, files: files([10, 0, 4, 26]) };
  assert.deepEqual(pieceFileSpans(layout, 0), [
    { fileIndex: 0, fileOffset: 0, offset: 0, length: 10 },
    { fileIndex: 2, fileOffset: 0, offset: 10, length: 4 },
    { fileIndex: 3, fileOffset: 0, offset: 14, length: 2 },
  ]);
  assert.deepEqual(pieceFileSpans(layout, 2), [
    { fileIndex: 3, fileOffset: 18, offset: 32, length: 8 },
  ]);
});

test("spans cover every byte of a range exactly once (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(50), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.nat(),
      (lengths, a, b) => {
        const fs = files(lengths);
        const total = lengths.reduce((s, n) => s + n, 0);
        if (total === 0) return;
        const start = a % total;
        const length = b % (total - start + 1);
        const spans = fileSpans(fs, start, length);
        assert.equal(
          spans.reduce((s, x) => s + x.length, 0),
          length,
        );
        let at = start;
        for (const s of spans) {
          assert.equal(s.offset, at);
          assert.equal(fs[s.fileIndex]!.offset + s.fileOffset, s.offset);
          assert.ok(s.fileOffset + s.length <= fs[s.fileIndex]!.length);
          at += s.length;
        }
      },
    ),
  );
});
