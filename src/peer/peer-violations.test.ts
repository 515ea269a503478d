import assert from "node:assert/strict";
import { test } from "node:test";
import type { Message } from "../wire/index.ts";
import { connectRaw, full, type RawPeer, settle, until } from "./test-helpers.ts";

/** A fast + extended PeerConnection that has all pieces and unchoked the raw peer. */
async function victim(opts = {}, ext = { fast: true, extended: true }) {
  const r = await connectRaw({ bitfield: full(), ...opts }, ext);
  r.conn.unchoke();
  await settle();
  return r;
}

async function expectClose(
  send: (raw: RawPeer) => void,
  code: string,
  opts = {},
  ext = { fast: true, extended: true },
) {
  const { conn, raw, closed } = await victim(opts, ext);
  send(raw);
  await until(() => conn.closed, `close with ${code}`);
  assert.equal(closed.error?.code, code, `reason: ${closed.reason}`);
  assert.ok(closed.reason && closed.reason.length > 0);
  await settle();
  assert.ok(raw.closed, "the transport is closed");
  return closed;
}

const msg = (m: Message) => (raw: RawPeer) => raw.send(m);

test("violation: garbage bytes (a huge length prefix) close with message_too_long", async () => {
  await expectClose(
    (raw) => raw.transport.write(Buffer.from("\xff\xfe\xfd\xfc garbage", "latin1")),
    "message_too_long",
  );
});

test("violation: an oversize message closes before its body is buffered", async () => {
  const closed = await expectClose((raw) => {
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1 << 20, 0);
    header[4] = 7;
    raw.transport.write(header);
  }, "message_too_long");
  assert.match(closed.reason!, /over the limit/);
});

test("violation: a message of the wrong size for its type", async () => {
  await expectClose(
    (raw) => raw.transport.write(Buffer.from([0, 0, 0, 3, 4, 0, 0])),
    "bad_message_length",
  );
});

test("violation: a bitfield of the wrong length, or with spare bits set", async () => {
  await expectClose(
    msg({ type: "bitfield", bitfield: Buffer.from([0xff, 0]) }),
    "bad_bitfield_length",
  );
  // 8 pieces fit one byte exactly: use a 1-byte payload for 7 pieces via another geometry.
  await expectClose(
    msg({ type: "bitfield", bitfield: Buffer.from([0x01]) }),
    "bad_bitfield_spare_bits",
    { geometry: { pieceCount: 7, pieceLength: 32 * 1024, totalLength: 7 * 32 * 1024 } },
  );
});

test("tolerated: a bitfield after haves (aria2 sends one) adds its pieces as haves", async () => {
  const { conn, raw } = await victim();
  const haves: number[] = [];
  conn.on("have", (i) => haves.push(i));
  raw.send({ type: "have", index: 1 });
  raw.send({ type: "bitfield", bitfield: Buffer.from([0b01100001]) });
  raw.send({ type: "have-none" });
  await until(() => haves.length === 3, "three haves");
  assert.deepEqual(haves, [1, 2, 7]);
  assert.equal(conn.peerBitfield.toString(), "01100001");
  assert.equal(conn.closed, false);
});

test("violation: have out of range", async () => {
  const closed = await expectClose(msg({ type: "have", index: 8 }), "bad_have");
  assert.match(closed.reason!, /piece 8 of 8/);
});

test("violation: fast-extension messages when it was not negotiated", async () => {
  for (const m of [
    { type: "have-all" },
    { type: "have-none" },
    { type: "suggest", index: 0 },
    { type: "allowed-fast", index: 0 },
  ] as Message[]) {
    await expectClose(msg(m), "fast_not_negotiated", {}, { fast: false, extended: true });
  }
});

test("violation: a request over 16 KiB, or outside its piece", async () => {
  await expectClose(
    msg({ type: "request", index: 0, begin: 0, length: 32768 }),
    "bad_request_length",
  );
  await expectClose(msg({ type: "request", index: 8, begin: 0, length: 16384 }), "bad_request");
  // The last piece is 20000 bytes long.
  await expectClose(msg({ type: "request", index: 7, begin: 16384, length: 16384 }), "bad_request");
});

test("violation: more queued requests than we allow", async () => {
  const closed = await expectClose(
    (raw) => {
      for (let i = 0; i < 11; i++)
        raw.send({ type: "request", index: i % 8, begin: 0, length: 1000 + i });
    },
    "too_many_requests",
    { maxQueuedRequests: 10 },
  );
  assert.match(closed.reason!, /more than 10/);
  // Exactly the limit is fine.
  const { conn, raw } = await victim({ maxQueuedRequests: 10 });
  for (let i = 0; i < 10; i++)
    raw.send({ type: "request", index: i % 8, begin: 0, length: 1000 + i });
  await settle();
  assert.equal(conn.closed, false);
  assert.equal(conn.stats.peerRequests, 10);
  conn.close();
});

test("violation: a bad extended handshake", async () => {
  await expectClose(
    msg({ type: "extended", id: 0, payload: Buffer.from("not bencode") }),
    "bad_extended_message",
  );
});

test("a listener that throws closes the connection, not the process", async () => {
  const { conn, raw, closed } = await victim();
  conn.on("have", () => {
    throw new Error("bug in a listener");
  });
  raw.send({ type: "have", index: 2 });
  await until(() => conn.closed, "close");
  assert.equal(closed.error?.code, "internal");
  assert.match(closed.reason!, /bug in a listener/);
});

test("unknown message ids are ignored (BEP 3)", async () => {
  const { conn, raw } = await victim();
  raw.transport.write(Buffer.from([0, 0, 0, 3, 0x63, 1, 2]));
  raw.send({ type: "keep-alive" });
  raw.send({ type: "port", port: 6881 });
  await settle();
  assert.equal(conn.closed, false);
  conn.close();
});
