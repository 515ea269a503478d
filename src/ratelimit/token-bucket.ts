/**
 * A token bucket: `rate` bytes per second, holding at most `burst` bytes of
 * credit, so a limit holds over any window longer than burst / rate. A rate
 * of 0 or Infinity means unlimited. Pure: time comes from the Clock.
 */
import type { Clock } from "../util/index.ts";

export class TokenBucket {
  readonly #clock: Clock;
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;

  constructor(clock: Clock, rate: number, burst?: number) {
    this.#clock = clock;
    this.#rate = normalise(rate);
    this.#burst = burst ?? defaultBurst(this.#rate);
    this.#tokens = this.#burst;
    this.#last = clock.now();
  }

  get rate(): number {
    return this.#rate;
  }

  get unlimited(): boolean {
    return this.#rate === Number.POSITIVE_INFINITY;
  }

  /** Changes the rate live (shell `limit`, API); credit is kept within the new burst. */
  setRate(rate: number, burst?: number): void {
    this.#refill();
    this.#rate = normalise(rate);
    this.#burst = burst ?? defaultBurst(this.#rate);
    this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  /** Bytes that may be sent now. */
  available(): number {
    if (this.unlimited) return Number.POSITIVE_INFINITY;
    this.#refill();
    return Math.max(0, Math.floor(this.#tokens));
  }

  /** Takes up to `bytes`; returns how many were granted (all of them when unlimited). */
  take(bytes: number): number {
    if (this.unlimited) return bytes;
    this.#refill();
    const granted = Math.max(0, Math.min(bytes, Math.floor(this.#tokens)));
    this.#tokens -= granted;
    return granted;
  }

  /** Takes `bytes` even past zero (a message already on its way); later takes wait it out. */
  consume(bytes: number): void {
    if (this.unlimited) return;
    this.#refill();
    this.#tokens -= bytes;
  }

  /** Milliseconds until `bytes` can be taken in full (0 if now). */
  delayFor(bytes: number): number {
    if (this.unlimited) return 0;
    this.#refill();
    const missing = Math.min(bytes, this.#burst) - this.#tokens;
    return missing <= 0 ? 0 : Math.ceil((missing / this.#rate) * 1000);
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = (now - this.#last) / 1000;
    this.#last = now;
    if (elapsed > 0) this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
  }
}

function normalise(rate: number): number {
  return rate > 0 && Number.isFinite(rate) ? rate : Number.POSITIVE_INFINITY;
}

/** A quarter second of traffic, but at least one 16 KiB block plus its header. */
function defaultBurst(rate: number): number {
  return Number.isFinite(rate) ? Math.max(rate / 4, 16 * 1024 + 13) : Number.POSITIVE_INFINITY;
}
