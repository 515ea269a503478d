/**
 * What /metrics says about a shared swarm store: whether it answers, its
 * outages and their length, and the latency of its requests (a histogram,
 * Prometheus-style, so an operator sees the tail and not only the mean).
 */

/** Upper bounds (ms) of the latency histogram's buckets. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000] as const;

export class StoreStats {
  requests = 0;
  failures = 0;
  /** Times the store went from answering to not. */
  outages = 0;
  latencySumMs = 0;
  /** Requests at or under each bound of LATENCY_BUCKETS_MS (not cumulative; summed on output). */
  readonly latencyBuckets = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0);
  /** performance.now() when the current outage began, or -1 while the store answers. */
  downSince = -1;
  /** Total ms of finished outages. */
  downMs = 0;

  answered(ms: number): void {
    this.requests++;
    this.latencySumMs += ms;
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
      if (ms <= LATENCY_BUCKETS_MS[i]!) {
        this.latencyBuckets[i]!++;
        return;
      }
    }
  }

  failed(): void {
    this.requests++;
    this.failures++;
  }

  /** Not answering yet (connecting for the first time): down, but not an outage. */
  starting(now: number): void {
    if (this.downSince < 0) this.downSince = now;
  }

  down(now: number): void {
    if (this.downSince >= 0) return;
    this.downSince = now;
    this.outages++;
  }

  up(now: number): void {
    if (this.downSince < 0) return;
    this.downMs += now - this.downSince;
    this.downSince = -1;
  }

  get isUp(): boolean {
    return this.downSince < 0;
  }

  /** Prometheus text lines for these figures. */
  prometheus(now: number): string[] {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric("shoal_tracker_store_up", "gauge", "1 while the shared swarm store answers, else 0.", [
      ["", this.isUp ? 1 : 0],
    ]);
    metric(
      "shoal_tracker_store_outages_total",
      "counter",
      "Times the swarm store stopped answering.",
      [["", this.outages]],
    );
    const downMs = this.downMs + (this.downSince >= 0 ? now - this.downSince : 0);
    metric(
      "shoal_tracker_store_down_seconds_total",
      "counter",
      "Seconds the swarm store was unreachable.",
      [["", Math.round(downMs) / 1000]],
    );
    metric("shoal_tracker_store_failures_total", "counter", "Swarm store requests that failed.", [
      ["", this.failures],
    ]);
    const buckets: [string, number][] = [];
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
      cumulative += this.latencyBuckets[i]!;
      buckets.push([`_bucket{le="${LATENCY_BUCKETS_MS[i]! / 1000}"}`, cumulative]);
    }
    const ok = this.requests - this.failures;
    buckets.push(['_bucket{le="+Inf"}', ok], ["_sum", this.latencySumMs / 1000], ["_count", ok]);
    metric(
      "shoal_tracker_store_request_seconds",
      "histogram",
      "Latency of answered swarm store requests.",
      buckets,
    );
    return lines;
  }
}
