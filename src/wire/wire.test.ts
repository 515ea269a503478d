import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { readGoFuzzSeed } from "../../test/fixtures/go-fuzz-seed.ts";
import { decode } from "../bencode/index.ts";
import { WireError } from "./errors.ts";
import { type Frame, WireFramer } from "./framer.ts";
import { decodeHandshake, encodeHandshake } from "./handshake.ts";
import { decodeMessage, encodeMessage, type Message } from "./messages.ts";

const WIRE = resolve(import.meta.dirname, "../../../shared/corpus/wire");

const infoHash = Buffer.alloc(20, 1);
const peerId = Buffer.from("-SH0100-abcdefghijkl");

function framesOf(framer: WireFramer): Frame[] {
  const out: Frame[] = [];
  for (let f = framer.next(); f; f = framer.next()) out.push(f);
  return out;
}

const SAMPLES: Message[] = [
  { type: "keep-alive" },
  { type: "choke" },
  { type: "unchoke" },
  { type: "interested" },
  { type: "not-interested" },
  { type: "have", index: 4294967295 },
  { type: "bitfield", bitfield: Buffer.from([0xf0, 0x80]) },
  { type: "request", index: 1, begin: 16384, length: 16384 },
  { type: "piece", index: 2, begin: 0, block: Buffer.from("data") },
  { type: "cancel", index: 1, begin: 16384, length: 16384 },
  { type: "port", port: 6881 },
  { type: "suggest", index: 3 },
  { type: "have-all" },
  { type: "have-none" },
  { type: "reject", index: 1, begin: 0, length: 16384 },
  { type: "allowed-fast", index: 9 },
  { type: "extended", id: 0, payload: Buffer.from("de") },
];

test("handshake round trip and reserved bits (BEP 3, 6, 10)", () => {
  const bytes = encodeHandshake(infoHash, peerId, { extended: true, fast: true });
  assert.equal(bytes.length, 68);
  assert.equal(bytes[25], 0x10);
  assert.equal(bytes[27], 0x04);
  const h = decodeHandshake(bytes);
  assert.deepEqual(h.extensions, { extended: true, fast: true, dht: false });
  assert.ok(h.infoHash.equals(infoHash));
  assert.ok(h.peerId.equals(peerId));
  const bad = Buffer.from(bytes);
  bad[5] = 0x41;
  assert.throws(() => decodeHandshake(bad), WireError);
});

test("every message round-trips through encode and decode", () => {
  for (const m of SAMPLES) {
    const bytes = encodeMessage(m);
    assert.equal(bytes.readUInt32BE(0), bytes.length - 4);
    assert.deepEqual(decodeMessage(bytes.subarray(4)), m);
  }
});

test("malformed messages are refused with a reason", () => {
  const body = (hex: string) => Buffer.from(hex, "hex");
  assert.throws(() => decodeMessage(body("0000")), { code: "bad_message_length" }); // choke with payload
  assert.throws(() => decodeMessage(body("04000001")), { code: "bad_message_length" }); // short have
  assert.throws(() => decodeMessage(body("06000000000000000000008001")), {
    code: "bad_request_length",
  });
  assert.throws(() => decodeMessage(body("06000000000000000000000000")), {
    code: "bad_request_length",
  });
  assert.throws(() => decodeMessage(body("0700")), { code: "bad_message_length" });
  assert.throws(() => decodeMessage(body("14")), { code: "bad_extended_message" });
  assert.deepEqual(decodeMessage(body("63aa")), { type: "unknown", id: 0x63, payload: body("aa") });
});

test("framer: handshake then messages, at every split point", () => {
  const stream = Buffer.concat([encodeHandshake(infoHash, peerId), ...SAMPLES.map(encodeMessage)]);
  for (let split = 0; split <= stream.length; split++) {
    const framer = new WireFramer();
    framer.push(stream.subarray(0, split));
    const frames = framesOf(framer);
    framer.push(stream.subarray(split));
    frames.push(...framesOf(framer));
    assert.equal(frames.length, 1 + SAMPLES.length, `split at ${split}`);
    assert.deepEqual(
      frames.slice(1).map((f) => (f.kind === "message" ? f.message : undefined)),
      SAMPLES,
    );
    assert.equal(framer.buffered, 0);
  }
});

test("framer: byte-by-byte delivery and zero-copy blocks", () => {
  const piece = encodeMessage({ type: "piece", index: 0, begin: 0, block: Buffer.alloc(16384, 7) });
  const framer = new WireFramer({ handshake: false });
  framer.push(piece);
  const f = framer.next();
  assert.ok(f?.kind === "message" && f.message.type === "piece");
  assert.equal(
    f.message.block.buffer,
    piece.buffer,
    "a block inside one chunk is a view, not a copy",
  );
  const slow = new WireFramer({ handshake: false });
  const got: Frame[] = [];
  for (const byte of piece) {
    slow.push(Buffer.from([byte]));
    got.push(...framesOf(slow));
  }
  assert.equal(got.length, 1);
});

test("framer: chunks read into one reused buffer (a socket's onread) frame correctly", () => {
  // Blocks of varied sizes, read through one 7000-byte buffer that every read
  // overwrites: what a frame lends must be copied before the next read.
  const blocks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1 + ((i * 997) % 16384), i));
  const bitfield = Buffer.from([0xff, 0x01]);
  const stream = Buffer.concat([
    encodeMessage({ type: "bitfield", bitfield }),
    ...blocks.map((block, i) => encodeMessage({ type: "piece", index: i, begin: 0, block })),
  ]);
  const readBuffer = Buffer.alloc(7000);
  const framer = new WireFramer({ handshake: false });
  const got: Buffer[] = [];
  let keptBitfield: Buffer | undefined;
  for (let at = 0, step = 1; at < stream.length; step = (step * 31) % 6997) {
    const n = Math.min(1 + step, stream.length - at);
    stream.copy(readBuffer, 0, at, at + n);
    at += n;
    framer.push(readBuffer.subarray(0, n));
    for (let f = framer.next(); f; f = framer.next()) {
      assert.equal(f.kind, "message");
      if (f.message.type === "bitfield") keptBitfield = f.message.bitfield;
      if (f.message.type === "piece") got.push(Buffer.from(f.message.block));
    }
    readBuffer.fill(0xee);
  }
  assert.deepEqual(got, blocks);
  assert.deepEqual(keptBitfield, bitfield, "a bitfield is the framer's copy, not the read buffer");
  assert.equal(framer.buffered, 0);
});

test("framer: over-long messages and non-BitTorrent peers end the connection", () => {
  const framer = new WireFramer({ handshake: false, maxMessageLength: 100 });
  framer.push(Buffer.from([0, 0, 0, 101]));
  assert.throws(() => framer.next(), { code: "message_too_long" });
  assert.throws(() => framer.next(), WireError);
  const http = new WireFramer();
  http.push(Buffer.from("GET / HTTP/1.1\r\n"));
  assert.throws(() => http.next(), { code: "bad_protocol" });
});

test("framer never throws anything but WireError on random input (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, handshake) => {
      const framer = new WireFramer({ handshake, maxMessageLength: 256 });
      framer.push(Buffer.from(bytes));
      try {
        framesOf(framer);
      } catch (err) {
        assert.ok(err instanceof WireError, String(err));
      }
    }),
  );
});

test("corpus: anacrolix peer-protocol fuzz seeds decode and re-encode exactly, or are refused", {
  skip: existsSync(WIRE) ? false : `wire corpus not found at ${WIRE}`,
}, () => {
  const dir = join(WIRE, "anacrolix/peer_protocol_fuzz/FuzzDecoder");
  for (const name of readdirSync(dir)) {
    const bytes = readGoFuzzSeed(readFileSync(join(dir, name), "utf8"));
    const framer = new WireFramer({ handshake: false, maxMessageLength: 0x100 });
    framer.push(bytes);
    const consumed: Buffer[] = [];
    try {
      for (let f = framer.next(); f; f = framer.next()) {
        if (f.kind === "message") consumed.push(encodeMessage(f.message));
      }
    } catch (err) {
      assert.ok(err instanceof WireError, `${name}: ${err}`);
      continue;
    }
    const reencoded = Buffer.concat(consumed);
    assert.ok(
      bytes.subarray(0, reencoded.length).equals(reencoded),
      `${name}: re-encoding differs`,
    );
  }
});

test("corpus: rqbit's extended handshake parses at every split point", {
  skip: existsSync(WIRE) ? false : `wire corpus not found at ${WIRE}`,
}, () => {
  const bytes = readFileSync(join(WIRE, "rqbit/librqbit/extended-handshake.bin"));
  for (let split = 0; split <= bytes.length; split++) {
    const framer = new WireFramer({ handshake: false });
    framer.push(bytes.subarray(0, split));
    const frames = framesOf(framer);
    framer.push(bytes.subarray(split));
    frames.push(...framesOf(framer));
    assert.equal(frames.length, 1);
    const m = frames[0]?.kind === "message" ? frames[0].message : undefined;
    assert.ok(m?.type === "extended" && m.id === 0);
    const dict = decode(m.payload, { strict: false });
    assert.ok(dict instanceof Map);
    assert.equal(dict.get("metadata_size"), 138876);
    assert.equal((dict.get("m") as Map<string, unknown>).get("ut_metadata"), 2);
  }
});
