/** A small least-recently-used cache of verified pieces, for serving uploads. */
export class PieceCache {
  readonly #maxBytes: number;
  #bytes = 0;
  readonly #pieces = new Map<number, Buffer>();

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get(index: number): Buffer | undefined {
    const piece = this.#pieces.get(index);
    if (piece) {
      // Map keeps insertion order: re-inserting makes this the newest entry.
      this.#pieces.delete(index);
      this.#pieces.set(index, piece);
    }
    return piece;
  }

  set(index: number, piece: Buffer): void {
    if (piece.length > this.#maxBytes) return;
    this.delete(index);
    this.#pieces.set(index, piece);
    this.#bytes += piece.length;
    for (const [oldest, buf] of this.#pieces) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#pieces.delete(oldest);
      this.#bytes -= buf.length;
    }
  }

  delete(index: number): void {
    const old = this.#pieces.get(index);
    if (old) {
      this.#pieces.delete(index);
      this.#bytes -= old.length;
    }
  }

  get size(): number {
    return this.#bytes;
  }
}
