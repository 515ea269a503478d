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
