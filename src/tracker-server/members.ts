/**
 * A private tracker's members (`shoal tracker --private`): accounts with a
 * passkey each, kept in the tracker's SQLite file, with the bytes each
 * member reported per torrent. Announce URLs carry the passkey
 * (`/announce/<passkey>` or `?passkey=`); an unknown or disabled one is
 * refused. The `shoal tracker users` commands change the accounts while a
 * tracker runs on the same file: a passkey not in the cache is looked up in
 * the file, and a cached one is trusted for CACHE_MS only.
 */
import { randomBytes } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { TrackerDatabase } from "./database.ts";
import { TrackerError } from "./errors.ts";

/** How long a looked-up member (or its absence) is trusted before the file is read again. */
const CACHE_MS = 5_000;
/** A member's name: what `users add` takes. */
const NAME = /^[\p{L}\p{N}._-]{1,64}$/u;
/** A passkey: 32 hex digits (128 random bits). */
const PASSKEY = /^[0-9a-f]{32}$/;

export interface Member {
  id: number;
  name: string;
  passkey: string;
  disabled: boolean;
  /** May publish to the index. */
  canPublish: boolean;
  /** Wall-clock ms. */
  created: number;
  /** Bytes reported over every torrent (accounted from announces). */
  uploaded: number;
  downloaded: number;
}

type Row = Record<string, unknown>;

function member(r: Row): Member {
  return {
    id: Number(r.id),
    name: String(r.name),
    passkey: String(r.passkey),
    disabled: Number(r.disabled) !== 0,
    canPublish: Number(r.can_publish) !== 0,
    created: Number(r.created),
    uploaded: Number(r.uploaded ?? 0),
    downloaded: Number(r.downloaded ?? 0),
  };
}

function trafficRow(r: Row): MemberTorrentTraffic {
  const hash = r.info_hash as Uint8Array;
  return {
    infoHash: Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength),
    uploaded: Number(r.uploaded),
    downloaded: Number(r.downloaded),
  };
}

export function isPasskey(text: string): boolean {
  return PASSKEY.test(text);
}

/** The members of the tracker whose data dir is `dataDir` (for `shoal tracker users`); close() when done. */
export function openMembers(dataDir: string): { members: MemberStore; close(): void } {
  const db = new TrackerDatabase(dataDir);
  return { members: new MemberStore(db.sqlite), close: () => db.close() };
}

/** A member's account without its traffic: what instances on one Redis share (shared-members.ts). */
export interface MemberRecord {
  name: string;
  passkey: string;
  disabled: boolean;
  canPublish: boolean;
  created: number;
}

/** What one member reported for one torrent. */
export interface MemberTorrentTraffic {
  infoHash: Buffer;
  uploaded: number;
  downloaded: number;
}

/** What every member together reported for one torrent. */
export interface TorrentTraffic extends MemberTorrentTraffic {
  members: number;
}

/**
 * The members as the admin API and pages use them (admin-routes.ts): an
 * interface, so a store other than SQLite (one shared by several instances)
 * can stand behind them.
 */
export interface MemberDirectory {
  list(): Member[];
  find(name: string): Member | undefined;
  add(name: string, opts?: { canPublish?: boolean }): Member;
  setDisabled(name: string, disabled: boolean): Member;
  setCanPublish(name: string, canPublish: boolean): Member;
  rotatePasskey(name: string): Member;
  /** A member's traffic per torrent, most uploaded first, at most `limit`. */
  torrentsOf(memberId: number, limit: number): MemberTorrentTraffic[];
  /** Every member's traffic summed per torrent, most uploaded first, at most `limit`. */
  torrentTotals(limit: number): TorrentTraffic[];
}

export class MemberStore implements MemberDirectory {
  readonly #db: DatabaseSync;
  readonly #byPasskey: StatementSync;
  readonly #account: StatementSync;
  readonly #cache = new Map<string, { member: Member | undefined; at: number }>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS members (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        passkey TEXT NOT NULL UNIQUE,
        disabled INTEGER NOT NULL DEFAULT 0,
        can_publish INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS member_traffic (
        member INTEGER NOT NULL,
        info_hash BLOB NOT NULL,
        uploaded INTEGER NOT NULL DEFAULT 0,
        downloaded INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (member, info_hash)
      );
    `);
    this.#byPasskey = db.prepare("SELECT * FROM members WHERE passkey = ?");
    this.#account = db.prepare(`
      INSERT INTO member_traffic (member, info_hash, uploaded, downloaded) VALUES (?, ?, ?, ?)
      ON CONFLICT (member, info_hash) DO UPDATE SET
        uploaded = uploaded + excluded.uploaded, downloaded = downloaded + excluded.downloaded`);
  }

  /** A new member; its passkey is returned with it. */
  add(name: string, opts: { canPublish?: boolean } = {}, now = Date.now()): Member {
    if (!NAME.test(name)) {
      throw new TrackerError(
        "invalid_config",
        `'${name}' is not a member name (1 to 64 letters, digits, '.', '_' or '-')`,
      );
    }
    if (this.#find(name)) throw new TrackerError("invalid_config", `${name} is already a member`);
    const passkey = randomBytes(16).toString("hex");
    this.#db
      .prepare("INSERT INTO members (name, passkey, can_publish, created) VALUES (?, ?, ?, ?)")
      .run(name, passkey, opts.canPublish ? 1 : 0, now);
    return this.get(name);
  }

  /** Every member with its totals, by name. */
  list(): Member[] {
    const rows = this.#db
      .prepare(`
        SELECT m.*, COALESCE(SUM(t.uploaded), 0) AS uploaded, COALESCE(SUM(t.downloaded), 0) AS downloaded
        FROM members m LEFT JOIN member_traffic t ON t.member = m.id
        GROUP BY m.id ORDER BY m.name`)
      .all() as Row[];
    return rows.map(member);
  }

  get(name: string): Member {
    const found = this.#find(name);
    if (!found) throw new TrackerError("invalid_config", `${name} is not a member`);
    return found;
  }

  setDisabled(name: string, disabled: boolean): Member {
    this.get(name);
    this.#db.prepare("UPDATE members SET disabled = ? WHERE name = ?").run(disabled ? 1 : 0, name);
    this.#cache.clear();
    return this.get(name);
  }

  setCanPublish(name: string, canPublish: boolean): Member {
    this.get(name);
    this.#db
      .prepare("UPDATE members SET can_publish = ? WHERE name = ?")
      .run(canPublish ? 1 : 0, name);
    this.#cache.clear();
    return this.get(name);
  }

  /** A new passkey for `name`; the old one stops working. */
  rotatePasskey(name: string): Member {
    this.get(name);
    this.#db
      .prepare("UPDATE members SET passkey = ? WHERE name = ?")
      .run(randomBytes(16).toString("hex"), name);
    this.#cache.clear();
    return this.get(name);
  }

  /** The member with this passkey (disabled ones too), from the cache or the file. */
  byPasskey(passkey: string, now = Date.now()): Member | undefined {
    if (!isPasskey(passkey)) return undefined;
    const cached = this.#cache.get(passkey);
    if (cached && now - cached.at < CACHE_MS) return cached.member;
    const row = this.#byPasskey.get(passkey) as Row | undefined;
    const found = row ? member(row) : undefined;
    if (this.#cache.size > 100_000) this.#cache.clear();
    this.#cache.set(passkey, { member: found, at: now });
    return found;
  }

  /** Adds bytes a member reported for a torrent (deltas, already checked: traffic.ts). */
  account(memberId: number, infoHash: Uint8Array, uploaded: number, downloaded: number): void {
    if (uploaded <= 0 && downloaded <= 0) return;
    this.#account.run(memberId, infoHash, uploaded, downloaded);
  }

  /** Every account without its traffic (shared-members.ts compares them with Redis's). */
  records(): MemberRecord[] {
    const rows = this.#db
      .prepare("SELECT name, passkey, disabled, can_publish, created FROM members")
      .all() as Row[];
    return rows.map((r) => {
      const { name, passkey, disabled, canPublish, created } = member(r);
      return { name, passkey, disabled, canPublish, created };
    });
  }

  /** Creates or overwrites the account `r.name` (another instance's change, shared-members.ts). */
  upsertRecord(r: MemberRecord): void {
    this.#db
      .prepare(`
        INSERT INTO members (name, passkey, disabled, can_publish, created) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET passkey = excluded.passkey, disabled = excluded.disabled,
          can_publish = excluded.can_publish`)
      .run(r.name, r.passkey, r.disabled ? 1 : 0, r.canPublish ? 1 : 0, r.created);
    this.#cache.clear();
  }

  /** Sets what a member reported for a torrent to totals kept elsewhere (shared-members.ts). */
  setTraffic(name: string, infoHash: Uint8Array, uploaded: number, downloaded: number): void {
    this.#db
      .prepare(`
        INSERT INTO member_traffic (member, info_hash, uploaded, downloaded)
        SELECT id, ?, ?, ? FROM members WHERE name = ?
        ON CONFLICT (member, info_hash) DO UPDATE SET
          uploaded = excluded.uploaded, downloaded = excluded.downloaded`)
      .run(infoHash, uploaded, downloaded, name);
  }

  /** What a member reported for one torrent. */
  traffic(memberId: number, infoHash: Uint8Array): { uploaded: number; downloaded: number } {
    const row = this.#db
      .prepare("SELECT uploaded, downloaded FROM member_traffic WHERE member = ? AND info_hash = ?")
      .get(memberId, infoHash) as Row | undefined;
    return { uploaded: Number(row?.uploaded ?? 0), downloaded: Number(row?.downloaded ?? 0) };
  }

  torrentsOf(memberId: number, limit: number): MemberTorrentTraffic[] {
    const rows = this.#db
      .prepare(
        "SELECT info_hash, uploaded, downloaded FROM member_traffic WHERE member = ? ORDER BY uploaded DESC, info_hash LIMIT ?",
      )
      .all(memberId, limit) as Row[];
    return rows.map(trafficRow);
  }

  torrentTotals(limit: number): TorrentTraffic[] {
    const rows = this.#db
      .prepare(`
        SELECT info_hash, SUM(uploaded) AS uploaded, SUM(downloaded) AS downloaded, COUNT(*) AS members
        FROM member_traffic GROUP BY info_hash ORDER BY uploaded DESC, info_hash LIMIT ?`)
      .all(limit) as Row[];
    return rows.map((r) => ({ ...trafficRow(r), members: Number(r.members) }));
  }

  /** The member called `name` with its totals, or undefined. */
  find(name: string): Member | undefined {
    const row = this.#db
      .prepare(`
        SELECT m.*, COALESCE(SUM(t.uploaded), 0) AS uploaded, COALESCE(SUM(t.downloaded), 0) AS downloaded
        FROM members m LEFT JOIN member_traffic t ON t.member = m.id
        WHERE m.name = ? GROUP BY m.id`)
      .get(name) as Row | undefined;
    return row ? member(row) : undefined;
  }

  #find(name: string): Member | undefined {
    const row = this.#db.prepare("SELECT * FROM members WHERE name = ?").get(name) as
      | Row
      | undefined;
    return row ? member(row) : undefined;
  }
}
