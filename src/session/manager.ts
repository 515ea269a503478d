/**
 * Managing many torrents (issue 16): the queues (queue.ts), the seeding
 * goals (seeding-goals.ts), and what each torrent carries for them — its
 * place in the queue, its labels, its own goals, its transfer totals over
 * restarts. The session calls tick() once a second; nothing runs when no
 * limit or goal is set, so a session without them costs nothing more.
 */
import { isActive, type Torrent } from "../torrent/index.ts";
import type { Clock } from "../util/index.ts";
import { type ManagedState, NO_GOALS, NO_LABELS } from "./managed-state.ts";
import { planQueue, type QueueCandidate, type QueueSettings, queueLimits } from "./queue.ts";
import type { TorrentEntry } from "./registry.ts";
import { type GoalReached, goalReached, type SeedingGoals } from "./seeding-goals.ts";
import { shareRatio } from "./views.ts";

export type { ManagedState } from "./managed-state.ts";

export type ManageSettings = QueueSettings & SeedingGoals;

export const DEFAULT_MANAGE_SETTINGS: ManageSettings = {
  maxActiveDownloads: 0,
  maxActiveSeeds: 0,
  stalledMinutes: 30,
  ratioLimit: 0,
  idleLimitMinutes: 0,
};

export interface ManagerHost {
  entries(): readonly TorrentEntry[];
  /** Starts a torrent (its turn came). */
  start(entry: TorrentEntry): void;
  /** Stops a torrent to wait in its queue. */
  wait(entry: TorrentEntry): void;
  /** A seeding goal was reached: the session pauses it and tells. */
  reached(entry: TorrentEntry, goal: GoalReached): void;
}

export class TorrentManager {
  settings: ManageSettings;
  readonly #host: ManagerHost;
  readonly #clock: Clock;
  /** Whether any torrent has a seeding goal of its own; undefined: to be found again. */
  #torrentGoals: boolean | undefined;

  constructor(host: ManagerHost, clock: Clock, settings: Partial<ManageSettings> = {}) {
    this.#host = host;
    this.#clock = clock;
    this.settings = { ...DEFAULT_MANAGE_SETTINGS, ...settings };
  }

  /** A new torrent's state, or a restored one's. */
  newState(saved: Partial<ManagedState> = {}): ManagedState {
    this.goalsChanged();
    return {
      position: saved.position ?? this.#nextPosition(),
      queued: false,
      labels: saved.labels && saved.labels.length > 0 ? saved.labels : NO_LABELS,
      goals:
        saved.goals &&
        (saved.goals.ratioLimit !== undefined || saved.goals.idleLimitMinutes !== undefined)
          ? saved.goals
          : NO_GOALS,
      uploadedBefore: saved.uploadedBefore ?? 0,
      downloadedBefore: saved.downloadedBefore ?? 0,
      activeAt: this.#clock.now(),
      seedingSince: undefined,
    };
  }

  /** The user wants it running: at once, or when its turn comes. */
  schedule(entry: TorrentEntry, defer = false): void {
    entry.manage.activeAt = this.#clock.now();
    if (!queueLimits(this.settings)) {
      entry.manage.queued = false;
      this.#host.start(entry);
      return;
    }
    entry.manage.queued = true;
    if (!defer) this.#applyQueue();
  }

  /** A torrent's goals were set, or a torrent came or went. */
  goalsChanged(): void {
    this.#torrentGoals = undefined;
  }

  /** Once a second: activity, seeding goals, then the queues. */
  tick(): void {
    const s = this.settings;
    // Asked once per change, not every second of every torrent (an idle daemon's cost).
    this.#torrentGoals ??= this.#host
      .entries()
      .some((e) => e.manage.goals.ratioLimit || e.manage.goals.idleLimitMinutes);
    if (!queueLimits(s) && !s.ratioLimit && !s.idleLimitMinutes && !this.#torrentGoals) return;
    const entries = this.#host.entries();
    const now = this.#clock.now();
    for (const e of entries) {
      const t = e.torrent;
      const stats = t.stats();
      if (stats.downloadRate > 0 || stats.uploadRate > 0) e.manage.activeAt = now;
      if (t.state !== "seeding") {
        e.manage.seedingSince = undefined;
        continue;
      }
      if (e.manage.seedingSince === undefined || stats.uploadRate > 0) e.manage.seedingSince = now;
      const ratio = shareRatio({
        size: stats.totalLength,
        left: stats.left,
        uploaded: e.manage.uploadedBefore + stats.uploaded,
        downloaded: e.manage.downloadedBefore + stats.downloaded,
      });
      const reached = goalReached(
        { ratio, idleMs: now - e.manage.seedingSince },
        e.manage.goals,
        s,
      );
      if (reached) this.#host.reached(e, reached);
    }
    if (queueLimits(s)) this.#applyQueue();
  }

  /** Last in the queue: after the torrent furthest back (a plain loop: adding runs it once per torrent). */
  #nextPosition(): number {
    let next = 0;
    for (const e of this.#host.entries())
      if (e.manage.position >= next) next = e.manage.position + 1;
    return next;
  }

  /** The queue order (info hashes, first first). */
  order(): string[] {
    return [...this.#host.entries()]
      .sort((a, b) => a.manage.position - b.manage.position)
      .map((e) => e.infoHashHex);
  }

  /** Numbers the torrents 0, 1, … in `order`; the queues follow. */
  reorder(order: readonly string[]): void {
    const byHash = new Map(this.#host.entries().map((e) => [e.infoHashHex, e]));
    order.forEach((hash, i) => {
      const e = byHash.get(hash);
      if (e) e.manage.position = i;
    });
    if (queueLimits(this.settings)) this.#applyQueue();
  }

  /** Settings changed: the queues follow at once (lifting a limit starts the waiting). */
  apply(): void {
    this.#applyQueue();
  }

  #applyQueue(): void {
    const now = this.#clock.now();
    const stalledMs = this.settings.stalledMinutes * 60_000;
    const byHash = new Map<string, TorrentEntry>();
    const candidates: QueueCandidate[] = [];
    for (const e of this.#host.entries()) {
      const t: Torrent = e.torrent;
      // The user's pause wins; checking and broken torrents wait for themselves.
      if (e.paused || t.state === "checking" || t.state === "error" || t.state === "stopped") {
        e.manage.queued = false;
        continue;
      }
      const running = isActive(t.state) && !e.manage.queued;
      byHash.set(e.infoHashHex, e);
      candidates.push({
        infoHash: e.infoHashHex,
        position: e.manage.position,
        done: t.metadata !== undefined && t.complete,
        running,
        stalled: running && stalledMs > 0 && now - e.manage.activeAt >= stalledMs,
      });
    }
    const plan = planQueue(candidates, this.settings);
    for (const hash of plan.run) {
      const e = byHash.get(hash)!;
      if (!isActive(e.torrent.state) || e.manage.queued) {
        e.manage.queued = false;
        e.manage.activeAt = now;
        this.#host.start(e);
      }
    }
    for (const hash of plan.wait) {
      const e = byHash.get(hash)!;
      const wasRunning = isActive(e.torrent.state) && !e.manage.queued;
      e.manage.queued = true;
      if (wasRunning || isActive(e.torrent.state)) this.#host.wait(e);
    }
  }
}
