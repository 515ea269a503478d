/**
 * The in-memory SwarmStore.
 *
 * Peers live in a PeerTable (peer-table.ts): one 64-byte record per peer in
 * one typed array, found by (swarm, peer id) through an open-addressing
 * index, so a hundred thousand peers are a few flat arrays rather than a
 * hundred thousand objects, strings and map entries for the garbage
 * collector to walk.
 *
 * Per swarm and address family, the peers' slots sit in one array
 * partitioned as [seeders | leechers], so "any peer" and "leechers only"
 * (what a seeder gets) are both contiguous ranges to sample from, and every
 * change is O(1) by swapping with the partition boundary or the last element.
 *
 * Expiry scans the table's last-seen times, a few hundred microseconds per
 * hundred thousand peers, sixteen times per expiry time. No announce scans
 * anything.
 *
 * An announce asks for one swarm several times (put, a sample per address
 * family, counts) and for the asker twice (put, then to leave it out of the
 * sample): the last swarm and the last peer put are remembered, so each is
 * looked up once.
 */
import type { IpFamily } from "../tracker-proto/index.ts";
import type { RandomSource } from "../util/index.ts";
import { NO_SLOT, PeerTable, POS4, POS6, writeCompact4 } from "./peer-table.ts";
import type {
  PeerUpdate,
  PutResult,
  StoredPeer,
  SwarmCounts,
  SwarmStore,
  SwarmTotals,
} from "./swarm-store.ts";

function gcd(x: number, y: number): number {
  let a = x;
  let b = y;
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** One family's peer slots, seeders first. */
class FamilyList {
  readonly slots: number[] = [];
  /**
   * IPv4 lists only: each peer's compact entry as one number (address * 65536
   * + port), beside its slot. A sample reads them from here, a few adjacent
   * cache lines per swarm, rather than from one record per peer.
   */
  readonly entries: number[] = [];
  seeds = 0;
}

class Swarm implements SwarmCounts {
  readonly key: string;
  /** The swarm's number in the peer table. */
  readonly index: number;
  readonly v4 = new FamilyList();
  v6: FamilyList | null = null;
  size = 0;
  seeders = 0;
  leechers = 0;
  completed: number;

  constructor(key: string, index: number, completed: number) {
    this.key = key;
    this.index = index;
    this.completed = completed;
  }
}

export interface MemorySwarmStoreOptions {
  /** A peer not seen for this long is dropped. */
  expiryMs: number;
  maxSwarms: number;
  maxPeersPerSwarm: number;
  random: RandomSource;
  /** Completed count of a swarm that is (re)created; from persistence. */
  loadCompleted?: (infoHash: string) => number;
  /** Whether to keep a swarm in memory once its last peer left (e.g. a published torrent). */
  keepEmpty?: (infoHash: string) => boolean;
}

export class MemorySwarmStore implements SwarmStore {
  readonly #swarms = new Map<string, Swarm>();
  /** Swarms by their table number; freed numbers are reused. */
  readonly #byIndex: (Swarm | undefined)[] = [];
  readonly #freeIndexes: number[] = [];
  readonly #table = new PeerTable();
  readonly #opts: MemorySwarmStoreOptions;
  #seeders = 0;
  /** Swarms created and dropped so far (see SwarmStore.generation). */
  #generation = 0;
  // The last swarm looked up (see #lookup) and the last peer put (see #slotOf).
  #lastKey = "";
  #lastSwarm: Swarm | undefined;
  #lastPeerId = "";
  #lastOwner = 0;
  #lastSlot = NO_SLOT;
  // The walk chosen by #walk(): range start, length, first index, step, the asker's position.
  #start = 0;
  #n = 0;
  #first = 0;
  #step = 1;
  #self = -1;

  constructor(opts: MemorySwarmStoreOptions) {
    this.#opts = opts;
  }

  #lookup(infoHash: string): Swarm | undefined {
    if (infoHash === this.#lastKey) return this.#lastSwarm;
    const swarm = this.#swarms.get(infoHash);
    if (swarm) {
      this.#lastKey = infoHash;
      this.#lastSwarm = swarm;
    }
    return swarm;
  }

  #swarm(infoHash: string): Swarm {
    let swarm = this.#lookup(infoHash);
    if (!swarm) {
      const index = this.#freeIndexes.pop() ?? this.#byIndex.length;
      swarm = new Swarm(infoHash, index, this.#opts.loadCompleted?.(infoHash) ?? 0);
      this.#byIndex[index] = swarm;
      this.#swarms.set(infoHash, swarm);
      this.#generation++;
    }
    return swarm;
  }

  get generation(): number {
    return this.#generation;
  }

  #dropSwarm(swarm: Swarm): void {
    this.#generation++;
    this.#swarms.delete(swarm.key);
    this.#byIndex[swarm.index] = undefined;
    this.#freeIndexes.push(swarm.index);
    if (this.#lastSwarm === swarm) {
      this.#lastKey = "";
      this.#lastSwarm = undefined;
    }
  }

  /** The slot of a peer in a swarm, or NO_SLOT. */
  #slotOf(swarm: Swarm, peerId: string, owner: number): number {
    const last = this.#lastSlot;
    if (
      last !== NO_SLOT &&
      peerId === this.#lastPeerId &&
      owner === this.#lastOwner &&
      this.#table.swarmOf(last) === swarm.index
    ) {
      return last;
    }
    const t = this.#table;
    return t.find(swarm.index, peerId, t.hash(swarm.index, peerId, owner), owner);
  }

  // Partitioned lists: the table's list positions (POS4/POS6) follow every move.

  #place(fl: FamilyList, which: number, slot: number, i: number): void {
    fl.slots[i] = slot;
    if (which === POS4) fl.entries[i] = this.#table.entry4(slot);
    this.#table.setPos(slot, which, i);
  }

  #swap(fl: FamilyList, which: number, i: number, j: number): void {
    if (i === j) return;
    const a = fl.slots[i]!;
    this.#place(fl, which, fl.slots[j]!, i);
    this.#place(fl, which, a, j);
  }

  #add(fl: FamilyList, which: number, slot: number, seeder: boolean): void {
    this.#place(fl, which, slot, fl.slots.length);
    if (seeder) this.#swap(fl, which, fl.slots.length - 1, fl.seeds++);
  }

  #removeFrom(fl: FamilyList, which: number, slot: number, seeder: boolean): void {
    let i = this.#table.pos(slot, which);
    if (seeder) {
      this.#swap(fl, which, i, --fl.seeds);
      i = fl.seeds;
    }
    this.#swap(fl, which, i, fl.slots.length - 1);
    fl.slots.pop();
    if (which === POS4) fl.entries.pop();
    this.#table.setPos(slot, which, NO_SLOT);
  }

  #moved(fl: FamilyList, which: number, slot: number, seeder: boolean): void {
    const i = this.#table.pos(slot, which);
    if (seeder) this.#swap(fl, which, i, fl.seeds++);
    else this.#swap(fl, which, i, --fl.seeds);
  }

  put(infoHash: string, u: PeerUpdate, now: number): PutResult {
    let swarm = this.#lookup(infoHash);
    if (!swarm) {
      if (this.#swarms.size >= this.#opts.maxSwarms) {
        u.previousLeft = -2;
        return "too_many_swarms";
      }
      swarm = this.#swarm(infoHash);
    }
    const t = this.#table;
    const owner = u.owner ?? 0;
    const hash = t.hash(swarm.index, u.peerId, owner);
    let slot = t.find(swarm.index, u.peerId, hash, owner);
    let result: PutResult = "updated";
    const seeder = u.left === 0;
    if (slot === NO_SLOT) {
      u.previousLeft = -2;
      if (swarm.size >= this.#opts.maxPeersPerSwarm) return "swarm_full";
      slot = t.insert(swarm.index, u.peerId, hash, owner);
      swarm.size++;
      if (seeder) {
        swarm.seeders++;
        this.#seeders++;
      } else swarm.leechers++;
      result = "added";
    } else {
      const previous = t.left(slot);
      u.previousLeft = previous;
      if ((previous === 0) !== seeder) {
        const d = seeder ? 1 : -1;
        swarm.seeders += d;
        swarm.leechers -= d;
        this.#seeders += d;
        if (t.pos(slot, POS4) >= 0) this.#moved(swarm.v4, POS4, slot, seeder);
        if (swarm.v6 && t.pos(slot, POS6) >= 0) this.#moved(swarm.v6, POS6, slot, seeder);
      }
    }
    t.touch(slot, u.left, now);
    if (u.ip4 >= 0) {
      t.setEntry4(slot, u.ip4, u.port);
      const i = t.pos(slot, POS4);
      if (i < 0) this.#add(swarm.v4, POS4, slot, seeder);
      else swarm.v4.entries[i] = u.ip4 * 65536 + u.port;
    }
    if (u.ip6 !== "") {
      swarm.v6 ??= new FamilyList();
      t.setEntry6(slot, u.ip6, u.port);
      if (t.pos(slot, POS6) < 0) this.#add(swarm.v6, POS6, slot, seeder);
    }
    this.#lastPeerId = u.peerId;
    this.#lastOwner = owner;
    this.#lastSlot = slot;
    return result;
  }

  #removeSlot(swarm: Swarm, slot: number): void {
    const t = this.#table;
    const seeder = t.left(slot) === 0;
    if (t.pos(slot, POS4) >= 0) this.#removeFrom(swarm.v4, POS4, slot, seeder);
    if (swarm.v6 && t.pos(slot, POS6) >= 0) this.#removeFrom(swarm.v6, POS6, slot, seeder);
    t.release(slot);
    if (slot === this.#lastSlot) this.#lastSlot = NO_SLOT;
    swarm.size--;
    if (seeder) {
      swarm.seeders--;
      this.#seeders--;
    } else swarm.leechers--;
    if (swarm.size === 0 && !this.#opts.keepEmpty?.(swarm.key)) this.#dropSwarm(swarm);
  }

  remove(infoHash: string, peerId: string, owner = 0): boolean {
    const swarm = this.#lookup(infoHash);
    if (!swarm) return false;
    const slot = this.#slotOf(swarm, peerId, owner);
    if (slot === NO_SLOT) return false;
    this.#removeSlot(swarm, slot);
    return true;
  }

  get(infoHash: string, peerId: string, owner?: number): StoredPeer | undefined {
    const swarm = this.#lookup(infoHash);
    if (!swarm) return undefined;
    const t = this.#table;
    if (owner !== undefined) {
      const slot = this.#slotOf(swarm, peerId, owner);
      return slot === NO_SLOT ? undefined : t.stored(slot);
    }
    for (const fl of [swarm.v4, swarm.v6]) {
      for (const slot of fl?.slots ?? []) if (t.hasPeerId(slot, peerId)) return t.stored(slot);
    }
    return undefined;
  }

  addCompleted(infoHash: string): number {
    return ++this.#swarm(infoHash).completed;
  }

  counts(infoHash: string): SwarmCounts | undefined {
    return this.#lookup(infoHash);
  }

  /**
   * Chooses the walk for a sample; returns the family list, or undefined when
   * there is nothing to give. A random start and a random step coprime with
   * the range length walk a random cycle through it: every peer is equally
   * likely, none comes twice, and the cost is O(want) with no bookkeeping.
   */
  #walk(
    infoHash: string,
    family: IpFamily,
    want: number,
    exclude: string,
    excludeOwner: number,
    leechersOnly: boolean,
  ): FamilyList | undefined {
    const swarm = this.#lookup(infoHash);
    if (!swarm || want <= 0) return undefined;
    const fl = family === 4 ? swarm.v4 : swarm.v6;
    if (!fl) return undefined;
    const start = leechersOnly ? fl.seeds : 0;
    const n = fl.slots.length - start;
    if (n <= 0) return undefined;
    const self = exclude === "" ? NO_SLOT : this.#slotOf(swarm, exclude, excludeOwner);
    const selfIndex = self === NO_SLOT ? -1 : this.#table.pos(self, family === 4 ? POS4 : POS6);
    const random = this.#opts.random;
    let step = n === 1 ? 1 : 1 + Math.floor(random() * (n - 1));
    while (gcd(step, n) !== 1) step = step === n - 1 ? 1 : step + 1;
    this.#start = start;
    this.#n = n;
    this.#first = Math.floor(random() * n);
    this.#step = step;
    this.#self = selfIndex - start;
    return fl;
  }

  sampleCompact(
    infoHash: string,
    family: IpFamily,
    want: number,
    exclude: string,
    leechersOnly: boolean,
    out: Buffer,
    offset: number,
    excludeOwner = 0,
  ): number {
    const fl = this.#walk(infoHash, family, want, exclude, excludeOwner, leechersOnly);
    if (!fl) return 0;
    const t = this.#table;
    const slots = fl.slots;
    const entries = fl.entries;
    const start = this.#start;
    const n = this.#n;
    const step = this.#step;
    const self = this.#self;
    let i = this.#first;
    let count = 0;
    let o = offset;
    const v4 = family === 4;
    for (let k = 0; k < n && count < want; k++) {
      if (i !== self) {
        if (v4) {
          // Split without %: on a double, % is a call into C (fmod).
          const entry = entries[start + i]!;
          const ip = Math.floor(entry / 65536);
          o = writeCompact4(out, o, ip, entry - ip * 65536);
        } else o = t.writeEntry6(slots[start + i]!, out, o);
        count++;
      }
      i += step;
      if (i >= n) i -= n;
    }
    return count;
  }

  sample(
    infoHash: string,
    family: IpFamily,
    want: number,
    exclude: string,
    leechersOnly: boolean,
    out: StoredPeer[],
    excludeOwner = 0,
  ): number {
    out.length = 0;
    const fl = this.#walk(infoHash, family, want, exclude, excludeOwner, leechersOnly);
    if (!fl) return 0;
    const n = this.#n;
    let i = this.#first;
    for (let k = 0; k < n && out.length < want; k++) {
      if (i !== this.#self) out.push(this.#table.stored(fl.slots[this.#start + i]!));
      i += this.#step;
      if (i >= n) i -= n;
    }
    return out.length;
  }

  expire(now: number): number {
    const t = this.#table;
    // A peer silent for the expiry time or longer goes.
    const cutoff = now - this.#opts.expiryMs;
    let removed = 0;
    for (let slot = 0; slot < t.used; slot++) {
      const swarm = t.swarmOf(slot);
      if (swarm >= 0 && t.lastSeen(slot) <= cutoff) {
        this.#removeSlot(this.#byIndex[swarm]!, slot);
        removed++;
      }
    }
    return removed;
  }

  /** How often expire() should run: peers then go at most 1/16 of the expiry time late. */
  get sweepIntervalMs(): number {
    return Math.max(50, Math.floor(this.#opts.expiryMs / 16));
  }

  totals(): SwarmTotals {
    const peers = this.#table.count;
    return {
      swarms: this.#swarms.size,
      peers,
      seeders: this.#seeders,
      leechers: peers - this.#seeders,
    };
  }

  infoHashes(): IterableIterator<string> {
    return this.#swarms.keys();
  }

  peers(infoHash: string, offset = 0, limit = Number.POSITIVE_INFINITY): StoredPeer[] {
    const swarm = this.#swarms.get(infoHash);
    const out: StoredPeer[] = [];
    if (!swarm || limit <= 0) return out;
    const t = this.#table;
    // The IPv4 list, then the IPv6 peers not in it (dual-stack peers are in both: listed once).
    const v4 = swarm.v4.slots;
    for (let i = offset; i < v4.length && out.length < limit; i++) out.push(t.stored(v4[i]!));
    let skip = Math.max(0, offset - v4.length);
    for (const slot of swarm.v6?.slots ?? []) {
      if (out.length >= limit) break;
      if (t.pos(slot, POS4) >= 0) continue;
      if (skip > 0) skip--;
      else out.push(t.stored(slot));
    }
    return out;
  }
}
