/** A torrent's trackers (BEP 3, BEP 12 tiers): peers in, problems out as warnings. */
import { Announcer, type AnnouncerOptions, type TrackerStatus } from "../tracker-client/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";

export interface AnnouncingOptions extends AnnouncerOptions {
  peers(peers: PeerAddress[]): void;
  warning(message: string): void;
  /** After every announce attempt (its tracker's status). */
  announced?(status: TrackerStatus): void;
}

/** Starts announcing (`started`, then at the trackers' intervals). */
export function startAnnouncer(o: AnnouncingOptions): Announcer {
  const { peers, warning, announced, ...options } = o;
  const announcer = new Announcer(options);
  announcer.on("peers", (list) => peers(list));
  announcer.on("trackerError", (url, message) => warning(`tracker ${url}: ${message}`));
  announcer.on("warning", (url, message) => warning(`tracker ${url} warns: ${message}`));
  if (announced) announcer.on("announce", (status) => announced(status));
  announcer.start();
  return announcer;
}

/** Early re-announces in one spell without peers; then the trackers' own intervals again. */
const EARLY_ANNOUNCES = 4;

/**
 * A torrent with no peer left (or none yet) asks its trackers again as
 * soon as they allow (announceNow: not before the working tracker's `min
 * interval`, nor our own floor), rather than waiting out the interval
 * (30 minutes, often). A few times in a row at most, and only while a
 * tracker answers: a dead swarm is not polled forever, a failing tracker
 * keeps its back-off.
 */
export class EarlyAnnounces {
  #left = EARLY_ANNOUNCES;

  peerless(announcer: Announcer | undefined): void {
    if (!announcer || this.#left === 0) return;
    if (!announcer.status().some((s) => s.state === "working")) return;
    this.#left--;
    announcer.announceNow();
  }

  /** A peer connected: the next spell without peers may ask early again. */
  reset(): void {
    this.#left = EARLY_ANNOUNCES;
  }
}
