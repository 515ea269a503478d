/**
 * A torrent's life as a state machine. `metadata`, `downloading` and
 * `seeding` are the active states (peers connected, trackers announced to);
 * `metadata` is a magnet link's torrent fetching its info dictionary
 * (BEP 9), `checking` verifies the data on disk against it, `paused` keeps
 * everything but transfers nothing, `stopped` is closed for good, and
 * `error` is a torrent whose data could not be opened.
 */
import type { TorrentState } from "./types.ts";

const NEXT: Record<TorrentState, readonly TorrentState[]> = {
  metadata: ["checking", "paused", "stopped"],
  checking: ["downloading", "seeding", "paused", "error", "stopped"],
  downloading: ["seeding", "paused", "error", "stopped"],
  // Back to downloading when files are wanted again (selective download).
  seeding: ["downloading", "paused", "error", "stopped"],
  paused: ["metadata", "checking", "downloading", "seeding", "error", "stopped"],
  error: ["checking", "paused", "stopped"],
  stopped: [],
};

/** The states in which a torrent connects to peers and announces. */
export function isActive(state: TorrentState): boolean {
  return state === "metadata" || state === "downloading" || state === "seeding";
}

/** Throws on a transition the state machine does not have (a bug, not a peer's doing). */
export function checkTransition(from: TorrentState, to: TorrentState): void {
  if (!NEXT[from].includes(to)) throw new Error(`torrent state ${from} → ${to} is not allowed`);
}
