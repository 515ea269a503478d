/**
 * Every peer of every swarm in flat typed arrays, one slot per peer (a
 * struct of arrays), with a free list and an open-addressing index from
 * (swarm number, peer id) to slot.
 *
 * Why not a Peer object per peer in a Map per swarm: at 100,000 peers those
 * are 100,000 objects, 100,000 peer id strings and the maps' entries, tens of
 * MiB that the garbage collector walks on every major collection. Here a
 * peer costs 58 bytes (76 once any IPv6 peer is stored) in a dozen arrays
 * plus 8 to 16 bytes of index, and the collector sees a dozen objects.
 *
 * Capacity doubles while small, then grows by a quarter (GROWTH_STEP at
 * least): doubling alone would leave up to half of a large table unused
 * (131,072 slots for 100,001 peers), and a tracker's memory is mostly this
 * table.
 *
 * Peer ids are client-chosen, so the index hash is seeded with a random
 * value per table: a client cannot precompute ids that collide.
 */
import { randomBytes } from "node:crypto";
import type { StoredPeer } from "./swarm-store.ts";

export const NO_SLOT = -1;
const ID_LENGTH = 20;
const INITIAL_CAPACITY = 1024;
/** Up to this capacity the table doubles; past it, it grows by a quarter, at least GROWTH_STEP. */
const DOUBLING_LIMIT = 65536;
const GROWTH_STEP = 16384;

/** The capacity after `capacity`. */
export function nextCapacity(capacity: number): number {
  if (capacity < DOUBLING_LIMIT) return capacity * 2;
  return capacity + Math.max(GROWTH_STEP, Math.ceil(capacity / 4 / 1024) * 1024);
}

/** The smallest power of two ≥ n (the index's size, so a mask finds a bucket). */
function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class PeerTable {
  capacity = 0;
  /** Slots ever handed out (the scan bound); free ones below it are in #free. */
  used = 0;
  /** Peers stored. */
  count = 0;
  /** Peer ids, 20 bytes per slot. */
  ids = new Uint8Array(0);
  /** Bytes left (0 = seeder, -1 = never said). */
  left = new Float64Array(0);
  /** Clock time (ms) of the last announce. */
  lastSeen = new Float64Array(0);
  /** The swarm number, or NO_SLOT for a free slot. */
  swarmOf = new Int32Array(0);
  /** The index hash of each slot's (swarm, id). */
  hashes = new Int32Array(0);
  /** Position in the swarm's IPv4 / IPv6 list, or NO_SLOT. */
  pos4 = new Int32Array(0);
  pos6 = new Int32Array(0);
  ip4 = new Uint32Array(0);
  port4 = new Uint16Array(0);
  /** IPv6 address (16 bytes) and port per slot; allocated with the first IPv6 peer. */
  ip6: Uint8Array | null = null;
  port6: Uint16Array | null = null;
  readonly #free: number[] = [];
  /** slot + 1 per bucket, 0 = empty; linear probing; at most half full (a power of two). */
  #index = new Int32Array(0);
  #mask = 0;
  readonly #seed: number;

  constructor() {
    this.#seed = randomBytes(4).readInt32LE(0);
    this.#grow(INITIAL_CAPACITY);
  }

  #grow(capacity: number): void {
    const copy = <T extends Uint8Array | Float64Array | Int32Array | Uint32Array | Uint16Array>(
      old: T,
      make: new (n: number) => T,
      per = 1,
    ): T => {
      const a = new make(capacity * per);
      a.set(old);
      return a;
    };
    this.ids = copy(this.ids, Uint8Array, ID_LENGTH);
    this.left = copy(this.left, Float64Array);
    this.lastSeen = copy(this.lastSeen, Float64Array);
    this.swarmOf = copy(this.swarmOf, Int32Array);
    this.swarmOf.fill(NO_SLOT, this.capacity);
    this.hashes = copy(this.hashes, Int32Array);
    this.pos4 = copy(this.pos4, Int32Array);
    this.pos4.fill(NO_SLOT, this.capacity);
    this.pos6 = copy(this.pos6, Int32Array);
    this.pos6.fill(NO_SLOT, this.capacity);
    this.ip4 = copy(this.ip4, Uint32Array);
    this.port4 = copy(this.port4, Uint16Array);
    if (this.ip6 && this.port6) {
      this.ip6 = copy(this.ip6, Uint8Array, 16);
      this.port6 = copy(this.port6, Uint16Array);
    }
    this.capacity = capacity;
    const buckets = powerOfTwoAtLeast(capacity * 2);
    this.#index = new Int32Array(buckets);
    this.#mask = buckets - 1;
    for (let slot = 0; slot < this.used; slot++) {
      if (this.swarmOf[slot]! >= 0) this.#link(slot);
    }
  }

  /** The index hash of (swarm, id): seeded FNV-1a over the id's chars, then mixed. */
  hash(swarm: number, id: string): number {
    let h = (this.#seed ^ Math.imul(swarm, 0x9e3779b1)) | 0;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h | 0;
  }

  #sameId(slot: number, id: string): boolean {
    if (id.length !== ID_LENGTH) return false;
    const ids = this.ids;
    const o = slot * ID_LENGTH;
    for (let k = 0; k < ID_LENGTH; k++) if (ids[o + k] !== id.charCodeAt(k)) return false;
    return true;
  }

  /** The slot of (swarm, id), or NO_SLOT; `hash` is this.hash(swarm, id). */
  find(swarm: number, id: string, hash: number): number {
    const index = this.#index;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) return NO_SLOT;
      const slot = e - 1;
      if (this.hashes[slot] === hash && this.swarmOf[slot] === swarm && this.#sameId(slot, id)) {
        return slot;
      }
    }
  }

  #link(slot: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = this.hashes[slot]! & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /** Stores a new peer (not stored yet: find() first); returns its slot. */
  insert(swarm: number, id: string, hash: number): number {
    if (id.length !== ID_LENGTH) throw new TypeError("peer ids are 20 bytes (latin1 chars)");
    if (this.#free.length === 0 && this.used === this.capacity)
      this.#grow(nextCapacity(this.capacity));
    const slot = this.#free.pop() ?? this.used++;
    this.swarmOf[slot] = swarm;
    this.hashes[slot] = hash;
    const o = slot * ID_LENGTH;
    for (let k = 0; k < ID_LENGTH; k++) this.ids[o + k] = id.charCodeAt(k);
    this.left[slot] = -1;
    this.pos4[slot] = NO_SLOT;
    this.pos6[slot] = NO_SLOT;
    this.#link(slot);
    this.count++;
    return slot;
  }

  /** Frees a slot (already out of its swarm's lists). */
  release(slot: number): void {
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    const index = this.#index;
    const mask = this.#mask;
    let i = this.hashes[slot]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashes[index[j]! - 1]! & mask;
      // The entry at j may move back to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
    this.swarmOf[slot] = NO_SLOT;
    this.#free.push(slot);
    this.count--;
  }

  setIp6(slot: number, ip: string, port: number): void {
    if (!this.ip6 || !this.port6) {
      this.ip6 = new Uint8Array(this.capacity * 16);
      this.port6 = new Uint16Array(this.capacity);
    }
    const o = slot * 16;
    for (let k = 0; k < 16; k++) this.ip6[o + k] = ip.charCodeAt(k);
    this.port6[slot] = port;
  }

  /** Writes the slot's BEP 23 entry (6 bytes) at `o`; returns the offset after it. */
  writeEntry4(slot: number, out: Uint8Array, o: number): number {
    const ip = this.ip4[slot]!;
    const port = this.port4[slot]!;
    out[o] = ip >>> 24;
    out[o + 1] = ip >>> 16;
    out[o + 2] = ip >>> 8;
    out[o + 3] = ip;
    out[o + 4] = port >>> 8;
    out[o + 5] = port;
    return o + 6;
  }

  /** Writes the slot's BEP 7 entry (18 bytes) at `o`; returns the offset after it. */
  writeEntry6(slot: number, out: Uint8Array, o: number): number {
    const ip6 = this.ip6 as Uint8Array;
    const port = (this.port6 as Uint16Array)[slot]!;
    for (let k = 0, s = slot * 16; k < 16; k++) out[o + k] = ip6[s + k]!;
    out[o + 16] = port >>> 8;
    out[o + 17] = port;
    return o + 18;
  }

  #entry(slot: number, v6: boolean): string {
    const bytes = Buffer.allocUnsafe(v6 ? 18 : 6);
    if (v6) this.writeEntry6(slot, bytes, 0);
    else this.writeEntry4(slot, bytes, 0);
    return bytes.toString("latin1");
  }

  /** The slot as a StoredPeer record (a copy: for views, snapshots, dictionary replies). */
  stored(slot: number): StoredPeer {
    return {
      peerId: Buffer.from(this.ids.buffer, slot * ID_LENGTH, ID_LENGTH).toString("latin1"),
      addr4: this.pos4[slot]! >= 0 ? this.#entry(slot, false) : "",
      addr6: this.pos6[slot]! >= 0 ? this.#entry(slot, true) : "",
      left: this.left[slot]!,
      lastSeen: this.lastSeen[slot]!,
    };
  }
}
