import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Bitfield } from "../bitfield/index.ts";
import { BLOCK_LENGTH } from "../util/index.ts";
import { type PickerPeer, PiecePicker } from "./piece-picker.ts";

function peer(id: string, bits: string, rate = 0): PickerPeer {
  return { id, have: Bitfield.fromString(bits), rate };
}

function picker(
  pieceCount: number,
  pieceLength = 2 * BLOCK_LENGTH,
  opts: { have?: Bitfield; randomFirst?: number } = {},
) {
  const have = opts.have ?? new Bitfield(pieceCount);
  return {
    have,
    picker: new PiecePicker({
      pieceCount,
      pieceLength,
      totalLength: pieceCount * pieceLength,
      have,
      randomFirstPieces: opts.randomFirst ?? 0,
      random: () => 0.5,
    }),
  };
}

describe("PiecePicker", () => {
  test("rarest first once past the random-first phase", () => {
    const { picker: p } = picker(4);
    const a = peer("a", "1111");
    for (const bits of ["1111", "1101", "1011", "1110"])
      p.peerHasBitfield(Bitfield.fromString(bits));
    // availability: 4, 3, 3, 3 → piece 0 is the most common and comes last
    const first = p.pick(a, 2);
    assert.equal(first.length, 2);
    assert.notEqual(first[0]!.index, 0);
    assert.equal(
      first[0]!.index,
      first[1]!.index,
      "both blocks of one piece before the next piece",
    );
  });

  test("random first pieces: a new peer does not pick by rarity", () => {
    const counts = new Map<number, number>();
    for (let seed = 0; seed < 40; seed++) {
      let s = seed + 1;
      const have = new Bitfield(8);
      const p = new PiecePicker({
        pieceCount: 8,
        pieceLength: BLOCK_LENGTH,
        totalLength: 8 * BLOCK_LENGTH,
        have,
        random: () => {
          s = (s * 16807) % 2147483647;
          return s / 2147483647;
        },
      });
      p.peerHasBitfield(Bitfield.fromString("10000000")); // rarity must not matter yet
      const i = p.pick(peer("a", "11111111"), 1)[0]!.index;
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    assert.ok(counts.size > 3, `random-first should spread picks, got ${[...counts.keys()]}`);
  });

  test("started pieces are finished before new ones, and blocks are not handed out twice", () => {
    const { picker: p } = picker(3, 4 * BLOCK_LENGTH);
    const a = peer("a", "111");
    const b = peer("b", "111");
    const fromA = p.pick(a, 2);
    const fromB = p.pick(b, 2);
    assert.equal(fromB[0]!.index, fromA[0]!.index, "b helps finish a's piece");
    assert.deepEqual(
      fromB.map((r) => r.begin),
      [2 * BLOCK_LENGTH, 3 * BLOCK_LENGTH],
    );
  });

  test("a slow peer does not join a fast peer's piece", () => {
    const { picker: p } = picker(2, 4 * BLOCK_LENGTH);
    const fast = peer("fast", "11", 10_000_000);
    const slow = peer("slow", "11", 10_000);
    const f = p.pick(fast, 1);
    const s = p.pick(slow, 1);
    assert.notEqual(s[0]!.index, f[0]!.index);
  });

  test("a piece a fast peer abandoned is taken up by a slow one", () => {
    const { picker: p } = picker(1, 4 * BLOCK_LENGTH);
    const fast = peer("fast", "1", 10_000_000);
    p.pick(fast, 1);
    p.requestFailed("fast", 0, 0);
    const slow = peer("slow", "1", 0);
    assert.equal(p.pick(slow, 4).length, 4, "nothing in flight: the slow peer may finish it");
  });

  test("priority 0 pieces are never picked; higher priority first", () => {
    const { picker: p } = picker(3);
    p.setPriority(0, 0);
    p.setPriority(2, 7);
    const picks = p.pick(peer("a", "111"), 10);
    assert.deepEqual([...new Set(picks.map((r) => r.index))], [2, 1]);
  });

  test("sequential: pieces in index order, rarity and random-first aside; priorities still first", () => {
    const { picker: p } = picker(6, 2 * BLOCK_LENGTH, { randomFirst: 4 });
    for (const bits of ["111111", "011111", "001111"]) p.peerHasBitfield(Bitfield.fromString(bits));
    p.setSequential(true);
    p.setPriority(4, 3);
    const picks = p.pick(peer("a", "111111"), 12);
    assert.deepEqual([...new Set(picks.map((r) => r.index))], [4, 0, 1, 2, 3, 5]);
    p.setSequential(false);
  });

  test("endgame duplicates outstanding blocks and cancels the copies on arrival", () => {
    const { picker: p } = picker(1, 2 * BLOCK_LENGTH);
    const a = peer("a", "1");
    const b = peer("b", "1");
    assert.equal(p.pick(a, 5).length, 2);
    const dup = p.pick(b, 5);
    assert.equal(dup.length, 2, "endgame: b is asked for the same blocks");
    assert.deepEqual(p.pick(b, 5), [], "never the same block twice from one peer");
    const r = p.blockReceived("b", 0, 0);
    assert.deepEqual(r, { accepted: true, cancel: ["a"], pieceDone: false });
    assert.equal(p.blockReceived("a", 0, 0).accepted, false, "a late duplicate is dropped");
    assert.equal(p.blockReceived("a", 0, BLOCK_LENGTH).pieceDone, true);
  });

  test("unrequested blocks are not accepted", () => {
    const { picker: p } = picker(2);
    p.pick(peer("a", "10"), 1);
    assert.equal(p.blockReceived("mallory", 0, 0).accepted, false);
    assert.equal(p.blockReceived("a", 1, 0).accepted, false);
    assert.equal(p.blockReceived("a", 0, 5).accepted, false);
  });

  test("a peer that leaves or times out has its blocks re-requested elsewhere", () => {
    const { picker: p } = picker(1, 2 * BLOCK_LENGTH);
    const a = peer("a", "1");
    p.peerHasBitfield(a.have);
    p.pick(a, 2);
    p.requestFailed("a", 0, BLOCK_LENGTH);
    assert.deepEqual(
      p.pick(peer("b", "1"), 5).map((r) => r.begin),
      [BLOCK_LENGTH, 0],
    );
    p.peerGone(a);
    assert.equal(p.availability(0), 0);
    assert.deepEqual(p.requestedFrom(0, 0), ["b"]);
  });

  test("a failed piece is fetched again in full", () => {
    const { picker: p } = picker(1, 2 * BLOCK_LENGTH);
    const a = peer("a", "1");
    p.pick(a, 2);
    p.blockReceived("a", 0, 0);
    p.blockReceived("a", 0, BLOCK_LENGTH);
    p.pieceFailed(0);
    assert.equal(p.pick(peer("b", "1"), 5).length, 2);
  });

  test("a failed piece is fetched from someone else while another peer has it", () => {
    const { picker: p } = picker(1, BLOCK_LENGTH);
    const liar = peer("liar", "1");
    const honest = peer("honest", "1");
    p.peerHasBitfield(liar.have);
    p.peerHasBitfield(honest.have);
    p.pick(liar, 1);
    p.blockReceived("liar", 0, 0);
    p.pieceFailed(0, ["liar"]);
    assert.deepEqual(p.pick(liar, 1), [], "the suspect is not asked again");
    assert.equal(p.pick(honest, 1).length, 1);
    p.peerGone(honest);
    p.requestFailed("honest", 0, 0);
    assert.equal(p.pick(liar, 1).length, 1, "with nobody else left, the suspect may try again");
  });

  test("a failed piece is on parole: fetched whole from one peer", () => {
    const { picker: p } = picker(1, 4 * BLOCK_LENGTH);
    const a = peer("a", "1");
    const b = peer("b", "1");
    p.peerHasBitfield(a.have);
    p.peerHasBitfield(b.have);
    // First attempt: shared between a and b, and it fails.
    p.pick(a, 2);
    p.pick(b, 2);
    for (const [id, begin] of [
      ["a", 0],
      ["a", 1],
      ["b", 2],
      ["b", 3],
    ] as const) {
      p.blockReceived(id, 0, begin * BLOCK_LENGTH);
    }
    p.pieceFailed(0, ["a", "b"]);
    assert.equal(p.pick(a, 2).length, 2, "a takes the piece");
    assert.deepEqual(p.pick(b, 4), [], "b does not join it while a has blocks in flight");
    assert.deepEqual(p.pick(a, 4).length, 2, "a fetches the rest");
    p.blockReceived("a", 0, 0);
    p.blockReceived("a", 0, BLOCK_LENGTH);
    assert.deepEqual(p.pick(b, 4), [], "nor while a is still working on it");
  });

  test("a peer that lets a piece on parole go loses what it sent; the next starts over", () => {
    const { picker: p } = picker(1, 4 * BLOCK_LENGTH);
    const liar = peer("liar", "1");
    const honest = peer("honest", "1");
    p.peerHasBitfield(liar.have);
    p.peerHasBitfield(honest.have);
    p.pick(liar, 4);
    p.blockReceived("liar", 0, 0);
    p.pieceFailed(0, ["liar", "honest"]);
    // On parole: the liar sends one block and refuses the rest.
    assert.equal(p.pick(liar, 4).length, 4);
    assert.equal(p.blockReceived("liar", 0, 0).accepted, true);
    p.requestFailed("liar", 0, BLOCK_LENGTH);
    assert.equal(p.partials()[0]!.received, 0, "its block is dropped");
    assert.equal(p.blockReceived("liar", 0, 2 * BLOCK_LENGTH).accepted, false);
    assert.deepEqual(p.pick(liar, 4), [], "it is not given the piece again while another has it");
    const all = p.pick(honest, 8);
    assert.deepEqual(
      all.map((r) => r.begin / BLOCK_LENGTH),
      [0, 1, 2, 3],
      "the honest peer fetches every block",
    );
  });

  test("a piece on parole whose peer stopped with nothing in flight is started over by another", () => {
    const { picker: p } = picker(1, 2 * BLOCK_LENGTH);
    const a = peer("a", "1");
    const b = peer("b", "1");
    p.peerHasBitfield(a.have);
    p.peerHasBitfield(b.have);
    p.pick(a, 2);
    p.pieceFailed(0, ["a"]);
    p.pick(a, 1);
    p.blockReceived("a", 0, 0);
    // a choked us with nothing outstanding: b takes the whole piece.
    assert.equal(p.pick(b, 4).length, 2);
    assert.equal(p.partials()[0]!.received, 0);
  });

  test("the last piece's last block is short", () => {
    const have = new Bitfield(2);
    const p = new PiecePicker({
      pieceCount: 2,
      pieceLength: 2 * BLOCK_LENGTH,
      totalLength: 2 * BLOCK_LENGTH + 100,
      have,
    });
    const picks = p.pick(peer("a", "01"), 5);
    assert.deepEqual(picks, [{ index: 1, begin: 0, length: 100 }]);
  });

  test("a full download: every block is requested and received exactly once (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        (pieces, peers, depth) => {
          const { have, picker: p } = picker(pieces, 3 * BLOCK_LENGTH);
          const all = Array.from({ length: peers }, (_, i) => peer(`p${i}`, "1".repeat(pieces)));
          for (const x of all) p.peerHasBitfield(x.have);
          const received = new Set<string>();
          for (let round = 0; round < 1000 && !have.isComplete(); round++) {
            const x = all[round % peers]!;
            for (const r of p.pick(x, depth)) {
              const out = p.blockReceived(x.id, r.index, r.begin);
              if (!out.accepted) continue;
              const key = `${r.index}:${r.begin}`;
              assert.ok(!received.has(key), `block ${key} accepted twice`);
              received.add(key);
              if (out.pieceDone) {
                have.set(r.index);
                p.pieceVerified(r.index);
              }
            }
          }
          assert.ok(have.isComplete());
          assert.equal(received.size, pieces * 3);
        },
      ),
    );
  });
});
