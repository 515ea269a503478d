/**
 * The in-memory SwarmStore.
 *
 * Per swarm and address family, peers sit in one array partitioned as
 * [seeders | leechers], so "any peer" and "leechers only" (what a seeder gets)
 * are both contiguous ranges to sample from, and every change is O(1) by
 * swapping with the partition boundary or the last element. Beside that array
 * a Buffer holds each slot's compact entry (BEP 23: 6 bytes; BEP 7: 18), so a
 * peer list is copied out of one small, cache-friendly buffer without
 * touching the peer objects at all: that, not the arithmetic, is what an
 * announce costs.
 *
 * Expiry is bucketed by time: a peer is appended to the bucket of its
 * announce time (once per bucket), and a sweep drops whole buckets older than
 * the expiry time, skipping peers that have since moved on to a newer bucket.
 * No announce scans anything.
 */
import type { IpFamily } from "../tracker-proto/index.ts";
import type { Random } from "./random.ts";
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

class Peer implements StoredPeer {
  readonly peerId: string;
  left = -1;
  lastSeen = 0;
  seeder = false;
  i4 = -1;
  i6 = -1;
  bucket = -1;
  swarm: Swarm | null;

  constructor(peerId: string, swarm: Swarm) {
    this.peerId = peerId;
    this.swarm = swarm;
  }

  get addr4(): string {
    return this.swarm && this.i4 >= 0 ? this.swarm.v4.entry(this.i4) : "";
  }

  get addr6(): string {
    return this.swarm && this.i6 >= 0 ? this.swarm.v6.entry(this.i6) : "";
  }
}

/** One family's peers, seeders first, with their compact entries in `addrs` slot by slot. */
class FamilyList {
  readonly list: Peer[] = [];
  seeds = 0;
  readonly v6: boolean;
  readonly stride: number;
  addrs: Buffer;

  constructor(v6: boolean) {
    this.v6 = v6;
    this.stride = v6 ? 18 : 6;
    this.addrs = Buffer.allocUnsafe(this.stride * 4);
  }

  index(p: Peer): number {
    return this.v6 ? p.i6 : p.i4;
  }

  #place(p: Peer, i: number): void {
    this.list[i] = p;
    if (this.v6) p.i6 = i;
    else p.i4 = i;
  }

  #swap(i: number, j: number): void {
    if (i === j) return;
    const a = this.list[i]!;
    this.#place(this.list[j]!, i);
    this.#place(a, j);
    const buf = this.addrs;
    const s = this.stride;
    for (let k = 0, x = i * s, y = j * s; k < s; k++, x++, y++) {
      const t = buf[x]!;
      buf[x] = buf[y]!;
      buf[y] = t;
    }
  }

  /** Appends `p` (its entry must be written next with write4/write6, then settle()). */
  add(p: Peer): number {
    const i = this.list.length;
    if ((i + 1) * this.stride > this.addrs.length) {
      const grown = Buffer.allocUnsafe(this.addrs.length * 2);
      this.addrs.copy(grown, 0, 0, i * this.stride);
      this.addrs = grown;
    }
    this.#place(p, i);
    return i;
  }

  /** Moves a just-added seeder into the seeder partition. */
  settle(p: Peer): void {
    if (p.seeder) this.#swap(this.index(p), this.seeds++);
  }

  write4(i: number, ip: number, port: number): void {
    const b = this.addrs;
    const o = i * 6;
    b[o] = ip >>> 24;
    b[o + 1] = ip >>> 16;
    b[o + 2] = ip >>> 8;
    b[o + 3] = ip;
    b[o + 4] = port >>> 8;
    b[o + 5] = port;
  }

  write6(i: number, ip: string, port: number): void {
    const b = this.addrs;
    const o = i * 18;
    for (let k = 0; k < 16; k++) b[o + k] = ip.charCodeAt(k);
    b[o + 16] = port >>> 8;
    b[o + 17] = port;
  }

  entry(i: number): string {
    return this.addrs.toString("latin1", i * this.stride, (i + 1) * this.stride);
  }

  remove(p: Peer): void {
    let i = this.index(p);
    if (i < this.seeds) {
      this.#swap(i, --this.seeds);
      i = this.seeds;
    }
    this.#swap(i, this.list.length - 1);
    this.list.pop();
    if (this.v6) p.i6 = -1;
    else p.i4 = -1;
  }

  /** Call after flipping p.seeder. */
  moved(p: Peer): void {
    const i = this.index(p);
    if (p.seeder) this.#swap(i, this.seeds++);
    else this.#swap(i, --this.seeds);
  }
}

class Swarm {
  readonly peers = new Map<string, Peer>();
  readonly v4 = new FamilyList(false);
  readonly v6 = new FamilyList(true);
  seeders = 0;
  leechers = 0;
  completed: number;
  readonly key: string;

  constructor(key: string, completed: number) {
    this.key = key;
    this.completed = completed;
  }
}

export interface MemorySwarmStoreOptions {
  /** A peer not seen for this long is dropped. */
  expiryMs: number;
  maxSwarms: number;
  maxPeersPerSwarm: number;
  random: Random;
  /** Completed count of a swarm that is (re)created; from persistence. */
  loadCompleted?: (infoHash: string) => number;
  /** Whether to keep a swarm in memory once its last peer left (e.g. a published torrent). */
  keepEmpty?: (infoHash: string) => boolean;
}

export class MemorySwarmStore implements SwarmStore {
  readonly #swarms = new Map<string, Swarm>();
  readonly #buckets = new Map<number, Peer[]>();
  readonly #bucketMs: number;
  readonly #opts: MemorySwarmStoreOptions;
  #peers = 0;
  #seeders = 0;
  // The walk chosen by #walk(): range start, length, first index, step, the asker's slot.
  #start = 0;
  #n = 0;
  #first = 0;
  #step = 1;
  #self = -1;

  constructor(opts: MemorySwarmStoreOptions) {
    this.#opts = opts;
    // Peers expire up to one bucket late; 16 buckets per expiry time bounds that at ~6%.
    this.#bucketMs = Math.max(50, Math.floor(opts.expiryMs / 16));
  }

  #swarm(infoHash: string): Swarm {
    let swarm = this.#swarms.get(infoHash);
    if (!swarm) {
      swarm = new Swarm(infoHash, this.#opts.loadCompleted?.(infoHash) ?? 0);
      this.#swarms.set(infoHash, swarm);
    }
    return swarm;
  }

  put(infoHash: string, u: PeerUpdate, now: number): PutResult {
    let swarm = this.#swarms.get(infoHash);
    if (!swarm) {
      if (this.#swarms.size >= this.#opts.maxSwarms) {
        u.previousLeft = -2;
        return "too_many_swarms";
      }
      swarm = this.#swarm(infoHash);
    }
    let peer = swarm.peers.get(u.peerId);
    let result: PutResult = "updated";
    const seeder = u.left === 0;
    if (!peer) {
      u.previousLeft = -2;
      if (swarm.peers.size >= this.#opts.maxPeersPerSwarm) return "swarm_full";
      peer = new Peer(u.peerId, swarm);
      peer.seeder = seeder;
      swarm.peers.set(u.peerId, peer);
      this.#peers++;
      if (seeder) {
        swarm.seeders++;
        this.#seeders++;
      } else swarm.leechers++;
      result = "added";
    } else {
      u.previousLeft = peer.left;
      if (peer.seeder !== seeder) {
        peer.seeder = seeder;
        const d = seeder ? 1 : -1;
        swarm.seeders += d;
        swarm.leechers -= d;
        this.#seeders += d;
        if (peer.i4 >= 0) swarm.v4.moved(peer);
        if (peer.i6 >= 0) swarm.v6.moved(peer);
      }
    }
    peer.left = u.left;
    if (u.ip4 >= 0) {
      if (peer.i4 < 0) {
        swarm.v4.write4(swarm.v4.add(peer), u.ip4, u.port);
        swarm.v4.settle(peer);
      } else swarm.v4.write4(peer.i4, u.ip4, u.port);
    }
    if (u.ip6 !== "") {
      if (peer.i6 < 0) {
        swarm.v6.write6(swarm.v6.add(peer), u.ip6, u.port);
        swarm.v6.settle(peer);
      } else swarm.v6.write6(peer.i6, u.ip6, u.port);
    }
    peer.lastSeen = now;
    const bucket = Math.floor(now / this.#bucketMs);
    if (peer.bucket !== bucket) {
      peer.bucket = bucket;
      const list = this.#buckets.get(bucket);
      if (list) list.push(peer);
      else this.#buckets.set(bucket, [peer]);
    }
    return result;
  }

  #removePeer(swarm: Swarm, peer: Peer): void {
    swarm.peers.delete(peer.peerId);
    if (peer.i4 >= 0) swarm.v4.remove(peer);
    if (peer.i6 >= 0) swarm.v6.remove(peer);
    peer.swarm = null;
    this.#peers--;
    if (peer.seeder) {
      swarm.seeders--;
      this.#seeders--;
    } else swarm.leechers--;
    if (swarm.peers.size === 0 && !this.#opts.keepEmpty?.(swarm.key)) {
      this.#swarms.delete(swarm.key);
    }
  }

  remove(infoHash: string, peerId: string): boolean {
    const swarm = this.#swarms.get(infoHash);
    const peer = swarm?.peers.get(peerId);
    if (!swarm || !peer) return false;
    this.#removePeer(swarm, peer);
    return true;
  }

  get(infoHash: string, peerId: string): StoredPeer | undefined {
    return this.#swarms.get(infoHash)?.peers.get(peerId);
  }

  addCompleted(infoHash: string): number {
    return ++this.#swarm(infoHash).completed;
  }

  counts(infoHash: string): SwarmCounts | undefined {
    return this.#swarms.get(infoHash);
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
    leechersOnly: boolean,
  ): FamilyList | undefined {
    const swarm = this.#swarms.get(infoHash);
    if (!swarm || want <= 0) return undefined;
    const fl = family === 4 ? swarm.v4 : swarm.v6;
    const start = leechersOnly ? fl.seeds : 0;
    const n = fl.list.length - start;
    if (n <= 0) return undefined;
    const self = swarm.peers.get(exclude);
    const selfIndex = self ? fl.index(self) : -1;
    const random = this.#opts.random;
    let step = n === 1 ? 1 : 1 + random.below(n - 1);
    while (gcd(step, n) !== 1) step = step === n - 1 ? 1 : step + 1;
    this.#start = start;
    this.#n = n;
    this.#first = random.below(n);
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
  ): number {
    const fl = this.#walk(infoHash, family, want, exclude, leechersOnly);
    if (!fl) return 0;
    const { stride, addrs } = fl;
    const n = this.#n;
    const step = this.#step;
    const self = this.#self;
    let i = this.#first;
    let count = 0;
    let o = offset;
    for (let k = 0; k < n && count < want; k++) {
      if (i !== self) {
        for (let x = (this.#start + i) * stride, end = x + stride; x < end; x++)
          out[o++] = addrs[x]!;
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
  ): number {
    out.length = 0;
    const fl = this.#walk(infoHash, family, want, exclude, leechersOnly);
    if (!fl) return 0;
    const n = this.#n;
    let i = this.#first;
    for (let k = 0; k < n && out.length < want; k++) {
      if (i !== this.#self) out.push(fl.list[this.#start + i]!);
      i += this.#step;
      if (i >= n) i -= n;
    }
    return out.length;
  }

  expire(now: number): number {
    const last = Math.floor((now - this.#opts.expiryMs) / this.#bucketMs) - 1;
    let removed = 0;
    for (const [bucket, peers] of this.#buckets) {
      if (bucket > last) continue;
      for (const p of peers) {
        if (p.bucket === bucket && p.swarm) {
          this.#removePeer(p.swarm, p);
          removed++;
        }
      }
      this.#buckets.delete(bucket);
    }
    return removed;
  }

  /** How often expire() has work to do. */
  get sweepIntervalMs(): number {
    return this.#bucketMs;
  }

  totals(): SwarmTotals {
    return {
      swarms: this.#swarms.size,
      peers: this.#peers,
      seeders: this.#seeders,
      leechers: this.#peers - this.#seeders,
    };
  }

  infoHashes(): IterableIterator<string> {
    return this.#swarms.keys();
  }

  peers(infoHash: string): StoredPeer[] {
    const swarm = this.#swarms.get(infoHash);
    return swarm ? [...swarm.peers.values()] : [];
  }
}
