import type { InfoHash } from "../util/index.ts";

/** One file of a torrent, in the order of the info dictionary. */
export interface TorrentFile {
  /**
   * Path components from the download folder: `[name]` for a single-file
   * torrent, `[name, ...path]` for a multi-file one. Every component has been
   * proven safe (see path-safety.ts).
   */
  path: string[];
  length: number;
  /** Byte offset of the file in the torrent's concatenated data. */
  offset: number;
  /** A BEP 47 padding file (attr contains "p"): never written to disk. */
  pad: boolean;
  /** BEP 47 attributes as given ("x", "h", "p", "l"), or "" when absent. */
  attr: string;
  /** BEP 47 symlink ("l" attribute): target path from the torrent's root folder. */
  symlink?: string[];
}

export type TorrentVersion = "v1" | "hybrid";

/** A validated v1 (or hybrid, through its v1 part) torrent. */
export interface Metainfo {
  /** SHA-1 of the exact `info` bytes of the file (never of a re-encoding). */
  infoHash: InfoHash;
  infoHashHex: string;
  /** The original bencoded `info` dictionary. */
  infoBytes: Buffer;
  /** BEP 52 v2 info hash (SHA-256 of the info bytes) for hybrid torrents. */
  infoHashV2?: Buffer;
  version: TorrentVersion;
  name: string;
  pieceLength: number;
  /** The concatenated 20-byte SHA-1 piece hashes. */
  pieces: Buffer;
  pieceCount: number;
  totalLength: number;
  files: TorrentFile[];
  /** True when the info dictionary has `files` (even with a single entry). */
  multiFile: boolean;
  /** BEP 27. */
  private: boolean;
  announce?: string;
  /** BEP 12 tiers; falls back to `[[announce]]`. Trimmed and de-duplicated. */
  announceList: string[][];
  /** BEP 19 web seeds, trimmed and de-duplicated. */
  urlList: string[];
  /** DHT nodes suggested by the torrent (BEP 5), as host and port. */
  nodes: { host: string; port: number }[];
  comment?: string;
  createdBy?: string;
  /** Seconds since the Unix epoch. */
  creationDate?: number;
  /** The `source` field some trackers require inside `info`. */
  source?: string;
  /** Things that were accepted but not canonical: unsorted keys, trailing bytes. */
  warnings: string[];
}
