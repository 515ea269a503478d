import assert from "node:assert/strict";
import { test } from "node:test";
import { Bitfield } from "../bitfield/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { negotiateOutgoing } from "./negotiate.ts";
import { PeerConnection } from "./peer-connection.ts";
import {
  connectPair,
  connectRaw,
  full,
  geometry,
  ID_A,
  INFO_HASH,
  RawPeer,
  settle,
  until,
} from "./test-helpers.ts";

const { createMemoryPipe } = await loadMemoryNetwork();

test("bitfield: ours is announced after the handshake and read as theirs", async () => {
  const seen: string[] = [];
  const ours = Bitfield.fromString("10110001");
  const { a, b } = await connectPair({ bitfield: ours }, {}, {}, (b) =>
    b.on("bitfield", (bf) => seen.push(bf.toString())),
  );
  assert.deepEqual(seen, ["10110001"]);
  assert.equal(b.peerBitfield.toString(), "10110001");
  assert.equal(a.peerBitfield.count(), 0, "B has nothing (have-none)");
  const haves: number[] = [];
  b.on("have", (i) => haves.push(i));
  a.sendHave(1);
  a.sendHave(1); // already announced: not sent again
  a.sendHave(7);
  await settle();
  assert.deepEqual(haves, [1]);
  assert.equal(b.peerBitfield.toString(), "11110001");
  a.close();
});

test("bitfield: sendBitfield inside 'ready' is the first message; a later one sends haves", async () => {
  const { conn, raw } = await connectRaw({});
  // Nothing was given: with fast, have-none was sent.
  assert.equal(raw.types()[0], "have-none");
  conn.sendBitfield(Bitfield.fromString("00000011"));
  await settle();
  assert.deepEqual(
    raw
      .messages()
      .filter((m) => m.type === "have")
      .map((m) => (m as { index: number }).index),
    [6, 7],
  );
  conn.close();
});

test("bitfield: have-all / have-none / bitfield chosen by the fast extension (BEP 6)", async () => {
  const cases = [
    { bf: full(), ext: { fast: true }, first: "have-all" },
    { bf: new Bitfield(8), ext: { fast: true }, first: "have-none" },
    { bf: Bitfield.fromString("01000000"), ext: { fast: true }, first: "bitfield" },
    { bf: full(), ext: {}, first: "bitfield" },
  ];
  for (const c of cases) {
    const { conn, raw } = await connectRaw({ bitfield: c.bf }, c.ext);
    assert.equal(raw.types()[0], c.first, JSON.stringify(c));
    conn.close();
  }
  // Without the fast extension and without pieces, no bitfield at all (BEP 3 allows it).
  const { conn, raw } = await connectRaw({}, { extended: true });
  assert.deepEqual(raw.types(), ["extended"]);
  conn.close();
});

test("bitfield: have-all from a fast peer fills theirs; events and flags", async () => {
  const { a, b } = await connectPair({}, { bitfield: full() });
  assert.ok(a.peerBitfield.isComplete());
  assert.ok(b.peerBitfield.isEmpty());
  a.close();
});

test("choke, unchoke and interest both ways", async () => {
  const { a, b } = await connectPair();
  const events: string[] = [];
  for (const [name, c] of [
    ["a", a],
    ["b", b],
  ] as const) {
    for (const e of ["choke", "unchoke", "interested", "not-interested"] as const) {
      c.on(e, () => events.push(`${name}:${e}`));
    }
  }
  assert.ok(a.amChoking && a.peerChoking && !a.amInterested && !a.peerInterested);
  a.setInterested(true);
  a.setInterested(true); // no change, nothing sent
  await settle();
  assert.deepEqual(events, ["b:interested"]);
  assert.ok(b.peerInterested && a.amInterested);
  b.unchoke();
  await settle();
  assert.equal(a.peerChoking, false);
  assert.equal(b.amChoking, false);
  b.setInterested(true);
  a.unchoke();
  await settle();
  assert.ok(!b.peerChoking && a.peerInterested);
  b.choke();
  a.setInterested(false);
  await settle();
  assert.deepEqual(events, [
    "b:interested",
    "a:unchoke",
    "a:interested",
    "b:unchoke",
    "a:choke",
    "b:not-interested",
  ]);
  const s = a.stats;
  assert.deepEqual(
    [s.amChoking, s.amInterested, s.peerChoking, s.peerInterested],
    [false, false, true, true],
  );
  a.close();
});

test("flags set before the connection opens are sent after the announcement", async () => {
  const [ta, tb] = createMemoryPipe();
  const raw = new RawPeer(tb);
  raw.handshake({ fast: true });
  const negotiated = await negotiateOutgoing(ta, { infoHash: INFO_HASH, peerId: ID_A });
  const conn = new PeerConnection(negotiated, { ...geometry(), bitfield: full() });
  conn.setInterested(true);
  conn.unchoke();
  conn.request({ index: 0, begin: 0, length: 16384 }); // waits for their unchoke
  assert.deepEqual(raw.types(), [], "only our handshake so far");
  await until(() => raw.types().length >= 3, "messages");
  assert.deepEqual(raw.types(), ["have-all", "interested", "unchoke"]);
  raw.send({ type: "unchoke" });
  await until(() => raw.types().length >= 4, "request");
  assert.equal(raw.types()[3], "request");
  conn.close();
});
