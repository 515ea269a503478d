/**
 * HTTP announce and scrape queries (BEP 3, BEP 7, BEP 23, BEP 48).
 *
 * The query is taken raw (latin1 text, or its bytes) and decoded here, because
 * info_hash and peer_id are arbitrary bytes. `readAnnounceQuery` is the
 * server's allocation-light form: it reads the request's bytes in place and
 * fills a reused object with the ids as latin1 strings (one char per byte),
 * ready to key maps with.
 */
import { latin1String } from "../util/index.ts";
import { MAX_COUNTER } from "./counters.ts";
import { TrackerProtoError, type TrackerProtoErrorCode } from "./errors.ts";
import { percentDecodeInto, percentEncode } from "./percent.ts";
import type { AnnounceEvent, AnnounceRequest } from "./types.ts";

/** An announce with ids as latin1 strings; filled in place by `readAnnounceQuery`. */
export interface AnnounceFields {
  infoHash: string;
  peerId: string;
  port: number;
  uploaded: number;
  downloaded: number;
  /** -1 when not sent. */
  left: number;
  event: AnnounceEvent;
  /** -1 when not sent or not a number. */
  numwant: number;
  compact: boolean;
  noPeerId: boolean;
  /** "" when not sent. */
  ip: string;
  ipv4: string;
  ipv6: string;
  key: string;
  /**
   * The key as BEP 15's 32-bit number, so HTTP and UDP announces name a peer
   * the same way: 1 to 8 hex digits are read as hex (libtorrent sends
   * `%08X`), any other text is hashed (FNV-1a); -1 when not sent.
   */
  keyValue: number;
  trackerId: string;
}

export function newAnnounceFields(): AnnounceFields {
  return {
    infoHash: "",
    peerId: "",
    port: 0,
    uploaded: 0,
    downloaded: 0,
    left: -1,
    event: "none",
    numwant: -1,
    compact: true,
    noPeerId: false,
    ip: "",
    ipv4: "",
    ipv6: "",
    key: "",
    keyValue: -1,
    trackerId: "",
  };
}

/** scratch[0, n) as a key number (see AnnounceFields.keyValue). */
function keyValueOf(n: number): number {
  if (n >= 1 && n <= 8) {
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = scratch[i]!;
      const d =
        c >= 0x30 && c <= 0x39
          ? c - 0x30
          : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66
            ? (c | 0x20) - 0x57
            : -1;
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (i === n) return v;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ scratch[i]!, 0x01000193);
  return h >>> 0;
}

let scratch = new Uint8Array(2048);

/** Decodes query[start, end) into the shared scratch buffer; the byte count or -1. */
function decodeValue(query: Uint8Array, start: number, end: number): number {
  if (end - start > scratch.length) scratch = new Uint8Array(end - start);
  return percentDecodeInto(query, start, end, scratch);
}

/** A decoded value as latin1 text, or undefined when its escapes are malformed. */
function textValue(query: Uint8Array, start: number, end: number): string | undefined {
  const n = decodeValue(query, start, end);
  return n < 0 ? undefined : latin1String(scratch, 0, n);
}

/**
 * A decimal integer ≥ 0 (at most 20 digits, as many as 2^64 − 1 has),
 * clamped to MAX_COUNTER (counters.ts); -1 if the text is anything else.
 */
function decimal(query: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 20) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = query[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > MAX_COUNTER ? MAX_COUNTER : v;
}

/** Whether query[start, end) is the ASCII text `word`. */
function bytesAre(query: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length || query[start] !== word.charCodeAt(0)) return false;
  for (let i = 1; i < word.length; i++) if (query[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

function eventFrom(query: Uint8Array, start: number, end: number): AnnounceEvent {
  if (bytesAre(query, start, end, "started")) return "started";
  if (bytesAre(query, start, end, "completed")) return "completed";
  if (bytesAre(query, start, end, "stopped")) return "stopped";
  if (bytesAre(query, start, end, "paused")) return "paused";
  // BEP 3: absent or empty means a regular announce; unknown words are treated alike.
  return "none";
}

// Parameter names readAnnounceQuery knows, as small numbers.
const P_OTHER = 0;
const P_INFO_HASH = 1;
const P_PEER_ID = 2;
const P_PORT = 3;
const P_UPLOADED = 4;
const P_DOWNLOADED = 5;
const P_LEFT = 6;
const P_EVENT = 7;
const P_NUMWANT = 8;
const P_COMPACT = 9;
const P_NO_PEER_ID = 10;
// Kept as text.
const P_IP = 11;
const P_IPV4 = 12;
const P_IPV6 = 13;
const P_KEY = 14;
const P_TRACKER_ID = 15;

/** The known parameter names, by their number. */
const NAMES = [
  "",
  "info_hash",
  "peer_id",
  "port",
  "uploaded",
  "downloaded",
  "left",
  "event",
  "numwant",
  "compact",
  "no_peer_id",
  "ip",
  "ipv4",
  "ipv6",
  "key",
  "trackerid",
];

/**
 * Which known parameter query[start, end) names (P_OTHER for any other): the
 * length and the first byte (the last for ipv4/ipv6) single out the only
 * candidate, then its bytes are compared once.
 */
function paramName(query: Uint8Array, start: number, end: number): number {
  let candidate = P_OTHER;
  const first = query[start];
  switch (end - start) {
    case 2:
      candidate = P_IP;
      break;
    case 3:
      candidate = P_KEY;
      break;
    case 4:
      if (first === 0x70) candidate = P_PORT;
      else if (first === 0x6c) candidate = P_LEFT;
      else candidate = query[start + 3] === 0x34 ? P_IPV4 : P_IPV6;
      break;
    case 5:
      candidate = P_EVENT;
      break;
    case 7:
      if (first === 0x70) candidate = P_PEER_ID;
      else if (first === 0x6e) candidate = P_NUMWANT;
      else candidate = P_COMPACT;
      break;
    case 8:
      candidate = P_UPLOADED;
      break;
    case 9:
      candidate = first === 0x69 ? P_INFO_HASH : P_TRACKER_ID;
      break;
    case 10:
      candidate = first === 0x64 ? P_DOWNLOADED : P_NO_PEER_ID;
      break;
    default:
      return P_OTHER;
  }
  return bytesAre(query, start, end, NAMES[candidate] as string) ? candidate : P_OTHER;
}

// Flags for parameters seen, so the first occurrence of a repeated one wins.
const SEEN_INFO_HASH = 1;
const SEEN_PEER_ID = 2;
const SEEN_PORT = 4;

/** Index of the first `byte` in query[from, end), or end. */
function find(query: Uint8Array, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (query[i] === byte) return i;
  return end;
}

// Where readAnnounceQuery's scan of one parameter stopped (set by scanParam).
let scanEq = 0;

/** Index of the `&` (or end) closing the parameter at `from`; its first `=` goes to scanEq. */
function scanParam(query: Uint8Array, from: number, end: number): number {
  let eq = -1;
  let i = from;
  for (; i < end; i++) {
    const c = query[i];
    if (c === 0x26) break;
    if (c === 0x3d && eq < 0) eq = i;
  }
  scanEq = eq < 0 ? i : eq;
  return i;
}

/**
 * Fills `out` from a raw announce query, the bytes query[start, end) (what
 * follows `?`, not decoded). Returns null when the announce is usable, else
 * the code of the first problem (see FAILURE_REASONS). Read straight from the
 * request's bytes: no string is made but the values kept as text.
 */
export function readAnnounceQuery(
  query: Uint8Array,
  start: number,
  end: number,
  out: AnnounceFields,
): TrackerProtoErrorCode | null {
  out.infoHash = "";
  out.peerId = "";
  out.port = 0;
  out.uploaded = 0;
  out.downloaded = 0;
  out.left = -1;
  out.event = "none";
  out.numwant = -1;
  out.compact = true;
  out.noPeerId = false;
  out.ip = "";
  out.ipv4 = "";
  out.ipv6 = "";
  out.key = "";
  out.keyValue = -1;
  out.trackerId = "";
  let seen = 0;
  let error: TrackerProtoErrorCode | null = null;
  let pos = start;
  while (pos < end) {
    const amp = scanParam(query, pos, end);
    const eq = scanEq;
    const vStart = eq < amp ? eq + 1 : amp;
    const param = paramName(query, pos, eq);
    switch (param) {
      case P_INFO_HASH:
        if (!(seen & SEEN_INFO_HASH)) {
          seen |= SEEN_INFO_HASH;
          const n = decodeValue(query, vStart, amp);
          if (n < 0) error ??= "malformed_query";
          else if (n !== 20) error ??= "invalid_info_hash";
          else out.infoHash = latin1String(scratch, 0, 20);
        }
        break;
      case P_PEER_ID:
        if (!(seen & SEEN_PEER_ID)) {
          seen |= SEEN_PEER_ID;
          const n = decodeValue(query, vStart, amp);
          if (n < 0) error ??= "malformed_query";
          else if (n !== 20) error ??= "invalid_peer_id";
          else out.peerId = latin1String(scratch, 0, 20);
        }
        break;
      case P_PORT:
        if (!(seen & SEEN_PORT)) {
          seen |= SEEN_PORT;
          const p = decimal(query, vStart, amp);
          if (p < 1 || p > 65535) error ??= "invalid_port";
          else out.port = p;
        }
        break;
      case P_UPLOADED:
        out.uploaded = decimal(query, vStart, amp);
        if (out.uploaded < 0) error ??= "invalid_number";
        break;
      case P_DOWNLOADED:
        out.downloaded = decimal(query, vStart, amp);
        if (out.downloaded < 0) error ??= "invalid_number";
        break;
      case P_LEFT:
        out.left = decimal(query, vStart, amp);
        if (out.left < 0) error ??= "invalid_number";
        break;
      case P_EVENT:
        out.event = eventFrom(query, vStart, amp);
        break;
      case P_NUMWANT:
        out.numwant = decimal(query, vStart, amp);
        break;
      case P_COMPACT:
        out.compact = !(amp - vStart === 1 && query[vStart] === 0x30);
        break;
      case P_NO_PEER_ID:
        out.noPeerId = !(amp === vStart || (amp - vStart === 1 && query[vStart] === 0x30));
        break;
      case P_IP:
      case P_IPV4:
      case P_IPV6:
      case P_KEY:
      case P_TRACKER_ID: {
        const value = textValue(query, vStart, amp);
        if (value === undefined) {
          error ??= "malformed_query";
          break;
        }
        if (param === P_IP) out.ip = value;
        else if (param === P_IPV4) out.ipv4 = value;
        else if (param === P_IPV6) out.ipv6 = value;
        else if (param === P_KEY) {
          out.key = value;
          // textValue left the decoded bytes in scratch.
          out.keyValue = keyValueOf(value.length);
        } else out.trackerId = value;
        break;
      }
    }
    pos = amp + 1;
  }
  if (error) return error;
  if (!(seen & SEEN_INFO_HASH)) return "missing_info_hash";
  if (!(seen & SEEN_PEER_ID)) return "missing_peer_id";
  if (!(seen & SEEN_PORT)) return "missing_port";
  return null;
}

/** Parses a raw announce query (the text after `?`, latin1). Throws TrackerProtoError. */
export function parseAnnounceQuery(query: string): AnnounceRequest {
  const f = newAnnounceFields();
  const bytes = Buffer.from(query, "latin1");
  const error = readAnnounceQuery(bytes, 0, bytes.length, f);
  if (error) throw new TrackerProtoError(error);
  const req: AnnounceRequest = {
    infoHash: Buffer.from(f.infoHash, "latin1"),
    peerId: Buffer.from(f.peerId, "latin1"),
    port: f.port,
    uploaded: f.uploaded,
    downloaded: f.downloaded,
    left: f.left,
    event: f.event,
    compact: f.compact,
    noPeerId: f.noPeerId,
  };
  if (f.numwant >= 0) req.numwant = f.numwant;
  if (f.ip) req.ip = f.ip;
  if (f.ipv4) req.ipv4 = f.ipv4;
  if (f.ipv6) req.ipv6 = f.ipv6;
  if (f.key) req.key = f.key;
  if (f.trackerId) req.trackerId = f.trackerId;
  return req;
}

/** What buildAnnounceQuery needs: the ids and port; everything else has a default. */
export type AnnounceQueryInput = Pick<AnnounceRequest, "infoHash" | "peerId" | "port"> &
  Partial<AnnounceRequest>;

/** Builds an announce query (without the leading `?`). */
export function buildAnnounceQuery(req: AnnounceQueryInput): string {
  const parts = [
    `info_hash=${percentEncode(req.infoHash)}`,
    `peer_id=${percentEncode(req.peerId)}`,
    `port=${req.port}`,
    `uploaded=${req.uploaded ?? 0}`,
    `downloaded=${req.downloaded ?? 0}`,
  ];
  if (req.left === undefined || req.left >= 0) parts.push(`left=${req.left ?? 0}`);
  if (req.event && req.event !== "none") parts.push(`event=${req.event}`);
  if (req.numwant !== undefined) parts.push(`numwant=${req.numwant}`);
  parts.push(`compact=${req.compact === false ? 0 : 1}`);
  if (req.noPeerId) parts.push("no_peer_id=1");
  for (const [name, value] of [
    ["ip", req.ip],
    ["ipv4", req.ipv4],
    ["ipv6", req.ipv6],
    ["key", req.key],
    ["trackerid", req.trackerId],
  ] as const) {
    if (value !== undefined) parts.push(`${name}=${percentEncode(Buffer.from(value, "latin1"))}`);
  }
  return parts.join("&");
}

/**
 * Server form of a scrape query, the bytes query[start, end): pushes each
 * info_hash (latin1) into `out`. Returns null, or the code of the first
 * problem. No info_hash = full scrape.
 */
export function readScrapeQuery(
  query: Uint8Array,
  start: number,
  end: number,
  out: string[],
  maxHashes = 256,
): TrackerProtoErrorCode | null {
  let pos = start;
  while (pos < end) {
    const amp = find(query, 0x26, pos, end);
    if (pos + 10 <= amp && bytesAre(query, pos, pos + 10, "info_hash=")) {
      const n = decodeValue(query, pos + 10, amp);
      if (n < 0) return "malformed_query";
      if (n !== 20) return "invalid_info_hash";
      if (out.length >= maxHashes) return "too_many_info_hashes";
      out.push(latin1String(scratch, 0, 20));
    }
    pos = amp + 1;
  }
  return null;
}

/** Parses a raw scrape query; [] asks for a full scrape. Throws TrackerProtoError. */
export function parseScrapeQuery(query: string, maxHashes = 256): Buffer[] {
  const keys: string[] = [];
  const bytes = Buffer.from(query, "latin1");
  const error = readScrapeQuery(bytes, 0, bytes.length, keys, maxHashes);
  if (error) throw new TrackerProtoError(error);
  return keys.map((k) => Buffer.from(k, "latin1"));
}

export function buildScrapeQuery(infoHashes: readonly Uint8Array[]): string {
  return infoHashes.map((h) => `info_hash=${percentEncode(h)}`).join("&");
}

/**
 * BEP 48: the scrape URL is the announce URL with the last path component's
 * leading "announce" replaced by "scrape"; without one, the tracker has no scrape.
 */
export function scrapeUrlFor(announceUrl: string): string | undefined {
  const q = announceUrl.indexOf("?");
  const path = q < 0 ? announceUrl : announceUrl.slice(0, q);
  const slash = path.lastIndexOf("/");
  if (slash < 0 || !path.startsWith("announce", slash + 1)) return undefined;
  return `${path.slice(0, slash + 1)}scrape${announceUrl.slice(slash + 9)}`;
}
