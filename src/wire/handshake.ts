/**
 * BEP 3 handshake: <19><"BitTorrent protocol"><8 reserved bytes><info hash><peer id>.
 * Reserved bits announce extensions: BEP 10 (extension protocol) is bit 20
 * counted from the right, reserved[5] & 0x10; BEP 6 (fast) is reserved[7] & 0x04;
 * BEP 5 (DHT port message) is reserved[7] & 0x01.
 */
import { asInfoHash, asPeerId, type InfoHash, type PeerId } from "../util/index.ts";
import { WireError } from "./errors.ts";

export const PROTOCOL = "BitTorrent protocol";
export const HANDSHAKE_LENGTH = 68;

export interface Extensions {
  /** BEP 10 extension protocol. */
  extended: boolean;
  /** BEP 6 fast extension. */
  fast: boolean;
  /** BEP 5 DHT. */
  dht: boolean;
}

export interface Handshake {
  infoHash: InfoHash;
  peerId: PeerId;
  extensions: Extensions;
  /** The 8 reserved bytes as received. */
  reserved: Buffer;
}

const PROTOCOL_BYTES = Buffer.from(PROTOCOL, "latin1");

export function encodeHandshake(
  infoHash: Uint8Array,
  peerId: Uint8Array,
  extensions: Partial<Extensions> = {},
): Buffer {
  const out = Buffer.alloc(HANDSHAKE_LENGTH);
  out[0] = PROTOCOL_BYTES.length;
  PROTOCOL_BYTES.copy(out, 1);
  // The buffer starts zeroed: set only the bits of the extensions we speak.
  out[25] = extensions.extended ? 0x10 : 0;
  out[27] = (extensions.fast ? 0x04 : 0) | (extensions.dht ? 0x01 : 0);
  out.set(infoHash, 28);
  out.set(peerId, 48);
  return out;
}

export function notBitTorrent(): WireError {
  return new WireError(
    "bad_protocol",
    "the peer does not speak the BitTorrent protocol (bad handshake)",
  );
}

/** Decodes exactly 68 bytes; throws WireError("bad_protocol") for anything else. */
export function decodeHandshake(bytes: Uint8Array): Handshake {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    buf.length !== HANDSHAKE_LENGTH ||
    buf[0] !== 19 ||
    !buf.subarray(1, 20).equals(PROTOCOL_BYTES)
  ) {
    throw notBitTorrent();
  }
  const reserved = Buffer.from(buf.subarray(20, 28));
  return {
    infoHash: asInfoHash(Buffer.from(buf.subarray(28, 48))),
    peerId: asPeerId(Buffer.from(buf.subarray(48, 68))),
    reserved,
    extensions: {
      extended: (reserved[5]! & 0x10) !== 0,
      fast: (reserved[7]! & 0x04) !== 0,
      dht: (reserved[7]! & 0x01) !== 0,
    },
  };
}
