/**
 * IP addresses as the compact bytes BitTorrent carries them in (BEP 10
 * `yourip`, BEP 23 compact peers): 4 bytes for IPv4, 16 for IPv6, network order.
 */
import { isIPv4, isIPv6 } from "node:net";

/** The compact form of `ip`; an IPv4-mapped IPv6 address gives its 4 IPv4 bytes. */
export function compactAddress(ip: string | undefined): Buffer | undefined {
  if (!ip) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1]! : ip;
  if (isIPv4(v4)) return Buffer.from(v4.split(".").map(Number));
  if (!isIPv6(ip)) return undefined;
  const [head, tail] = ip.split("::") as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const left = groups(head);
  const right = groups(tail);
  // An embedded dotted quad (::1.2.3.4 forms) fills the last two groups.
  const last = right.length > 0 ? right : left;
  const quad = last.at(-1);
  if (quad?.includes(".")) {
    const b = quad.split(".").map(Number);
    last.splice(-1, 1, ((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16));
  }
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(fill).fill("0"), ...right];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(all[i] ?? "0", 16) || 0, i * 2);
  return out;
}

/** Reads a 4- or 16-byte compact address back to text; undefined for other lengths. */
export function addressFromCompact(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}
