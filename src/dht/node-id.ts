/**
 * Node ids (BEP 5): 160-bit numbers in the same space as info hashes; the
 * distance between two is their XOR read as an unsigned integer. BEP 42
 * ties a node's id to its IP address, so that one host cannot pick ids
 * next to a target it wants to eclipse.
 */
import { normalizeIp } from "../util/index.ts";

export const NODE_ID_LENGTH = 20;

/** A 20-byte node id (or info hash, or lookup target): the same space. */
export type NodeId = Buffer;

/** Negative when `a` is closer to `target` than `b`, 0 when equally close. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < NODE_ID_LENGTH; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/** How many leading bits `a` and `b` share (160 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < NODE_ID_LENGTH; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return NODE_ID_LENGTH * 8;
}

/** The XOR distance itself, for tests and diagnostics. */
export function distance(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(NODE_ID_LENGTH);
  for (let i = 0; i < NODE_ID_LENGTH; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * An id that shares exactly `prefixBits` leading bits with `base` and then
 * differs (a target inside bucket `prefixBits` of a table centred on
 * `base`), the rest from `randomBytes`. Used for bucket refresh (BEP 5).
 */
export function idInBucket(base: Uint8Array, prefixBits: number, random: Buffer): NodeId {
  const out = Buffer.from(random.subarray(0, NODE_ID_LENGTH));
  if (prefixBits >= NODE_ID_LENGTH * 8) return Buffer.from(base.subarray(0, NODE_ID_LENGTH));
  const whole = prefixBits >> 3;
  for (let i = 0; i < whole; i++) out[i] = base[i]!;
  const bit = prefixBits & 7;
  const keep = (0xff00 >> bit) & 0xff; // the prefix bits of this byte
  const flip = 0x80 >> bit; // the first differing bit
  out[whole] =
    (base[whole]! & keep) | (~base[whole]! & flip) | (out[whole]! & ~(keep | flip) & 0xff);
  return out;
}

// --- BEP 42 ---------------------------------------------------------------

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum BEP 42 specifies; node:zlib has only CRC-32. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/** BEP 42's crc32c over the masked address with `r` (0–7) in the top bits. */
function addressCrc(ip: Buffer, r: number): number {
  const mask = ip.length === 4 ? V4_MASK : V6_MASK;
  const masked = Buffer.alloc(mask.length);
  for (let i = 0; i < mask.length; i++) masked[i] = ip[i]! & mask[i]!;
  masked[0]! |= (r & 7) << 5;
  return crc32c(masked);
}

/**
 * BEP 42: addresses that are exempt from the id rule (loopback, private and
 * link-local ranges), where every id is accepted: a LAN or a test bed.
 */
export function isLocalAddress(ip: string): boolean {
  const parsed = normalizeIp(ip);
  if (!parsed) return false;
  const b = parsed.bytes;
  if (parsed.family === 4) {
    return (
      b[0] === 10 ||
      b[0] === 127 ||
      (b[0] === 172 && (b[1]! & 0xf0) === 16) ||
      (b[0] === 192 && b[1] === 168) ||
      (b[0] === 169 && b[1] === 254)
    );
  }
  const loopback = b.subarray(0, 15).every((x) => x === 0) && b[15] === 1;
  return loopback || (b[0]! & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80);
}

/**
 * A BEP 42 id for a node reachable at `ip`: the first 21 bits from the
 * crc32c of the masked address, the last byte the random `r` it was made with.
 */
export function nodeIdForAddress(ip: string, random: Buffer): NodeId {
  const parsed = normalizeIp(ip);
  const out = Buffer.from(random.subarray(0, NODE_ID_LENGTH));
  if (!parsed) return out;
  const r = out[19]!;
  const crc = addressCrc(parsed.bytes, r);
  out[0] = (crc >>> 24) & 0xff;
  out[1] = (crc >>> 16) & 0xff;
  out[2] = ((crc >>> 8) & 0xf8) | (out[2]! & 0x07);
  return out;
}

/** BEP 42: whether `id` is one a node at `ip` may have (always true for local addresses). */
export function nodeIdMatchesAddress(id: Uint8Array, ip: string): boolean {
  if (isLocalAddress(ip)) return true;
  const parsed = normalizeIp(ip);
  if (!parsed || id.length !== NODE_ID_LENGTH) return false;
  const crc = addressCrc(parsed.bytes, id[19]!);
  return (
    id[0] === ((crc >>> 24) & 0xff) &&
    id[1] === ((crc >>> 16) & 0xff) &&
    (id[2]! & 0xf8) === ((crc >>> 8) & 0xf8)
  );
}
