/**
 * BEP 11 peer exchange: the bencoded payload of a `ut_pex` extension
 * message. `added`/`dropped` carry IPv4 contacts in BEP 23's compact form
 * (4 address bytes, 2 port bytes), `added6`/`dropped6` IPv6 ones (16 + 2),
 * and `added.f`/`added6.f` one flags byte per added contact.
 *
 * Decoding is strict about structure, because every address in a PEX
 * message makes us dial somewhere: a list whose length is not a whole
 * number of contacts, a flags string of another length than its list, a
 * field of the wrong type, a message naming none of the four lists, an
 * address both added and dropped, or more contacts than any client sends
 * is refused whole (a PexError). What the contacts are worth (bans, local
 * addresses, duplicates) is for the torrent to judge.
 */
import { type BencodeValue, decode, encode, isBytes, isDict } from "../bencode/index.ts";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, ShoalError } from "../util/index.ts";

/** BEP 11 flag bits of `added.f` / `added6.f`. */
export const PexFlags = {
  /** Prefers encryption (`e` in its extended handshake). */
  encryption: 0x01,
  /** A seed, or upload only. */
  seed: 0x02,
  /** Supports uTP (BEP 29). */
  utp: 0x04,
  /** Named `ut_holepunch` (BEP 55) in its extended handshake. */
  holepunch: 0x08,
  /** We connected to it: it is reachable. */
  reachable: 0x10,
} as const;

/**
 * Largest payload decoded. A full message of libtorrent's (at most 100
 * added contacts, with every dropped one of the minute) is a few KiB;
 * libtorrent itself disconnects above 500 KiB (ut_pex.cpp).
 */
export const MAX_PEX_PAYLOAD = 64 * 1024;
/**
 * Most contacts in one list. libtorrent adds at most 100 per message
 * (`max_peer_entries`), Transmission 50 (`MaxPexPeerCount`); BEP 11 asks
 * for at most 50 after the first message.
 */
export const MAX_PEX_CONTACTS = 200;

/** Compact contact lengths (BEP 23 for IPv4, BEP 7 for IPv6). */
const CONTACT_LENGTH = { 4: 6, 6: 18 } as const;

export interface PexContact {
  /** Dotted quad, or RFC 5952 IPv6 text (the list it came in says which). */
  ip: string;
  port: number;
}

export interface PexAddedContact extends PexContact {
  /** BEP 11 flag bits (PexFlags); 0 when the sender gave none. */
  flags: number;
}

export interface PexMessage {
  added: PexAddedContact[];
  dropped: PexContact[];
}

export type PexErrorCode =
  | "pex_too_large"
  | "pex_not_bencode"
  | "pex_not_dict"
  | "pex_bad_field"
  | "pex_bad_length"
  | "pex_bad_flags"
  | "pex_too_many"
  | "pex_empty"
  | "pex_added_and_dropped"
  | "pex_bad_address";

/** A malformed ut_pex payload (the message is ignored; the connection may stay). */
export class PexError extends ShoalError {
  declare readonly code: PexErrorCode;

  constructor(code: PexErrorCode, message: string) {
    super(code, message);
  }
}

function familyOf(ip: string): 4 | 6 {
  return ip.includes(":") ? 6 : 4;
}

function writeContact(c: PexContact): Buffer {
  const family = familyOf(c.ip);
  const bytes = family === 4 ? parseIPv4(c.ip) : parseIPv6(c.ip);
  if (!bytes || !Number.isInteger(c.port) || c.port < 0 || c.port > 65535) {
    throw new PexError("pex_bad_address", `cannot encode ${c.ip} port ${c.port}`);
  }
  const out = Buffer.allocUnsafe(bytes.length + 2);
  bytes.copy(out, 0);
  out.writeUInt16BE(c.port, bytes.length);
  return out;
}

/**
 * The payload for `m`. Lists of a family with no contacts are left out,
 * except that a message with no contact at all still names `added` (BEP 11:
 * at least one of the four lists). Flags are always sent: libtorrent reads
 * `added` only together with an `added.f` of matching length.
 */
export function encodePex(m: PexMessage): Buffer {
  const lists = {
    added: [] as Buffer[],
    "added.f": [] as number[],
    added6: [] as Buffer[],
    "added6.f": [] as number[],
    dropped: [] as Buffer[],
    dropped6: [] as Buffer[],
  };
  for (const c of m.added) {
    const v6 = familyOf(c.ip) === 6;
    lists[v6 ? "added6" : "added"].push(writeContact(c));
    lists[v6 ? "added6.f" : "added.f"].push(c.flags & 0xff);
  }
  for (const c of m.dropped)
    lists[familyOf(c.ip) === 6 ? "dropped6" : "dropped"].push(writeContact(c));
  const dict: Record<string, Buffer> = {};
  if (lists.added.length > 0 || m.dropped.length === 0) {
    dict.added = Buffer.concat(lists.added);
    dict["added.f"] = Buffer.from(lists["added.f"]);
  }
  if (lists.added6.length > 0) {
    dict.added6 = Buffer.concat(lists.added6);
    dict["added6.f"] = Buffer.from(lists["added6.f"]);
  }
  if (lists.dropped.length > 0) dict.dropped = Buffer.concat(lists.dropped);
  if (lists.dropped6.length > 0) dict.dropped6 = Buffer.concat(lists.dropped6);
  return encode(dict);
}

function readContacts(bytes: Uint8Array, family: 4 | 6, field: string): PexContact[] {
  const stride = CONTACT_LENGTH[family];
  if (bytes.length % stride !== 0) {
    throw new PexError(
      "pex_bad_length",
      `${field} is ${bytes.length} bytes, not a whole number of ${stride}-byte contacts`,
    );
  }
  const count = bytes.length / stride;
  if (count > MAX_PEX_CONTACTS) {
    throw new PexError(
      "pex_too_many",
      `${field} lists ${count} contacts (limit ${MAX_PEX_CONTACTS})`,
    );
  }
  const out: PexContact[] = [];
  for (let off = 0; off < bytes.length; off += stride) {
    const ip = family === 4 ? formatIPv4(bytes, off) : formatIPv6(bytes, off);
    out.push({ ip, port: (bytes[off + stride - 2]! << 8) | bytes[off + stride - 1]! });
  }
  return out;
}

/** Reads a ut_pex payload; a PexError for anything BEP 11 does not allow (see the top). */
export function decodePex(payload: Uint8Array): PexMessage {
  if (payload.length > MAX_PEX_PAYLOAD) {
    throw new PexError(
      "pex_too_large",
      `ut_pex message of ${payload.length} bytes (limit ${MAX_PEX_PAYLOAD})`,
    );
  }
  let value: BencodeValue;
  try {
    // Lenient about key order (clients differ), strict about size and depth.
    value = decode(payload, { strict: false, maxDepth: 4, maxItems: 64 });
  } catch (err) {
    throw new PexError(
      "pex_not_bencode",
      `ut_pex message is not bencode: ${(err as Error).message}`,
    );
  }
  if (!isDict(value)) throw new PexError("pex_not_dict", "ut_pex message is not a dictionary");
  const dict = value;
  const field = (name: string): Buffer | undefined => {
    const v = dict.get(name);
    if (v === undefined) return undefined;
    if (!isBytes(v)) throw new PexError("pex_bad_field", `ut_pex ${name} is not a string`);
    return v;
  };
  const lists = ["added", "added6", "dropped", "dropped6"] as const;
  if (lists.every((name) => !dict.has(name))) {
    throw new PexError(
      "pex_empty",
      "ut_pex message names none of added, added6, dropped, dropped6",
    );
  }
  const out: PexMessage = { added: [], dropped: [] };
  for (const [name, family] of [
    ["added", 4],
    ["added6", 6],
  ] as const) {
    const contacts = readContacts(field(name) ?? new Uint8Array(0), family, name);
    const flags = field(`${name}.f`);
    if (flags && flags.length !== contacts.length) {
      throw new PexError(
        "pex_bad_flags",
        `${name}.f has ${flags.length} flag bytes for ${contacts.length} contacts`,
      );
    }
    contacts.forEach((c, i) => {
      out.added.push({ ...c, flags: flags?.[i] ?? 0 });
    });
  }
  for (const [name, family] of [
    ["dropped", 4],
    ["dropped6", 6],
  ] as const) {
    out.dropped.push(...readContacts(field(name) ?? new Uint8Array(0), family, name));
  }
  // BEP 11: an added contact must not be dropped in the same message.
  const added = new Set(out.added.map((c) => `${c.ip}|${c.port}`));
  for (const c of out.dropped) {
    if (added.has(`${c.ip}|${c.port}`)) {
      throw new PexError(
        "pex_added_and_dropped",
        `${c.ip} port ${c.port} is both added and dropped`,
      );
    }
  }
  return out;
}
