/**
 * The swarms busiest first (seeders + leechers; published torrents without
 * peers count as empty swarms), for the operator views' pages. Only the top
 * RANKED are kept: a page starts at most at MAX_SWARM_OFFSET.
 *
 * Ranking reads every swarm, which a tracker may hold a million of, so it is
 * never done per request: a ranking is reused until the set of swarms
 * changes (or REFRESH_MS passes, as the order drifts), and a tracker with
 * more swarms than one CHUNK ranks them in chunks, one per turn of the event
 * loop and at most one pass per MIN_PASS_MS, serving the last finished
 * ranking meanwhile. Announces go on in between whatever the size.
 */
import type { TrackerContext } from "./context.ts";

/** The furthest a page of swarms may start, and the most swarms on one page. */
export const MAX_SWARM_OFFSET = 10_000;
export const MAX_SWARM_LIMIT = 500;
const RANKED = MAX_SWARM_OFFSET + MAX_SWARM_LIMIT;
/** Swarms read per turn. */
const CHUNK = 20_000;
/** A ranking no older than this is reused whatever changed, when ranking takes several turns. */
const MIN_PASS_MS = 1000;
/** A ranking older than this is redone even if no swarm came or went. */
const REFRESH_MS = 5000;

/** One pass over the swarms, a bounded min-heap of the busiest seen so far. */
class Pass {
  readonly keys: string[] = [];
  readonly sizes: number[] = [];
  /** The swarms in memory first, then the published torrents. */
  readonly swarms: Iterator<string>;
  readonly torrents: Iterator<string>;
  inSwarms = true;
  readonly membership: number;
  readonly startedAt: number;

  constructor(
    swarms: Iterator<string>,
    torrents: Iterator<string>,
    membership: number,
    startedAt: number,
  ) {
    this.swarms = swarms;
    this.torrents = torrents;
    this.membership = membership;
    this.startedAt = startedAt;
  }

  offer(key: string, size: number): void {
    const { keys, sizes } = this;
    if (keys.length < RANKED) {
      keys.push(key);
      sizes.push(size);
      this.#up(keys.length - 1);
    } else if (size > sizes[0]!) {
      keys[0] = key;
      sizes[0] = size;
      this.#down(0);
    }
  }

  #up(from: number): void {
    const sizes = this.sizes;
    let i = from;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (sizes[parent]! <= sizes[i]!) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(from: number): void {
    const sizes = this.sizes;
    const n = sizes.length;
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && sizes[l]! < sizes[m]!) m = l;
      if (r < n && sizes[r]! < sizes[m]!) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }

  #swap(a: number, b: number): void {
    const { keys, sizes } = this;
    const k = keys[a]!;
    keys[a] = keys[b]!;
    keys[b] = k;
    const s = sizes[a]!;
    sizes[a] = sizes[b]!;
    sizes[b] = s;
  }

  /** The keys busiest first (ties in info hash order, so pages are stable). */
  result(): string[] {
    const order = this.keys.map((_, i) => i);
    order.sort(
      (a, b) =>
        this.sizes[b]! - this.sizes[a]! ||
        (this.keys[a]! < this.keys[b]! ? -1 : this.keys[a]! > this.keys[b]! ? 1 : 0),
    );
    return order.map((i) => this.keys[i]!);
  }
}

export class SwarmRanking {
  readonly #ctx: TrackerContext;
  #ranked: string[] = [];
  #rankedAt = Number.NEGATIVE_INFINITY;
  #membership = -1;
  #pass: Pass | null = null;
  #timer: NodeJS.Immediate | undefined;

  constructor(ctx: TrackerContext) {
    this.#ctx = ctx;
  }

  /** What changes when a swarm comes or goes. */
  #membershipStamp(): number {
    const { store, index } = this.#ctx;
    return (store.generation ?? store.totals().swarms) * 65_536 + index.size;
  }

  /** The busiest swarms first (at most MAX_SWARM_OFFSET + MAX_SWARM_LIMIT). */
  ranked(now: number): readonly string[] {
    const membership = this.#membershipStamp();
    const stale = membership !== this.#membership || now - this.#rankedAt >= REFRESH_MS;
    if (stale && this.#pass === null) {
      const size = this.#ctx.store.totals().swarms + this.#ctx.index.size;
      // A pass that fits one chunk (its two source ends included) is done at once.
      if (size <= CHUNK - 2 || now - this.#rankedAt >= MIN_PASS_MS) {
        const { store, index } = this.#ctx;
        this.#pass = new Pass(store.infoHashes(), index.keys(), membership, now);
        this.#step();
      }
    }
    // Nothing finished yet: what the pass has seen so far.
    if (this.#rankedAt === Number.NEGATIVE_INFINITY && this.#pass) return this.#pass.result();
    return this.#ranked;
  }

  /** Reads up to CHUNK swarms; finishes the pass or schedules the next chunk. */
  #step(): void {
    this.#timer = undefined;
    const pass = this.#pass;
    if (!pass) return;
    const { store } = this.#ctx;
    let done = false;
    for (let budget = CHUNK; budget > 0; budget--) {
      const next = (pass.inSwarms ? pass.swarms : pass.torrents).next();
      if (next.done) {
        if (!pass.inSwarms) {
          done = true;
          break;
        }
        pass.inSwarms = false;
        continue;
      }
      const counts = store.counts(next.value);
      // A published torrent with a swarm in memory was offered with the swarms.
      if (!pass.inSwarms && counts) continue;
      pass.offer(next.value, counts ? counts.seeders + counts.leechers : 0);
    }
    if (!done) {
      this.#timer = setImmediate(() => this.#step());
      this.#timer.unref();
      return;
    }
    this.#ranked = pass.result();
    this.#rankedAt = pass.startedAt;
    this.#membership = pass.membership;
    this.#pass = null;
  }

  /** Stops a pass under way (the tracker is stopping). */
  stop(): void {
    clearImmediate(this.#timer);
    this.#timer = undefined;
    this.#pass = null;
  }
}
