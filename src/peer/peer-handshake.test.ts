import assert from "node:assert/strict";
import { test } from "node:test";
import { loadMemoryNetwork } from "../net/index.ts";
import { FakeClock, type ShoalError } from "../util/index.ts";
import { type ExtendedHandshake, encodeHandshake } from "../wire/index.ts";
import { negotiateIncoming, negotiateOutgoing } from "./negotiate.ts";
import { PeerConnection } from "./peer-connection.ts";
import {
  type Closed,
  connectPair,
  connectRaw,
  dialOutgoing,
  geometry,
  ID_A,
  ID_B,
  INFO_HASH,
  negotiatedWith,
  negotiatePair,
  RawPeer,
  settle,
  until,
} from "./test-helpers.ts";

const { createMemoryPipe } = await loadMemoryNetwork();

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
  const [a, b] = await Promise.all([
    dialOutgoing(ta, { peerId: ID_A }),
    dialOutgoing(tb, { peerId: ID_B }),
  ]);
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
  const { a, b } = await negotiatePair({}, { infoHash: Buffer.alloc(20, 0xcd) });
  const [closedA, closedB] = [a.outcome, b.outcome];
  assert.equal(closedB.error?.code, "info_hash_mismatch");
  assert.match(closedB.reason!, /another torrent/);
  assert.ok(a.closed && b.closed);
  assert.equal(closedA.reason, "the peer closed the connection");
});

test("handshake: an incoming connection is answered only for a torrent we serve", async () => {
  const [ta, tb] = createMemoryPipe();
  const raw = new RawPeer(ta);
  raw.handshake({}, ID_B, Buffer.alloc(20, 0xcd) as never);
  const refused = negotiateIncoming(tb, { lookup: () => undefined });
  await assert.rejects(refused, { code: "info_hash_mismatch" });
  await settle();
  assert.deepEqual(raw.frames, [], "nothing was sent back");
  assert.ok(raw.closed);
});

test("handshake: an outgoing connection answered with another info hash is closed", async () => {
  const [ta, tb] = createMemoryPipe();
  const raw = new RawPeer(tb);
  const conn = negotiateOutgoing(ta, { infoHash: INFO_HASH, peerId: ID_A });
  raw.handshake({}, ID_B, Buffer.alloc(20, 1) as never);
  const closed = await failure(conn);
  assert.equal(closed.error?.code, "info_hash_mismatch");
  assert.equal(raw.frames[0]?.kind, "handshake", "ours was sent at once");
});

test("handshake: connecting to ourselves is detected on both ends", async () => {
  const { a, b } = await negotiatePair({}, { peerId: ID_A });
  const [closedA, closedB] = [a.outcome, b.outcome];
  assert.equal(closedB.error?.code, "self_connection");
  assert.equal(closedB.reason, "connected to self (the peer id is ours)");
  const [ta, tb] = createMemoryPipe();
  const conn = negotiateOutgoing(ta, { infoHash: INFO_HASH, peerId: ID_A });
  new RawPeer(tb).handshake({}, ID_A);
  const closed = await failure(conn);
  assert.equal(closed.error?.code, "self_connection");
  assert.ok(closedA.reason);
});

test("handshake: garbage instead of a handshake closes with bad_protocol", async () => {
  const [ta, tb] = createMemoryPipe();
  const conn = negotiateOutgoing(ta, { infoHash: INFO_HASH, peerId: ID_A });
  tb.write(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
  const closed = await failure(conn);
  assert.equal(closed.error?.code, "bad_protocol");
});

test("handshake: none within 10 s closes the connection (FakeClock)", async () => {
  const clock = new FakeClock(0);
  const [ta, tb] = createMemoryPipe();
  const conn = negotiateOutgoing(ta, { infoHash: INFO_HASH, peerId: ID_A, clock });
  let closed: Closed | undefined;
  void failure(conn).then((c) => {
    closed = c;
  });
  const outcome = () => closed;
  const raw = new RawPeer(tb);
  await settle();
  clock.advance(9_999);
  await settle();
  assert.equal(outcome(), undefined);
  clock.advance(1);
  await settle();
  assert.equal(outcome()?.error?.code, "handshake_timeout");
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
  const leftover = Buffer.from([0, 0, 0, 1, 0x0e, 0, 0, 0, 1, 2]); // have-all, interested
  raw2.transport.write(Buffer.concat([encodeHandshake(INFO_HASH, ID_B, { fast: true }), leftover]));
  // The negotiation reads the handshake, and whatever came with it is the leftover.
  const negotiated = await negotiateIncoming(tb, { lookup: () => ({ peerId: ID_A }) });
  assert.equal(negotiated.leftover.length, 10);
  const inc = new PeerConnection(negotiated, { ...geometry() });
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
  const inc = new PeerConnection(negotiatedWith(tb, {}), { ...geometry() });
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

test("handshake: reserved bits: fast and extended by default, DHT only with a DHT port", async () => {
  for (const [identity, expected] of [
    [{ peerId: ID_A }, { fast: true, extended: true, dht: false }],
    [
      { peerId: ID_A, dhtPort: 6881 },
      { fast: true, extended: true, dht: true },
    ],
    [
      { peerId: ID_A, extensions: { fast: false, extended: false } },
      { fast: false, extended: false, dht: false },
    ],
  ] as const) {
    const [ta, tb] = createMemoryPipe();
    const raw = new RawPeer(tb);
    void negotiateOutgoing(ta, { infoHash: INFO_HASH, ...identity }).catch(() => {});
    await until(() => raw.frames.length > 0, "our handshake");
    const f = raw.frames[0]!;
    assert.equal(f.kind, "handshake");
    if (f.kind === "handshake") assert.deepEqual(f.handshake.extensions, expected);
    ta.destroy();
  }
});

test("handshake: the stream is handed on paused; bytes after it are not lost", async () => {
  const [ta, tb] = createMemoryPipe();
  const raw = new RawPeer(ta);
  raw.handshake({ fast: true });
  const n = await negotiateIncoming(tb, { lookup: () => ({ peerId: ID_A }) });
  // Sent after the negotiation ended, before any connection listens.
  raw.send({ type: "interested" });
  await settle();
  const conn = new PeerConnection(n, { ...geometry() });
  await until(() => conn.peerInterested, "interested read");
  conn.close();
});

/** The error a failed negotiation rejects with, as a Closed record. */
async function failure(p: Promise<unknown>): Promise<Closed> {
  try {
    await p;
  } catch (err) {
    return { reason: (err as Error).message, error: err as ShoalError };
  }
  throw new Error("the negotiation succeeded");
}
