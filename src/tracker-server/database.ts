/**
 * The tracker's persistence: one SQLite file (node:sqlite, WAL) in the data
 * directory holding published torrents (their exact original bytes, so the
 * info hash never changes), completed-download counts (written in batches),
 * and a snapshot of live peers taken on clean shutdown.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { clampCounter, MAX_COUNTER } from "../tracker-proto/index.ts";
import { type Logger, silentLogger } from "../util/index.ts";

export const DATABASE_FILE = "tracker.sqlite";
/** 2: the peer snapshot keeps each peer's owner (peer-owner.ts). */
const SCHEMA_VERSION = 2;

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
  /** Who may act for the peer (peer-owner.ts); -1 when unknown (a version 1 snapshot). */
  owner: number;
  /** Compact entries (6 / 18 bytes) or empty. */
  addr4: Buffer;
  addr6: Buffer;
  left: number;
  /** Wall-clock ms of the last announce. */
  seen: number;
}

type Row = Record<string, unknown>;

/*
 * Reading rows back. Every statement that reads is set to return integers as
 * bigints (node:sqlite otherwise throws a RangeError for one beyond 2^53, and
 * the row, the read and the start all fail), and every value is checked here:
 * counters beyond the range are clamped (tracker-proto/counters.ts), a row that
 * is not usable (wrong type, wrong length) is skipped and counted, and the
 * caller logs what was skipped. A file written by another version, a bug or a
 * hand edit never stops a start.
 */

/** Thrown by the row readers below for the row in hand: the row is skipped. */
class BadRow extends Error {}

function blob(v: unknown, lengths: readonly number[], what: string): Buffer {
  if (!(v instanceof Uint8Array) || !lengths.includes(v.byteLength)) {
    throw new BadRow(`${what} is not ${lengths.join(" or ")} bytes`);
  }
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function counter(v: unknown, what: string, min = 0): number {
  const n = clampCounter(v, min);
  if (n === undefined) throw new BadRow(`${what} is not an integer`);
  return n;
}

/** ECMAScript's range of times: ±8.64e15 ms around the epoch. */
const MAX_TIME = 8.64e15;
const MAX_TIME_BIG = BigInt(MAX_TIME);

/** A time (ms since the epoch) a Date can hold, else the row is bad. */
function time(v: unknown, what: string): number {
  const n = typeof v === "bigint" && v >= -MAX_TIME_BIG && v <= MAX_TIME_BIG ? Number(v) : v;
  if (typeof n !== "number" || !(Math.abs(n) <= MAX_TIME)) {
    throw new BadRow(`${what} is not a time`);
  }
  return n;
}

function text(v: unknown, what: string): string {
  if (typeof v !== "string") throw new BadRow(`${what} is not text`);
  return v;
}

/** Owners are below 2^35 (peer-owner.ts: a kind up to 7, times 2^32, plus a 32-bit value). */
const OWNER_LIMIT = 2 ** 35;

/** Skipped rows per table, for one log line each. */
export interface SkippedRows {
  count: number;
  /** Why the first one was skipped. */
  first: string;
}

/** Maps rows through `read`, skipping (and counting) those it refuses. */
function readRows<T>(rows: Row[], read: (r: Row) => T): { rows: T[]; skipped: SkippedRows } {
  const out: T[] = [];
  const skipped: SkippedRows = { count: 0, first: "" };
  for (const r of rows) {
    try {
      out.push(read(r));
    } catch (err) {
      if (!(err instanceof BadRow)) throw err;
      if (skipped.count++ === 0) skipped.first = err.message;
    }
  }
  return { rows: out, skipped };
}

export class TrackerDatabase {
  readonly #db: DatabaseSync;
  readonly #insertTorrent: StatementSync;
  readonly #torrentBytes: StatementSync;
  readonly #completedOf: StatementSync;
  readonly #saveCompleted: StatementSync;
  readonly #insertPeer: StatementSync;
  readonly #logger: Logger;
  /** Completed counts that were bad are logged once, not on every lookup. */
  #badCountLogged = false;

  /** Opens (creating if needed) the database in `dataDir`. */
  constructor(dataDir: string, logger: Logger = silentLogger) {
    this.#logger = logger;
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
    `);
    this.#migratePeers();
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS peers (
        info_hash BLOB NOT NULL, peer_id BLOB NOT NULL, owner INTEGER NOT NULL,
        addr4 BLOB NOT NULL, addr6 BLOB NOT NULL, left INTEGER NOT NULL, seen INTEGER NOT NULL,
        PRIMARY KEY (info_hash, peer_id, owner)
      ) WITHOUT ROWID;
    `);
    this.#db
      .prepare(
        "INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(String(SCHEMA_VERSION));
    this.#insertTorrent = this.#db.prepare(
      `INSERT OR IGNORE INTO torrents
         (info_hash, name, size, files, pieces, piece_length, private, added, torrent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#torrentBytes = this.#db.prepare("SELECT torrent FROM torrents WHERE info_hash = ?");
    this.#completedOf = this.#reader("SELECT count FROM completed WHERE info_hash = ?");
    this.#saveCompleted = this.#db.prepare(
      "INSERT INTO completed (info_hash, count) VALUES (?, ?) ON CONFLICT (info_hash) DO UPDATE SET count = excluded.count",
    );
    this.#insertPeer = this.#db.prepare(
      "INSERT OR REPLACE INTO peers (info_hash, peer_id, owner, addr4, addr6, left, seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
  }

  /**
   * A version 1 peer snapshot (keyed by info hash and peer id alone) is moved
   * into the version 2 table with owner -1: the restore derives each owner
   * from the peer's address, as its next announce without a key would.
   */
  #migratePeers(): void {
    const columns = this.#db.prepare("PRAGMA table_info(peers)").all() as Row[];
    if (columns.length === 0 || columns.some((c) => c.name === "owner")) return;
    this.#transaction(() => {
      this.#db.exec(`
        ALTER TABLE peers RENAME TO peers_v1;
        CREATE TABLE peers (
          info_hash BLOB NOT NULL, peer_id BLOB NOT NULL, owner INTEGER NOT NULL,
          addr4 BLOB NOT NULL, addr6 BLOB NOT NULL, left INTEGER NOT NULL, seen INTEGER NOT NULL,
          PRIMARY KEY (info_hash, peer_id, owner)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO peers
          SELECT info_hash, peer_id, -1, addr4, addr6, left, seen FROM peers_v1;
        DROP TABLE peers_v1;
      `);
    });
  }

  /**
   * A secret of this data directory (16 random bytes made on first use and
   * kept in the meta table): what must stay the same across restarts, such
   * as the key that hashes peers' addresses into owners (peer-owner.ts).
   */
  secret(name: string): Buffer {
    const key = `secret:${name}`;
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as
      | Row
      | undefined;
    if (typeof row?.value === "string" && /^[0-9a-f]{32}$/.test(row.value)) {
      return Buffer.from(row.value, "hex");
    }
    const secret = randomBytes(16);
    this.#db
      .prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(key, secret.toString("hex"));
    return secret;
  }

  /** A statement whose integers come back as bigints (see the row readers above). */
  #reader(sql: string): StatementSync {
    const statement = this.#db.prepare(sql);
    statement.setReadBigInts(true);
    return statement;
  }

  #logSkipped(table: string, skipped: SkippedRows): void {
    if (skipped.count === 0) return;
    this.#logger.warn(`skipped ${skipped.count} unusable ${table} rows in the database`, {
      table,
      skipped: skipped.count,
      first: skipped.first,
    });
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

  /** The published torrents; unusable rows are skipped with a warning. */
  loadTorrents(): TorrentRow[] {
    const all = this.#reader(
      "SELECT info_hash, name, size, files, pieces, piece_length, private, added FROM torrents ORDER BY added",
    ).all() as Row[];
    const { rows, skipped } = readRows(all, (r) => ({
      infoHash: blob(r.info_hash, [20], "info_hash"),
      name: text(r.name, "name"),
      size: counter(r.size, "size"),
      files: counter(r.files, "files"),
      pieces: counter(r.pieces, "pieces"),
      pieceLength: counter(r.piece_length, "piece_length"),
      private: r.private === 1n,
      added: time(r.added, "added"),
    }));
    this.#logSkipped("torrent", skipped);
    return rows;
  }

  torrentBytes(infoHash: Buffer): Buffer | undefined {
    const row = this.#torrentBytes.get(infoHash) as Row | undefined;
    const bytes = row?.torrent;
    return bytes instanceof Uint8Array
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : undefined;
  }

  /** The completed count (clamped); 0 when there is none or it is unusable. */
  completedOf(infoHash: Buffer): number {
    const row = this.#completedOf.get(infoHash) as Row | undefined;
    if (!row) return 0;
    const n = clampCounter(row.count);
    if (n === undefined && !this.#badCountLogged) {
      this.#badCountLogged = true;
      this.#logger.warn("skipped an unusable completed count in the database", {
        infoHash: infoHash.toString("hex"),
      });
    }
    return n ?? 0;
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
        // Clamped again on the way out (counters.ts): what is written always reads back.
        const left = Math.min(p.left, MAX_COUNTER);
        const seen = Math.round(p.seen);
        this.#insertPeer.run(p.infoHash, p.peerId, p.owner, p.addr4, p.addr6, left, seen);
      }
    });
  }

  /**
   * Reads the peer snapshot and deletes it, so a later crash cannot resurrect
   * stale peers. Unusable rows are skipped with a warning; the snapshot is
   * deleted even when reading it fails, so one bad snapshot costs one start
   * its peers, never the starts after it.
   */
  takePeers(): PeerRow[] {
    try {
      const all = this.#reader("SELECT * FROM peers").all() as Row[];
      const { rows, skipped } = readRows(all, (r) => {
        const addr4 = blob(r.addr4, [0, 6], "addr4");
        const addr6 = blob(r.addr6, [0, 18], "addr6");
        if (addr4.length === 0 && addr6.length === 0) throw new BadRow("the peer has no address");
        const owner = counter(r.owner, "owner", -1);
        if (owner >= OWNER_LIMIT) throw new BadRow("owner is out of range");
        return {
          infoHash: blob(r.info_hash, [20], "info_hash"),
          peerId: blob(r.peer_id, [20], "peer_id"),
          owner,
          addr4,
          addr6,
          left: counter(r.left, "left", -1),
          seen: time(r.seen, "seen"),
        };
      });
      this.#logSkipped("peer", skipped);
      return rows;
    } finally {
      this.#db.exec("DELETE FROM peers");
    }
  }

  /** The SQLite handle, for stores that keep tables of their own in the file (members.ts). */
  get sqlite(): DatabaseSync {
    return this.#db;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
