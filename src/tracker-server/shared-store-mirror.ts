/**
 * What the operator views (/stats, /metrics, /swarms, /, /torrents, a full
 * scrape) read when swarms live in a shared store: a copy of its totals, of
 * up to MIRROR_SWARMS swarms' counts and of the published torrents' counts
 * (up to MIRROR_TORRENTS of them), behind the SwarmStore interface the views
 * already read synchronously. refresh() (every second) reads the totals each
 * time and the counts every COUNTS_EVERY times: those are a script call over
 * thousands of swarms, which at a light announce load would cost Redis and
 * the instance more than the announces do. Announces and scrapes never read it:
 * they go to the shared store itself (announce-handler.ts, announceSharedTo).
 *
 * Peer lists are not mirrored (a page of a swarm's peers would be a request
 * per view): a shared tracker's swarm pages show counts only.
 */
import type { IpFamily } from "../tracker-proto/index.ts";
import { StoreUnavailableError } from "./errors.ts";
import type {
  PeerUpdate,
  PutResult,
  SharedSwarmStore,
  StoredPeer,
  SwarmCounts,
  SwarmStore,
  SwarmTotals,
} from "./swarm-store.ts";

/** Swarms whose counts the mirror keeps (a sample of the shared store's swarms). */
export const MIRROR_SWARMS = 1000;
/** Published torrents whose counts the mirror keeps too (listings show them). */
export const MIRROR_TORRENTS = 5000;
/** The counts are read on every COUNTS_EVERY-th refresh (and the first). */
const COUNTS_EVERY = 5;

function readOnly(): never {
  throw new StoreUnavailableError("the shared store's mirror is read-only: announce to the store");
}

export class SharedStoreMirror implements SwarmStore {
  readonly #shared: SharedSwarmStore;
  #totals: SwarmTotals = { swarms: 0, peers: 0, seeders: 0, leechers: 0 };
  #counts = new Map<string, SwarmCounts>();
  #generation = 0;
  #refreshes = 0;

  constructor(shared: SharedSwarmStore) {
    this.#shared = shared;
  }

  /** Reads totals and a sample of swarms' counts; keeps the last copy when the store is away. */
  async refresh(published: Iterable<string> = []): Promise<void> {
    const totals = await this.#shared.totals();
    if (this.#refreshes++ % COUNTS_EVERY !== 0) {
      this.#totals = totals;
      return;
    }
    const keys = await this.#shared.infoHashes(MIRROR_SWARMS);
    const sampled = new Set(keys);
    for (const key of published) {
      if (sampled.size >= MIRROR_SWARMS + MIRROR_TORRENTS) break;
      if (!sampled.has(key)) {
        sampled.add(key);
        keys.push(key);
      }
    }
    const counts = await this.#shared.scrape(keys);
    const next = new Map<string, SwarmCounts>();
    for (let i = 0; i < keys.length; i++) next.set(keys[i]!, counts[i]!);
    if (next.size !== this.#counts.size || keys.some((k) => !this.#counts.has(k))) {
      this.#generation++;
    }
    this.#totals = totals;
    this.#counts = next;
  }

  get generation(): number {
    return this.#generation;
  }

  put(_infoHash: string, _update: PeerUpdate, _now: number): PutResult {
    return readOnly();
  }

  remove(_infoHash: string, _peerId: string, _owner?: number): boolean {
    return readOnly();
  }

  addCompleted(_infoHash: string): number {
    return readOnly();
  }

  get(_infoHash: string, _peerId: string, _owner?: number): StoredPeer | undefined {
    return undefined;
  }

  counts(infoHash: string): SwarmCounts | undefined {
    return this.#counts.get(infoHash);
  }

  sampleCompact(
    _infoHash: string,
    _family: IpFamily,
    _want: number,
    _exclude: string,
    _leechersOnly: boolean,
    _out: Buffer,
    _offset: number,
  ): number {
    return readOnly();
  }

  sample(
    _infoHash: string,
    _family: IpFamily,
    _want: number,
    _exclude: string,
    _leechersOnly: boolean,
    _out: StoredPeer[],
  ): number {
    return readOnly();
  }

  /** Expiry runs in the shared store (Tracker's sweep calls SharedSwarmStore.expire). */
  expire(_now: number): number {
    return 0;
  }

  totals(): SwarmTotals {
    return this.#totals;
  }

  infoHashes(): IterableIterator<string> {
    return this.#counts.keys();
  }

  peers(_infoHash: string, _offset?: number, _limit?: number): StoredPeer[] {
    return [];
  }
}
