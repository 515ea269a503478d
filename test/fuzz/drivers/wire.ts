/**
 * Drivers for what a peer sends over a connection (BEP 3, 6, 9, 10, 11): the
 * framer that cuts the stream into messages, every message decoder, the
 * extended handshake and the ut_metadata and ut_pex payloads.
 */
import { Bitfield } from "../../../src/bitfield/index.ts";
import {
  decodeExtendedHandshake,
  decodeHandshake,
  decodeMessage,
  decodePex,
  decodeUtMetadata,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeMessage,
  encodePex,
  encodeUtMetadata,
  type Frame,
  WireFramer,
} from "../../../src/wire/index.ts";
import type { Driver } from "../driver.ts";
import { chunked, outcome, stable } from "./outcome.ts";

const INFO_HASH = Buffer.alloc(20, 0xab);
const PEER_ID = Buffer.from("-SH0100-fuzzfuzzfuzz", "latin1");

function sampleMessages(): Buffer[] {
  return [
    encodeMessage({ type: "keep-alive" }),
    encodeMessage({ type: "choke" }),
    encodeMessage({ type: "unchoke" }),
    encodeMessage({ type: "interested" }),
    encodeMessage({ type: "not-interested" }),
    encodeMessage({ type: "have", index: 7 }),
    encodeMessage({ type: "bitfield", bitfield: Buffer.from([0xff, 0xf0]) }),
    encodeMessage({ type: "request", index: 1, begin: 16384, length: 16384 }),
    encodeMessage({ type: "piece", index: 1, begin: 0, block: Buffer.alloc(64, 7) }),
    encodeMessage({ type: "cancel", index: 1, begin: 16384, length: 16384 }),
    encodeMessage({ type: "port", port: 6881 }),
    encodeMessage({ type: "suggest", index: 3 }),
    encodeMessage({ type: "have-all" }),
    encodeMessage({ type: "have-none" }),
    encodeMessage({ type: "reject", index: 1, begin: 0, length: 16384 }),
    encodeMessage({ type: "allowed-fast", index: 2 }),
    encodeMessage({ type: "extended", id: 0, payload: sampleExtendedHandshake() }),
  ];
}

function sampleExtendedHandshake(): Buffer {
  return encodeExtendedHandshake({
    m: { ut_metadata: 1, ut_pex: 2 },
    v: "shoal 0.1",
    p: 6881,
    reqq: 250,
    yourip: Buffer.from([127, 0, 0, 1]),
    metadataSize: 31_000,
  });
}

function describe(frame: Frame): string {
  return frame.kind === "handshake" ? "handshake" : frame.message.type;
}

/** Reads every frame of `chunks`; the outcome is the last frame's kind or the refusal. */
function readFrames(chunks: Buffer[], handshake: boolean, pieces: number): string[] {
  const framer = new WireFramer({ handshake });
  const seen: string[] = [];
  for (const chunk of chunks) {
    framer.push(chunk);
    for (let frame = framer.next(); frame !== undefined; frame = framer.next()) {
      seen.push(stable(frame));
      if (frame.kind === "message" && frame.message.type === "bitfield") {
        // What the peer connection does with one: check it against the piece count.
        Bitfield.fromWire(frame.message.bitfield, pieces);
      }
      if (frame.kind === "message" && frame.message.type === "extended") {
        if (frame.message.id === 0) decodeExtendedHandshake(frame.message.payload);
      }
      if (seen.length > 10_000) throw new Error("the framer produced over 10 000 frames");
      void describe(frame);
    }
  }
  return seen;
}

/**
 * The framer over a stream: byte 0 picks the mode (handshake first or not)
 * and the piece count, byte 1..4 the chunk sizes; the rest is the stream.
 * Fed whole and fed in chunks, it must read the same frames (or refuse both).
 */
export const framerDriver: Driver = {
  name: "wire-framer",
  seeds() {
    const stream = Buffer.concat(sampleMessages());
    const hs = encodeHandshake(INFO_HASH, PEER_ID, { extended: true, fast: true, dht: true });
    return [
      Buffer.concat([Buffer.from([0x00, 3, 10, 60, 200]), stream]),
      Buffer.concat([Buffer.from([0x01, 0, 0, 0, 0]), hs, stream]),
    ];
  },
  corpus: [{ dir: "wire/anacrolix/peer_protocol_fuzz", goFuzz: true }],
  run(input) {
    const handshake = (input[0] ?? 0) & 1;
    const pieces = 12 + ((input[0] ?? 0) >> 1);
    const sizes = input.subarray(1, 5);
    const stream = input.subarray(5);
    let whole: string[] | string;
    let split: string[] | string;
    try {
      whole = readFrames([stream], handshake === 1, pieces);
    } catch (err) {
      whole = outcome(() => {
        throw err;
      });
    }
    try {
      split = readFrames(chunked(stream, sizes), handshake === 1, pieces);
    } catch (err) {
      split = outcome(() => {
        throw err;
      });
    }
    // Whole, a refusal stops the stream at the bad frame; in chunks the
    // frames before it come out first. Compare what both produced.
    if (typeof whole !== "string" && typeof split !== "string" && stable(whole) !== stable(split))
      throw new Error("the framer reads different frames when the stream is chunked");
    return typeof whole === "string" ? whole : "ok";
  },
};

export const handshakeDriver: Driver = {
  name: "wire-handshake",
  seeds: () => [encodeHandshake(INFO_HASH, PEER_ID, { extended: true, fast: true, dht: true })],
  maxLength: 256,
  run: (input) => outcome(() => decodeHandshake(input)),
};

/** Each message body as the framer hands it to decodeMessage (after the length prefix). */
export const messageDriver: Driver = {
  name: "wire-message",
  seeds: () => sampleMessages().map((m) => m.subarray(4)),
  corpus: [{ dir: "wire/anacrolix/peer_protocol_fuzz", goFuzz: true }],
  run: (input) => outcome(() => decodeMessage(input)),
};

export const extendedHandshakeDriver: Driver = {
  name: "extended-handshake",
  seeds: () => [
    sampleExtendedHandshake(),
    encodeExtendedHandshake({ m: { ut_metadata: 0 } }),
    Buffer.from(
      "d1:md11:ut_metadatai3e6:ut_pexi1ee4:ipv416:0123456789abcdef1:v4:\xff\xfe\x00ae",
      "latin1",
    ),
  ],
  corpus: [{ dir: "wire/rqbit/librqbit", accept: (f) => f.endsWith("extended-handshake.bin") }],
  run(input) {
    // The corpus file is a whole message: its payload follows 6 bytes of header.
    const payload = input[5] === 0 && input[4] === 20 ? input.subarray(6) : input;
    return outcome(() => decodeExtendedHandshake(payload));
  },
};

export const utMetadataDriver: Driver = {
  name: "ut-metadata",
  seeds: () => [
    encodeUtMetadata({ type: "request", piece: 0 }),
    encodeUtMetadata({ type: "reject", piece: 2 }),
    encodeUtMetadata({
      type: "data",
      piece: 1,
      totalSize: 20_000,
      data: Buffer.alloc(20_000 - 16_384, 1),
    }),
    Buffer.from("d8:msg_typei9e5:piecei0ee", "latin1"),
  ],
  run: (input) => outcome(() => decodeUtMetadata(input)),
};

export const utPexDriver: Driver = {
  name: "ut-pex",
  seeds: () => [
    encodePex({
      added: [
        { ip: "10.0.0.1", port: 6881, flags: 0x12 },
        { ip: "::1", port: 51413, flags: 0x01 },
      ],
      dropped: [
        { ip: "10.0.0.2", port: 6882 },
        { ip: "fe80::2", port: 1 },
      ],
    }),
    encodePex({ added: [], dropped: [] }),
  ],
  run: (input) => outcome(() => decodePex(input)),
};
