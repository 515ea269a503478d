/** What one timed load run against one tracker measured. */
import type { LatencyRecorder } from "./stats.ts";

export interface LoadResult {
  /** Announces answered with a valid announce reply. */
  ok: number;
  /** Announces answered with an error, or with a reply that is not an announce reply. */
  errors: number;
  /** Announces with no answer in time (or a connection that failed). */
  timeouts: number;
  /** Wall time of the run, in ms. */
  elapsedMs: number;
  /** One latency per answered announce, in ms. */
  latency: LatencyRecorder;
  /** The next sequence number: announces issued so far, across runs. */
  nextSeq: number;
  /** The first error seen, to explain a failing target. */
  firstError?: string;
}

export interface LoadOptions {
  port: number;
  concurrency: number;
  /** Stop issuing announces after this long (in-flight ones are awaited briefly). */
  durationMs: number;
  /** Also stop once this many announces have been issued (for the fill phase). */
  maxAnnounces?: number;
  /** Sequence number of the first announce (continues an earlier run). */
  startSeq: number;
  /** Per-announce timeout, in ms. */
  timeoutMs: number;
  /** Where to record latencies (to pool several runs); a new recorder when absent. */
  latency?: LatencyRecorder;
}
