/** A source of random integers, passed in so tests and simulations are deterministic. */
export interface Random {
  /** A uniformly distributed integer in [0, n). */
  below(n: number): number;
}

/** Math.random: peer-list sampling needs speed, not secrecy. */
export const mathRandom: Random = {
  below: (n) => Math.floor(Math.random() * n),
};

/** A seeded generator (mulberry32) for deterministic tests. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    below(n) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    },
  };
}
