/**
 * Shares one rate among several consumers fairly (max-min fairness, "water
 * filling"): each gets an equal share; a consumer that used less than its
 * share keeps what it used (plus headroom to grow), and what it leaves is
 * split among the rest. So with U_max shared by n torrents, each gets
 * U_max / n, and what one leaves unused goes to the others.
 */

export interface ShareDemand {
  /** Bytes/s the consumer moved over the last period. */
  used: number;
  /** Its own cap (a per-torrent limit), or Infinity. */
  cap: number;
}

/** Room given on top of what a satisfied consumer used, so it can grow. */
export const GROWTH = 1.25;
/** The least any consumer is given, so an idle one can start (one block a second). */
export const MIN_SHARE = 16 * 1024;

/** Rates (bytes/s) for each consumer, in order; their sum never exceeds `total`. */
export function fairShares(total: number, demands: readonly ShareDemand[]): number[] {
  const n = demands.length;
  const out = new Array<number>(n).fill(0);
  if (n === 0) return out;
  if (!Number.isFinite(total)) return demands.map((d) => d.cap);
  let budget = total;
  let open = demands.map((_, i) => i);
  // Repeatedly settle the consumers that want less than an equal share.
  for (;;) {
    const share = budget / open.length;
    const settled = open.filter((i) => {
      const d = demands[i]!;
      const want = Math.min(d.cap, Math.max(MIN_SHARE, d.used * GROWTH));
      return want < share;
    });
    if (settled.length === 0 || settled.length === open.length) {
      for (const i of open) {
        const d = demands[i]!;
        out[i] =
          settled.length === open.length
            ? Math.min(d.cap, Math.max(MIN_SHARE, d.used * GROWTH))
            : Math.min(d.cap, share);
      }
      // Everyone satisfied: hand out what is left, so nobody is held back
      // while there is room (the caps still apply).
      if (settled.length === open.length) spread(out, demands, open, total);
      return out;
    }
    for (const i of settled) {
      const d = demands[i]!;
      out[i] = Math.min(d.cap, Math.max(MIN_SHARE, d.used * GROWTH));
      budget -= out[i]!;
    }
    const settledSet = new Set(settled);
    open = open.filter((i) => !settledSet.has(i));
  }
}

/** Splits the unallocated rest equally over `among`, within their caps. */
function spread(
  out: number[],
  demands: readonly ShareDemand[],
  among: number[],
  total: number,
): void {
  const used = out.reduce((s, x) => s + x, 0);
  const rest = Math.max(0, total - used);
  if (rest === 0) return;
  for (const i of among) out[i] = Math.min(demands[i]!.cap, out[i]! + rest / among.length);
}
