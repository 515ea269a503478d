/**
 * Transfer rate over a sliding window of one-second buckets: what the choker
 * ranks peers by, what the request pipeline sizes itself from, and what the
 * console shows. Driven by the caller's clock.
 */
import type { Clock } from "../util/index.ts";

export class RateMeter {
  readonly #clock: Clock;
  readonly #buckets: Float64Array;
  #second: number;
  #total = 0;

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
    this.#advance();
    this.#buckets[this.#second % this.#buckets.length]! += bytes;
    this.#total += bytes;
  }

  /** Bytes per second over the window (the current, partial second included). */
  rate(): number {
    this.#advance();
    const now = this.#clock.now() / 1000;
    const elapsedInCurrent = now - Math.floor(now);
    const span = this.#buckets.length - 1 + elapsedInCurrent;
    let sum = 0;
    for (const b of this.#buckets) sum += b;
    return span > 0 ? sum / span : 0;
  }

  #advance(): void {
    const second = Math.floor(this.#clock.now() / 1000);
    const steps = Math.min(second - this.#second, this.#buckets.length);
    for (let i = 1; i <= steps; i++) this.#buckets[(this.#second + i) % this.#buckets.length] = 0;
    this.#second = Math.max(this.#second, second);
  }
}
