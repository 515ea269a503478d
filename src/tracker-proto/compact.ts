/**
 * Compact peer lists: BEP 23 (IPv4, 6 bytes per peer: address then port, big
 * endian) and BEP 7 (IPv6, 18 bytes per peer). IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d), which dual-stack sockets report for IPv4 clients, are
 * treated as the IPv4 address they carry. The IP text ↔ bytes helpers are
 * util's (address.ts), re-exported here as part of this module's codec API.
 */
import { formatIPv4, formatIPv6, type IpFamily, normalizeIp } from "../util/index.ts";
import type { PeerAddress } from "./types.ts";

export {
  formatIPv4,
  formatIPv6,
  type IpFamily,
  normalizeIp,
  parseIPv4,
  parseIPv6,
} from "../util/index.ts";

/** Bytes per compact entry for each family (BEP 23 / BEP 7). */
export const COMPACT_PEER_LENGTH = { 4: 6, 6: 18 } as const;

/** One compact entry (6 bytes for IPv4, 18 for IPv6); undefined for a bad address or port. */
export function encodeCompactPeer(ip: string, port: number): Buffer | undefined {
  const addr = normalizeIp(ip);
  if (!addr || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  const out = Buffer.allocUnsafe(addr.bytes.length + 2);
  addr.bytes.copy(out, 0);
  out.writeUInt16BE(port, addr.bytes.length);
  return out;
}

/** A compact list of one family; peers of the other family or with bad addresses are left out. */
export function encodeCompactPeers(peers: readonly PeerAddress[], family: IpFamily): Buffer {
  const parts: Buffer[] = [];
  for (const p of peers) {
    const entry = encodeCompactPeer(p.ip, p.port);
    if (entry && entry.length === COMPACT_PEER_LENGTH[family]) parts.push(entry);
  }
  return Buffer.concat(parts);
}

/** Decodes a compact list; a trailing partial entry is ignored (as libtorrent does). */
export function decodeCompactPeers(bytes: Uint8Array, family: IpFamily): PeerAddress[] {
  const stride = COMPACT_PEER_LENGTH[family];
  const out: PeerAddress[] = [];
  for (let off = 0; off + stride <= bytes.length; off += stride) {
    const ip = family === 4 ? formatIPv4(bytes, off) : formatIPv6(bytes, off);
    out.push({ ip, port: (bytes[off + stride - 2]! << 8) | bytes[off + stride - 1]! });
  }
  return out;
}
