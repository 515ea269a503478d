/**
 * Which blocks to request from which peer (BEP 3 leaves this to clients; this
 * is common practice, as in libtorrent and Transmission):
 *
 * - finish pieces already started before starting new ones (a verified piece
 *   is worth more than many partial ones: it can be shared and survives a
 *   restart);
 * - until a few pieces are complete, start random pieces, so a new peer soon
 *   has something to trade; then rarest first, by availability counted from
 *   bitfields and haves, ties broken at random so peers spread out;
 * - higher priority before lower, and priority 0 never;
 * - in sequential mode (streaming), the lowest piece of the highest priority
 *   first, instead of random or rarest first;
 * - time-critical pieces (a stream is waiting for them: deadlines.ts) before
 *   anything else, most urgent first, whatever their rarity or priority
 *   (but never a piece of priority 0: what the user skipped stays skipped);
 * - endgame: when every missing block is requested, request outstanding
 *   blocks from other peers too, and cancel the copies when one arrives;
 * - a piece being fetched by a fast peer is left to it; a slow peer starts a
 *   piece of its own rather than joining (and holding up) a fast one;
 * - a piece that failed its hash is on parole (libtorrent's word): it is
 *   fetched again whole from one peer, so that its next verdict speaks of
 *   that peer alone: a failure is that peer's, a pass shows who sent the
 *   bad blocks before (the torrent's smart ban). A peer that lets such a
 *   piece go before its end (rejects, chokes, leaves) loses what it sent.
 *
 * Pure: the caller reports bitfields, requests and arrivals; no I/O, no timers.
 */
import type { Bitfield } from "../bitfield/index.ts";
import { BLOCK_LENGTH, pieceSize } from "../util/index.ts";

/** What the picker needs to know of a peer. */
export interface PickerPeer {
  readonly id: string;
  readonly have: Bitfield;
  /** Measured download rate from this peer, bytes/s (0 if unknown). */
  readonly rate: number;
}

export interface BlockRequest {
  index: number;
  begin: number;
  length: number;
}

export interface PickerOptions {
  pieceCount: number;
  pieceLength: number;
  totalLength: number;
  /** Pieces we already have (verified). Kept by reference: the caller owns it. */
  have: Bitfield;
  /** Number of complete pieces below which new pieces are chosen at random. */
  randomFirstPieces?: number;
  /** Random source in [0, 1), for deterministic tests. */
  random?: () => number;
}

/** A piece being downloaded: who was asked for each block, and what arrived. */
interface Partial {
  index: number;
  blocks: number;
  received: Uint8Array;
  receivedCount: number;
  /** Peer ids each block was requested from. */
  requested: Set<string>[];
  requestedCount: number;
  /** Rate of the fastest peer working on it, to keep slow peers off it. */
  fastestRate: number;
  /** It failed its hash before: fetched whole from one peer (see the header). */
  parole: boolean;
  /** On parole: the one peer fetching it. */
  owner: string | undefined;
  /** On parole: peers that let it go before its end; others are asked first. */
  gaveUp: Set<string> | undefined;
}

export class PiecePicker {
  readonly #opts: Required<PickerOptions>;
  readonly #availability: Uint32Array;
  readonly #priority: Uint8Array;
  readonly #partials = new Map<number, Partial>();
  /** Peers whose data failed a piece's hash: asked for it again only if nobody else has it. */
  readonly #suspects = new Map<number, Set<string>>();
  #sequential = false;
  /** Time-critical pieces, most urgent first (setTimeCritical). */
  #critical: readonly number[] = [];

  constructor(opts: PickerOptions) {
    this.#opts = { randomFirstPieces: 4, random: Math.random, ...opts };
    this.#availability = new Uint32Array(opts.pieceCount);
    this.#priority = new Uint8Array(opts.pieceCount).fill(1);
  }

  // --- availability -------------------------------------------------------

  peerHasBitfield(bitfield: Bitfield): void {
    for (const i of bitfield.indices()) this.#availability[i]!++;
  }

  peerHas(index: number): void {
    this.#availability[index]!++;
  }

  /** A peer left: its pieces no longer count, and its requests are released. */
  peerGone(peer: PickerPeer): void {
    for (const i of peer.have.indices()) if (this.#availability[i]! > 0) this.#availability[i]!--;
    for (const p of this.#partials.values()) {
      for (let b = 0; b < p.blocks; b++) this.#release(p, b, peer.id);
    }
  }

  availability(index: number): number {
    return this.#availability[index]!;
  }

  /** 0 = don't download, 1 = normal, higher first. */
  setPriority(index: number, priority: number): void {
    this.#priority[index] = Math.max(0, Math.min(255, priority));
  }

  priority(index: number): number {
    return this.#priority[index]!;
  }

  /** New pieces in index order (streaming) rather than random, then rarest, first. */
  setSequential(on: boolean): void {
    this.#sequential = on;
  }

  /** Pieces to fetch before all others, most urgent first (streaming deadlines); [] for none. */
  setTimeCritical(order: readonly number[]): void {
    this.#critical = order.filter(
      (i) => Number.isInteger(i) && i >= 0 && i < this.#opts.pieceCount,
    );
  }

  // --- picking --------------------------------------------------------------

  /**
   * Up to `count` blocks to request from `peer`, best first. Blocks already
   * requested from this peer are never returned twice.
   */
  pick(peer: PickerPeer, count: number): BlockRequest[] {
    const out: BlockRequest[] = [];
    if (count <= 0) return out;
    // 0. Time-critical pieces: a reader waits for them, in this order.
    for (const index of this.#critical) {
      if (out.length >= count) return out;
      if (!this.#fetchable(peer, index)) continue;
      const p = this.#partials.get(index) ?? this.#start(index);
      if (!p.parole || this.#mayTakeOnParole(p, peer)) this.#takeFree(p, peer, count, out);
    }
    // 1. Blocks nobody was asked for, in pieces already started that this peer can serve.
    for (const p of this.#orderedPartials(peer)) {
      this.#takeFree(p, peer, count, out);
      if (out.length >= count) return out;
    }
    // 2. New pieces: random first, then rarest first.
    while (out.length < count) {
      const index = this.#choosePiece(peer);
      if (index === undefined) break;
      this.#takeFree(this.#start(index), peer, count, out);
    }
    // 3. Endgame: everything missing is requested already; double up.
    if (out.length < count && this.#inEndgame()) {
      for (const p of this.#orderedPartials(peer)) {
        if (p.parole) continue;
        for (let b = 0; b < p.blocks && out.length < count; b++) {
          if (p.received[b] || p.requested[b]!.has(peer.id)) continue;
          this.#request(p, b, peer.id, out);
        }
      }
    }
    return out;
  }

  #fetchable(peer: PickerPeer, index: number): boolean {
    return (
      peer.have.has(index) &&
      !this.#opts.have.has(index) &&
      this.#priority[index]! > 0 &&
      !this.#avoids(peer, index)
    );
  }

  /** A suspect of a failed piece stays off it while another peer has it. */
  #avoids(peer: PickerPeer, index: number): boolean {
    const suspects = this.#suspects.get(index);
    if (!suspects?.has(peer.id)) return false;
    return this.#availability[index]! > suspects.size;
  }

  /** Partial pieces this peer has, those closest to done first. */
  #orderedPartials(peer: PickerPeer): Partial[] {
    const list: Partial[] = [];
    for (const p of this.#partials.values()) {
      if (!peer.have.has(p.index) || this.#priority[p.index] === 0 || this.#avoids(peer, p.index))
        continue;
      if (p.parole && !this.#mayTakeOnParole(p, peer)) continue;
      // Leave a fast peer's piece to it while it is working on it (blocks in
      // flight) unless this peer is about as fast; an abandoned piece is anyone's.
      const inFlight = p.requestedCount - p.receivedCount;
      if (inFlight > 0 && peer.rate * 2 < p.fastestRate && p.requestedCount < p.blocks) continue;
      list.push(p);
    }
    return list.sort((a, b) => b.receivedCount - a.receivedCount || a.index - b.index);
  }

  /**
   * A piece on parole is another peer's while that peer has blocks of it in
   * flight; one that let it go is asked again only when nobody else has it.
   */
  #mayTakeOnParole(p: Partial, peer: PickerPeer): boolean {
    if (p.owner === peer.id) return true;
    if (p.owner !== undefined && p.requestedCount > p.receivedCount) return false;
    return !p.gaveUp?.has(peer.id) || this.#availability[p.index]! <= p.gaveUp.size;
  }

  #takeFree(p: Partial, peer: PickerPeer, count: number, out: BlockRequest[]): void {
    if (p.parole && p.owner !== peer.id) {
      // Its peer stopped before the end with nothing in flight (choked us,
      // say): what it sent is dropped, this peer starts the piece over.
      if (p.owner !== undefined) this.#restart(p);
      p.owner = peer.id;
    }
    for (let b = 0; b < p.blocks && out.length < count; b++) {
      if (!p.received[b] && p.requested[b]!.size === 0) this.#request(p, b, peer.id, out);
    }
    p.fastestRate = Math.max(p.fastestRate, peer.rate);
  }

  #request(p: Partial, block: number, peerId: string, out: BlockRequest[]): void {
    if (p.requested[block]!.size === 0) p.requestedCount++;
    p.requested[block]!.add(peerId);
    const begin = block * BLOCK_LENGTH;
    out.push({
      index: p.index,
      begin,
      length: Math.min(BLOCK_LENGTH, this.#pieceSize(p.index) - begin),
    });
  }

  #choosePiece(peer: PickerPeer): number | undefined {
    const { have, random, randomFirstPieces, pieceCount } = this.#opts;
    const wanted = (i: number) => !this.#partials.has(i) && this.#fetchable(peer, i);
    let best: number | undefined;
    let bestPriority = -1;
    let bestAvailability = Number.POSITIVE_INFINITY;
    let ties = 0;
    const sequential = this.#sequential;
    const randomMode = !sequential && have.count() < randomFirstPieces;
    for (const i of peer.have.indices()) {
      if (!wanted(i)) continue;
      const priority = this.#priority[i]!;
      // Sequential: the index is the key, so the lowest wins (indices ascend).
      const availability = sequential ? i : randomMode ? 0 : this.#availability[i]!;
      if (
        priority > bestPriority ||
        (priority === bestPriority && availability < bestAvailability)
      ) {
        best = i;
        bestPriority = priority;
        bestAvailability = availability;
        ties = 1;
      } else if (priority === bestPriority && availability === bestAvailability) {
        // Reservoir sampling: each tied piece is chosen with equal chance.
        ties++;
        if (random() * ties < 1) best = i;
      }
    }
    return best !== undefined && best < pieceCount ? best : undefined;
  }

  #start(index: number): Partial {
    const blocks = Math.ceil(this.#pieceSize(index) / BLOCK_LENGTH);
    const p: Partial = {
      index,
      blocks,
      received: new Uint8Array(blocks),
      receivedCount: 0,
      requested: Array.from({ length: blocks }, () => new Set<string>()),
      requestedCount: 0,
      fastestRate: 0,
      parole: this.#suspects.has(index),
      owner: undefined,
      gaveUp: undefined,
    };
    this.#partials.set(index, p);
    return p;
  }

  #inEndgame(): boolean {
    const { have, pieceCount } = this.#opts;
    let inProgressMissing = 0;
    for (const p of this.#partials.values()) {
      if (p.requestedCount < p.blocks) return false;
      inProgressMissing++;
    }
    // Every piece we lack is started and fully requested.
    let wantedMissing = 0;
    for (let i = 0; i < pieceCount; i++)
      if (!have.has(i) && this.#priority[i]! > 0) wantedMissing++;
    return wantedMissing > 0 && wantedMissing === inProgressMissing;
  }

  #pieceSize(index: number): number {
    return pieceSize(this.#opts, index);
  }

  #release(p: Partial, block: number, peerId: string): void {
    const set = p.requested[block]!;
    const released = set.delete(peerId) && !p.received[block];
    if (released && set.size === 0) p.requestedCount--;
    // Nobody is working on it any more: whoever picks it up next sets the pace.
    if (p.requestedCount === p.receivedCount) p.fastestRate = 0;
    // On parole its peer cannot finish it: the next one starts over.
    if (released && p.parole && p.owner === peerId) {
      if (!p.gaveUp) p.gaveUp = new Set();
      p.gaveUp.add(peerId);
      this.#restart(p);
    }
  }

  /** Drops what arrived of a piece on parole (its blocks come from one peer). */
  #restart(p: Partial): void {
    p.received.fill(0);
    p.receivedCount = 0;
    for (const set of p.requested) set.clear();
    p.requestedCount = 0;
    p.fastestRate = 0;
    p.owner = undefined;
  }

  // --- outcomes ---------------------------------------------------------------

  /**
   * A block arrived from `peerId`. Returns the other peers it had been
   * requested from (endgame duplicates), to send them `cancel`; and whether
   * the piece now has every block. Unrequested or duplicate blocks return
   * `accepted: false` and should be dropped.
   */
  blockReceived(
    peerId: string,
    index: number,
    begin: number,
  ): { accepted: boolean; cancel: string[]; pieceDone: boolean } {
    const p = this.#partials.get(index);
    const block = begin / BLOCK_LENGTH;
    if (!p || !Number.isInteger(block) || block >= p.blocks || p.received[block]) {
      return { accepted: false, cancel: [], pieceDone: false };
    }
    const askedOf = p.requested[block]!;
    if (!askedOf.has(peerId)) return { accepted: false, cancel: [], pieceDone: false };
    p.received[block] = 1;
    p.receivedCount++;
    const cancel = [...askedOf].filter((id) => id !== peerId);
    askedOf.clear();
    return { accepted: true, cancel, pieceDone: p.receivedCount === p.blocks };
  }

  /** A request was rejected, timed out or cancelled: the block may be asked of others. */
  requestFailed(peerId: string, index: number, begin: number): void {
    const p = this.#partials.get(index);
    if (p) this.#release(p, begin / BLOCK_LENGTH, peerId);
  }

  /** The piece passed its hash check (the caller sets its `have` bit). */
  pieceVerified(index: number): void {
    this.#partials.delete(index);
    this.#suspects.delete(index);
  }

  /**
   * The piece failed its hash check: all of it is fetched again, preferably
   * from peers other than those that sent the bad data (`suspects`).
   */
  pieceFailed(index: number, suspects: readonly string[] = []): void {
    this.#partials.delete(index);
    const set = this.#suspects.get(index) ?? new Set<string>();
    for (const id of suspects) set.add(id);
    if (set.size > 0) this.#suspects.set(index, set);
  }

  /** Pieces in progress and how many of their blocks have arrived. */
  partials(): { index: number; received: number; blocks: number }[] {
    return [...this.#partials.values()].map((p) => ({
      index: p.index,
      received: p.receivedCount,
      blocks: p.blocks,
    }));
  }

  /** Who a block of a partial piece is requested from (for tests and stats). */
  requestedFrom(index: number, begin: number): string[] {
    return [...(this.#partials.get(index)?.requested[begin / BLOCK_LENGTH] ?? [])];
  }
}
