/**
 * The info dictionary of a magnet link's torrent, assembled from BEP 9
 * `ut_metadata` pieces: which piece to ask which peer for, what is in
 * flight, what came back, and the check against the info hash. Pure (time
 * comes in as arguments), so the rules below are tested without sockets.
 *
 * - Pieces are spread over peers (at most MAX_REQUESTS_PER_PEER each), so
 *   several peers fill one dictionary at once; once every missing piece is
 *   asked for, an idle peer may ask a second copy of a slow one.
 * - Only data we asked that peer for is kept: a peer cannot push pieces.
 *   Out-of-order pieces are fine; a duplicate is dropped.
 * - A reject or a timeout frees the piece for another peer; the peer is not
 *   asked for that piece again for REJECT_BACKOFF_MS. A late answer is
 *   still taken while the piece is missing.
 * - Complete, the bytes must hash to the info hash (BEP 9). If they do not,
 *   everything is dropped and the peers that sent pieces are named, for the
 *   caller to distrust.
 */

import { type InfoHash, sha1 } from "../util/index.ts";
import { metadataPieceCount, metadataPieceLength } from "../wire/index.ts";

/** Requests one peer may have in flight: a small pipeline hides the round trip. */
export const MAX_REQUESTS_PER_PEER = 4;

/** Copies of one piece asked at once, at most (the second only when nothing else is left). */
export const MAX_COPIES_PER_PIECE = 2;

/** How long a peer that rejected (or timed out on) a piece is not asked for it again. */
export const REJECT_BACKOFF_MS = 10_000;

interface InFlight {
  peer: string;
  piece: number;
  at: number;
}

export type ReceiveResult = "stored" | "duplicate" | "unrequested";

export type VerifyResult = { ok: true; info: Buffer } | { ok: false; contributors: string[] };

export class MetadataFetch {
  readonly size: number;
  readonly pieceCount: number;
  readonly #infoHash: InfoHash;
  readonly #pieces: (Buffer | undefined)[];
  /** Who sent each stored piece. */
  readonly #senders: (string | undefined)[];
  #inFlight: InFlight[] = [];
  /** Copies still on their way of pieces another peer sent first ("peer piece"). */
  #superseded = new Set<string>();
  /** Requests given up on (timed out) whose answer is still welcome if it comes. */
  #late = new Set<string>();
  /** piece → peer → until when it is not asked again. */
  readonly #backoff = new Map<number, Map<string, number>>();
  #received = 0;

  constructor(infoHash: InfoHash, size: number) {
    this.#infoHash = infoHash;
    this.size = size;
    this.pieceCount = metadataPieceCount(size);
    this.#pieces = new Array(this.pieceCount).fill(undefined);
    this.#senders = new Array(this.pieceCount).fill(undefined);
  }

  get complete(): boolean {
    return this.#received === this.pieceCount;
  }

  /** Pieces received so far. */
  get received(): number {
    return this.#received;
  }

  /** Requests `peer` has in flight. */
  inFlight(peer: string): number {
    let n = 0;
    for (const r of this.#inFlight) if (r.peer === peer) n++;
    return n;
  }

  /**
   * The next piece to ask `peer` for (recorded as asked at `now`), or
   * undefined when it has enough in flight or nothing is left for it.
   */
  nextRequest(peer: string, now: number): number | undefined {
    if (this.complete || this.inFlight(peer) >= MAX_REQUESTS_PER_PEER) return undefined;
    let best: number | undefined;
    let bestCopies = Number.POSITIVE_INFINITY;
    for (let piece = 0; piece < this.pieceCount; piece++) {
      if (this.#pieces[piece] || this.#backedOff(piece, peer, now)) continue;
      let copies = 0;
      let mine = false;
      for (const r of this.#inFlight) {
        if (r.piece !== piece) continue;
        copies++;
        if (r.peer === peer) mine = true;
      }
      if (mine || copies >= MAX_COPIES_PER_PIECE) continue;
      if (copies < bestCopies) {
        best = piece;
        bestCopies = copies;
        if (copies === 0) break;
      }
    }
    if (best === undefined) return undefined;
    // A second copy only once the peer has nothing else to do.
    if (bestCopies > 0 && this.inFlight(peer) > 0) return undefined;
    this.#inFlight.push({ peer, piece: best, at: now });
    return best;
  }

  /**
   * Requests for `peers`, one each per round until nobody takes more: the
   * pieces are spread over the peers rather than all asked of the first.
   */
  assign(peers: readonly string[], now: number): { peer: string; piece: number }[] {
    const out: { peer: string; piece: number }[] = [];
    for (let took = true; took; ) {
      took = false;
      for (const peer of peers) {
        const piece = this.nextRequest(peer, now);
        if (piece === undefined) continue;
        out.push({ peer, piece });
        took = true;
      }
    }
    return out;
  }

  /** `peer` said it will not send `piece` (BEP 9 reject). */
  rejected(peer: string, piece: number, now: number): void {
    if (this.#take(peer, piece)) this.#backOff(piece, peer, now);
  }

  /** Requests older than `timeoutMs`: freed (the peers backed off those pieces) and returned. */
  expire(now: number, timeoutMs: number): { peer: string; piece: number }[] {
    const late = this.#inFlight.filter((r) => now - r.at >= timeoutMs);
    if (late.length === 0) return [];
    this.#inFlight = this.#inFlight.filter((r) => now - r.at < timeoutMs);
    for (const r of late) {
      this.#backOff(r.piece, r.peer, now);
      this.#late.add(`${r.peer} ${r.piece}`);
    }
    return late.map(({ peer, piece }) => ({ peer, piece }));
  }

  /** The peer's connection closed: its requests go back to the pool. */
  peerGone(peer: string): void {
    this.#inFlight = this.#inFlight.filter((r) => r.peer !== peer);
    for (const key of this.#superseded)
      if (key.startsWith(`${peer} `)) this.#superseded.delete(key);
  }

  /** A data message: kept if we asked `peer` for it and do not have it yet. */
  receive(peer: string, piece: number, data: Buffer): ReceiveResult {
    if (piece < 0 || piece >= this.pieceCount) return "unrequested";
    if (this.#superseded.delete(`${peer} ${piece}`)) return "duplicate";
    const late = this.#late.delete(`${peer} ${piece}`);
    if (!this.#take(peer, piece) && !late) return "unrequested";
    if (this.#pieces[piece]) return "duplicate";
    if (data.length !== metadataPieceLength(this.size, piece)) return "unrequested";
    // A copy: the payload's buffer belongs to the wire.
    this.#pieces[piece] = Buffer.from(data);
    this.#senders[piece] = peer;
    this.#received++;
    // Other copies of it in flight no longer hold their peers' slots.
    for (const r of this.#inFlight)
      if (r.piece === piece) this.#superseded.add(`${r.peer} ${piece}`);
    this.#inFlight = this.#inFlight.filter((r) => r.piece !== piece);
    return "stored";
  }

  /**
   * Once complete: the info dictionary if it hashes to the info hash;
   * otherwise everything is dropped, to be fetched again, and the peers
   * that sent its pieces are returned.
   */
  verify(): VerifyResult {
    if (!this.complete) throw new Error("the metadata is not complete");
    const info = Buffer.concat(this.#pieces as Buffer[], this.size);
    if (sha1(info).equals(this.#infoHash)) return { ok: true, info };
    const contributors = [...new Set(this.#senders as string[])];
    this.#pieces.fill(undefined);
    this.#senders.fill(undefined);
    this.#received = 0;
    this.#inFlight = [];
    this.#superseded.clear();
    this.#late.clear();
    return { ok: false, contributors };
  }

  #take(peer: string, piece: number): boolean {
    const i = this.#inFlight.findIndex((r) => r.peer === peer && r.piece === piece);
    if (i < 0) return false;
    this.#inFlight.splice(i, 1);
    return true;
  }

  #backOff(piece: number, peer: string, now: number): void {
    const peers = this.#backoff.get(piece) ?? new Map<string, number>();
    this.#backoff.set(piece, peers);
    peers.set(peer, now + REJECT_BACKOFF_MS);
  }

  #backedOff(piece: number, peer: string, now: number): boolean {
    const until = this.#backoff.get(piece)?.get(peer);
    return until !== undefined && now < until;
  }
}
