/**
 * Turns announces into a member's traffic. A client reports `uploaded` and
 * `downloaded` as totals since it started the torrent (BEP 3), so what a
 * member moved is the growth between two announces of the same peer; the
 * first announce of a peer only sets its baseline. A total that shrank
 * means the client restarted the torrent: it counts from zero again.
 * Reports are the member's word, so each step is capped at what
 * MAX_RATE could have moved since the previous announce (an inflated
 * report counts only that much, and is counted as inflated).
 */

/** Bytes per second a report may claim at most: 10 Gbit/s. */
export const MAX_RATE = 1.25e9;
/** Peers remembered at most (the oldest are forgotten; they start a new baseline). */
const MAX_PEERS = 1_000_000;

interface Baseline {
  uploaded: number;
  downloaded: number;
  at: number;
}

export interface TrafficStep {
  uploaded: number;
  downloaded: number;
  /** The report claimed more than MAX_RATE allows: capped. */
  inflated: boolean;
}

export class MemberTraffic {
  readonly #last = new Map<string, Baseline>();

  /**
   * The bytes to account for this announce of `peer` (member, info hash and
   * peer id in one key); `stopped` forgets the peer after counting.
   */
  step(
    peer: string,
    uploaded: number,
    downloaded: number,
    now: number,
    stopped: boolean,
  ): TrafficStep {
    const last = this.#last.get(peer);
    const out: TrafficStep = { uploaded: 0, downloaded: 0, inflated: false };
    if (last) {
      const cap = (Math.max(0, now - last.at) / 1000) * MAX_RATE;
      const up = uploaded >= last.uploaded ? uploaded - last.uploaded : uploaded;
      const down = downloaded >= last.downloaded ? downloaded - last.downloaded : downloaded;
      out.uploaded = Math.min(up, cap);
      out.downloaded = Math.min(down, cap);
      out.inflated = up > cap || down > cap;
      this.#last.delete(peer);
    }
    if (!stopped) {
      if (this.#last.size >= MAX_PEERS) {
        const oldest = this.#last.keys().next().value;
        if (oldest !== undefined) this.#last.delete(oldest);
      }
      // Re-inserted: the map's order is the order of last announces.
      this.#last.set(peer, { uploaded, downloaded, at: now });
    }
    return out;
  }
}
