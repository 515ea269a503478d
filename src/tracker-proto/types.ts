/** Values shared by the HTTP and UDP tracker codecs. */

/** BEP 3 events, plus BEP 21's `paused` (a partial seed that stopped downloading). */
export type AnnounceEvent = "none" | "started" | "completed" | "stopped" | "paused";

/** One announce, as a client sends it over HTTP (BEP 3, BEP 7, BEP 23). */
export interface AnnounceRequest {
  /** 20 raw bytes. */
  infoHash: Buffer;
  /** 20 raw bytes. */
  peerId: Buffer;
  port: number;
  uploaded: number;
  downloaded: number;
  /** Bytes still to download; -1 when the client did not send it. */
  left: number;
  event: AnnounceEvent;
  /** Peers wanted; undefined lets the tracker choose. */
  numwant?: number;
  /** BEP 23: compact peer lists (the default when the client does not say). */
  compact: boolean;
  /** Leave `peer id` out of dictionary-form peers. */
  noPeerId: boolean;
  /** BEP 3 `ip`: an address (or name) the client says it is reachable at. */
  ip?: string;
  /** BEP 7 `ipv4=` / `ipv6=` hints. */
  ipv4?: string;
  ipv6?: string;
  key?: string;
  trackerId?: string;
}

/** A peer as an address, from a compact or dictionary peer list. */
export interface PeerAddress {
  ip: string;
  port: number;
  /** Present only in dictionary-form replies that carry it. */
  peerId?: Buffer;
}

/** BEP 48 counts for one torrent. */
export interface ScrapeCounts {
  infoHash: Buffer;
  /** Seeders. */
  complete: number;
  /** Completed downloads ever counted. */
  downloaded: number;
  /** Leechers. */
  incomplete: number;
}
