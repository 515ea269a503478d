/**
 * A lying peer's data: it holds (and advertises) every piece, but answers
 * requests for some with corrupted blocks, as a poisoning peer would. What
 * it sends fails the receiver's SHA-1 check (BEP 3), which must ban it.
 */
import type { Bitfield } from "../../src/bitfield/index.ts";
import type { BlockLease, MemoryStorage, PieceStore } from "../../src/storage/index.ts";

export class LyingStore implements PieceStore {
  readonly #inner: MemoryStorage;
  readonly #lieAbout: (piece: number) => boolean;
  /** Blocks answered with corrupted data. */
  lies = 0;

  constructor(inner: MemoryStorage, lieAbout: (piece: number) => boolean) {
    this.#inner = inner;
    this.#lieAbout = lieAbout;
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

  writePiece(index: number, data: Buffer): Promise<boolean> {
    return this.#inner.writePiece(index, data);
  }

  async readBlock(index: number, begin: number, length: number): Promise<BlockLease> {
    const lease = await this.#inner.readBlock(index, begin, length);
    if (!this.#lieAbout(index)) return lease;
    this.lies++;
    // A copy: the true piece is shared with honest peers' stores.
    const data = Buffer.from(lease.data);
    lease.release();
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
