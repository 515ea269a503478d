/**
 * A lying peer's data: it holds (and advertises) every piece, but answers
 * requests for some with corrupted blocks, as a poisoning peer would. What
 * it sends fails the receiver's SHA-1 check (BEP 3), which must ban it.
 * A policy may also refuse blocks (the read fails: the request is rejected,
 * BEP 6), so that a piece mixes its bad block with honest peers' good ones.
 */
import type { Bitfield } from "../../src/bitfield/index.ts";
import {
  type BlockLease,
  type MemoryStorage,
  type PieceStore,
  StorageError,
} from "../../src/storage/index.ts";

/** What the liar does with a request: send the truth, corrupt the block, or refuse it. */
export type LiePolicy = (piece: number, begin: number) => "truth" | "corrupt" | "reject";

/** Corrupts every block of the pieces `lieAbout` names (the whole-piece liar). */
export function corruptPieces(lieAbout: (piece: number) => boolean): LiePolicy {
  return (piece) => (lieAbout(piece) ? "corrupt" : "truth");
}

/**
 * One bad block per piece and the rest refused: the first block asked of
 * each piece is corrupted, every later request for that piece rejected.
 * Every piece it takes part in mixes one bad block with others' good ones.
 */
export function oneBadBlockPerPiece(): LiePolicy {
  const lied = new Set<number>();
  return (piece) => {
    if (lied.has(piece)) return "reject";
    lied.add(piece);
    return "corrupt";
  };
}

/**
 * A persistent mixer: the first block of every piece, whenever asked, is
 * corrupted; every other block refused. Each attempt at a piece that asks
 * it for block 0 fails.
 */
export function badFirstBlocks(): LiePolicy {
  return (_piece, begin) => (begin === 0 ? "corrupt" : "reject");
}

export class LyingStore implements PieceStore {
  readonly #inner: MemoryStorage;
  readonly #policy: LiePolicy;
  /** Blocks answered with corrupted data. */
  lies = 0;
  /** Requests refused. */
  refusals = 0;

  constructor(inner: MemoryStorage, policy: LiePolicy) {
    this.#inner = inner;
    this.#policy = policy;
  }

  get have(): Bitfield {
    return this.#inner.have;
  }

  acquirePiece(index: number): Buffer {
    return this.#inner.acquirePiece(index);
  }

  releasePiece(data: Buffer): void {
    this.#inner.releasePiece(data);
  }

  writePiece(index: number, data: Buffer, onMismatch?: (data: Buffer) => void): Promise<boolean> {
    return this.#inner.writePiece(index, data, onMismatch);
  }

  async readBlock(index: number, begin: number, length: number): Promise<BlockLease> {
    const lease = await this.#inner.readBlock(index, begin, length);
    const what = this.#policy(index, begin);
    if (what === "truth") return lease;
    lease.release();
    if (what === "reject") {
      this.refusals++;
      throw new StorageError("bad_range", `the liar refuses block ${begin} of piece ${index}`);
    }
    this.lies++;
    // A copy: the true piece is shared with honest peers' stores.
    const data = Buffer.from(lease.data);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ 0x5a;
    return { data, release: () => {} };
  }

  recheck(): Promise<Bitfield> {
    return this.#inner.recheck();
  }

  saveResume(): Promise<void> {
    return this.#inner.saveResume();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
