/**
 * The tracker's persistence: one SQLite file (node:sqlite, WAL) in the data
 * directory holding published torrents (their exact original bytes, so the
 * info hash never changes), completed-download counts (written in batches),
 * and a snapshot of live peers taken on clean shutdown.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

export const DATABASE_FILE = "tracker.sqlite";
const SCHEMA_VERSION = 1;

export interface TorrentRow {
  infoHash: Buffer;
  name: string;
  size: number;
  files: number;
  pieces: number;
  pieceLength: number;
  private: boolean;
  /** Wall-clock ms since the epoch. */
  added: number;
}

export interface PeerRow {
  infoHash: Buffer;
  peerId: Buffer;
  /** Compact entries (6 / 18 bytes) or empty. */
  addr4: Buffer;
  addr6: Buffer;
  left: number;
  /** Wall-clock ms of the last announce. */
  seen: number;
}

type Row = Record<string, unknown>;

function buf(v: unknown): Buffer {
  return v instanceof Uint8Array
    ? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    : Buffer.alloc(0);
}

export class TrackerDatabase {
  readonly #db: DatabaseSync;
  readonly #insertTorrent: StatementSync;
  readonly #torrentBytes: StatementSync;
  readonly #completedOf: StatementSync;
  readonly #saveCompleted: StatementSync;
  readonly #insertPeer: StatementSync;

  /** Opens (creating if needed) the database in `dataDir`. */
  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new DatabaseSync(join(dataDir, DATABASE_FILE));
    // The announce path reads SQLite only for a swarm new to memory, so a
    // 512 KiB page cache (SQLite's default is 2 MiB) is plenty.
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 2000;
      PRAGMA cache_size = -512;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS torrents (
        info_hash BLOB PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL,
        files INTEGER NOT NULL, pieces INTEGER NOT NULL, piece_length INTEGER NOT NULL,
        private INTEGER NOT NULL, added INTEGER NOT NULL, torrent BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS completed (info_hash BLOB PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS peers (
        info_hash BLOB NOT NULL, peer_id BLOB NOT NULL, addr4 BLOB NOT NULL, addr6 BLOB NOT NULL,
        left INTEGER NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY (info_hash, peer_id)
      ) WITHOUT ROWID;
    `);
    this.#db
      .prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)")
      .run(String(SCHEMA_VERSION));
    this.#insertTorrent = this.#db.prepare(
      `INSERT OR IGNORE INTO torrents
         (info_hash, name, size, files, pieces, piece_length, private, added, torrent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#torrentBytes = this.#db.prepare("SELECT torrent FROM torrents WHERE info_hash = ?");
    this.#completedOf = this.#db.prepare("SELECT count FROM completed WHERE info_hash = ?");
    this.#saveCompleted = this.#db.prepare(
      "INSERT INTO completed (info_hash, count) VALUES (?, ?) ON CONFLICT (info_hash) DO UPDATE SET count = excluded.count",
    );
    this.#insertPeer = this.#db.prepare(
      "INSERT OR REPLACE INTO peers (info_hash, peer_id, addr4, addr6, left, seen) VALUES (?, ?, ?, ?, ?, ?)",
    );
  }

  #transaction(fn: () => void): void {
    this.#db.exec("BEGIN");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Stores a published torrent; false if that info hash was already there. */
  insertTorrent(row: TorrentRow, torrent: Buffer): boolean {
    const r = this.#insertTorrent.run(
      row.infoHash,
      row.name,
      row.size,
      row.files,
      row.pieces,
      row.pieceLength,
      row.private ? 1 : 0,
      row.added,
      torrent,
    );
    return Number(r.changes) > 0;
  }

  loadTorrents(): TorrentRow[] {
    const rows = this.#db
      .prepare(
        "SELECT info_hash, name, size, files, pieces, piece_length, private, added FROM torrents ORDER BY added",
      )
      .all() as Row[];
    return rows.map((r) => ({
      infoHash: buf(r.info_hash),
      name: String(r.name),
      size: Number(r.size),
      files: Number(r.files),
      pieces: Number(r.pieces),
      pieceLength: Number(r.piece_length),
      private: Number(r.private) === 1,
      added: Number(r.added),
    }));
  }

  torrentBytes(infoHash: Buffer): Buffer | undefined {
    const row = this.#torrentBytes.get(infoHash) as Row | undefined;
    return row ? buf(row.torrent) : undefined;
  }

  completedOf(infoHash: Buffer): number {
    const row = this.#completedOf.get(infoHash) as Row | undefined;
    return row ? Number(row.count) : 0;
  }

  /** Writes many completed counts in one transaction (the batched write). */
  saveCompleted(entries: Iterable<[Buffer, number]>): void {
    this.#transaction(() => {
      for (const [hash, count] of entries) this.#saveCompleted.run(hash, count);
    });
  }

  /** Replaces the peer snapshot with `peers`. */
  savePeers(peers: Iterable<PeerRow>): void {
    this.#transaction(() => {
      this.#db.exec("DELETE FROM peers");
      for (const p of peers) {
        this.#insertPeer.run(p.infoHash, p.peerId, p.addr4, p.addr6, p.left, p.seen);
      }
    });
  }

  /** Reads the peer snapshot and deletes it, so a later crash cannot resurrect stale peers. */
  takePeers(): PeerRow[] {
    const rows = this.#db.prepare("SELECT * FROM peers").all() as Row[];
    this.#db.exec("DELETE FROM peers");
    return rows.map((r) => ({
      infoHash: buf(r.info_hash),
      peerId: buf(r.peer_id),
      addr4: buf(r.addr4),
      addr6: buf(r.addr6),
      left: Number(r.left),
      seen: Number(r.seen),
    }));
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
