/**
 * Compact peer lists: BEP 23 (IPv4, 6 bytes per peer: address then port, big
 * endian) and BEP 7 (IPv6, 18 bytes per peer), plus the IP text ↔ bytes helpers
 * both need. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), which dual-stack
 * sockets report for IPv4 clients, are treated as the IPv4 address they carry.
 */
import { isIPv6 } from "node:net";
import type { PeerAddress } from "./types.ts";

export type IpFamily = 4 | 6;

/** Bytes per compact entry for each family (BEP 23 / BEP 7). */
export const COMPACT_PEER_LENGTH = { 4: 6, 6: 18 } as const;

/** Parses a dotted quad (no leading zeros, which some stacks read as octal). */
export function parseIPv4(text: string): Buffer | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === "0")) return undefined;
    let v = 0;
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j) - 48;
      if (c < 0 || c > 9) return undefined;
      v = v * 10 + c;
    }
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/** Parses an IPv6 address in any RFC 4291 text form (`::`, embedded IPv4); no zone ids. */
export function parseIPv6(text: string): Buffer | undefined {
  if (!isIPv6(text) || text.includes("%")) return undefined;
  const out = Buffer.alloc(16);
  let head = text;
  let tail4: Buffer | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) >= 0) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(":") : [];
  const groups = [
    ...left,
    ...new Array<string>(8 - left.length - right.length).fill("0"),
    ...right,
  ];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i]!, 16), i * 2);
  if (tail4) tail4.copy(out, 12);
  return out;
}

export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 form: lower case, the longest run of zero groups (two or more) as `::`. */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++)
    groups.push((bytes[offset + i * 2]! << 8) | bytes[offset + i * 2 + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** An address as its family and raw bytes; IPv4-mapped IPv6 becomes IPv4. */
export function normalizeIp(text: string): { family: IpFamily; bytes: Buffer } | undefined {
  if (!text.includes(":")) {
    const v4 = parseIPv4(text);
    return v4 ? { family: 4, bytes: v4 } : undefined;
  }
  const v6 = parseIPv6(text);
  if (!v6) return undefined;
  if (isV4Mapped(v6)) return { family: 4, bytes: v6.subarray(12) };
  return { family: 6, bytes: v6 };
}

function isV4Mapped(b: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

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
