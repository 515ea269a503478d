/**
 * The peers other nodes announced to us (BEP 5 announce_peer), answered to
 * get_peers. Bounded per info hash, in info hashes and in total, and every
 * entry expires unless announced again, so a flood of announces costs a
 * fixed amount of memory.
 */
import type { Clock, RandomSource } from "../util/index.ts";
import type { Endpoint } from "./compact.ts";

export const PEER_STORE_LIMITS = {
  /** Peers kept for one info hash (the oldest leaves for a newcomer). */
  perInfoHash: 500,
  /** Info hashes tracked at once. */
  infoHashes: 5_000,
  /** Peers kept in total. */
  total: 50_000,
  /** A peer not announced again within this long is forgotten (it re-announces every 15 minutes). */
  expiryMs: 30 * 60_000,
} as const;

interface Entry extends Endpoint {
  expires: number;
}

export class PeerStore {
  readonly #clock: Clock;
  readonly #random: RandomSource;
  /** Info hash (latin1) → endpoint key → entry, in insertion order (oldest first). */
  readonly #swarms = new Map<string, Map<string, Entry>>();
  #total = 0;

  constructor(clock: Clock, random: RandomSource) {
    this.#clock = clock;
    this.#random = random;
  }

  get size(): number {
    return this.#total;
  }

  get infoHashCount(): number {
    return this.#swarms.size;
  }

  announce(infoHash: Uint8Array, peer: Endpoint): boolean {
    const key = Buffer.from(infoHash).toString("latin1");
    let swarm = this.#swarms.get(key);
    if (!swarm) {
      if (this.#swarms.size >= PEER_STORE_LIMITS.infoHashes) this.#expire();
      if (this.#swarms.size >= PEER_STORE_LIMITS.infoHashes) return false;
      swarm = new Map();
      this.#swarms.set(key, swarm);
    }
    const peerKey = `${peer.address}|${peer.port}`;
    const had = swarm.delete(peerKey);
    if (!had) {
      if (this.#total >= PEER_STORE_LIMITS.total) this.#expire();
      if (this.#total >= PEER_STORE_LIMITS.total) {
        if (swarm.size === 0) this.#swarms.delete(key);
        return false;
      }
      if (swarm.size >= PEER_STORE_LIMITS.perInfoHash) {
        const oldest = swarm.keys().next().value as string;
        swarm.delete(oldest);
        this.#total--;
      }
      this.#total++;
    }
    swarm.set(peerKey, {
      address: peer.address,
      port: peer.port,
      expires: this.#clock.now() + PEER_STORE_LIMITS.expiryMs,
    });
    return true;
  }

  /** Up to `max` live peers for the info hash, a random choice when there are more. */
  peers(infoHash: Uint8Array, max: number): Endpoint[] {
    const swarm = this.#swarms.get(Buffer.from(infoHash).toString("latin1"));
    if (!swarm) return [];
    const now = this.#clock.now();
    const live: Endpoint[] = [];
    for (const [k, e] of swarm) {
      if (e.expires <= now) {
        swarm.delete(k);
        this.#total--;
      } else live.push({ address: e.address, port: e.port });
    }
    if (swarm.size === 0) this.#swarms.delete(Buffer.from(infoHash).toString("latin1"));
    if (live.length <= max) return live;
    // A partial Fisher–Yates: a fair sample without sorting everything.
    for (let i = 0; i < max; i++) {
      const j = i + Math.floor(this.#random() * (live.length - i));
      [live[i], live[j]] = [live[j]!, live[i]!];
    }
    return live.slice(0, max);
  }

  #expire(): void {
    const now = this.#clock.now();
    for (const [key, swarm] of this.#swarms) {
      for (const [k, e] of swarm) {
        if (e.expires <= now) {
          swarm.delete(k);
          this.#total--;
        }
      }
      if (swarm.size === 0) this.#swarms.delete(key);
    }
  }
}
