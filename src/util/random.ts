/**
 * Random sources as arguments. The engine's algorithms (piece picker, choker,
 * upload slots, announcer) take a `RandomSource`; Math.random is the default,
 * and a seeded one makes a simulation repeat byte for byte.
 */

/** A uniformly distributed number in [0, 1), as Math.random. */
export type RandomSource = () => number;

/**
 * A seeded generator (SplitMix32: a Weyl sequence through a 32-bit mixer).
 * Not for secrets: for simulations and tests that must repeat exactly.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/** `n` bytes drawn from a random source (peer ids, tracker keys in a simulation). */
export function randomBytesFrom(random: RandomSource): (n: number) => Buffer {
  return (n) => {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
    return out;
  };
}
