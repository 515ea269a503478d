import assert from "node:assert/strict";
import { test } from "node:test";
import { Bitfield } from "../bitfield/index.ts";
import type { PeerConnection } from "./peer-connection.ts";
import { MAX_UNSIZED_HAVES } from "./peer-pieces.ts";
import {
  blockData,
  connectPair,
  connectRaw,
  full,
  geometry,
  PIECE_COUNT,
  settle,
  until,
} from "./test-helpers.ts";

const G = geometry().geometry;

/** Records the "bitfield" and "have" events of a connection. */
function watchPieces(conn: PeerConnection) {
  const seen = { bitfields: [] as string[], haves: [] as number[] };
  conn.on("bitfield", (bf) => seen.bitfields.push(bf.toString()));
  conn.on("have", (i) => seen.haves.push(i));
  return seen;
}

test("geometry later: the connection opens without it; their pieces wait, requests do not go", async () => {
  const { conn, raw, closed } = await connectRaw({ geometry: undefined });
  assert.ok(conn.ready);
  assert.equal(conn.pieceCount, undefined);
  // We have nothing to announce but have-none (fast), then our extended handshake.
  assert.deepEqual(raw.types(), ["have-none", "extended"]);
  const seen = watchPieces(conn);
  raw.send({ type: "bitfield", bitfield: Buffer.from([0b10100000]) });
  raw.send({ type: "have", index: 7 });
  raw.send({ type: "request", index: 0, begin: 0, length: 16384 });
  await until(() => raw.types().includes("reject"), "their request rejected");
  assert.deepEqual(seen, { bitfields: [], haves: [] });
  assert.equal(conn.peerBitfield.length, 0);
  assert.throws(() => conn.request({ index: 0, begin: 0, length: 16384 }), RangeError);
  assert.throws(() => conn.sendHave(0), RangeError);
  // The geometry arrives with our pieces: theirs are checked and announced, ours go as haves.
  conn.setGeometry(G, Bitfield.fromString("01000001"));
  assert.deepEqual(seen.bitfields, ["10100001"]);
  assert.equal(conn.peerBitfield.toString(), "10100001");
  await until(() => raw.types().filter((t) => t === "have").length === 2, "our haves");
  const haves = raw.messages().flatMap((m) => (m.type === "have" ? [m.index] : []));
  assert.deepEqual(haves, [1, 7]);
  assert.throws(() => conn.setGeometry(G), RangeError, "only once");
  assert.equal(closed.reason, undefined);
  conn.close();
});

test("geometry later: have-all, or only haves, become their bitfield", async () => {
  const a = await connectRaw({ geometry: undefined });
  a.raw.send({ type: "have-all" });
  a.raw.send({ type: "have", index: 3 });
  await settle();
  const seenA = watchPieces(a.conn);
  a.conn.setGeometry(G);
  assert.deepEqual(seenA.bitfields, ["11111111"]);
  a.conn.close();
  const b = await connectRaw({ geometry: undefined });
  b.raw.send({ type: "have", index: 2 });
  b.raw.send({ type: "have", index: 2 });
  b.raw.send({ type: "have-none" });
  await settle();
  const seenB = watchPieces(b.conn);
  b.conn.setGeometry(G);
  assert.deepEqual(seenB.bitfields, ["00100000"]);
  // Nothing said at all: no event.
  const c = await connectRaw({ geometry: undefined });
  const seenC = watchPieces(c.conn);
  c.conn.setGeometry(G);
  assert.deepEqual(seenC.bitfields, []);
  assert.equal(c.conn.peerBitfield.length, PIECE_COUNT);
  b.conn.close();
  c.conn.close();
});

test("geometry later: what was kept is checked when it comes (BEP 3 rules apply then)", async () => {
  const cases = [
    { send: { type: "bitfield", bitfield: Buffer.from([0xff, 0]) }, code: "bad_bitfield_length" },
    { send: { type: "have", index: 8 }, code: "bad_have" },
  ] as const;
  for (const c of cases) {
    const { conn, raw, closed } = await connectRaw({ geometry: undefined });
    raw.send(c.send);
    await settle();
    assert.equal(conn.closed, false, "kept raw until the geometry");
    conn.setGeometry(G);
    assert.equal(closed.error?.code, c.code);
    await settle();
    assert.ok(raw.closed);
  }
});

test("geometry later: haves before it are bounded", async () => {
  const { conn, raw, closed } = await connectRaw({ geometry: undefined });
  for (let i = 0; i <= MAX_UNSIZED_HAVES; i++) raw.send({ type: "have", index: i });
  await until(() => conn.closed, "close");
  assert.equal(closed.error?.code, "bad_have");
  assert.match(closed.reason!, /before the torrent's metadata/);
});

test("geometry later on both sides: extended handshakes first, then a download", async () => {
  const { a, b } = await connectPair({ geometry: undefined }, { geometry: undefined }, {}, (b) =>
    b.on("request", (r) => b.sendPiece(r.index, r.begin, blockData(r.index, r.begin, r.length))),
  );
  assert.ok(a.peerExtendedHandshake && b.peerExtendedHandshake);
  const seen = watchPieces(a);
  b.setGeometry(G, full());
  a.setGeometry(G);
  await until(() => seen.haves.length === PIECE_COUNT, "B's pieces as haves (after its have-none)");
  assert.ok(a.peerBitfield.isComplete());
  b.unchoke();
  await until(() => !a.peerChoking, "unchoke");
  const got: Buffer[] = [];
  a.on("block", (blk) => got.push(Buffer.from(blk.data)));
  a.request({ index: 3, begin: 16384, length: 16384 });
  await until(() => got.length === 1, "block");
  assert.deepEqual(got[0], blockData(3, 16384, 16384));
  a.close();
});
