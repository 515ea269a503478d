/**
 * IP addresses as the compact bytes BitTorrent carries them in (BEP 10
 * `yourip`, BEP 23 compact peers): 4 bytes for IPv4, 16 for IPv6, network order.
 * The parsing is util's (address.ts), the one address parser.
 */
import { normalizeIp } from "../util/index.ts";

/** The compact form of `ip`; an IPv4-mapped IPv6 address gives its 4 IPv4 bytes. */
export function compactAddress(ip: string | undefined): Buffer | undefined {
  return ip ? normalizeIp(ip)?.bytes : undefined;
}

/** Reads a 4- or 16-byte compact address back to text; undefined for other lengths. */
export function addressFromCompact(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}
