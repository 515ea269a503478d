/**
 * HTTP tracker replies: announce (BEP 3, compact peers BEP 23, peers6 BEP 7),
 * scrape (BEP 48) and failures. Builders write canonical bencoding by hand
 * (keys in byte order) because the server builds one reply per announce;
 * `announceReplyText` returns latin1 text (one char per byte) so a server can
 * splice it after its headers and write it with a single socket write.
 */
import {
  type BencodeDict,
  type BencodeValue,
  decode,
  isBytes,
  isDict,
  isList,
} from "../bencode/index.ts";
import { decodeCompactPeers } from "./compact.ts";
import { clampCounter } from "./counters.ts";
import { TrackerProtoError } from "./errors.ts";
import type { PeerAddress, ScrapeCounts } from "./types.ts";

export interface AnnounceReplyFields {
  /** Seconds between regular announces. */
  interval: number;
  minInterval?: number;
  /** Seeders. */
  complete?: number;
  /** Leechers. */
  incomplete?: number;
  downloaded?: number;
  trackerId?: string;
  warning?: string;
  /** BEP 23 compact IPv4 peers: Buffer, or latin1 text of the same bytes. */
  peers?: Buffer | string;
  /** BEP 7 compact IPv6 peers (18 bytes each); left out when undefined. */
  peers6?: Buffer | string;
  /** Dictionary form (the client sent compact=0); takes the place of `peers`/`peers6`. */
  peerList?: readonly PeerAddress[];
}

function str(bytes: string): string {
  return `${bytes.length}:${bytes}`;
}

/** A UTF-8 string as a bencoded byte string in latin1 text form. */
function utf8Str(text: string): string {
  return str(Buffer.from(text, "utf8").toString("latin1"));
}

function latin1(v: Buffer | string): string {
  return typeof v === "string" ? v : v.toString("latin1");
}

/** The announce reply as latin1 text (one char per byte of the bencoding). */
export function announceReplyText(r: AnnounceReplyFields): string {
  let out = "d";
  if (r.complete !== undefined) out += `8:completei${r.complete}e`;
  if (r.downloaded !== undefined) out += `10:downloadedi${r.downloaded}e`;
  if (r.incomplete !== undefined) out += `10:incompletei${r.incomplete}e`;
  out += `8:intervali${r.interval}e`;
  if (r.minInterval !== undefined) out += `12:min intervali${r.minInterval}e`;
  if (r.peerList) {
    out += "5:peersl";
    for (const p of r.peerList) {
      out += `d2:ip${utf8Str(p.ip)}`;
      if (p.peerId) out += `7:peer id${str(p.peerId.toString("latin1"))}`;
      out += `4:porti${p.port}ee`;
    }
    out += "e";
  } else {
    out += `5:peers${str(r.peers === undefined ? "" : latin1(r.peers))}`;
    if (r.peers6 !== undefined) out += `6:peers6${str(latin1(r.peers6))}`;
  }
  if (r.trackerId !== undefined) out += `10:tracker id${utf8Str(r.trackerId)}`;
  if (r.warning !== undefined) out += `15:warning message${utf8Str(r.warning)}`;
  return `${out}e`;
}

/** A compact announce reply (BEP 3/23, peers6 per BEP 7) with its peers as byte ranges. */
export interface CompactAnnounceReply {
  interval: number;
  minInterval: number;
  complete: number;
  incomplete: number;
  downloaded: number;
  /** BEP 23 entries: `peers[0, peersLength)`. */
  peers: Uint8Array;
  peersLength: number;
  /** BEP 7 entries: `peers6[0, peers6Length)`; null leaves the key out. */
  peers6: Uint8Array | null;
  peers6Length: number;
}

/** Room `writeCompactAnnounceReply` may need beyond the peer bytes themselves. */
export const COMPACT_REPLY_OVERHEAD = 256;

/** Writes a non-negative integer in decimal at `o`; returns the offset after it. */
export function writeDecimal(out: Uint8Array, o: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let v = n;
  for (let i = o + digits - 1; i >= o; i--) {
    const q = Math.floor(v / 10);
    out[i] = 0x30 + (v - q * 10);
    v = q;
  }
  return o + digits;
}

function writeAscii(out: Uint8Array, o: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[o + i] = text.charCodeAt(i);
  return o + text.length;
}

function writeInt(out: Uint8Array, o: number, key: string, n: number): number {
  let p = writeAscii(out, o, key);
  out[p++] = 0x69; // i
  p = writeDecimal(out, p, n);
  out[p] = 0x65; // e
  return p + 1;
}

/** src[0, n) as a bencoded byte string at `o`; returns the offset after it. */
function writeByteString(out: Uint8Array, o: number, src: Uint8Array, n: number): number {
  let p = writeDecimal(out, o, n);
  out[p++] = 0x3a; // :
  // A byte loop costs more than making a view to copy from once past a few bytes.
  if (n < 16) for (let i = 0; i < n; i++) out[p + i] = src[i]!;
  else out.set(n === src.length ? src : src.subarray(0, n), p);
  return p + n;
}

// The keys from `interval` to `peers` and the two intervals, the same in
// every reply a tracker sends: written once, then copied in one go.
let middle = new Uint8Array(0);
let middleInterval = -1;
let middleMinInterval = -1;

function writeMiddle(out: Uint8Array, p: number, interval: number, minInterval: number): number {
  if (interval !== middleInterval || minInterval !== middleMinInterval) {
    const bytes = new Uint8Array(64);
    let q = writeInt(bytes, 0, "8:interval", interval);
    q = writeInt(bytes, q, "12:min interval", minInterval);
    q = writeAscii(bytes, q, "5:peers");
    middle = bytes.subarray(0, q);
    middleInterval = interval;
    middleMinInterval = minInterval;
  }
  out.set(middle, p);
  return p + middle.length;
}

/**
 * The announce reply a server sends per announce, written straight into
 * `out` from `offset` (no strings, no intermediate buffers); returns the end
 * offset. The same bencoding as `buildAnnounceReply` gives for these fields.
 * `out` needs COMPACT_REPLY_OVERHEAD bytes beyond the peer bytes.
 */
export function writeCompactAnnounceReply(
  out: Uint8Array,
  offset: number,
  r: CompactAnnounceReply,
): number {
  // Keys in byte order, as canonical bencoding requires.
  out[offset] = 0x64; // d
  let p = writeInt(out, offset + 1, "8:complete", r.complete);
  p = writeInt(out, p, "10:downloaded", r.downloaded);
  p = writeInt(out, p, "10:incomplete", r.incomplete);
  p = writeMiddle(out, p, r.interval, r.minInterval);
  p = writeByteString(out, p, r.peers, r.peersLength);
  if (r.peers6 !== null) {
    p = writeByteString(out, writeAscii(out, p, "6:peers6"), r.peers6, r.peers6Length);
  }
  out[p] = 0x65; // e
  return p + 1;
}

export function buildAnnounceReply(r: AnnounceReplyFields): Buffer {
  return Buffer.from(announceReplyText(r), "latin1");
}

/** BEP 3: a reply carrying only `failure reason` (UTF-8 text). */
export function failureReplyText(reason: string): string {
  return `d14:failure reason${utf8Str(reason)}e`;
}

export function buildFailureReply(reason: string): Buffer {
  return Buffer.from(failureReplyText(reason), "latin1");
}

/** BEP 48 reply; `files` keys must be sorted, so the hashes are sorted (and de-duplicated) here. */
export function scrapeReplyText(
  files: readonly { key: string; complete: number; downloaded: number; incomplete: number }[],
): string {
  const sorted = [...files].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let out = "d5:filesd";
  let last: string | undefined;
  for (const f of sorted) {
    if (f.key === last) continue;
    last = f.key;
    out += `${str(f.key)}d8:completei${f.complete}e10:downloadedi${f.downloaded}e10:incompletei${f.incomplete}ee`;
  }
  return `${out}ee`;
}

export function buildScrapeReply(files: readonly ScrapeCounts[]): Buffer {
  const text = scrapeReplyText(
    files.map((f) => ({
      key: f.infoHash.toString("latin1"),
      complete: f.complete,
      downloaded: f.downloaded,
      incomplete: f.incomplete,
    })),
  );
  return Buffer.from(text, "latin1");
}

export interface AnnounceReply {
  failureReason?: string;
  warning?: string;
  interval?: number;
  minInterval?: number;
  complete?: number;
  incomplete?: number;
  downloaded?: number;
  trackerId?: string;
  /** Peers from `peers` (compact or dictionary form) then `peers6`. */
  peers: PeerAddress[];
}

function decodeReply(body: Uint8Array): BencodeDict {
  let value: BencodeValue;
  try {
    // Real trackers do not all sort their keys; accept what they send.
    value = decode(body, { strict: false });
  } catch (err) {
    throw new TrackerProtoError(
      "invalid_reply",
      `the tracker's reply is not valid bencoding: ${(err as Error).message}`,
    );
  }
  if (!isDict(value)) throw new TrackerProtoError("invalid_reply");
  return value;
}

/** An integer from a tracker's reply; beyond ±2^53 clamped (counters.ts), as 64-bit counts can be. */
function num(d: BencodeDict, key: string): number | undefined {
  const v = d.get(key);
  return typeof v === "number" ? v : clampCounter(v, Number.MIN_SAFE_INTEGER);
}

function text(d: BencodeDict, key: string): string | undefined {
  const v = d.get(key);
  return isBytes(v) ? v.toString("utf8") : undefined;
}

/** Parses an announce reply (either peer form). Throws TrackerProtoError if it is not one. */
export function parseAnnounceReply(body: Uint8Array): AnnounceReply {
  const d = decodeReply(body);
  const reply: AnnounceReply = { peers: [] };
  const failure = text(d, "failure reason");
  if (failure !== undefined) reply.failureReason = failure;
  const fields = [
    ["warning", text(d, "warning message")],
    ["interval", num(d, "interval")],
    ["minInterval", num(d, "min interval")],
    ["complete", num(d, "complete")],
    ["incomplete", num(d, "incomplete")],
    ["downloaded", num(d, "downloaded")],
    ["trackerId", text(d, "tracker id")],
  ] as const;
  for (const [name, value] of fields) {
    if (value !== undefined) (reply as unknown as Record<string, unknown>)[name] = value;
  }
  const peers = d.get("peers");
  if (isBytes(peers)) reply.peers.push(...decodeCompactPeers(peers, 4));
  else if (isList(peers)) {
    for (const p of peers) {
      if (!isDict(p)) continue;
      const ip = text(p, "ip");
      const port = num(p, "port");
      if (ip === undefined || port === undefined) continue;
      const id = p.get("peer id");
      reply.peers.push(isBytes(id) ? { ip, port, peerId: Buffer.from(id) } : { ip, port });
    }
  }
  const peers6 = d.get("peers6");
  if (isBytes(peers6)) reply.peers.push(...decodeCompactPeers(peers6, 6));
  return reply;
}

export interface ScrapeReply {
  failureReason?: string;
  files: ScrapeCounts[];
}

/** Parses a BEP 48 scrape reply. Throws TrackerProtoError if it is not one. */
export function parseScrapeReply(body: Uint8Array): ScrapeReply {
  const d = decodeReply(body);
  const reply: ScrapeReply = { files: [] };
  const failure = text(d, "failure reason");
  if (failure !== undefined) reply.failureReason = failure;
  const files = d.get("files");
  if (isDict(files)) {
    for (const [key, v] of files) {
      if (!isDict(v)) continue;
      reply.files.push({
        infoHash: Buffer.from(key, "latin1"),
        complete: num(v, "complete") ?? 0,
        downloaded: num(v, "downloaded") ?? 0,
        incomplete: num(v, "incomplete") ?? 0,
      });
    }
  } else if (failure === undefined) {
    throw new TrackerProtoError("invalid_reply", "the scrape reply has no 'files' dictionary");
  }
  return reply;
}
