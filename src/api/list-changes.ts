/**
 * The torrent list's changes since a version (issue 17: the web UI's list
 * lives on the daemon's events and asks only for what changed, so 5,000
 * torrents cost a screenful when few change). Each call compares every
 * torrent's summary with the one the previous call saw; one that differs
 * gets the next version. A caller keeps the `version` it was given and
 * asks with it as `since`: it gets the torrents changed after it and the
 * info hashes removed after it, or the whole list (`full`) when that cannot
 * be said (first call, a version of another daemon run, removals forgotten).
 */
import { randomBytes } from "node:crypto";
import type { TorrentSummary } from "./types.ts";

export const LIST_CHANGES_LIMITS = {
  /** Removals remembered for callers behind; one further behind gets the whole list. */
  maxRemovedKept: 10_000,
} as const;

export interface ListChanges {
  /** Give it as `since` next time. */
  version: string;
  /** True: `torrents` is the whole list (replace, don't merge), `removed` empty. */
  full: boolean;
  /** Torrents added or changed since (their requested fields, whole), in the session's order. */
  torrents: Partial<TorrentSummary>[];
  /** Info hashes removed since. */
  removed: string[];
}

interface Seen {
  summary: TorrentSummary;
  version: number;
}

/**
 * Same values in every field: numbers and strings, its label list, its limits
 * (one level deep; summaries are made afresh, never shared and changed later).
 * Cheaper than comparing JSON: 5,000 torrents in ~5 ms, not ~30.
 */
function sameSummary(a: TorrentSummary, b: TorrentSummary): boolean {
  let fields = 0;
  for (const key in b) {
    fields++;
    const x = a[key as keyof TorrentSummary];
    const y = b[key as keyof TorrentSummary];
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    const xs = x as unknown as Record<string, unknown>;
    const ys = y as unknown as Record<string, unknown>;
    if (Object.keys(xs).length !== Object.keys(ys).length) return false;
    for (const k in ys) if (xs[k] !== ys[k]) return false;
  }
  return fields === Object.keys(a).length;
}

export class ListVersions {
  /** Versions of another run are not this one's: the run's mark goes in each. */
  readonly #run = randomBytes(4).toString("hex");
  #version = 0;
  readonly #seen = new Map<string, Seen>();
  #removed: { infoHash: string; version: number }[] = [];
  /** Removals up to this version are forgotten. */
  #forgottenUpTo = 0;

  /** The changes after `since` (undefined: the whole list), each torrent as `pick` makes it. */
  changes(
    all: readonly TorrentSummary[],
    since: string | undefined,
    pick: (s: TorrentSummary) => Partial<TorrentSummary>,
  ): ListChanges {
    this.#scan(all);
    const version = `${this.#run}.${this.#version}`;
    const after = this.#versionOf(since);
    if (after === undefined) return { version, full: true, torrents: all.map(pick), removed: [] };
    const torrents: Partial<TorrentSummary>[] = [];
    for (const s of all) {
      if (this.#seen.get(s.infoHash)!.version > after) torrents.push(pick(s));
    }
    const removed = this.#removed.filter((r) => r.version > after).map((r) => r.infoHash);
    return { version, full: false, torrents, removed };
  }

  /** A version of this run that the changes since can be told for, or undefined. */
  #versionOf(since: string | undefined): number | undefined {
    if (since === undefined) return undefined;
    const dot = since.indexOf(".");
    if (since.slice(0, dot) !== this.#run) return undefined;
    const n = Number(since.slice(dot + 1));
    if (!Number.isSafeInteger(n) || n < this.#forgottenUpTo || n > this.#version) return undefined;
    return n;
  }

  #scan(all: readonly TorrentSummary[]): void {
    const next = this.#version + 1;
    let changed = false;
    for (const s of all) {
      const seen = this.#seen.get(s.infoHash);
      if (seen !== undefined && sameSummary(seen.summary, s)) {
        seen.summary = s;
        continue;
      }
      this.#seen.set(s.infoHash, { summary: s, version: next });
      changed = true;
    }
    if (this.#seen.size > all.length) {
      const present = new Set(all.map((s) => s.infoHash));
      for (const infoHash of this.#seen.keys()) {
        if (present.has(infoHash)) continue;
        this.#seen.delete(infoHash);
        this.#removed.push({ infoHash, version: next });
        changed = true;
      }
      const over = this.#removed.length - LIST_CHANGES_LIMITS.maxRemovedKept;
      if (over > 0) {
        this.#forgottenUpTo = this.#removed[over - 1]!.version;
        this.#removed = this.#removed.slice(over);
      }
    }
    if (changed) this.#version = next;
  }
}
