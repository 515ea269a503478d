/**
 * Failed publish-token guesses, counted per address, so that nobody can try
 * token after token: an address that failed `maxFailures` times within
 * `windowMs` is refused, whatever it sends, until its window ends. IPv6
 * addresses count per /64, the block one subscriber is given.
 *
 * The table is bounded: entries expire with their window, and when it is full
 * the oldest entry makes room (an attacker with many addresses can only push
 * out its own older entries and other old ones, never grow the table).
 */

export interface GuessThrottleOptions {
  maxFailures: number;
  windowMs: number;
  maxAddresses: number;
}

interface Failures {
  count: number;
  /** When the window opened (clock ms). */
  since: number;
}

export class GuessThrottle {
  readonly #opts: GuessThrottleOptions;
  /** In insertion order, so the first entry is the oldest window. */
  readonly #failures = new Map<string, Failures>();

  constructor(opts: GuessThrottleOptions) {
    this.#opts = opts;
  }

  /** The table key: IPv4 address, or the IPv6 /64 (raw bytes as latin1 chars). */
  static keyOf(family: 4 | 6, ip: string): string {
    return family === 6 ? ip.slice(0, 8) : ip;
  }

  get size(): number {
    return this.#failures.size;
  }

  /** Milliseconds the address must wait before it may try again; 0 when it may now. */
  waitMs(key: string, now: number): number {
    const f = this.#failures.get(key);
    if (!f) return 0;
    const end = f.since + this.#opts.windowMs;
    if (now >= end) {
      this.#failures.delete(key);
      return 0;
    }
    return f.count >= this.#opts.maxFailures ? end - now : 0;
  }

  /** Records a failed guess from the address. */
  failed(key: string, now: number): void {
    const f = this.#failures.get(key);
    if (f && now < f.since + this.#opts.windowMs) {
      f.count++;
      return;
    }
    this.#failures.delete(key);
    if (this.#failures.size >= this.#opts.maxAddresses) this.#makeRoom(now);
    this.#failures.set(key, { count: 1, since: now });
  }

  #makeRoom(now: number): void {
    // Expired windows go first; they are at the front, the oldest.
    for (const [key, f] of this.#failures) {
      if (now < f.since + this.#opts.windowMs) break;
      this.#failures.delete(key);
    }
    if (this.#failures.size >= this.#opts.maxAddresses) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }
}
