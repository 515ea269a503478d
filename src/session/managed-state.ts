/** What the session keeps of each torrent for managing it (manager.ts). */
import type { TorrentGoals } from "./seeding-goals.ts";

/**
 * No labels, no goals of its own: what most torrents have, one frozen
 * object each for all of them (both are replaced when set, never changed
 * in place), not two per torrent for the daemon's life.
 */
export const NO_LABELS: string[] = Object.freeze([]) as unknown as string[];
export const NO_GOALS: TorrentGoals = Object.freeze({});

/** What the session keeps of a torrent for managing it. */
export interface ManagedState {
  /** Its place in the queue (lower first); renumbered 0, 1, … on every move. */
  position: number;
  /** Waiting in its queue (not paused by the user, not transferring). */
  queued: boolean;
  labels: string[];
  goals: TorrentGoals;
  /** Bytes sent and received in earlier runs (before a restart or a recheck). */
  uploadedBefore: number;
  downloadedBefore: number;
  /** Last time it transferred, or was started (ms, the session's clock). */
  activeAt: number;
  /** When it began seeding, and last uploaded while seeding (for the idle goal). */
  seedingSince: number | undefined;
}
