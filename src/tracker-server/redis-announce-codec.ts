/**
 * The Redis swarm store's wire format for announces (redis-scripts.ts,
 * ANNOUNCE_SCRIPT): one announce packed into one binary string, and its
 * reply turned back into what the announce handler needs.
 */
import type { SharedAnnounce, SharedAnnounceReply, StoredPeer } from "./swarm-store.ts";

/** A peer's key in the store: 20-byte peer id, 6-byte owner. */
const PEER_KEY_BYTES = 26;

/** An announce's fixed part in the batch (redis-scripts.ts, ANNOUNCE_SCRIPT's ARGV). */
const ANNOUNCE_HEAD = 54;

/** One announce's reply as the client returns it: Buffers and numbers. */
export type Reply = (Buffer | number)[];

const EVENT_CODES = { none: 0x6e, completed: 0x63, stopped: 0x73 } as const;
const FAMILY_CODES = { 0: 0x30, 4: 0x34, 6: 0x36 } as const;

/** One announce as ANNOUNCE_SCRIPT reads it. */
export function encodeAnnounce(a: SharedAnnounce): Buffer {
  const u = a.update;
  const n4 = u.ip4 >= 0 ? 6 : 0;
  const n6 = u.ip6 !== "" ? 18 : 0;
  const left = String(u.left);
  const b = Buffer.allocUnsafe(ANNOUNCE_HEAD + n4 + n6 + left.length);
  b.write(a.infoHash, 0, 20, "latin1");
  b.write(u.peerId, 20, 20, "latin1");
  b.writeUIntBE(u.owner ?? 0, 40, 6);
  b[46] = n4;
  b[47] = n6;
  b[48] = EVENT_CODES[a.event];
  b[49] = (a.leechersOnly ? 1 : 0) | (a.compact ? 2 : 0) | (a.registeredOnly ? 4 : 0);
  b[50] = FAMILY_CODES[a.first];
  b[51] = FAMILY_CODES[a.second];
  b.writeUInt16BE(Math.min(a.want, 0xffff), 52);
  let o = ANNOUNCE_HEAD;
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
  b.write(left, o, "latin1");
  return b;
}

export function decodeAnnounceReply(a: SharedAnnounce, r: Reply): SharedAnnounceReply {
  const result = (r[0] as Buffer).toString("latin1") as SharedAnnounceReply["result"];
  const was = (r[1] as number | undefined) ?? -1;
  const reply: SharedAnnounceReply = {
    result,
    previousLeft: was === 1 ? 0 : was === 0 ? 1 : -2,
    counts: {
      seeders: (r[2] as number | undefined) ?? 0,
      leechers: (r[3] as number | undefined) ?? 0,
      completed: (r[4] as number | undefined) ?? 0,
    },
    compact4: EMPTY,
    compact6: EMPTY,
    peers4: [],
    peers6: [],
  };
  if (r.length < 7) return reply;
  const lists: [IpFamilyOrNone, Buffer][] = [
    [a.first, r[5] as Buffer],
    [a.second, r[6] as Buffer],
  ];
  for (const [family, bytes] of lists) {
    if (family === 0 || bytes.length === 0) continue;
    if (a.compact) {
      if (family === 4) reply.compact4 = bytes;
      else reply.compact6 = bytes;
    } else {
      const size = PEER_KEY_BYTES + (family === 4 ? 6 : 18);
      const out = family === 4 ? reply.peers4 : reply.peers6;
      for (let i = 0; i + size <= bytes.length; i += size) {
        out.push(peerOf(bytes.subarray(i, i + size), family, -1, 0));
      }
    }
  }
  return reply;
}

type IpFamilyOrNone = 4 | 6 | 0;

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
