/**
 * BitTorrent's byte counters (`uploaded`, `downloaded`, `left`) are 64-bit:
 * BEP 15 sends them as unsigned 64-bit integers and BEP 3 as decimal text of
 * any length. One decision for all of them, taken where they are decoded: they
 * are held as numbers clamped to MAX_COUNTER (2^53 − 1 bytes, 8 PiB), the
 * largest integer a number holds exactly. No torrent is that large, a tracker
 * needs `left` only to tell seeders (0) from leechers, and a clamped value
 * keeps that; every value past the decoder is a safe integer, so nothing
 * downstream (SQLite, JSON, arithmetic) meets one that it cannot represent.
 * Bigints would carry the exact value nobody needs through every hot path.
 */

/** The largest counter value held: Number.MAX_SAFE_INTEGER. */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

/** The high 32-bit word above which a 64-bit value exceeds MAX_COUNTER. */
const MAX_HIGH_WORD = 0x1f_ffff;

/** An unsigned 64-bit value from its two 32-bit words, clamped to MAX_COUNTER. */
export function counterFromWords(high: number, low: number): number {
  return high > MAX_HIGH_WORD ? MAX_COUNTER : high * 0x1_0000_0000 + low;
}

/**
 * A counter from storage or a decoded document (number or bigint), clamped to
 * [min, MAX_COUNTER]; undefined when it is not an integer at all.
 */
export function clampCounter(value: unknown, min = 0): number | undefined {
  if (typeof value === "bigint") {
    if (value > BigInt(MAX_COUNTER)) return MAX_COUNTER;
    if (value < BigInt(min)) return min;
    return Number(value);
  }
  if (typeof value !== "number" || !Number.isInteger(value)) return undefined;
  return value > MAX_COUNTER ? MAX_COUNTER : value < min ? min : value;
}
