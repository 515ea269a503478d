/**
 * Transfer rate over a sliding window of one-second buckets: what the choker
 * ranks peers by, what the request pipeline sizes itself from, and what the
 * console shows. Driven by the caller's clock.
 *
 * rate() is asked on every block received (the pipeline's depth), so it
 * reads the clock once and keeps the window's sum as it goes instead of
 * adding the buckets up each time (bytes are whole numbers: the sum is exact).
 */
import type { Clock } from "../util/index.ts";

export class RateMeter {
  readonly #clock: Clock;
  readonly #buckets: Float64Array;
  #second: number;
  #total = 0;
  /** The buckets' sum. */
  #sum = 0;

  /** `windowSeconds`: how far back the rate looks. */
  constructor(clock: Clock, windowSeconds = 5) {
    this.#clock = clock;
    this.#buckets = new Float64Array(windowSeconds);
    this.#second = Math.floor(clock.now() / 1000);
  }

  /** Bytes moved since the meter was made. */
  get total(): number {
    return this.#total;
  }

  add(bytes: number): void {
    this.#advance(Math.floor(this.#clock.now() / 1000));
    this.#buckets[this.#second % this.#buckets.length]! += bytes;
    this.#sum += bytes;
    this.#total += bytes;
  }

  /** Bytes per second over the window (the current, partial second included). */
  rate(): number {
    const now = this.#clock.now() / 1000;
    const second = Math.floor(now);
    this.#advance(second);
    const span = this.#buckets.length - 1 + (now - second);
    return span > 0 ? this.#sum / span : 0;
  }

  #advance(second: number): void {
    if (second <= this.#second) return;
    const n = this.#buckets.length;
    const steps = Math.min(second - this.#second, n);
    if (steps === n) {
      this.#buckets.fill(0);
      this.#sum = 0;
    }
    for (let i = 1; i <= steps && this.#sum !== 0; i++) {
      const at = (this.#second + i) % n;
      this.#sum -= this.#buckets[at]!;
      this.#buckets[at] = 0;
    }
    this.#second = second;
  }
}
