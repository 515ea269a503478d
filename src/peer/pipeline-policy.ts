/**
 * How deep to pipeline requests and how long to wait for them, from the
 * peer's measured download rate.
 */
import { BLOCK_LENGTH } from "../util/index.ts";

/**
 * About `seconds` of blocks at `rate`, at least 2 (so a request is always in
 * flight while the last one is served), at most min(max, their reqq).
 */
export function pipelineDepth(rate: number, seconds: number, max: number, reqq?: number): number {
  const cap = Math.max(1, Math.min(max, reqq ?? Number.POSITIVE_INFINITY));
  const want = Math.round((rate * seconds) / BLOCK_LENGTH);
  return Math.min(cap, Math.max(2, want));
}

/**
 * The configured timeout, shortened for a fast peer: three times what the
 * outstanding bytes should take at its rate plus 2 s, but never under `min`.
 */
export function requestTimeout(
  rate: number,
  outstandingBytes: number,
  min: number,
  max: number,
): number {
  if (rate <= 0) return max;
  const expected = (outstandingBytes / rate) * 1000;
  return Math.min(max, Math.max(min, 3 * expected + 2_000));
}

/** The shortest horizon under a download limit: on loopback or a LAN it keeps up with the limit. */
const MIN_HORIZON_SECONDS = 0.02;
/** A horizon is shortened at most this often while the limit pauses our reading… */
const SHRINK_EVERY_MS = 50;
/** …and doubled after this long without such a pause. */
const GROW_AFTER_MS = 250;

/**
 * How many seconds of blocks to keep requested from a peer. Without a
 * download limit, `full` (the settings' pipelineSeconds): enough for any
 * path's latency. Under a limit that binds, more is worse than useless: the
 * peer sends what we asked for at once, it waits in our socket's receive
 * buffer for the limit to let us read it, and a crash loses all of it (issue
 * 13, item 9: a 1 s pipeline at 20 MB/s lost 4 MiB per kill -9, 19% of a
 * 200 MiB download over ten kills). So under a limit the horizon starts
 * short, shrinks by a quarter at most every SHRINK_EVERY_MS while the limit
 * pauses our reading, and doubles after GROW_AFTER_MS without a pause (the
 * pipeline, not the limit, held us back: a long path needs more in flight),
 * up to `full`. It settles near the shortest horizon that keeps the limit
 * busy, whatever the path's latency, without measuring it.
 */
export class PipelineHorizon {
  readonly #full: number;
  #seconds: number;
  #lastPause = Number.NEGATIVE_INFINITY;
  #lastChange: number;

  constructor(full: number, limited: boolean, now: number) {
    this.#full = full;
    this.#seconds = limited ? Math.min(full, MIN_HORIZON_SECONDS) : full;
    this.#lastChange = now;
  }

  /** The download limit has just paused our reading. */
  limited(now: number): void {
    this.#lastPause = now;
    if (now - this.#lastChange < SHRINK_EVERY_MS || this.#seconds <= MIN_HORIZON_SECONDS) return;
    this.#seconds = Math.max(MIN_HORIZON_SECONDS, this.#seconds * 0.75);
    this.#lastChange = now;
  }

  /** Seconds of blocks to keep requested now. */
  seconds(now: number): number {
    if (
      this.#seconds < this.#full &&
      now - this.#lastPause >= GROW_AFTER_MS &&
      now - this.#lastChange >= GROW_AFTER_MS
    ) {
      this.#seconds = Math.min(this.#full, this.#seconds * 2);
      this.#lastChange = now;
    }
    return this.#seconds;
  }
}
