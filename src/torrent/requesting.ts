/**
 * The downloading side of a torrent with its metadata: interest in each
 * peer, what to ask it for (the picker), blocks gathered into pieces, and
 * whole pieces verified and written. Trusts nothing a peer sends: blocks
 * count only inside a piece whose hash matches; a piece that fails is
 * fetched again from one peer (the picker's parole) and the peers that sent
 * bad data are banned once proven (bans.ts, smart-ban.ts).
 */
import { Bitfield } from "../bitfield/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import type { Block } from "../peer/index.ts";
import { PiecePicker } from "../picker/index.ts";
import { isPermanentStorageError, type PieceStore } from "../storage/index.ts";
import type { RandomSource } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";
import type { PeerSet } from "./peer-set.ts";
import { PieceAssembler } from "./piece-assembler.ts";
import { blockDigests, SmartBan } from "./smart-ban.ts";
import type { SwarmPeer } from "./swarm-peer.ts";

/**
 * Bytes of whole pieces that may wait for verification and the disk before
 * we stop asking for more: a download faster than the disk would otherwise
 * pile finished pieces up in memory.
 */
const MAX_WRITE_BACKLOG = 16 * 1024 * 1024;
/**
 * Endgame (every missing block is asked of someone): a peer is asked for
 * copies of blocks others were asked for only while fewer than this many of
 * its own requests are unanswered. The picker's endgame offers a peer every
 * such block; with pipelines a second deep, each busy peer took copies of
 * the whole tail, a tenth to a quarter of a download asked for twice, most
 * of it cancelled (a cancel, often a reject back, and bytes sent for
 * nothing). A peer about to run dry still takes over blocks stuck at a slow
 * one, as libtorrent's busy-block rule does.
 */
const ENDGAME_REQUESTS = 2;
/** Blocks asked for at once when topping up a peer's pipeline. */
const MIN_REQUEST_BATCH = 8;
/** The time-critical list while there is none (one shared, never written to: it is replaced). */
const NO_PIECES: readonly number[] = Object.freeze([]);

export interface RequesterHost {
  meta: Metainfo;
  storage: PieceStore;
  peers: PeerSet;
  random: RandomSource;
  /** Requests go out only in an active state. */
  active(): boolean;
  /** A piece was verified and written. */
  verified(index: number): void;
  /** A piece failed its hash; `banned`: the addresses banned for it. */
  hashFailed(index: number, banned: string[]): void;
  /** Addresses banned for sending bad data (at a failure, or proven once a piece passed). */
  banned(keys: string[], reason: string): void;
  /** Every piece is verified. */
  completed(): void;
  /** The data cannot take pieces any more (a full disk, a name too long): the torrent stops. */
  failed(err: Error): void;
  warn(err: unknown): void;
}

export class Requester {
  readonly #host: RequesterHost;
  /** Made when first needed (a peer's pieces, a pick): a seed with no peer never needs it. */
  #pickerMade: PiecePicker | undefined;
  /** Until the picker is made: what it is to be told (a number: every piece's). */
  #priorities: Uint8Array | number | undefined;
  #sequential = false;
  #critical: readonly number[] = NO_PIECES;
  /** Blocks gathered into pieces, and the smart ban's records: made by the first block received. */
  #assemblerMade: PieceAssembler<SwarmPeer> | undefined;
  #smartBanMade: SmartBan | undefined;
  /** Payload bytes received in accepted blocks. */
  downloaded = 0;
  /** Bytes received that were not wanted (duplicates, unrequested). */
  wasted = 0;
  hashFailures = 0;
  /** Whole pieces handed to storage and not yet verified and written. */
  #writing = 0;
  /** The last pick handed out copies of blocks asked of others (see ENDGAME_REQUESTS). */
  #endgame = false;
  /** Pieces the user does not want (selective download; file-selection.ts), if any. */
  #unwanted: Bitfield | undefined;
  /** With #unwanted: the pieces wanted. */
  #wanted: Bitfield | undefined;

  constructor(host: RequesterHost) {
    this.#host = host;
    // Peers connected before the metadata: their pieces, checked by now.
    // (Made later, the picker hears of every peer's pieces as they come.)
    for (const p of host.peers.values()) this.#picker.peerHasBitfield(p.have);
  }

  get #assembler(): PieceAssembler<SwarmPeer> {
    this.#assemblerMade ??= new PieceAssembler(this.#host.storage);
    return this.#assemblerMade;
  }

  get #smartBan(): SmartBan {
    this.#smartBanMade ??= new SmartBan();
    return this.#smartBanMade;
  }

  get #picker(): PiecePicker {
    if (this.#pickerMade) return this.#pickerMade;
    const { meta, storage, random } = this.#host;
    const picker = new PiecePicker({
      pieceCount: meta.pieceCount,
      pieceLength: meta.pieceLength,
      totalLength: meta.totalLength,
      have: storage.have,
      random,
    });
    const priorities = this.#priorities;
    for (let i = 0; priorities !== undefined && i < meta.pieceCount; i++) {
      picker.setPriority(i, typeof priorities === "number" ? priorities : priorities[i]!);
    }
    picker.setSequential(this.#sequential);
    picker.setTimeCritical(this.#critical);
    this.#priorities = undefined;
    this.#critical = NO_PIECES;
    this.#pickerMade = picker;
    return picker;
  }

  /** Every wanted piece is verified (all of them, unless files are skipped). */
  get complete(): boolean {
    const have = this.#host.storage.have;
    return this.#wanted ? !have.lacksAnyOf(this.#wanted) : have.isComplete();
  }

  /**
   * The picker priority of each piece (file-selection.ts; 0: not wanted).
   * Interest follows at once; pieces already started that are no longer
   * wanted are left as they are.
   */
  setPriorities(priorities: Uint8Array): void {
    // Made by the first piece not wanted: most torrents want every piece.
    let unwanted: Bitfield | undefined;
    const picker = this.#pickerMade;
    let same = true;
    for (let i = 0; i < priorities.length; i++) {
      picker?.setPriority(i, priorities[i]!);
      if (priorities[i] !== priorities[0]) same = false;
      if (priorities[i] === 0) {
        unwanted ??= new Bitfield(priorities.length);
        unwanted.set(i);
      }
    }
    if (!picker) this.#priorities = same ? priorities[0] : priorities.slice();
    this.#unwanted = unwanted;
    this.#wanted = this.#unwanted && Bitfield.full(priorities.length).andNot(this.#unwanted);
    for (const p of this.#host.peers.values()) this.updateInterest(p);
  }

  setSequential(on: boolean): void {
    if (this.#pickerMade) this.#pickerMade.setSequential(on);
    else this.#sequential = on;
  }

  /** Pieces a stream waits for, most urgent first (file-stream.ts): asked for at once. */
  setTimeCritical(order: readonly number[]): void {
    if (this.#pickerMade) this.#pickerMade.setTimeCritical(order);
    else this.#critical = order.length > 0 ? [...order] : NO_PIECES;
    this.#requestAll();
  }

  #wantedOf(pieces: Bitfield): Bitfield {
    return this.#unwanted ? pieces.andNot(this.#unwanted) : pieces;
  }

  /** Piece index → 0..1 of its blocks received, for the pieces in progress. */
  partialProgress(): Map<number, number> {
    const out = new Map<number, number>();
    for (const p of this.#pickerMade?.partials() ?? []) out.set(p.index, p.received / p.blocks);
    return out;
  }

  onBitfield(peer: SwarmPeer, bf: Bitfield): void {
    this.#picker.peerHasBitfield(bf);
    this.updateInterest(peer);
  }

  onHave(peer: SwarmPeer, index: number): void {
    this.#picker.peerHas(index);
    this.updateInterest(peer);
  }

  /** Interested in a peer while it has something we lack; two seeds part. */
  updateInterest(peer: SwarmPeer): void {
    if (this.complete && peer.have.isComplete()) {
      peer.conn.close("both seeds");
      return;
    }
    const interested =
      !this.complete && this.#host.storage.have.lacksAnyOf(this.#wantedOf(peer.have));
    if (interested !== peer.conn.amInterested) peer.conn.setInterested(interested);
    if (interested) this.request(peer);
  }

  /** Tops up the peer's request pipeline from the picker. */
  request(peer: SwarmPeer): void {
    const { conn } = peer;
    if (!this.#host.active() || this.complete || conn.peerChoking || !conn.amInterested) return;
    if (this.#writing * this.#host.meta.pieceLength >= MAX_WRITE_BACKLOG && this.#writing >= 2) {
      return;
    }
    const pending = conn.requestsPending;
    const depth = conn.pipelineDepth;
    const room = depth - pending;
    // Top up in batches of a quarter of the pipeline (one write and one picker
    // pass for many blocks: on a fast peer every write is a system call), but
    // never let the pipeline run dry: a shallow one (a slow or shared peer's)
    // is topped up once half of it is answered, not when all of it is.
    const batch = Math.min(Math.max(MIN_REQUEST_BATCH, depth >> 2), Math.max(1, depth >> 1));
    if (room <= 0) return;
    let count = room;
    if (this.#endgame) {
      if (pending >= ENDGAME_REQUESTS) return;
      count = Math.min(room, ENDGAME_REQUESTS - pending);
    } else if (room < batch && pending > 0) return;
    const picked = this.#picker.pick(peer, count);
    for (const r of picked) conn.request(r);
    this.#noteEndgame(picked);
  }

  /**
   * Endgame or not, from what a pick handed out: free blocks come first, so
   * a first block asked of nobody else says there are free ones (not yet, or
   * no longer, the endgame), and a last block asked of others too says the
   * free ones ran out. Blocks given back in the endgame go to the next
   * peer about to run dry (they are free again, so it leaves the endgame):
   * until then every peer is busy anyway.
   */
  #noteEndgame(picked: readonly BlockRef[]): void {
    const first = picked[0];
    if (!first) return;
    const last = picked[picked.length - 1]!;
    if (this.#picker.requestedFrom(first.index, first.begin).length === 1) this.#endgame = false;
    if (this.#picker.requestedFrom(last.index, last.begin).length > 1) this.#endgame = true;
  }

  #requestAll(except?: SwarmPeer): void {
    for (const p of this.#host.peers.values()) if (p !== except) this.request(p);
  }

  /** Requests the peer will not answer: they go to the others. */
  giveBack(peer: SwarmPeer, refs: readonly BlockRef[]): void {
    for (const r of refs) this.#picker.requestFailed(peer.id, r.index, r.begin);
    if (refs.length > 0) this.#requestAll(peer);
  }

  peerGone(peer: SwarmPeer): void {
    // No picker yet: nothing of this peer's was counted (its pieces would have made one).
    this.#pickerMade?.peerGone(peer);
    this.#requestAll();
  }

  onBlock(peer: SwarmPeer, block: Block): void {
    const outcome = this.#picker.blockReceived(peer.id, block.index, block.begin);
    if (!outcome.accepted) {
      this.wasted += block.data.length;
      return;
    }
    this.downloaded += block.data.length;
    for (const id of outcome.cancel) {
      this.#host.peers
        .get(id)
        ?.conn.cancel({ index: block.index, begin: block.begin, length: block.data.length });
    }
    this.#assembler.add(block.index, block.begin, block.data, peer);
    if (outcome.pieceDone) void this.#finishPiece(block.index);
    this.request(peer);
  }

  async #finishPiece(index: number): Promise<void> {
    const piece = this.#assemblerMade?.take(index);
    if (!piece) return;
    const host = this.#host;
    // Block digests, for the smart ban: of a piece that failed before, now
    // (its verdict, pass or fail, is judged block by block); of any other,
    // only if it fails (the storage shows us the data before letting it go).
    let digests = this.#smartBan.tracks(index) ? blockDigests(piece.data) : undefined;
    let ok: boolean;
    this.#writing++;
    try {
      ok = await host.storage.writePiece(index, piece.data, (bad) => {
        digests ??= blockDigests(bad);
      });
    } catch (err) {
      this.#picker.pieceFailed(index);
      // Storage tried again where that could help: fetching the piece anew
      // would fail the same way, forever (issue 13, item 4).
      if (isPermanentStorageError(err)) {
        host.failed(err);
        return;
      }
      // Any other failure: the piece is fetched again later; the torrent goes on.
      host.warn(err);
      this.#requestAll();
      return;
    } finally {
      this.#writing--;
    }
    if (!ok) {
      this.hashFailures++;
      this.#pieceFailed(index, piece.senders, digests ?? []);
      this.#requestAll();
      return;
    }
    if (digests) this.#judge(index, digests);
    this.#picker.pieceVerified(index);
    for (const p of host.peers.values()) p.conn.sendHave(index);
    host.verified(index);
    if (this.complete) host.completed();
    else for (const p of host.peers.values()) this.updateInterest(p);
  }

  /**
   * A piece failed its hash. Sent by one peer alone, it proves that peer a
   * liar; sent by several, it is on record (block by block) until the
   * piece passes, and its senders stay off it while others have it.
   */
  #pieceFailed(
    index: number,
    senders: readonly (SwarmPeer | undefined)[],
    digests: readonly Buffer[],
  ): void {
    const host = this.#host;
    const peers = [...new Set(senders)].filter((p) => p !== undefined);
    this.#picker.pieceFailed(
      index,
      peers.map((p) => p.id),
    );
    const keys = senders.map((p) => p?.banKey);
    const banned = host.peers.bans.pieceFailed(keys.filter((k) => k !== undefined));
    if (banned.length === 0) this.#smartBan.failed(index, keys, digests);
    this.#banned(banned, "banned: sent a piece that failed its hash");
    host.hashFailed(index, banned);
  }

  /** A piece that failed before passed: who sent blocks unlike the good copy lied. */
  #judge(index: number, digests: readonly Buffer[]): void {
    const { liars, honest } = this.#smartBan.passed(index, digests);
    const bans = this.#host.peers.bans;
    bans.cleared(honest);
    this.#banned(bans.ban(liars), "banned: sent a block unlike the verified piece");
  }

  #banned(keys: string[], reason: string): void {
    if (keys.length === 0) return;
    this.#host.peers.closeBanned(keys, reason);
    this.#host.banned(keys, reason);
  }
}
