/**
 * Piece-sized buffers, reused. At hundreds of MB/s a fresh buffer per piece
 * is a steady churn of large external allocations, and V8 answers that with
 * full collections; a piece downloaded, verified, cached and served instead
 * travels in a buffer that is handed back here when nobody needs it. They sit
 * on SharedArrayBuffers so the piece writer's worker hashes and writes them
 * in place: nothing is copied or transferred between threads.
 *
 * A buffer must be released once, and only when nothing reads it any more
 * (a socket write included); one that is never released is simply collected.
 */
export class PiecePool {
  /** The process's pool. */
  static readonly shared = new PiecePool(64 * 1024 * 1024);

  readonly #free = new Map<number, Buffer[]>();
  /** Buffers now in #free, to refuse a second release of the same one. */
  readonly #idle = new WeakSet<Buffer>();
  readonly #maxIdleBytes: number;
  #idleBytes = 0;

  constructor(maxIdleBytes: number) {
    this.#maxIdleBytes = maxIdleBytes;
  }

  /** A buffer of exactly `size` bytes; its contents are whatever it last held. */
  acquire(size: number): Buffer {
    const buf = this.#free.get(size)?.pop();
    if (buf === undefined) return Buffer.from(new SharedArrayBuffer(size));
    this.#idle.delete(buf);
    this.#idleBytes -= size;
    return buf;
  }

  /** Takes a buffer back from acquire(); others (and what would overflow the pool) are left to the GC. */
  release(buf: Buffer): void {
    if (!PiecePool.owns(buf) || this.#idle.has(buf)) return;
    if (this.#idleBytes + buf.length > this.#maxIdleBytes) return;
    let list = this.#free.get(buf.length);
    if (list === undefined) {
      list = [];
      this.#free.set(buf.length, list);
    }
    list.push(buf);
    this.#idle.add(buf);
    this.#idleBytes += buf.length;
  }

  /** Bytes waiting for reuse. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** Whether `buf` has the shape of a pool buffer: the whole of a SharedArrayBuffer. */
  static owns(buf: Buffer): boolean {
    return (
      buf.buffer instanceof SharedArrayBuffer &&
      buf.byteOffset === 0 &&
      buf.length === buf.buffer.byteLength
    );
  }
}
