/**
 * Blocks of pieces being downloaded, gathered in memory until the piece is
 * whole, then hashed and written at once: one write per piece, and no piece
 * is read back from disk to be verified. Remembers who sent each block, so
 * a piece that fails its hash implicates exactly them, block by block (the
 * smart ban needs to know which block came from whom).
 */
import { BLOCK_LENGTH } from "../util/index.ts";

interface Assembly<S> {
  data: Buffer;
  /** Who sent each block (one array per piece: nothing is allocated per block). */
  senders: (S | undefined)[];
}

/** Where piece memory comes from and goes back to (TorrentStorage, over a pool). */
export interface PieceMemory {
  acquirePiece(index: number): Buffer;
  releasePiece(data: Buffer): void;
}

export class PieceAssembler<S = string> {
  readonly #memory: PieceMemory;
  /** Made with the first block received (a seed never gets one). */
  #table: Map<number, Assembly<S>> | undefined;

  get #pieces(): Map<number, Assembly<S>> {
    this.#table ??= new Map();
    return this.#table;
  }

  constructor(memory: PieceMemory) {
    this.#memory = memory;
  }

  /** Copies a block into its piece (the block's buffer belongs to the socket). */
  add(index: number, begin: number, block: Buffer, sender: S): void {
    let a = this.#pieces.get(index);
    if (!a) {
      const data = this.#memory.acquirePiece(index);
      a = { data, senders: new Array(Math.ceil(data.length / BLOCK_LENGTH)) };
      this.#pieces.set(index, a);
    }
    // A fill of exactly the block's length is one copy of it, done by
    // Node's native fill with memcpy. block.copy() (TypedArray set) would
    // copy into the piece's shared memory with relaxed atomic word moves,
    // which measured twice as slow: the largest cost on a download's socket
    // thread. (An empty block has nothing to copy; fill would refuse it.)
    if (block.length > 0) a.data.fill(block, begin, begin + block.length);
    a.senders[Math.floor(begin / BLOCK_LENGTH)] = sender;
  }

  /**
   * Removes a complete piece: its bytes (now the caller's) and who sent
   * each block. A block sent again (a piece started over) names its last sender.
   */
  take(index: number): { data: Buffer; senders: (S | undefined)[] } | undefined {
    const a = this.#table?.get(index);
    if (!a) return undefined;
    this.#pieces.delete(index);
    return a;
  }

  /** Forgets a piece (its download restarts from nothing). */
  drop(index: number): void {
    const a = this.#table?.get(index);
    if (!a) return;
    this.#pieces.delete(index);
    this.#memory.releasePiece(a.data);
  }

  /** Bytes held in memory. */
  get bytes(): number {
    let n = 0;
    for (const a of this.#table?.values() ?? []) n += a.data.length;
    return n;
  }
}
