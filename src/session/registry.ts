/**
 * The session's torrents: by info hash, and by a short id handed out in the
 * order they were added (1, 2, …; never reused in one session), so a user
 * types `pause 2`. A reference is an id, or a prefix of an info hash (at
 * least two hex digits) that names one torrent.
 */
import type { Torrent } from "../torrent/index.ts";
import { ClientError } from "./errors.ts";
import type { ManagedState } from "./managed-state.ts";
import type { TorrentLimits } from "./rate-shares.ts";

/** What a magnet link said of a torrent still without its metadata (BEP 9). */
export interface MagnetDescription {
  name?: string;
  trackers: string[][];
  peers: { host: string; port: number }[];
}

export interface TorrentEntry {
  readonly id: number;
  readonly infoHashHex: string;
  /** The torrent (a recheck replaces it with one opened again). */
  torrent: Torrent;
  /** When it was added, ms since the Unix epoch (kept across restarts). */
  readonly addedAt: number;
  /** Where its files go (move() changes it). */
  downloadDir: string;
  /** Set while its data is in the incomplete folder, until it completes and moves to downloadDir. */
  incompleteDir?: string;
  /** The user paused it (it stays paused across restarts). */
  paused: boolean;
  readonly limits: TorrentLimits;
  /** Set while it has no metadata: what to announce to and dial, and persist. */
  magnet?: MagnetDescription;
  /** Set until its metadata arrives: it is paused then (AddOptions.pauseAfterMetadata). */
  pauseAfterMetadata?: boolean;
  /** The .torrent bytes as given (publishing sends these exact bytes). */
  bytes?: Buffer;
  /** Its queue place, labels, seeding goals and totals (manager.ts). */
  readonly manage: ManagedState;
  /** What follows `torrent` for the session (torrent-events.ts); detach() stops it. */
  watching?: { detach(): void };
}

const HEX_PREFIX = /^[0-9a-f]{2,40}$/i;
const UPPER = /[A-Z]/;

/**
 * The key an info hash is kept under: lower case. Most come so already (a
 * restore looks up each of a thousand three times): no copy made for them.
 */
function keyOf(infoHashHex: string): string {
  return UPPER.test(infoHashHex) ? infoHashHex.toLowerCase() : infoHashHex;
}

export class TorrentRegistry {
  readonly #byHash = new Map<string, TorrentEntry>();
  readonly #byId = new Map<number, TorrentEntry>();
  #next = 1;

  get size(): number {
    return this.#byHash.size;
  }

  /** Registers a torrent under the next id. */
  add(entry: Omit<TorrentEntry, "id">): TorrentEntry {
    const full: TorrentEntry = { ...entry, id: this.#next++ };
    this.#byHash.set(full.infoHashHex, full);
    this.#byId.set(full.id, full);
    return full;
  }

  delete(infoHashHex: string): TorrentEntry | undefined {
    const entry = this.#byHash.get(keyOf(infoHashHex));
    if (!entry) return undefined;
    this.#byHash.delete(entry.infoHashHex);
    this.#byId.delete(entry.id);
    return entry;
  }

  get(infoHashHex: string): TorrentEntry | undefined {
    return this.#byHash.get(keyOf(infoHashHex));
  }

  has(infoHashHex: string): boolean {
    return this.#byHash.has(keyOf(infoHashHex));
  }

  byId(id: number): TorrentEntry | undefined {
    return this.#byId.get(id);
  }

  /** In the order they were added. */
  entries(): TorrentEntry[] {
    return [...this.#byHash.values()];
  }

  /**
   * A torrent by id (`2`) or by a unique info-hash prefix (`3fa2`); an id
   * wins over a prefix made of the same digits. Throws a ClientError:
   * `missing_ref`, `not_found` or `ambiguous`.
   */
  resolve(ref: string | number | undefined): TorrentEntry {
    if (ref === undefined || ref === "") {
      throw new ClientError("missing_ref", "which torrent? give its id or info hash");
    }
    const text = String(ref).trim();
    if (/^\d+$/.test(text)) {
      const entry = this.#byId.get(Number(text));
      if (entry) return entry;
    }
    if (HEX_PREFIX.test(text)) {
      const prefix = text.toLowerCase();
      const found = this.entries().filter((e) => e.infoHashHex.startsWith(prefix));
      if (found.length === 1) return found[0]!;
      if (found.length > 1) {
        throw new ClientError(
          "ambiguous",
          `'${text}' matches ${found.length} torrents: ${found.map((e) => e.id).join(", ")}`,
        );
      }
    }
    throw new ClientError("not_found", `no torrent '${text}'`);
  }
}
