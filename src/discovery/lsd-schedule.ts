/**
 * When each torrent is announced on the LAN (BEP 14, "Usage"): "every 5
 * minutes" while we take part in the swarm, and "no more than 1 announce
 * per minute" so a LAN full of clients makes no multicast storm. A round
 * sends every torrent due, several info hashes to a datagram, so one round
 * a minute covers any number of torrents.
 *
 * The one exception is a torrent's first announce: a torrent just added
 * is announced within LSD_FIRST_ROUND_GAP_MS rather than waiting out the
 * minute, as the peers already on the LAN learn of us only through it.
 * Still no torrent goes out twice within a minute, even when it is removed
 * and added again. Pure: the caller passes the time.
 */

/** BEP 14: a torrent is announced again every 5 minutes. */
export const LSD_REANNOUNCE_MS = 5 * 60_000;
/** BEP 14: at most one round of announces a minute, and no torrent twice in a minute. */
export const LSD_MIN_ROUND_GAP_MS = 60_000;
/** A round carrying a torrent's first announce may follow the last one this soon. */
export const LSD_FIRST_ROUND_GAP_MS = 1_000;
/** A round takes along torrents that would fall due this soon after it (fewer rounds). */
const PULL_FORWARD_MS = LSD_MIN_ROUND_GAP_MS;

interface Entry {
  /** Clock time it is next announced at (or after). */
  due: number;
  /** Never announced yet: its round may come sooner. */
  first: boolean;
}

export class LsdSchedule {
  readonly #entries = new Map<string, Entry>();
  /** When each key was last announced (kept a minute after its removal). */
  readonly #lastSent = new Map<string, number>();
  #lastRound = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Starts announcing `key`: first soon, unless it was announced within the minute. */
  add(key: string, now: number): void {
    if (this.#entries.has(key)) return;
    const last = this.#lastSent.get(key);
    if (last !== undefined && now - last < LSD_MIN_ROUND_GAP_MS) {
      this.#entries.set(key, { due: last + LSD_MIN_ROUND_GAP_MS, first: false });
    } else {
      this.#entries.set(key, { due: now, first: true });
    }
  }

  remove(key: string): void {
    this.#entries.delete(key);
  }

  /** The earliest time the next round may go (undefined: nothing to announce). */
  nextRoundAt(): number | undefined {
    let next: number | undefined;
    for (const e of this.#entries.values()) {
      const gap = e.first ? LSD_FIRST_ROUND_GAP_MS : LSD_MIN_ROUND_GAP_MS;
      const at = Math.max(e.due, this.#lastRound + gap);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** The keys to announce now (empty: no round is allowed yet), marked as sent. */
  takeRound(now: number): string[] {
    const at = this.nextRoundAt();
    if (at === undefined || at > now) return [];
    const out: string[] = [];
    for (const [key, e] of this.#entries) {
      if (e.due > now + PULL_FORWARD_MS) continue;
      const last = this.#lastSent.get(key);
      if (last !== undefined && now - last < LSD_MIN_ROUND_GAP_MS) continue;
      out.push(key);
      e.due = now + LSD_REANNOUNCE_MS;
      e.first = false;
      this.#lastSent.set(key, now);
    }
    this.#lastRound = now;
    for (const [key, t] of this.#lastSent) {
      if (now - t >= LSD_MIN_ROUND_GAP_MS && !this.#entries.has(key)) this.#lastSent.delete(key);
    }
    return out;
  }
}
