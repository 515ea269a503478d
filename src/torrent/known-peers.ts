/**
 * The addresses a torrent knows for its swarm, with their history: where
 * each came from (a tracker, the user, a magnet link, a peer that reached
 * us and told its listen port in BEP 10's `p`, later PEX), when we last had
 * a connection with it, and how often dialling it failed in a row. An
 * address whose connection ends is dialled again: soon after a connection
 * that was of use, with a back-off that doubles per failure otherwise
 * (5 s × 2^failures, at most 5 minutes); one that keeps failing is dropped.
 * The list is bounded; when full, the address that failed most goes first.
 */
import { formatEndpoint } from "../util/index.ts";

export type PeerSource = "tracker" | "manual" | "magnet" | "incoming" | "pex" | "dht" | "lsd";

/** The first wait before dialling an address again; doubled per failure. */
export const REDIAL_BASE_MS = 5_000;
/** The longest wait between dials of one address. */
export const REDIAL_MAX_MS = 300_000;
/** Failures in a row after which an address is forgotten (about 25 minutes of tries). */
export const MAX_FAILURES = 10;
/** Addresses kept per torrent. */
export const MAX_KNOWN_PEERS = 2_000;
/** A connection this long, or one that carried a block, was of use: its failures are forgiven. */
export const USEFUL_CONNECTION_MS = 30_000;

export interface KnownPeer {
  readonly ip: string;
  readonly port: number;
  /** "ip:port". */
  readonly key: string;
  readonly source: PeerSource;
  /** Dial failures (or useless connections) in a row. */
  failures: number;
  /** Clock time a connection with it was last made. */
  lastConnected: number | undefined;
  /** Not dialled before this clock time. */
  nextDialAt: number;
  /** Connected, or being dialled: not a candidate now. */
  busy: boolean;
  /** It had every piece when last seen (a seed is not dialled once we are one too). */
  seed: boolean;
}

const NO_PEERS: readonly KnownPeer[] = [];

export class KnownPeers {
  /** Made with the first address: most idle seeds never learn one, and hold no table. */
  #peers: Map<string, KnownPeer> | undefined;

  get size(): number {
    return this.#peers?.size ?? 0;
  }

  get(key: string): KnownPeer | undefined {
    return this.#peers?.get(key);
  }

  /**
   * Learns an address (due at once if new). One known already keeps its
   * history: a tracker listing an address again does not undo its back-off.
   */
  add(ip: string, port: number, source: PeerSource, now: number): KnownPeer | undefined {
    const key = formatEndpoint(ip, port);
    this.#peers ??= new Map();
    const peers = this.#peers;
    const known = peers.get(key);
    if (known) return known;
    if (peers.size >= MAX_KNOWN_PEERS && !this.#dropWorst()) return undefined;
    const peer: KnownPeer = {
      ip,
      port,
      key,
      source,
      failures: 0,
      lastConnected: undefined,
      nextDialAt: now,
      busy: false,
      seed: false,
    };
    peers.set(key, peer);
    return peer;
  }

  /** Addresses to dial now, in the order they were learnt. */
  due(now: number): KnownPeer[] {
    const out: KnownPeer[] = [];
    for (const p of this.#values()) if (!p.busy && p.nextDialAt <= now) out.push(p);
    return out;
  }

  /** When the next address not connected falls due (undefined: none waits). */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const p of this.#values()) {
      if (!p.busy && (next === undefined || p.nextDialAt < next)) next = p.nextDialAt;
    }
    return next;
  }

  connected(p: KnownPeer, now: number): void {
    p.busy = true;
    p.lastConnected = now;
  }

  /** A dial failed (or a connection was of no use): wait longer, or forget it. */
  failed(p: KnownPeer, now: number): void {
    p.busy = false;
    p.failures++;
    if (p.failures >= MAX_FAILURES) {
      this.#peers?.delete(p.key);
      return;
    }
    p.nextDialAt = now + Math.min(REDIAL_MAX_MS, REDIAL_BASE_MS * 2 ** (p.failures - 1));
  }

  /** Not the address's fault (our own connection limit): try it again later as it is. */
  deferred(p: KnownPeer, now: number): void {
    p.busy = false;
    p.nextDialAt = now + REDIAL_BASE_MS;
  }

  /** A connection with it ended; `useful`: it lasted, or carried data. */
  closed(p: KnownPeer, useful: boolean, now: number): void {
    if (!useful) {
      this.failed(p, now);
      return;
    }
    p.busy = false;
    p.failures = 0;
    p.nextDialAt = now + REDIAL_BASE_MS;
  }

  /** Every address not connected is due now (the torrent starts again). */
  allDue(now: number): void {
    for (const p of this.#values()) if (!p.busy) p.nextDialAt = Math.min(p.nextDialAt, now);
  }

  /** Forgets the addresses `matches` picks (banned ones). */
  forget(matches: (p: KnownPeer) => boolean): void {
    const peers = this.#peers;
    if (peers) for (const [key, p] of peers) if (matches(p)) peers.delete(key);
  }

  /** Drops the address not connected that failed most (the oldest of those first). */
  #dropWorst(): boolean {
    let worst: KnownPeer | undefined;
    for (const p of this.#values()) {
      if (!p.busy && (!worst || p.failures > worst.failures)) worst = p;
    }
    if (!worst) return false;
    this.#peers?.delete(worst.key);
    return true;
  }

  #values(): Iterable<KnownPeer> {
    return this.#peers?.values() ?? NO_PEERS;
  }
}
