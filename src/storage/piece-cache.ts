/**
 * A small least-recently-used cache of verified pieces, for serving uploads.
 * A block served from a cached piece is a lease on it: a piece evicted while
 * leased is handed to `onFree` (back to the pool) only when its last lease
 * ends, so a buffer is never reused under a socket still sending from it.
 */

export interface Lease {
  piece: Buffer;
  /** Ends the lease; later calls do nothing. */
  release(): void;
}

interface Entry {
  piece: Buffer;
  leases: number;
  evicted: boolean;
}

export class PieceCache {
  readonly #maxBytes: number;
  readonly #onFree: (piece: Buffer) => void;
  #bytes = 0;
  readonly #pieces = new Map<number, Entry>();

  constructor(maxBytes: number, onFree: (piece: Buffer) => void = () => {}) {
    this.#maxBytes = maxBytes;
    this.#onFree = onFree;
  }

  /** Whether a piece of this size is ever kept. */
  fits(size: number): boolean {
    return size <= this.#maxBytes;
  }

  /** A lease on a cached piece (now the most recently used), if it is cached. */
  lease(index: number): Lease | undefined {
    const entry = this.#pieces.get(index);
    if (!entry) return undefined;
    // Map keeps insertion order: re-inserting makes this the newest entry.
    this.#pieces.delete(index);
    this.#pieces.set(index, entry);
    entry.leases++;
    let ended = false;
    return {
      piece: entry.piece,
      release: () => {
        if (ended) return;
        ended = true;
        entry.leases--;
        if (entry.evicted && entry.leases === 0) this.#onFree(entry.piece);
      },
    };
  }

  /** Caches a piece (the cache owns it from now on), evicting the least recently used. */
  set(index: number, piece: Buffer): void {
    if (!this.fits(piece.length)) {
      this.#onFree(piece);
      return;
    }
    this.delete(index);
    this.#pieces.set(index, { piece, leases: 0, evicted: false });
    this.#bytes += piece.length;
    for (const [oldest] of this.#pieces) {
      if (this.#bytes <= this.#maxBytes) break;
      this.delete(oldest);
    }
  }

  delete(index: number): void {
    const entry = this.#pieces.get(index);
    if (!entry) return;
    this.#pieces.delete(index);
    this.#bytes -= entry.piece.length;
    entry.evicted = true;
    if (entry.leases === 0) this.#onFree(entry.piece);
  }

  get size(): number {
    return this.#bytes;
  }
}
