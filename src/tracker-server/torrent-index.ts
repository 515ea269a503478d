/**
 * The torrent index: .torrent files published to the tracker. Every upload is
 * validated by parseMetainfo and kept as the exact bytes received, so its info
 * hash (SHA-1 of the original info bytes) never changes. Metadata lives in
 * memory for listings and the registered-only check; bytes stay in the database.
 */
import {
  formatMagnet,
  type Metainfo,
  magnetFromMetainfo,
  parseMetainfo,
} from "../metainfo/index.ts";
import type { TorrentRow, TrackerDatabase } from "./database.ts";

export interface TorrentEntry extends TorrentRow {
  /** The info hash as latin1 text, the swarm key. */
  key: string;
  infoHashHex: string;
}

export interface PublishResult {
  entry: TorrentEntry;
  metainfo: Metainfo;
  /** False when the torrent was already published (the upload changes nothing). */
  created: boolean;
}

function entryOf(row: TorrentRow): TorrentEntry {
  return {
    ...row,
    key: row.infoHash.toString("latin1"),
    infoHashHex: row.infoHash.toString("hex"),
  };
}

export class TorrentIndex {
  readonly #entries = new Map<string, TorrentEntry>();
  readonly #db: TrackerDatabase | undefined;
  /** Bytes when there is no database (a tracker run without a data dir). */
  readonly #bytes = new Map<string, Buffer>();
  readonly #wallClock: () => number;

  constructor(db: TrackerDatabase | undefined, wallClock: () => number = Date.now) {
    this.#db = db;
    this.#wallClock = wallClock;
    for (const row of db?.loadTorrents() ?? []) {
      const entry = entryOf(row);
      this.#entries.set(entry.key, entry);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get(key: string): TorrentEntry | undefined {
    return this.#entries.get(key);
  }

  list(): TorrentEntry[] {
    return [...this.#entries.values()];
  }

  /** The info hashes (latin1), in publishing order. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** `limit` entries from `offset`, in publishing order (operator views page through them). */
  page(offset: number, limit: number): TorrentEntry[] {
    const out: TorrentEntry[] = [];
    if (limit <= 0) return out;
    let skip = offset;
    for (const entry of this.#entries.values()) {
      if (skip > 0) skip--;
      else if (out.push(entry) >= limit) break;
    }
    return out;
  }

  /** Validates and stores a .torrent. Throws MetainfoError when it is not a usable torrent. */
  publish(torrent: Buffer): PublishResult {
    const metainfo = parseMetainfo(torrent);
    const key = metainfo.infoHash.toString("latin1");
    const existing = this.#entries.get(key);
    if (existing) return { entry: existing, metainfo, created: false };
    const row: TorrentRow = {
      infoHash: Buffer.from(metainfo.infoHash),
      name: metainfo.name,
      size: metainfo.totalLength,
      files: metainfo.files.filter((f) => !f.pad).length,
      pieces: metainfo.pieceCount,
      pieceLength: metainfo.pieceLength,
      private: metainfo.private,
      added: this.#wallClock(),
    };
    const copy = Buffer.from(torrent);
    if (this.#db) this.#db.insertTorrent(row, copy);
    else this.#bytes.set(key, copy);
    const entry = entryOf(row);
    this.#entries.set(key, entry);
    return { entry, metainfo, created: true };
  }

  /** The exact bytes that were published. */
  bytes(key: string): Buffer | undefined {
    if (!this.#entries.has(key)) return undefined;
    return this.#db ? this.#db.torrentBytes(Buffer.from(key, "latin1")) : this.#bytes.get(key);
  }

  /** The stored torrent, parsed again (for details pages). */
  metainfo(key: string): Metainfo | undefined {
    const bytes = this.bytes(key);
    return bytes ? parseMetainfo(bytes) : undefined;
  }
}

export function magnetOf(metainfo: Metainfo): string {
  return formatMagnet(magnetFromMetainfo(metainfo));
}
