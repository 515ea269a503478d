/**
 * BEP 10 extended handshake: the bencoded dictionary carried by extended
 * message id 0. Every key is optional and unknown keys are ignored; a value
 * of the wrong type is ignored too (peers disagree on details), but a payload
 * that is not a dictionary at all is a protocol error.
 */
import {
  type BencodeDict,
  type BencodeValue,
  decode,
  encode,
  isBytes,
  isDict,
} from "../bencode/index.ts";
import { WireError } from "./errors.ts";

export interface ExtendedHandshake {
  /** Extension name → the id to send it with; BEP 10: id 0 disables it (kept, so updates apply). */
  m: Map<string, number>;
  /** Client name and version (UTF-8). */
  v?: string;
  /** The sender's TCP listen port. */
  p?: number;
  /** Requests the sender queues without dropping (libtorrent's default: 250). */
  reqq?: number;
  /** Our address as the sender sees it (4 or 16 bytes). */
  yourip?: Buffer;
  ipv4?: Buffer;
  ipv6?: Buffer;
  /** BEP 9: size of the info dictionary. */
  metadataSize?: number;
  /** The decoded dictionary (latin1 keys), for extensions not read here. */
  raw: BencodeDict;
}

export interface ExtendedHandshakeFields {
  m?: Record<string, number>;
  v?: string;
  p?: number;
  reqq?: number;
  yourip?: Uint8Array;
  metadataSize?: number;
}

/** Longest client name kept; `v` is for display. */
const MAX_VERSION_LENGTH = 100;

export function encodeExtendedHandshake(h: ExtendedHandshakeFields): Buffer {
  return encode({
    m: h.m ?? {},
    metadata_size: h.metadataSize,
    p: h.p,
    reqq: h.reqq,
    v: h.v,
    yourip: h.yourip,
  });
}

function int(v: BencodeValue | undefined, min: number, max: number): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
}

export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  let dict: BencodeValue;
  try {
    // Lenient: some clients send unsorted keys; limits keep a hostile payload cheap.
    dict = decode(payload, { strict: false, maxDepth: 16, maxItems: 10_000 });
  } catch (err) {
    throw new WireError(
      "bad_extended_message",
      `extended handshake is not valid bencode: ${(err as Error).message}`,
    );
  }
  if (!isDict(dict)) {
    throw new WireError("bad_extended_message", "extended handshake is not a dictionary");
  }
  const d = dict;
  const m = new Map<string, number>();
  const rawM = d.get("m");
  if (isDict(rawM)) {
    for (const [name, id] of rawM) {
      const n = int(id, 0, 255);
      if (n !== undefined) m.set(Buffer.from(name, "latin1").toString("utf8"), n);
    }
  }
  const bytes = (key: string, ...lengths: number[]) => {
    const v = d.get(key);
    return isBytes(v) && (lengths.length === 0 || lengths.includes(v.length))
      ? Buffer.from(v)
      : undefined;
  };
  const out: ExtendedHandshake = { m, raw: d };
  const v = bytes("v");
  if (v) out.v = v.toString("utf8").slice(0, MAX_VERSION_LENGTH);
  const p = int(d.get("p"), 1, 65535);
  if (p !== undefined) out.p = p;
  const reqq = int(d.get("reqq"), 1, Number.MAX_SAFE_INTEGER);
  if (reqq !== undefined) out.reqq = reqq;
  const yourip = bytes("yourip", 4, 16);
  if (yourip) out.yourip = yourip;
  const ipv4 = bytes("ipv4", 4);
  if (ipv4) out.ipv4 = ipv4;
  const ipv6 = bytes("ipv6", 16);
  if (ipv6) out.ipv6 = ipv6;
  const size = int(d.get("metadata_size"), 1, Number.MAX_SAFE_INTEGER);
  if (size !== undefined) out.metadataSize = size;
  return out;
}
