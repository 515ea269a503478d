/**
 * Every peer of every swarm in one flat table, one 64-byte record per peer,
 * with a free list and an open-addressing index from (swarm number, peer id)
 * to slot.
 *
 * Why not a Peer object per peer in a Map per swarm: at 100,000 peers those
 * are 100,000 objects, 100,000 peer id strings and the maps' entries, tens of
 * MiB that the garbage collector walks on every major collection. Here the
 * collector sees a handful of objects.
 *
 * Why one record per peer rather than an array per field: an announce reads
 * and writes most fields of the asker's record and the compact entry of each
 * peer it hands out, and between two announces the kernel's network stack has
 * run through the caches. A record is one cache line (and one page) where a
 * field per array would be a line and a page per field.
 *
 * Record layout (byte offsets):
 *    0 left, float64 (0 = seeder, -1 = never said)
 *    8 last seen, float64 (clock ms)
 *   16 swarm number, int32 (NO_SLOT when the slot is free)
 *   20 index hash, int32
 *   24 position in the swarm's IPv4 list, int32 (NO_SLOT: none)
 *   28 position in the swarm's IPv6 list, int32
 *   32 BEP 23 compact entry: IPv4 address and port, 6 bytes
 *   38 peer id, 20 bytes
 *   59 owner's kind, uint8 (see peer-owner.ts)
 *   60 owner's value, int32
 * IPv6 entries (BEP 7, 18 bytes) live in a table of their own, allocated with
 * the first IPv6 peer.
 *
 * Capacity doubles while small, then grows by a quarter (GROWTH_STEP at
 * least): doubling alone would leave up to half of a large table unused
 * (131,072 slots for 100,001 peers), and a tracker's memory is mostly this
 * table.
 *
 * Peer ids are client-chosen, so the index hash is seeded with a random
 * value per table: a client cannot precompute ids that collide.
 *
 * A peer is found by (swarm number, peer id, owner): a peer id is public, so
 * on its own it proves nothing; the owner (peer-owner.ts: the announce's key,
 * else its address) is what another client cannot claim.
 */
import { randomBytes } from "node:crypto";
import { writeU32BE } from "../util/index.ts";
import type { StoredPeer } from "./swarm-store.ts";

export const NO_SLOT = -1;
const ID_LENGTH = 20;
const RECORD = 64;
// Offsets in units of each view's element size.
const F64_LEFT = 0;
const F64_LAST_SEEN = 1;
const I32_SWARM = 4;
const I32_HASH = 5;
/** Which list position (see pos/setPos): the IPv4 one or the IPv6 one. */
export const POS4 = 6;
export const POS6 = 7;
const U8_ENTRY4 = 32;
const U8_ID = 38;
const U8_OWNER_KIND = 59;
const I32_OWNER = 15;
const ENTRY6 = 18;
/** An owner is kind * 2^32 + a 32-bit value (peer-owner.ts). */
const OWNER_KIND_UNIT = 0x1_0000_0000;

const INITIAL_CAPACITY = 1024;
/** Up to this capacity the table doubles; past it, it grows by a quarter, at least GROWTH_STEP. */
const DOUBLING_LIMIT = 65536;
const GROWTH_STEP = 16384;

/** The capacity after `capacity`. */
export function nextCapacity(capacity: number): number {
  if (capacity < DOUBLING_LIMIT) return capacity * 2;
  return capacity + Math.max(GROWTH_STEP, Math.ceil(capacity / 4 / 1024) * 1024);
}

/** Writes a BEP 23 entry (IPv4 address as an unsigned 32-bit number, port) at `o`; returns the offset after it. */
export function writeCompact4(out: Uint8Array, o: number, ip: number, port: number): number {
  writeU32BE(out, o, ip);
  out[o + 4] = port >>> 8;
  out[o + 5] = port;
  return o + 6;
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
  // Three views of the records' memory.
  #f64 = new Float64Array(0);
  #i32 = new Int32Array(0);
  #u8 = new Uint8Array(0);
  /** IPv6 entries, 18 bytes per slot; allocated with the first IPv6 peer. */
  #entries6: Uint8Array | null = null;
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
    const memory = new ArrayBuffer(capacity * RECORD);
    const u8 = new Uint8Array(memory);
    u8.set(this.#u8);
    this.#f64 = new Float64Array(memory);
    this.#i32 = new Int32Array(memory);
    this.#u8 = u8;
    for (let slot = this.capacity; slot < capacity; slot++)
      this.#i32[slot * 16 + I32_SWARM] = NO_SLOT;
    if (this.#entries6) {
      const entries6 = new Uint8Array(capacity * ENTRY6);
      entries6.set(this.#entries6);
      this.#entries6 = entries6;
    }
    this.capacity = capacity;
    const buckets = powerOfTwoAtLeast(capacity * 2);
    this.#index = new Int32Array(buckets);
    this.#mask = buckets - 1;
    for (let slot = 0; slot < this.used; slot++) {
      if (this.#i32[slot * 16 + I32_SWARM]! >= 0) this.#link(slot);
    }
  }

  /** The index hash of (swarm, id, owner): seeded FNV-1a over the id's chars, then mixed. */
  hash(swarm: number, id: string, owner = 0): number {
    let h = (this.#seed ^ Math.imul(swarm, 0x9e3779b1) ^ Math.imul(owner | 0, 0x7feb352d)) | 0;
    h ^= Math.floor(owner / OWNER_KIND_UNIT);
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h | 0;
  }

  /** Whether the slot's peer id is `id`. */
  hasPeerId(slot: number, id: string): boolean {
    if (id.length !== ID_LENGTH) return false;
    const u8 = this.#u8;
    const o = slot * RECORD + U8_ID;
    for (let k = 0; k < ID_LENGTH; k++) if (u8[o + k] !== id.charCodeAt(k)) return false;
    return true;
  }

  /** The slot's owner (peer-owner.ts). */
  owner(slot: number): number {
    const low = this.#i32[slot * 16 + I32_OWNER]! >>> 0;
    return this.#u8[slot * RECORD + U8_OWNER_KIND]! * OWNER_KIND_UNIT + low;
  }

  /** The slot of (swarm, id, owner), or NO_SLOT; `hash` is this.hash(swarm, id, owner). */
  find(swarm: number, id: string, hash: number, owner = 0): number {
    const index = this.#index;
    const i32 = this.#i32;
    const mask = this.#mask;
    const ownerLow = owner | 0;
    const ownerKind = Math.floor(owner / OWNER_KIND_UNIT);
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) return NO_SLOT;
      const slot = e - 1;
      const r = slot * 16;
      if (
        i32[r + I32_HASH] === hash &&
        i32[r + I32_SWARM] === swarm &&
        i32[r + I32_OWNER] === ownerLow &&
        this.#u8[slot * RECORD + U8_OWNER_KIND] === ownerKind &&
        this.hasPeerId(slot, id)
      ) {
        return slot;
      }
    }
  }

  #link(slot: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = this.#i32[slot * 16 + I32_HASH]! & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /** Stores a new peer (not stored yet: find() first); returns its slot. */
  insert(swarm: number, id: string, hash: number, owner = 0): number {
    if (id.length !== ID_LENGTH) throw new TypeError("peer ids are 20 bytes (latin1 chars)");
    if (this.#free.length === 0 && this.used === this.capacity)
      this.#grow(nextCapacity(this.capacity));
    const slot = this.#free.pop() ?? this.used++;
    const r = slot * 16;
    const i32 = this.#i32;
    i32[r + I32_SWARM] = swarm;
    i32[r + I32_HASH] = hash;
    i32[r + POS4] = NO_SLOT;
    i32[r + POS6] = NO_SLOT;
    i32[r + I32_OWNER] = owner | 0;
    this.#f64[slot * 8 + F64_LEFT] = -1;
    const u8 = this.#u8;
    u8[slot * RECORD + U8_OWNER_KIND] = Math.floor(owner / OWNER_KIND_UNIT);
    const o = slot * RECORD + U8_ID;
    for (let k = 0; k < ID_LENGTH; k++) u8[o + k] = id.charCodeAt(k);
    this.#link(slot);
    this.count++;
    return slot;
  }

  /** Frees a slot (already out of its swarm's lists). */
  release(slot: number): void {
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    const index = this.#index;
    const i32 = this.#i32;
    const mask = this.#mask;
    let i = i32[slot * 16 + I32_HASH]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = i32[(index[j]! - 1) * 16 + I32_HASH]! & mask;
      // The entry at j may move back to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
    i32[slot * 16 + I32_SWARM] = NO_SLOT;
    this.#free.push(slot);
    this.count--;
  }

  /** The slot's swarm number, or NO_SLOT when the slot is free. */
  swarmOf(slot: number): number {
    return this.#i32[slot * 16 + I32_SWARM]!;
  }

  left(slot: number): number {
    return this.#f64[slot * 8 + F64_LEFT]!;
  }

  lastSeen(slot: number): number {
    return this.#f64[slot * 8 + F64_LAST_SEEN]!;
  }

  /** Records an announce: bytes left and when. */
  touch(slot: number, left: number, now: number): void {
    const f64 = this.#f64;
    f64[slot * 8 + F64_LEFT] = left;
    f64[slot * 8 + F64_LAST_SEEN] = now;
  }

  /** The slot's position in its swarm's IPv4 (POS4) or IPv6 (POS6) list, or NO_SLOT. */
  pos(slot: number, which: number): number {
    return this.#i32[slot * 16 + which]!;
  }

  setPos(slot: number, which: number, position: number): void {
    this.#i32[slot * 16 + which] = position;
  }

  /** Sets the slot's IPv4 address (an unsigned 32-bit number) and port. */
  setEntry4(slot: number, ip: number, port: number): void {
    writeCompact4(this.#u8, slot * RECORD + U8_ENTRY4, ip, port);
  }

  /** The slot's IPv4 entry as one number: address * 65536 + port. */
  entry4(slot: number): number {
    const u8 = this.#u8;
    const o = slot * RECORD + U8_ENTRY4;
    const ip = ((u8[o]! << 24) | (u8[o + 1]! << 16) | (u8[o + 2]! << 8) | u8[o + 3]!) >>> 0;
    return ip * 65536 + ((u8[o + 4]! << 8) | u8[o + 5]!);
  }

  /** Sets the slot's IPv6 address (16 latin1 chars) and port. */
  setEntry6(slot: number, ip: string, port: number): void {
    this.#entries6 ??= new Uint8Array(this.capacity * ENTRY6);
    const entries6 = this.#entries6;
    const o = slot * ENTRY6;
    for (let k = 0; k < 16; k++) entries6[o + k] = ip.charCodeAt(k);
    entries6[o + 16] = port >>> 8;
    entries6[o + 17] = port;
  }

  /** Writes the slot's BEP 23 entry (6 bytes) at `o`; returns the offset after it. */
  writeEntry4(slot: number, out: Uint8Array, o: number): number {
    const u8 = this.#u8;
    const s = slot * RECORD + U8_ENTRY4;
    out[o] = u8[s]!;
    out[o + 1] = u8[s + 1]!;
    out[o + 2] = u8[s + 2]!;
    out[o + 3] = u8[s + 3]!;
    out[o + 4] = u8[s + 4]!;
    out[o + 5] = u8[s + 5]!;
    return o + 6;
  }

  /** Writes the slot's BEP 7 entry (18 bytes) at `o`; returns the offset after it. */
  writeEntry6(slot: number, out: Uint8Array, o: number): number {
    const entries6 = this.#entries6 as Uint8Array;
    for (let k = 0, s = slot * ENTRY6; k < ENTRY6; k++) out[o + k] = entries6[s + k]!;
    return o + ENTRY6;
  }

  #entry(slot: number, v6: boolean): string {
    const bytes = Buffer.allocUnsafe(v6 ? ENTRY6 : 6);
    if (v6) this.writeEntry6(slot, bytes, 0);
    else this.writeEntry4(slot, bytes, 0);
    return bytes.toString("latin1");
  }

  /** The slot as a StoredPeer record (a copy: for views, snapshots, dictionary replies). */
  stored(slot: number): StoredPeer {
    const id = slot * RECORD + U8_ID;
    return {
      peerId: Buffer.from(this.#u8.buffer, id, ID_LENGTH).toString("latin1"),
      addr4: this.pos(slot, POS4) >= 0 ? this.#entry(slot, false) : "",
      addr6: this.pos(slot, POS6) >= 0 ? this.#entry(slot, true) : "",
      left: this.left(slot),
      lastSeen: this.lastSeen(slot),
      owner: this.owner(slot),
    };
  }
}
