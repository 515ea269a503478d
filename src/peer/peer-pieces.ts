/**
 * The pieces a peer says it has: from a bitfield, BEP 6 have-all/have-none,
 * and haves. A connection may open before we know the torrent's piece count
 * (a magnet link's metadata phase): what the peer says then is kept raw,
 * bounded, and validated once the count is known (BEP 3 and BEP 6 checks
 * then apply as if it had just arrived).
 */
import { Bitfield, BitfieldError } from "../bitfield/index.ts";
import { PeerError } from "./errors.ts";

/** What the peer's message adds, for the connection to announce. */
export type PiecesUpdate =
  | { bitfield: Bitfield; haves?: undefined }
  | { haves: number[]; bitfield?: undefined }
  | undefined;

/** Haves kept before the piece count is known: a peer finishing pieces while we fetch metadata. */
export const MAX_UNSIZED_HAVES = 65_536;

const NO_PIECES = new Bitfield(0);

export class PeerPieces {
  #have: Bitfield;
  #known = false;
  /** Until the piece count is known: the raw bitfield (or have-all/none), and haves. */
  #unsized: { base: Buffer | "all" | "none" | undefined; haves: Set<number> } | undefined;

  constructor(pieceCount: number | undefined) {
    if (pieceCount === undefined) {
      this.#have = NO_PIECES;
      this.#unsized = { base: undefined, haves: new Set() };
    } else {
      this.#have = new Bitfield(pieceCount);
    }
  }

  /** The peer's pieces (empty, of length 0, until the piece count is known). */
  get pieces(): Bitfield {
    return this.#have;
  }

  /** A have: true when it is news (to announce). */
  onHave(index: number): boolean {
    const unsized = this.#unsized;
    if (unsized) {
      if (!unsized.haves.has(index) && unsized.haves.size >= MAX_UNSIZED_HAVES) {
        throw new PeerError(
          "bad_have",
          `more than ${MAX_UNSIZED_HAVES} haves before the torrent's metadata`,
        );
      }
      unsized.haves.add(index);
      return false;
    }
    if (index >= this.#have.length) {
      throw new PeerError("bad_have", `have for piece ${index} of ${this.#have.length}`);
    }
    this.#known = true;
    return this.#have.set(index);
  }

  /** A bitfield message's payload (owned: the framer copies it). */
  onBitfield(payload: Buffer): PiecesUpdate {
    const unsized = this.#unsized;
    if (!unsized) return this.#set(Bitfield.fromWire(payload, this.#have.length));
    if (unsized.base instanceof Buffer) {
      // A second one (see #set): merged, once both are the same size.
      if (unsized.base.length !== payload.length) {
        throw new BitfieldError("bad_bitfield_length", "two bitfields of different lengths");
      }
      for (let i = 0; i < payload.length; i++) unsized.base[i]! |= payload[i]!;
    } else if (unsized.base !== "all") {
      unsized.base = payload;
    }
    return undefined;
  }

  /** BEP 6 have-all or have-none (the caller checked the fast extension). */
  onHaveAll(full: boolean): PiecesUpdate {
    const unsized = this.#unsized;
    if (!unsized) {
      const n = this.#have.length;
      return this.#set(full ? Bitfield.full(n) : new Bitfield(n));
    }
    if (full) unsized.base = "all";
    else unsized.base ??= "none";
    return undefined;
  }

  /**
   * The piece count is known: what the peer said so far is checked against
   * it (a bitfield of the wrong size, a have out of range: PeerError or
   * BitfieldError) and becomes its pieces; returned when it said anything.
   */
  onPieceCount(pieceCount: number): PiecesUpdate {
    const unsized = this.#unsized;
    if (!unsized) return undefined;
    this.#unsized = undefined;
    const { base, haves } = unsized;
    const bf =
      base === "all"
        ? Bitfield.full(pieceCount)
        : base instanceof Buffer
          ? Bitfield.fromWire(base, pieceCount)
          : new Bitfield(pieceCount);
    for (const i of haves) {
      if (i >= pieceCount) throw new PeerError("bad_have", `have for piece ${i} of ${pieceCount}`);
      bf.set(i);
    }
    this.#have = new Bitfield(pieceCount);
    if (base === undefined && haves.size === 0) return undefined;
    return this.#set(bf);
  }

  #set(bf: Bitfield): PiecesUpdate {
    // BEP 3 / BEP 6 want one of bitfield, have-all, have-none, before any
    // have. aria2 sends a bitfield after haves; a peer never loses pieces, so
    // a late one is read as the haves it adds (as libtorrent tolerates it).
    if (this.#known) {
      const haves: number[] = [];
      for (const i of bf.indices()) if (this.#have.set(i)) haves.push(i);
      return { haves };
    }
    this.#known = true;
    this.#have = bf;
    return { bitfield: bf };
  }
}
