/**
 * What the peer is told of our pieces: the first message after the
 * handshakes announces them (BEP 3 bitfield, or BEP 6 have-all / have-none
 * when both sides are fast; nothing at all for none, which BEP 3 allows),
 * and each piece verified later goes as a `have`, held back briefly to share
 * a write that is coming anyway.
 */
import { Bitfield } from "../bitfield/index.ts";
import type { Clock } from "../util/index.ts";
import { encodeMessage } from "../wire/index.ts";
import type { MessageWriter } from "./message-writer.ts";

/**
 * A have waits up to this long for a write that is coming anyway (a piece
 * being sent, or our next requests while the peer answers some), to go out
 * in the same writev: a verified piece is announced to every connection, and
 * a write of its own costs a system call here and a read on the other side.
 */
const HAVE_DELAY_MS = 50;

export interface OurPiecesHost {
  readonly clock: Clock;
  readonly writer: MessageWriter;
  /** Both sides speak BEP 6. */
  readonly fast: boolean;
  /** How long a have may wait for company when no write is coming (haveDelayMs). */
  readonly haveDelayMs: number;
  /** The connection is open: messages may go. */
  ready(): boolean;
  closed(): boolean;
  /** A write will go out within `ms` anyway (a piece being sent, requests being answered). */
  writeComing(ms: number): boolean;
  /** Right after the announcement: what else goes first (BEP 10 handshake, BEP 5 port). */
  announced(): void;
}

export class OurPieces {
  readonly #host: OurPiecesHost;
  #have: Bitfield;
  #announced = false;

  /** Our pieces of a torrent of `pieceCount` (none without a geometry). */
  constructor(host: OurPiecesHost, pieceCount: number, given: Bitfield | undefined) {
    this.#host = host;
    this.#have = given?.clone() ?? new Bitfield(pieceCount);
  }

  get have(): Bitfield {
    return this.#have;
  }

  /** The first message went out. */
  get announced(): boolean {
    return this.#announced;
  }

  /** Sends our bitfield (or BEP 6 have-all / have-none), then what follows it, once. */
  announce(): void {
    const host = this.#host;
    if (this.#announced || !host.ready()) return;
    this.#announced = true;
    const have = this.#have;
    const write = (buf: Uint8Array) => host.writer.write(buf);
    // Without a geometry we have nothing (a bitfield of length 0 is "complete").
    if (host.fast && have.length === 0) write(encodeMessage({ type: "have-none" }));
    else if (host.fast && have.isComplete()) write(encodeMessage({ type: "have-all" }));
    else if (host.fast && have.isEmpty()) write(encodeMessage({ type: "have-none" }));
    else if (!have.isEmpty()) write(encodeMessage({ type: "bitfield", bitfield: have.toBuffer() }));
    host.announced();
  }

  /**
   * Our pieces are `bf`: announced now if nothing was yet, else the new
   * ones go as haves (only the first message may announce).
   */
  sendBitfield(bf: Bitfield): void {
    if (this.#host.closed()) return;
    if (!this.#announced) {
      this.#have = bf.clone();
      this.announce();
      return;
    }
    for (const i of bf.indices()) if (!this.#have.has(i)) this.sendHave(i);
  }

  /** We verified piece `index` (checked against the geometry by the caller). */
  sendHave(index: number): void {
    const host = this.#host;
    if (host.closed() || !this.#have.set(index)) return;
    if (!this.#announced || !host.ready()) return;
    const have = encodeMessage({ type: "have", index });
    const wait = host.writeComing(HAVE_DELAY_MS)
      ? Math.max(HAVE_DELAY_MS, host.haveDelayMs)
      : host.haveDelayMs;
    if (wait <= 0) host.writer.write(have);
    else host.writer.defer(have, wait);
  }

  /**
   * The torrent's geometry arrived (a magnet link's metadata): our pieces
   * are `ours`, announced as haves once one went out already (have-none, or
   * nothing), else in the first message.
   */
  setPieceCount(pieceCount: number, ours: Bitfield | undefined): void {
    const announced = this.#announced;
    this.#have = announced ? new Bitfield(pieceCount) : (ours?.clone() ?? new Bitfield(pieceCount));
  }
}
