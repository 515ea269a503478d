/**
 * The Redis swarm store's wire format for announces (redis-scripts.ts,
 * ANNOUNCE_SCRIPT): a batch of announces packed into one binary string, and
 * the batch's one reply string turned back into what the announce handler
 * needs. One string each way: the client neither builds nor parses a RESP
 * value per announce, and the replies' compact peers are slices of the
 * reply, not copies. Each announce is written into the batch as it arrives
 * (so the caller's objects may be reused at once), and each reply is read
 * into one reused reply object: nothing is allocated per announce but the
 * slice of its peers.
 */
import type { SharedAnnounce, SharedAnnounceReply, StoredPeer } from "./swarm-store.ts";

/** A peer's key in the store: 20-byte peer id, 6-byte owner. */
const PEER_KEY_BYTES = 26;

/** An announce's fixed part (redis-scripts.ts, ANNOUNCE_SCRIPT's ARGV). */
const ANNOUNCE_HEAD = 54;
/**
 * Most bytes one announce takes in a batch: length byte, head, both
 * addresses and 16 digits of left, each of those three after its length.
 */
export const MAX_ENCODED_ANNOUNCE = 1 + ANNOUNCE_HEAD + 3 + 6 + 18 + 16;
/** A reply's fixed part: result, was a seeder, three counts, two lengths. */
const REPLY_HEAD = 22;

const EVENT_CODES = { none: 0x6e, completed: 0x63, stopped: 0x73 } as const;
const FAMILY_CODES = { 0: 0x30, 4: 0x34, 6: 0x36 } as const;
const RESULTS: Record<number, SharedAnnounceReply["result"]> = {
  97: "added",
  117: "updated",
  102: "swarm_full",
  116: "too_many_swarms",
  114: "removed",
  120: "unregistered",
};

/** Copies a latin1 string's chars as bytes (ids and addresses: a few chars, no native call). */
function writeLatin1(b: Buffer, o: number, s: string, n: number): void {
  for (let i = 0; i < n; i++) b[o + i] = s.charCodeAt(i);
}

/** Writes a safe non-negative integer's decimal digits at o; returns the end. */
function writeDecimal(b: Buffer, o: number, n: number): number {
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  let v = n;
  for (let i = o + digits - 1; i >= o; i--) {
    b[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return o + digits;
}

/**
 * Writes one announce at offset o of a batch as ANNOUNCE_SCRIPT reads it (its
 * ARGV[5]); `b` has room for MAX_ENCODED_ANNOUNCE bytes from o. Returns the end.
 */
export function encodeAnnounce(a: SharedAnnounce, b: Buffer, o: number): number {
  const u = a.update;
  const n4 = u.ip4 >= 0 ? 6 : 0;
  const n6 = u.ip6 !== "" ? 18 : 0;
  const start = o;
  o++;
  writeLatin1(b, o, a.infoHash, 20);
  writeLatin1(b, o + 20, u.peerId, 20);
  b.writeUIntBE(u.owner ?? 0, o + 40, 6);
  b[o + 46] = n4;
  b[o + 47] = n6;
  b[o + 48] = EVENT_CODES[a.event];
  b[o + 49] = (a.leechersOnly ? 1 : 0) | (a.compact ? 2 : 0) | (a.registeredOnly ? 4 : 0);
  b[o + 50] = FAMILY_CODES[a.first];
  b[o + 51] = FAMILY_CODES[a.second];
  b.writeUInt16BE(Math.min(a.want, 0xffff), o + 52);
  o += ANNOUNCE_HEAD;
  // Each variable part after its length (a byte): the script reads all of
  // them in the one unpack of the announce (struct's c0), no string.sub each.
  b[o++] = n4;
  if (n4) {
    b.writeUInt32BE(u.ip4, o);
    b.writeUInt16BE(u.port, o + 4);
    o += 6;
  }
  b[o++] = n6;
  if (n6) {
    writeLatin1(b, o, u.ip6, 16);
    b.writeUInt16BE(u.port, o + 16);
    o += 18;
  }
  const leftAt = o++;
  o = writeDecimal(b, o, u.left);
  b[leftAt] = o - leftAt - 1;
  b[start] = o - start - 1;
  return o;
}

/** A reply object for decodeAnnounceReplies to fill, again and again. */
export function newAnnounceReply(): SharedAnnounceReply {
  return {
    result: "updated",
    previousLeft: -2,
    counts: { seeders: 0, leechers: 0, completed: 0 },
    compact4: EMPTY,
    compact6: EMPTY,
    peers4: NO_PEERS,
    peers6: NO_PEERS,
  };
}

/**
 * Reads the replies to the `count` announces packed in `request` from
 * offset `from` from the batch's reply string `r`: for each, in order, fills
 * `reply` and calls `each(i, reply)` (read it there: the next reply
 * overwrites it). Throws if the string is shorter than the batch says; the
 * announces before it have had their replies.
 */
export function decodeAnnounceReplies(
  request: Buffer,
  from: number,
  count: number,
  r: Buffer,
  reply: SharedAnnounceReply,
  each: (i: number, reply: SharedAnnounceReply) => void,
): void {
  let o = 0;
  let at = from;
  for (let i = 0; i < count; i++) {
    if (o + REPLY_HEAD > r.length) throw new RangeError("short reply from the announce script");
    const head = o;
    const was = r[head + 1];
    const len1 = r.readUInt32BE(head + 14);
    const len2 = r.readUInt32BE(head + 18);
    const start = head + REPLY_HEAD;
    o = start + len1 + len2;
    if (o > r.length) throw new RangeError("short reply from the announce script");
    // The request says how to read the reply: compact or not, which family first.
    const compact = (request[at + 50]! & 2) !== 0;
    const first = request[at + 51]!;
    const second = request[at + 52]!;
    at += 1 + request[at]!;
    reply.result = RESULTS[r[head] as number] ?? "updated";
    reply.previousLeft = was === 1 ? 0 : was === 0 ? 1 : -2;
    const counts = reply.counts;
    counts.seeders = r.readUInt32BE(head + 2);
    counts.leechers = r.readUInt32BE(head + 6);
    counts.completed = r.readUInt32BE(head + 10);
    reply.compact4 = EMPTY;
    reply.compact6 = EMPTY;
    reply.peers4 = NO_PEERS;
    reply.peers6 = NO_PEERS;
    if (len1 > 0) place(reply, compact, first, r, start, start + len1);
    if (len2 > 0) place(reply, compact, second, r, start + len1, o);
    each(i, reply);
  }
}

/** One family's peers into the reply: compact entries as they are, or peer records. */
function place(
  reply: SharedAnnounceReply,
  compact: boolean,
  familyCode: number,
  r: Buffer,
  from: number,
  to: number,
): void {
  const family = familyCode === FAMILY_CODES[4] ? 4 : familyCode === FAMILY_CODES[6] ? 6 : 0;
  if (family === 0) return;
  if (compact) {
    if (family === 4) reply.compact4 = r.subarray(from, to);
    else reply.compact6 = r.subarray(from, to);
    return;
  }
  const size = PEER_KEY_BYTES + (family === 4 ? 6 : 18);
  const out: StoredPeer[] = [];
  for (let i = from; i + size <= to; i += size) {
    out.push(peerOf(r.subarray(i, i + size), family, -1, 0));
  }
  if (family === 4) reply.peers4 = out;
  else reply.peers6 = out;
}

const EMPTY = Buffer.alloc(0);
/** The peer records of a compact reply: none (never written to). */
const NO_PEERS: StoredPeer[] = Object.freeze([]) as unknown as StoredPeer[];

function peerOf(member: Buffer, family: 4 | 6, left: number, lastSeen: number): StoredPeer {
  const addr = member.toString("latin1", PEER_KEY_BYTES);
  return {
    peerId: member.toString("latin1", 0, 20),
    owner: member.readUIntBE(20, 6),
    addr4: family === 4 ? addr : "",
    addr6: family === 6 ? addr : "",
    left,
    lastSeen,
  };
}
