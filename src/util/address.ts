/**
 * IP addresses and endpoints as text and as the network-order bytes
 * BitTorrent carries them in (BEP 23 and BEP 7 compact peers, BEP 15
 * packets, BEP 10 `yourip`): the one parser and the one endpoint formatter
 * every module uses. Kept here, below every module that needs one
 * (tracker-proto, metainfo, net, tracker-server).
 */
import { isIPv6 } from "node:net";

export type IpFamily = 4 | 6;

/**
 * A dotted quad as four latin1 characters, one per byte (the form the
 * tracker's hot paths key peers by); undefined unless it is exactly four
 * decimal parts of 0-255 without leading zeros (which some stacks read as
 * octal). One pass, no split, no Buffer.
 */
export function ipv4Latin1(text: string): string | undefined {
  let out = "";
  let v = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || v > 255) return undefined;
      out += String.fromCharCode(v);
      v = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3 && (digits === 0 || v !== 0)) {
      v = v * 10 + c - 0x30;
      digits++;
    } else return undefined;
  }
  return out.length === 4 ? out : undefined;
}

/** A dotted quad as its 4 bytes (see ipv4Latin1 for what is accepted). */
export function parseIPv4(text: string): Buffer | undefined {
  const chars = ipv4Latin1(text);
  return chars === undefined ? undefined : Buffer.from(chars, "latin1");
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

/**
 * An address as its family and raw bytes. IPv4-mapped IPv6 (::ffff:a.b.c.d,
 * what dual-stack sockets report for IPv4 clients) becomes the IPv4 address.
 */
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

/** `host:port`, with an IPv6 address in brackets (`[::1]:6881`), as URLs and people write it. */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
