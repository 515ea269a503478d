import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Bitfield } from "../bitfield/index.ts";
import { BLOCK_LENGTH } from "../util/index.ts";
import { PieceDeadlines } from "./deadlines.ts";
import { PiecePicker } from "./piece-picker.ts";

const PIECE = 2 * BLOCK_LENGTH;

function deadlines(pieceCount = 20, windowPieces = 3) {
  return new PieceDeadlines({ pieceLength: PIECE, pieceCount, windowBytes: windowPieces * PIECE });
}

describe("PieceDeadlines", () => {
  test("a reader's pieces: from its position, a window ahead, bounded by its end", () => {
    const d = deadlines();
    const r = d.open();
    assert.equal(d.read(r, PIECE + 5, 10 * PIECE), true);
    assert.deepEqual(d.order(), [1, 2, 3, 4], "three pieces' bytes from inside piece 1 touch four");
    assert.equal(d.read(r, PIECE + 6, 10 * PIECE), false, "same pieces: no change");
    d.read(r, PIECE, 10 * PIECE);
    assert.deepEqual(d.order(), [1, 2, 3], "from a piece's start, three");
    d.read(r, 8 * PIECE, 9 * PIECE + 1);
    assert.deepEqual(d.order(), [8, 9], "the range's end bounds the window");
  });

  test("moving on releases the pieces behind; leaving releases all", () => {
    const d = deadlines();
    const r = d.open();
    d.read(r, 0, 20 * PIECE);
    assert.deepEqual(d.order(), [0, 1, 2]);
    d.read(r, 2 * PIECE, 20 * PIECE);
    assert.deepEqual(d.order(), [2, 3, 4]);
    assert.equal(d.release(r), true);
    assert.deepEqual(d.order(), []);
    assert.equal(d.readers, 0);
    assert.equal(d.release(r), false);
  });

  test("several readers: each one's next piece before any one's second, each piece once", () => {
    const d = deadlines();
    const a = d.open();
    const b = d.open();
    d.read(a, 0, 20 * PIECE);
    d.read(b, 15 * PIECE, 20 * PIECE);
    assert.deepEqual(d.order(), [0, 15, 1, 16, 2, 17]);
    const c = d.open();
    d.read(c, PIECE, 20 * PIECE);
    assert.deepEqual(d.order(), [0, 15, 1, 16, 2, 17, 3]);
  });

  test("the window never passes the torrent's last piece; a read at the end holds nothing", () => {
    const d = deadlines(4);
    const r = d.open();
    d.read(r, 3 * PIECE, 100 * PIECE);
    assert.deepEqual(d.order(), [3]);
    assert.equal(d.read(r, 4 * PIECE, 100 * PIECE), true, "past the end: released");
    assert.deepEqual(d.order(), []);
  });
});

describe("PiecePicker time-critical pieces", () => {
  function setup(pieceCount = 10) {
    const have = new Bitfield(pieceCount);
    const picker = new PiecePicker({
      pieceCount,
      pieceLength: PIECE,
      totalLength: pieceCount * PIECE,
      have,
      randomFirstPieces: 0,
      random: () => 0.5,
    });
    const seed = { id: "seed", have: Bitfield.full(pieceCount), rate: 0 };
    picker.peerHasBitfield(seed.have);
    return { have, picker, seed };
  }

  test("picked before everything else, most urgent first, whatever their rarity", () => {
    const { picker, seed } = setup();
    // Piece 0 is the rarest... of nothing: make 7 and 8 common, the others rare.
    picker.peerHasBitfield(Bitfield.fromString("0000000110"));
    picker.setTimeCritical([8, 7]);
    const got = picker.pick(seed, 4).map((r) => `${r.index}:${r.begin}`);
    assert.deepEqual(got, [`8:0`, `8:${BLOCK_LENGTH}`, `7:0`, `7:${BLOCK_LENGTH}`]);
    picker.setTimeCritical([]);
    const next = picker.pick(seed, 2);
    assert.ok(
      next.every((r) => r.index !== 7 && r.index !== 8),
      "released: back to rarest first",
    );
  });

  test("a started piece's free blocks go first; pieces we have, skipped ones and ones the peer lacks are passed over", () => {
    const { have, picker, seed } = setup();
    const partial = { id: "p", have: Bitfield.fromString("0000010000"), rate: 0 };
    picker.peerHasBitfield(partial.have);
    assert.deepEqual(
      picker.pick(partial, 1).map((r) => r.index),
      [5],
      "piece 5 started by another peer",
    );
    have.set(2);
    picker.setPriority(3, 0);
    const lacking = { id: "l", have: Bitfield.fromString("1111111110"), rate: 0 };
    picker.peerHasBitfield(lacking.have);
    picker.setTimeCritical([9, 2, 3, 5, 6]);
    assert.deepEqual(
      picker.pick(lacking, 3).map((r) => `${r.index}:${r.begin}`),
      [`5:${BLOCK_LENGTH}`, "6:0", `6:${BLOCK_LENGTH}`],
    );
    assert.deepEqual(
      picker.pick(seed, 1).map((r) => r.index),
      [9],
    );
  });

  test("indices outside the torrent are ignored", () => {
    const { picker, seed } = setup(4);
    picker.setTimeCritical([-1, 7, 1.5, 2]);
    assert.equal(picker.pick(seed, 1)[0]!.index, 2);
  });
});
