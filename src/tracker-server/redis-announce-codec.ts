/**
 * The Redis swarm store's wire format for announces (redis-scripts.ts,
 * ANNOUNCE_SCRIPT): a batch of announces packed into one binary string, and
 * the batch's one reply string turned back into what the announce handler
 * needs. One string each way: the client neither builds nor parses a RESP
 * value per announce, and the replies' compact peers are slices of the
 * reply, not copies.
 */
import type { SharedAnnounce, SharedAnnounceReply, StoredPeer } from "./swarm-store.ts";

/** A peer's key in the store: 20-byte peer id, 6-byte owner. */
const PEER_KEY_BYTES = 26;

/** An announce's fixed part (redis-scripts.ts, ANNOUNCE_SCRIPT's ARGV). */
const ANNOUNCE_HEAD = 54;
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

/** Bytes of one announce in the batch, its length byte included. */
function encodedLength(a: SharedAnnounce): number {
  const u = a.update;
  // `left` is a safe integer: its decimal digits are its latin1 length.
  return 1 + ANNOUNCE_HEAD + (u.ip4 >= 0 ? 6 : 0) + (u.ip6 !== "" ? 18 : 0) + String(u.left).length;
}

/** The announces of one script call as ANNOUNCE_SCRIPT reads them (its ARGV[5]). */
export function encodeAnnounces(batch: readonly { a: SharedAnnounce }[]): Buffer {
  let size = 0;
  for (const q of batch) size += encodedLength(q.a);
  const b = Buffer.allocUnsafe(size);
  let o = 0;
  for (const { a } of batch) {
    const u = a.update;
    const n4 = u.ip4 >= 0 ? 6 : 0;
    const n6 = u.ip6 !== "" ? 18 : 0;
    const left = String(u.left);
    b[o] = ANNOUNCE_HEAD + n4 + n6 + left.length;
    o++;
    b.write(a.infoHash, o, 20, "latin1");
    b.write(u.peerId, o + 20, 20, "latin1");
    b.writeUIntBE(u.owner ?? 0, o + 40, 6);
    b[o + 46] = n4;
    b[o + 47] = n6;
    b[o + 48] = EVENT_CODES[a.event];
    b[o + 49] = (a.leechersOnly ? 1 : 0) | (a.compact ? 2 : 0) | (a.registeredOnly ? 4 : 0);
    b[o + 50] = FAMILY_CODES[a.first];
    b[o + 51] = FAMILY_CODES[a.second];
    b.writeUInt16BE(Math.min(a.want, 0xffff), o + 52);
    o += ANNOUNCE_HEAD;
    if (n4) {
      b.writeUInt32BE(u.ip4, o);
      b.writeUInt16BE(u.port, o + 4);
      o += 6;
    }
    if (n6) {
      b.write(u.ip6, o, 16, "latin1");
      b.writeUInt16BE(u.port, o + 16);
      o += 18;
    }
    o += b.write(left, o, "latin1");
  }
  return b;
}

/**
 * Calls `each` with every announce's reply, in order, read from the batch's
 * reply string; throws if the string is shorter than the batch says.
 */
export function decodeAnnounceReplies(
  batch: readonly { a: SharedAnnounce }[],
  r: Buffer,
  each: (i: number, reply: SharedAnnounceReply) => void,
): void {
  let o = 0;
  for (let i = 0; i < batch.length; i++) {
    if (o + REPLY_HEAD > r.length) throw new RangeError("short reply from the announce script");
    const a = (batch[i] as { a: SharedAnnounce }).a;
    const head = o;
    const was = r[head + 1];
    const len1 = r.readUInt32BE(head + 14);
    const len2 = r.readUInt32BE(head + 18);
    const start = head + REPLY_HEAD;
    o = start + len1 + len2;
    if (o > r.length) throw new RangeError("short reply from the announce script");
    const reply: SharedAnnounceReply = {
      result: RESULTS[r[head] as number] ?? "updated",
      previousLeft: was === 1 ? 0 : was === 0 ? 1 : -2,
      counts: {
        seeders: r.readUInt32BE(head + 2),
        leechers: r.readUInt32BE(head + 6),
        completed: r.readUInt32BE(head + 10),
      },
      compact4: EMPTY,
      compact6: EMPTY,
      peers4: [],
      peers6: [],
    };
    place(reply, a, a.first, r.subarray(start, start + len1));
    place(reply, a, a.second, r.subarray(start + len1, o));
    each(i, reply);
  }
}

/** One family's peers into the reply: compact entries as they are, or peer records. */
function place(reply: SharedAnnounceReply, a: SharedAnnounce, family: 4 | 6 | 0, bytes: Buffer) {
  if (family === 0 || bytes.length === 0) return;
  if (a.compact) {
    if (family === 4) reply.compact4 = bytes;
    else reply.compact6 = bytes;
    return;
  }
  const size = PEER_KEY_BYTES + (family === 4 ? 6 : 18);
  const out = family === 4 ? reply.peers4 : reply.peers6;
  for (let i = 0; i + size <= bytes.length; i += size) {
    out.push(peerOf(bytes.subarray(i, i + size), family, -1, 0));
  }
}

const EMPTY = Buffer.alloc(0);

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
