import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryPipe } from "../net/index.ts";
import { FakeClock } from "../util/index.ts";
import { decodeHandshake, type ExtendedHandshake, encodeHandshake } from "../wire/index.ts";
import { PeerConnection } from "./peer-connection.ts";
import {
  connectPair,
  connectRaw,
  geometry,
  ID_A,
  ID_B,
  RawPeer,
  settle,
  until,
  watchClose,
} from "./test-helpers.ts";

test("handshake: outgoing ⇄ incoming, fast and extended negotiated, BEP 10 handshakes read", async () => {
  const exts: ExtendedHandshake[] = [];
  const { a, b, closedA, closedB } = await connectPair(
    { listenPort: 6881, maxQueuedRequests: 300 },
    { listenPort: 51413 },
  );
  a.on("extended-handshake", (h) => exts.push(h));
  assert.equal(closedA.reason, undefined);
  assert.equal(closedB.reason, undefined);
  assert.ok(a.ready && b.ready);
  assert.ok(a.fast && a.extended && b.fast && b.extended);
  assert.deepEqual(a.peerId, ID_B);
  assert.deepEqual(b.peerId, ID_A);
  assert.equal(a.stats.client, "Transmission 3.00");
  assert.equal(b.stats.client, "shoal 0.1.0");
  // Each side read the other's extended handshake (sent right after the handshake).
  assert.equal(a.peerExtendedHandshake?.v, "shoal/0.1.0");
  assert.equal(a.stats.clientVersion, "shoal/0.1.0");
  assert.equal(a.peerExtendedHandshake?.p, 51413);
  assert.equal(b.peerExtendedHandshake?.p, 6881);
  assert.equal(b.peerExtendedHandshake?.reqq, 300);
  assert.deepEqual(b.peerExtendedHandshake?.yourip, Buffer.from([127, 0, 0, 1]));
  assert.equal(exts.length, 0, "it came before we listened");
  a.close("done");
  await settle();
  assert.equal(closedA.reason, "done");
  assert.equal(closedA.error, undefined);
  assert.equal(closedB.reason, "the peer closed the connection");
  assert.ok(b.closed);
});

test("handshake: both sides outgoing (simultaneous open) also works", async () => {
  const [ta, tb] = createMemoryPipe();
  const a = new PeerConnection(ta, { ...geometry(), peerId: ID_A });
  const b = new PeerConnection(tb, { ...geometry(), peerId: ID_B });
  await until(() => a.ready && b.ready, "ready");
  a.close();
});

test("handshake: extensions off on one side → neither fast nor extended", async () => {
  const { a, b } = await connectPair({}, { extensions: { fast: false, extended: false } });
  assert.ok(a.ready && b.ready);
  assert.equal(a.fast, false);
  assert.equal(a.extended, false);
  assert.equal(a.peerExtendedHandshake, undefined);
  a.close();
});

test("handshake: an incoming connection for another info hash is closed", async () => {
  const { a, b, closedA, closedB } = await connectPair({}, { infoHash: Buffer.alloc(20, 0xcd) });
  assert.equal(closedB.error?.code, "info_hash_mismatch");
  assert.match(closedB.reason!, /another torrent/);
  assert.ok(a.closed && b.closed);
  assert.equal(closedA.reason, "the peer closed the connection");
});

test("handshake: an outgoing connection answered with another info hash is closed", async () => {
  const [ta, tb] = createMemoryPipe();
  const conn = new PeerConnection(ta, { ...geometry(), peerId: ID_A });
  const closed = watchClose(conn);
  const raw = new RawPeer(tb);
  raw.handshake({}, ID_B, Buffer.alloc(20, 1) as never);
  await until(() => conn.closed, "close");
  assert.equal(closed.error?.code, "info_hash_mismatch");
  assert.equal(raw.frames[0]?.kind, "handshake", "ours was sent at once");
});

test("handshake: connecting to ourselves is detected on both ends", async () => {
  const { closedA, closedB } = await connectPair({}, { peerId: ID_A });
  assert.equal(closedB.error?.code, "self_connection");
  assert.equal(closedB.reason, "connected to self (the peer id is ours)");
  const [ta, tb] = createMemoryPipe();
  const conn = new PeerConnection(ta, { ...geometry(), peerId: ID_A });
  const closed = watchClose(conn);
  new RawPeer(tb).handshake({}, ID_A);
  await until(() => conn.closed, "close");
  assert.equal(closed.error?.code, "self_connection");
  assert.ok(closedA.reason);
});

test("handshake: garbage instead of a handshake closes with bad_protocol", async () => {
  const [ta, tb] = createMemoryPipe();
  const conn = new PeerConnection(ta, { ...geometry(), peerId: ID_A });
  const closed = watchClose(conn);
  tb.write(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
  await until(() => conn.closed, "close");
  assert.equal(closed.error?.code, "bad_protocol");
});

test("handshake: none within 10 s closes the connection (FakeClock)", async () => {
  const clock = new FakeClock(0);
  const [ta, tb] = createMemoryPipe();
  const conn = new PeerConnection(ta, { ...geometry(), peerId: ID_A, clock });
  const closed = watchClose(conn);
  const raw = new RawPeer(tb);
  await settle();
  clock.advance(9_999);
  assert.equal(conn.closed, false);
  clock.advance(1);
  assert.equal(closed.error?.code, "handshake_timeout");
  await settle();
  assert.ok(raw.closed, "the transport was closed too");
});

test("handshake: a leftover after the incoming handshake is read as messages", async () => {
  const { conn, raw } = await connectRaw();
  assert.ok(conn.ready);
  // The raw side sees: our handshake, have-none (fast, no pieces), the extended handshake.
  assert.deepEqual(
    raw.frames.map((f) => (f.kind === "handshake" ? "handshake" : f.message.type)),
    ["handshake", "have-none", "extended"],
  );
  conn.close();
  const [ta, tb] = createMemoryPipe();
  const raw2 = new RawPeer(ta);
  const hs = decodeHandshake(encodeHandshake(geometry().infoHash, ID_B, { fast: true }));
  const leftover = Buffer.from([0, 0, 0, 1, 0x0e, 0, 0, 0, 1, 2]); // have-all, interested
  const inc = new PeerConnection(tb, { ...geometry(), peerId: ID_A, handshake: hs, leftover });
  let all = false;
  inc.on("bitfield", (bf) => {
    all = bf.isComplete();
  });
  await until(() => inc.peerInterested, "leftover read");
  assert.ok(all);
  await until(() => raw2.frames.length > 0, "our handshake");
  assert.equal(raw2.frames[0]?.kind, "handshake");
  inc.close();
});

test("handshake: an incoming connection closed at once never answers nor becomes ready", async () => {
  const [ta, tb] = createMemoryPipe();
  const raw = new RawPeer(ta);
  const hs = decodeHandshake(encodeHandshake(geometry().infoHash, ID_B, {}));
  const inc = new PeerConnection(tb, { ...geometry(), peerId: ID_A, handshake: hs });
  let ready = false;
  inc.on("ready", () => {
    ready = true;
  });
  inc.close("not wanted");
  await settle();
  assert.equal(ready, false);
  assert.equal(inc.ready, false);
  assert.deepEqual(raw.frames, []);
  assert.ok(raw.closed);
});
