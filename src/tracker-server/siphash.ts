/**
 * SipHash-2-4 (Aumasson & Bernstein), a keyed 64-bit MAC for short inputs, in
 * 32-bit halves. UDP connection ids are MACs of the client's address, and
 * node:crypto's HMAC costs ~16 µs per call (key setup on every call), more
 * than the rest of an announce; this costs well under a microsecond.
 */

// State words as [hi, lo] u32 pairs, kept in module-level variables so a call allocates nothing.
let v0h = 0;
let v0l = 0;
let v1h = 0;
let v1l = 0;
let v2h = 0;
let v2l = 0;
let v3h = 0;
let v3l = 0;

function sipRound(): void {
  let lo: number;
  let hi: number;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  lo = (v0l + v1l) >>> 0;
  v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  hi = ((v1h << 13) | (v1l >>> 19)) >>> 0;
  lo = ((v1l << 13) | (v1h >>> 19)) >>> 0;
  v1h = (hi ^ v0h) >>> 0;
  v1l = (lo ^ v0l) >>> 0;
  hi = v0h;
  v0h = v0l;
  v0l = hi;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  lo = (v2l + v3l) >>> 0;
  v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  hi = ((v3h << 16) | (v3l >>> 16)) >>> 0;
  lo = ((v3l << 16) | (v3h >>> 16)) >>> 0;
  v3h = (hi ^ v2h) >>> 0;
  v3l = (lo ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  lo = (v0l + v3l) >>> 0;
  v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  hi = ((v3h << 21) | (v3l >>> 11)) >>> 0;
  lo = ((v3l << 21) | (v3h >>> 11)) >>> 0;
  v3h = (hi ^ v0h) >>> 0;
  v3l = (lo ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  lo = (v2l + v1l) >>> 0;
  v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  hi = ((v1h << 17) | (v1l >>> 15)) >>> 0;
  lo = ((v1l << 17) | (v1h >>> 15)) >>> 0;
  v1h = (hi ^ v2h) >>> 0;
  v1l = (lo ^ v2l) >>> 0;
  hi = v2h;
  v2h = v2l;
  v2l = hi;
}

function compress(mh: number, ml: number): void {
  v3h = (v3h ^ mh) >>> 0;
  v3l = (v3l ^ ml) >>> 0;
  sipRound();
  sipRound();
  v0h = (v0h ^ mh) >>> 0;
  v0l = (v0l ^ ml) >>> 0;
}

/** A 128-bit SipHash key, pre-split into little-endian 32-bit words. */
export interface SipKey {
  k0h: number;
  k0l: number;
  k1h: number;
  k1l: number;
}

export function sipKey(key: Uint8Array): SipKey {
  if (key.length !== 16) throw new RangeError("a SipHash key is 16 bytes");
  const b = Buffer.from(key.buffer, key.byteOffset, 16);
  return {
    k0l: b.readUInt32LE(0),
    k0h: b.readUInt32LE(4),
    k1l: b.readUInt32LE(8),
    k1h: b.readUInt32LE(12),
  };
}

/** The 64-bit result as [hi, lo] words; written into `out` (reused to avoid allocation). */
export function sipHash24(
  key: SipKey,
  msg: Uint8Array,
  len: number = msg.length,
  out: Uint32Array = new Uint32Array(2),
): Uint32Array {
  v0h = (key.k0h ^ 0x736f6d65) >>> 0;
  v0l = (key.k0l ^ 0x70736575) >>> 0;
  v1h = (key.k1h ^ 0x646f7261) >>> 0;
  v1l = (key.k1l ^ 0x6e646f6d) >>> 0;
  v2h = (key.k0h ^ 0x6c796765) >>> 0;
  v2l = (key.k0l ^ 0x6e657261) >>> 0;
  v3h = (key.k1h ^ 0x74656462) >>> 0;
  v3l = (key.k1l ^ 0x79746573) >>> 0;
  const end = len - (len % 8);
  for (let i = 0; i < end; i += 8) {
    const ml = (msg[i]! | (msg[i + 1]! << 8) | (msg[i + 2]! << 16) | (msg[i + 3]! << 24)) >>> 0;
    const mh = (msg[i + 4]! | (msg[i + 5]! << 8) | (msg[i + 6]! << 16) | (msg[i + 7]! << 24)) >>> 0;
    compress(mh, ml);
  }
  // Last block: the remaining bytes, then the length's low byte in the top byte.
  let ml = 0;
  let mh = (len & 0xff) << 24;
  for (let i = end; i < len; i++) {
    const shift = (i - end) * 8;
    if (shift < 32) ml |= msg[i]! << shift;
    else mh |= msg[i]! << (shift - 32);
  }
  compress(mh >>> 0, ml >>> 0);
  v2l = (v2l ^ 0xff) >>> 0;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  out[0] = v0h ^ v1h ^ v2h ^ v3h;
  out[1] = v0l ^ v1l ^ v2l ^ v3l;
  return out;
}
