/**
 * The announce-list as BEP 12 orders it: tiers in the metainfo's order, each
 * tier shuffled once when first read, and a tracker that answers moved to the
 * front of its tier so it is tried first from then on.
 */
import type { AnnounceEvent } from "../tracker-proto/index.ts";
import type { AnnounceResult, TrackerState, TrackerStatus } from "./types.ts";
import type { UdpTrackerClient } from "./udp-tracker.ts";

export type TrackerKind = "http" | "udp" | "unsupported";

/** One tracker and everything the announcer remembers about it. */
export interface TrackerEntry {
  readonly url: string;
  readonly tier: number;
  readonly kind: TrackerKind;
  state: TrackerState;
  lastAnnounce?: number;
  /** Back-off: not retried before this clock time (state "failed"). */
  retryAt?: number;
  lastError?: string;
  lastWarning?: string;
  interval?: number;
  minInterval?: number;
  seeders?: number;
  leechers?: number;
  downloaded?: number;
  peersReceived: number;
  failures: number;
  /** BEP 3 `tracker id` from its last reply, sent back as `trackerid`. */
  trackerId?: string;
  /** It may list us as a peer: a started announce went out and did not fail since. */
  registered: boolean;
  /** It acknowledged our `completed` event. */
  completedSent: boolean;
  udp?: UdpTrackerClient;
}

export function trackerKind(url: string): TrackerKind {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https") return "http";
  if (scheme === "udp") return "udp";
  return "unsupported";
}

/** Fisher–Yates with the caller's random source (deterministic in tests). */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export class TrackerTiers {
  readonly #tiers: TrackerEntry[][];

  /** Empty tiers and repeated URLs (first occurrence wins) are dropped. */
  constructor(announceList: readonly (readonly string[])[], random: () => number) {
    const seen = new Set<string>();
    this.#tiers = [];
    for (const tier of announceList) {
      const entries: TrackerEntry[] = [];
      for (const raw of tier) {
        const url = raw.trim();
        if (!url || seen.has(url)) continue;
        seen.add(url);
        const kind = trackerKind(url);
        entries.push({
          url,
          tier: this.#tiers.length,
          kind,
          state: kind === "unsupported" ? "unsupported" : "idle",
          peersReceived: 0,
          failures: 0,
          registered: false,
          completedSent: false,
        });
      }
      if (entries.length > 0) this.#tiers.push(shuffle(entries, random));
    }
  }

  get tierCount(): number {
    return this.#tiers.length;
  }

  /** Every tracker in the order it is tried: tier by tier, front of each tier first. */
  ordered(): TrackerEntry[] {
    return this.#tiers.flat();
  }

  /** The order of one tier's URLs (for tests and status displays). */
  tierUrls(tier: number): string[] {
    return (this.#tiers[tier] ?? []).map((e) => e.url);
  }

  /** BEP 12: "if a connection with a tracker is successful, it will be moved to the front of the tier". */
  moveToFront(entry: TrackerEntry): void {
    const tier = this.#tiers[entry.tier];
    if (!tier) return;
    const i = tier.indexOf(entry);
    if (i > 0) {
      tier.splice(i, 1);
      tier.unshift(entry);
    }
  }
}

export function statusOf(e: TrackerEntry, nextAnnounce: number | undefined): TrackerStatus {
  const s: TrackerStatus = {
    url: e.url,
    tier: e.tier,
    state: e.state,
    peersReceived: e.peersReceived,
    failures: e.failures,
  };
  if (e.lastAnnounce !== undefined) s.lastAnnounce = e.lastAnnounce;
  if (nextAnnounce !== undefined) s.nextAnnounce = nextAnnounce;
  if (e.lastError !== undefined) s.lastError = e.lastError;
  if (e.lastWarning !== undefined) s.lastWarning = e.lastWarning;
  if (e.interval !== undefined) s.interval = e.interval;
  if (e.minInterval !== undefined) s.minInterval = e.minInterval;
  if (e.seeders !== undefined) s.seeders = e.seeders;
  if (e.leechers !== undefined) s.leechers = e.leechers;
  if (e.downloaded !== undefined) s.downloaded = e.downloaded;
  return s;
}

/** A tracker answered: keep what it said, clear its failures. */
export function recordSuccess(
  e: TrackerEntry,
  event: AnnounceEvent,
  r: AnnounceResult,
  now: number,
): void {
  e.state = "working";
  e.failures = 0;
  e.retryAt = undefined;
  e.lastError = undefined;
  e.registered = true;
  if (event === "completed") e.completedSent = true;
  e.lastAnnounce = now;
  if (r.interval !== undefined) e.interval = r.interval;
  if (r.minInterval !== undefined) e.minInterval = r.minInterval;
  if (r.complete !== undefined) e.seeders = r.complete;
  if (r.incomplete !== undefined) e.leechers = r.incomplete;
  if (r.downloaded !== undefined) e.downloaded = r.downloaded;
  // BEP 3: "If present, it should be sent back on the next announcements."
  if (r.trackerId !== undefined) e.trackerId = r.trackerId;
  e.lastWarning = r.warning;
  e.peersReceived = r.peers.length;
}

/**
 * A tracker failed: back it off. It may have dropped us (or never listed us),
 * so the next announce to it is a `started` again.
 */
export function recordFailure(
  e: TrackerEntry,
  message: string,
  now: number,
  backoff: (failures: number) => number,
): void {
  e.failures++;
  e.state = "failed";
  e.registered = false;
  e.lastAnnounce = now;
  e.lastError = message;
  e.retryAt = now + backoff(e.failures);
}
