/**
 * SipHash-2-4 (Aumasson & Bernstein), a keyed 64-bit MAC for short inputs, in
 * 32-bit halves. UDP connection ids are MACs of the client's address, and
 * node:crypto's HMAC costs ~16 µs per call (key setup on every call), more
 * than the rest of an announce; this costs well under a microsecond.
 */

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

/**
 * The 64-bit result as [hi, lo] words; written into `out` (reused to avoid
 * allocation).
 *
 * Written for V8: the state lives in sixteen local int32 variables (registers
 * in optimised code; module-level state would be a heap slot per access, and a
 * uint32 above 2^31 there a boxed number), and one loop body holds the round,
 * run 2 times per 8-byte block and 4 times to finish. A 64-bit add is two
 * 32-bit adds and a carry, found by comparing as unsigned (`>>> 0`).
 */
export function sipHash24(
  key: SipKey,
  msg: Uint8Array,
  len: number = msg.length,
  out: Uint32Array = new Uint32Array(2),
): Uint32Array {
  let v0h = key.k0h ^ 0x736f6d65;
  let v0l = key.k0l ^ 0x70736575;
  let v1h = key.k1h ^ 0x646f7261;
  let v1l = key.k1l ^ 0x6e646f6d;
  let v2h = key.k0h ^ 0x6c796765;
  let v2l = key.k0l ^ 0x6e657261;
  let v3h = key.k1h ^ 0x74656462;
  let v3l = key.k1l ^ 0x79746573;
  // Blocks: the whole 8-byte words, then the last one (the remaining bytes,
  // with the length's low byte in its top byte).
  const blocks = (len >>> 3) + 1;
  const compressionRounds = 2 * blocks;
  let mh = 0;
  let ml = 0;
  let lo = 0;
  let hi = 0;
  for (let round = 0; round < compressionRounds + 4; round++) {
    if (round < compressionRounds && (round & 1) === 0) {
      const i = round << 2; // block (round / 2) starts at byte 8 * (round / 2)
      if (i + 8 <= len) {
        ml = msg[i]! | (msg[i + 1]! << 8) | (msg[i + 2]! << 16) | (msg[i + 3]! << 24);
        mh = msg[i + 4]! | (msg[i + 5]! << 8) | (msg[i + 6]! << 16) | (msg[i + 7]! << 24);
      } else {
        ml = 0;
        mh = (len & 0xff) << 24;
        for (let j = i; j < len; j++) {
          const shift = (j - i) << 3;
          if (shift < 32) ml |= msg[j]! << shift;
          else mh |= msg[j]! << (shift - 32);
        }
      }
      v3h ^= mh;
      v3l ^= ml;
    }
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    lo = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (lo >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = lo;
    hi = (v1h << 13) | (v1l >>> 19);
    lo = (v1l << 13) | (v1h >>> 19);
    v1h = hi ^ v0h;
    v1l = lo ^ v0l;
    hi = v0h;
    v0h = v0l;
    v0l = hi;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    lo = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (lo >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = lo;
    hi = (v3h << 16) | (v3l >>> 16);
    lo = (v3l << 16) | (v3h >>> 16);
    v3h = hi ^ v2h;
    v3l = lo ^ v2l;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    lo = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (lo >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = lo;
    hi = (v3h << 21) | (v3l >>> 11);
    lo = (v3l << 21) | (v3h >>> 11);
    v3h = hi ^ v0h;
    v3l = lo ^ v0l;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    lo = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (lo >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = lo;
    hi = (v1h << 17) | (v1l >>> 15);
    lo = (v1l << 17) | (v1h >>> 15);
    v1h = hi ^ v2h;
    v1l = lo ^ v2l;
    hi = v2h;
    v2h = v2l;
    v2l = hi;
    if (round < compressionRounds && (round & 1) === 1) {
      v0h ^= mh;
      v0l ^= ml;
      if (round === compressionRounds - 1) v2l ^= 0xff; // finalisation begins
    }
  }
  out[0] = v0h ^ v1h ^ v2h ^ v3h;
  out[1] = v0l ^ v1l ^ v2l ^ v3l;
  return out;
}
