/**
 * Latency samples and percentiles for load generators. A run may complete
 * millions of requests, so beyond a fixed capacity samples are kept by
 * reservoir sampling (each request equally likely to be kept), which keeps
 * memory bounded and percentiles unbiased.
 */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  #count = 0;
  #seen = 0;
  #random: () => number;

  constructor(capacity = 1 << 20, random: () => number = Math.random) {
    this.#samples = new Float64Array(capacity);
    this.#random = random;
  }

  /** Records one latency, in milliseconds. */
  record(ms: number): void {
    this.#seen++;
    if (this.#count < this.#samples.length) {
      this.#samples[this.#count++] = ms;
      return;
    }
    const slot = Math.floor(this.#random() * this.#seen);
    if (slot < this.#samples.length) this.#samples[slot] = ms;
  }

  /** How many latencies were recorded (not only kept). */
  get seen(): number {
    return this.#seen;
  }

  /** Percentiles (0–100) of the kept samples, in milliseconds; NaN when empty. */
  percentiles(ps: number[]): number[] {
    const sorted = this.#samples.slice(0, this.#count).sort();
    return ps.map((p) => percentileOfSorted(sorted, p));
  }
}

/** Nearest-rank percentile of ascending data; NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] as number;
}

/** Median, least and greatest of some figures (the spread a benchmark reports). */
export function summarize(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}
