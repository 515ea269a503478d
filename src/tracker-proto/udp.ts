/**
 * UDP tracker packets (BEP 15) and announce options (BEP 41). Big endian
 * throughout. Decoders return undefined for anything malformed: BEP 15 servers
 * answer nothing to such packets, and clients ignore them.
 */
import { readU32BE } from "../util/index.ts";
import { decodeCompactPeers, type IpFamily } from "./compact.ts";
import { counterFromWords } from "./counters.ts";
import type { AnnounceEvent, PeerAddress } from "./types.ts";

/** BEP 15: the magic constant that opens every connect request. */
export const UDP_PROTOCOL_ID = 0x41727101980n;
const PROTOCOL_ID_HI = 0x417;
const PROTOCOL_ID_LO = 0x27101980;

export const UdpAction = { CONNECT: 0, ANNOUNCE: 1, SCRAPE: 2, ERROR: 3 } as const;

/** BEP 15 event codes, indexed by code. */
export const UDP_EVENTS: readonly AnnounceEvent[] = ["none", "completed", "started", "stopped"];

/** BEP 15 has no `paused`; it is sent as a regular announce. */
export function udpEventCode(event: AnnounceEvent): number {
  const code = UDP_EVENTS.indexOf(event);
  return Math.max(code, 0);
}

export const UDP_CONNECT_LENGTH = 16;
export const UDP_ANNOUNCE_LENGTH = 98;
/** BEP 15: "up to about 74 torrents can be scraped at once". */
export const UDP_MAX_SCRAPE_HASHES = 74;

export interface UdpConnectRequest {
  action: "connect";
  transactionId: number;
}

export interface UdpAnnounceRequest {
  /** 8 bytes, as the tracker issued it. */
  connectionId: Buffer;
  transactionId: number;
  infoHash: Buffer;
  peerId: Buffer;
  downloaded: number;
  left: number;
  uploaded: number;
  event: AnnounceEvent;
  /** IPv4 address as an unsigned 32-bit number; 0 = the packet's source. */
  ip?: number;
  key?: number;
  /** -1 = the tracker's default. */
  numwant?: number;
  port: number;
  /** BEP 41 URLData: the tracker URL's path and query, as latin1 text. */
  urlData?: string;
}

export interface UdpScrapeRequest {
  connectionId: Buffer;
  transactionId: number;
  infoHashes: readonly Buffer[];
}

export type UdpRequest =
  | UdpConnectRequest
  | (UdpAnnounceRequest & { action: "announce" })
  | (UdpScrapeRequest & { action: "scrape" });

/** A 64-bit unsigned counter field, clamped to MAX_COUNTER (see counters.ts). */
export function readU64(buf: Uint8Array, off: number): number {
  return counterFromWords(readU32BE(buf, off), readU32BE(buf, off + 4));
}

/** Writes a counter as an unsigned 64-bit field: negatives as 0, beyond 2^64 − 1 as 2^64 − 1. */
function writeU64(buf: Buffer, value: number, off: number): void {
  const v = Math.max(0, Math.floor(value));
  if (!(v < 2 ** 64)) {
    buf.writeUInt32BE(0xffff_ffff, off);
    buf.writeUInt32BE(0xffff_ffff, off + 4);
    return;
  }
  buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000) >>> 0, off);
  buf.writeUInt32BE(v % 0x1_0000_0000, off + 4);
}

export function encodeConnectRequest(transactionId: number): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeUInt32BE(PROTOCOL_ID_HI, 0);
  b.writeUInt32BE(PROTOCOL_ID_LO, 4);
  b.writeUInt32BE(UdpAction.CONNECT, 8);
  b.writeUInt32BE(transactionId >>> 0, 12);
  return b;
}

/** BEP 41 URLData options: the data in chunks of at most 255 bytes, then EndOfOptions. */
function encodeUrlData(urlData: string): Buffer {
  const data = Buffer.from(urlData, "latin1");
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += 255) {
    const chunk = data.subarray(off, off + 255);
    parts.push(Buffer.from([2, chunk.length]), chunk);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function encodeAnnounceRequest(r: UdpAnnounceRequest): Buffer {
  const b = Buffer.alloc(UDP_ANNOUNCE_LENGTH);
  r.connectionId.copy(b, 0, 0, 8);
  b.writeUInt32BE(UdpAction.ANNOUNCE, 8);
  b.writeUInt32BE(r.transactionId >>> 0, 12);
  r.infoHash.copy(b, 16, 0, 20);
  r.peerId.copy(b, 36, 0, 20);
  writeU64(b, r.downloaded, 56);
  writeU64(b, r.left, 64);
  writeU64(b, r.uploaded, 72);
  b.writeUInt32BE(udpEventCode(r.event), 80);
  b.writeUInt32BE((r.ip ?? 0) >>> 0, 84);
  b.writeUInt32BE((r.key ?? 0) >>> 0, 88);
  b.writeInt32BE(r.numwant ?? -1, 92);
  b.writeUInt16BE(r.port, 96);
  return r.urlData ? Buffer.concat([b, encodeUrlData(r.urlData)]) : b;
}

export function encodeScrapeRequest(r: UdpScrapeRequest): Buffer {
  const b = Buffer.allocUnsafe(16 + 20 * r.infoHashes.length);
  r.connectionId.copy(b, 0, 0, 8);
  b.writeUInt32BE(UdpAction.SCRAPE, 8);
  b.writeUInt32BE(r.transactionId >>> 0, 12);
  r.infoHashes.forEach((h, i) => {
    h.copy(b, 16 + 20 * i, 0, 20);
  });
  return b;
}

/**
 * BEP 41 options after the 98-byte announce. Types 0 (EndOfOptions) and 1
 * (NOP) have no length byte; every other type has one, so unknown types are
 * skipped. A truncated option ends parsing: what came before it stands.
 */
export function parseUdpOptions(
  packet: Uint8Array,
  offset = UDP_ANNOUNCE_LENGTH,
): { urlData?: string } {
  let urlData: string | undefined;
  let i = offset;
  while (i < packet.length) {
    const type = packet[i]!;
    if (type === 0) break;
    if (type === 1) {
      i++;
      continue;
    }
    if (i + 1 >= packet.length) break;
    const len = packet[i + 1]!;
    if (i + 2 + len > packet.length) break;
    if (type === 2) {
      urlData =
        (urlData ?? "") +
        Buffer.from(packet.buffer, packet.byteOffset + i + 2, len).toString("latin1");
    }
    i += 2 + len;
  }
  return urlData === undefined ? {} : { urlData };
}

/** Decodes a request a tracker received; undefined for anything it must ignore. */
export function decodeUdpRequest(packet: Buffer): UdpRequest | undefined {
  if (packet.length < 16) return undefined;
  const action = packet.readUInt32BE(8);
  const transactionId = packet.readUInt32BE(12);
  if (action === UdpAction.CONNECT) {
    if (packet.readUInt32BE(0) !== PROTOCOL_ID_HI || packet.readUInt32BE(4) !== PROTOCOL_ID_LO) {
      return undefined;
    }
    return { action: "connect", transactionId };
  }
  const connectionId = Buffer.from(packet.subarray(0, 8));
  if (action === UdpAction.ANNOUNCE) {
    if (packet.length < UDP_ANNOUNCE_LENGTH) return undefined;
    const eventCode = packet.readUInt32BE(80);
    if (eventCode >= UDP_EVENTS.length) return undefined;
    const req: UdpAnnounceRequest & { action: "announce" } = {
      action: "announce",
      connectionId,
      transactionId,
      infoHash: Buffer.from(packet.subarray(16, 36)),
      peerId: Buffer.from(packet.subarray(36, 56)),
      downloaded: readU64(packet, 56),
      left: readU64(packet, 64),
      uploaded: readU64(packet, 72),
      event: UDP_EVENTS[eventCode]!,
      ip: packet.readUInt32BE(84),
      key: packet.readUInt32BE(88),
      numwant: packet.readInt32BE(92),
      port: packet.readUInt16BE(96),
    };
    const { urlData } = parseUdpOptions(packet);
    if (urlData !== undefined) req.urlData = urlData;
    return req;
  }
  if (action === UdpAction.SCRAPE) {
    const count = Math.floor((packet.length - 16) / 20);
    if (count < 1) return undefined;
    const infoHashes: Buffer[] = [];
    for (let i = 0; i < Math.min(count, UDP_MAX_SCRAPE_HASHES); i++) {
      infoHashes.push(Buffer.from(packet.subarray(16 + 20 * i, 36 + 20 * i)));
    }
    return { action: "scrape", connectionId, transactionId, infoHashes };
  }
  return undefined;
}

export function encodeConnectResponse(transactionId: number, connectionId: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeUInt32BE(UdpAction.CONNECT, 0);
  b.writeUInt32BE(transactionId >>> 0, 4);
  b.set(connectionId.subarray(0, 8), 8);
  return b;
}

export interface UdpAnnounceResponse {
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  /** Compact entries of the packet's family: 6 bytes each (IPv4) or 18 (IPv6). */
  peers: Uint8Array;
}

export function encodeAnnounceResponse(r: UdpAnnounceResponse): Buffer {
  const b = Buffer.allocUnsafe(20 + r.peers.length);
  b.writeUInt32BE(UdpAction.ANNOUNCE, 0);
  b.writeUInt32BE(r.transactionId >>> 0, 4);
  b.writeUInt32BE(r.interval >>> 0, 8);
  b.writeUInt32BE(r.leechers >>> 0, 12);
  b.writeUInt32BE(r.seeders >>> 0, 16);
  b.set(r.peers, 20);
  return b;
}

export interface UdpScrapeCounts {
  seeders: number;
  completed: number;
  leechers: number;
}

export function encodeScrapeResponse(
  transactionId: number,
  counts: readonly UdpScrapeCounts[],
): Buffer {
  const b = Buffer.allocUnsafe(8 + 12 * counts.length);
  b.writeUInt32BE(UdpAction.SCRAPE, 0);
  b.writeUInt32BE(transactionId >>> 0, 4);
  counts.forEach((c, i) => {
    b.writeUInt32BE(c.seeders >>> 0, 8 + 12 * i);
    b.writeUInt32BE(c.completed >>> 0, 12 + 12 * i);
    b.writeUInt32BE(c.leechers >>> 0, 16 + 12 * i);
  });
  return b;
}

export function encodeErrorResponse(transactionId: number, message: string): Buffer {
  const text = Buffer.from(message, "utf8");
  const b = Buffer.allocUnsafe(8 + text.length);
  b.writeUInt32BE(UdpAction.ERROR, 0);
  b.writeUInt32BE(transactionId >>> 0, 4);
  text.copy(b, 8);
  return b;
}

export type UdpResponse =
  | { action: "connect"; transactionId: number; connectionId: Buffer }
  | {
      action: "announce";
      transactionId: number;
      interval: number;
      leechers: number;
      seeders: number;
      peers: PeerAddress[];
    }
  | { action: "scrape"; transactionId: number; files: UdpScrapeCounts[] }
  | { action: "error"; transactionId: number; message: string };

/** Decodes a tracker's reply; `family` is the socket's (BEP 15: it decides the peer stride). */
export function decodeUdpResponse(packet: Buffer, family: IpFamily): UdpResponse | undefined {
  if (packet.length < 8) return undefined;
  const action = packet.readUInt32BE(0);
  const transactionId = packet.readUInt32BE(4);
  switch (action) {
    case UdpAction.CONNECT:
      if (packet.length < 16) return undefined;
      return {
        action: "connect",
        transactionId,
        connectionId: Buffer.from(packet.subarray(8, 16)),
      };
    case UdpAction.ANNOUNCE:
      if (packet.length < 20) return undefined;
      return {
        action: "announce",
        transactionId,
        interval: packet.readUInt32BE(8),
        leechers: packet.readUInt32BE(12),
        seeders: packet.readUInt32BE(16),
        peers: decodeCompactPeers(packet.subarray(20), family),
      };
    case UdpAction.SCRAPE: {
      const files: UdpScrapeCounts[] = [];
      for (let off = 8; off + 12 <= packet.length; off += 12) {
        files.push({
          seeders: packet.readUInt32BE(off),
          completed: packet.readUInt32BE(off + 4),
          leechers: packet.readUInt32BE(off + 8),
        });
      }
      return { action: "scrape", transactionId, files };
    }
    case UdpAction.ERROR:
      return { action: "error", transactionId, message: packet.subarray(8).toString("utf8") };
    default:
      return undefined;
  }
}
