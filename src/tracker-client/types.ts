/** Values shared by the HTTP and UDP transports and the announcer. */
import type { AnnounceEvent, PeerAddress } from "../tracker-proto/index.ts";

/** Transfer totals for this torrent since it was started (BEP 3 `uploaded`, `downloaded`, `left`). */
export interface AnnounceStats {
  uploaded: number;
  downloaded: number;
  /** Bytes still missing; 0 for a seed. */
  left: number;
}

/** One announce as the announcer asks a transport to send it. */
export interface AnnounceParams extends AnnounceStats {
  infoHash: Buffer;
  peerId: Buffer;
  /** TCP port we accept peers on. */
  port: number;
  event: AnnounceEvent;
  numwant: number;
  /** BEP 3 `key`: identifies us to the tracker across IP changes. Hex text (also sent over UDP as a number). */
  key?: string;
  /** HTTP `trackerid` echoed from the tracker's last `tracker id`. */
  trackerId?: string;
}

/** A successful announce. */
export interface AnnounceResult {
  /** Seconds until the next regular announce. */
  interval?: number;
  /** Seconds the tracker asks us to wait at least (HTTP only). */
  minInterval?: number;
  /** Seeders. */
  complete?: number;
  /** Leechers. */
  incomplete?: number;
  downloaded?: number;
  trackerId?: string;
  warning?: string;
  peers: PeerAddress[];
}

/** Options every transport request takes. */
export interface RequestOptions {
  /** Aborts the request (rejects with code "aborted"). */
  signal?: AbortSignal;
}

/** Where a tracker stands, as `Announcer.status()` reports it. */
export type TrackerState =
  /** Not contacted yet (or not needed: a tracker above it works). */
  | "idle"
  /** A request is in flight. */
  | "announcing"
  /** The last announce succeeded. */
  | "working"
  /** The last announce failed; it is retried after `nextAnnounce` (back-off). */
  | "failed"
  /** The scheme is not supported (wss://, ...); never contacted. */
  | "unsupported";

export interface TrackerStatus {
  url: string;
  /** Index of its tier in the announce-list. */
  tier: number;
  state: TrackerState;
  /** Clock time (ms) of the last completed announce attempt. */
  lastAnnounce?: number;
  /** Clock time (ms) of the next announce or retry planned for this tracker. */
  nextAnnounce?: number;
  lastError?: string;
  lastWarning?: string;
  /** Seconds, from the tracker's last reply. */
  interval?: number;
  minInterval?: number;
  seeders?: number;
  leechers?: number;
  /** Completed downloads the tracker counts (scrape `downloaded`). */
  downloaded?: number;
  /** Peers in its last reply. */
  peersReceived: number;
  /** Failures in a row (drives the back-off); 0 after a success. */
  failures: number;
}
