/**
 * Piece-sized buffers, reused. At hundreds of MB/s a fresh buffer per piece
 * is a steady churn of large external allocations, and V8 answers that with
 * full collections; a piece downloaded, verified, cached and served instead
 * travels in a buffer that is handed back here when nobody needs it. They sit
 * on shared memory so the piece writer's worker hashes and writes them in
 * place: nothing is copied or transferred between threads.
 *
 * Buffers of ALIGNED_MIN_BYTES or more are the memory of a shared
 * WebAssembly.Memory rather than a plain SharedArrayBuffer: V8 maps wasm
 * memory on its own pages, so the buffer starts on a page boundary, which
 * direct I/O (O_DIRECT) needs; a SharedArrayBuffer starts wherever malloc put
 * it. Such a memory is sized in 64 KiB wasm pages, so the buffer is a view of
 * its first `size` bytes.
 *
 * A buffer must be released once, and only when nothing reads it any more
 * (a socket write included); one that is never released is simply collected.
 */

/** The part of WebAssembly used here (its types live in TypeScript's DOM library). */
declare const WebAssembly: {
  Memory: new (d: {
    initial: number;
    maximum: number;
    shared: true;
  }) => {
    buffer: SharedArrayBuffer;
  };
};

const WASM_PAGE_BYTES = 64 * 1024;
/** Smaller pieces (16 and 32 KiB) would waste most of a wasm page: they stay unaligned. */
const ALIGNED_MIN_BYTES = WASM_PAGE_BYTES;
/** Every buffer a pool made, and those of them that start on a page boundary. */
const made = new WeakSet<Buffer>();
const aligned = new WeakSet<Buffer>();

/**
 * Page-aligned shared memory, or undefined where V8 refuses another wasm
 * memory (it throws a RangeError when it cannot map one); such a piece gets
 * a plain SharedArrayBuffer and is written through the page cache.
 */
function alignedMemory(size: number): Buffer | undefined {
  const pages = Math.ceil(size / WASM_PAGE_BYTES);
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    return Buffer.from(memory.buffer, 0, size);
  } catch {
    return undefined;
  }
}

function allocate(size: number): Buffer {
  let buf = size >= ALIGNED_MIN_BYTES ? alignedMemory(size) : undefined;
  if (buf) aligned.add(buf);
  else buf = Buffer.from(new SharedArrayBuffer(size));
  made.add(buf);
  return buf;
}

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
    if (buf === undefined) return allocate(size);
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

  /** Whether a pool made `buf` (a view of one does not count). */
  static owns(buf: Buffer): boolean {
    return made.has(buf);
  }

  /** Whether `buf` (a pool buffer) starts on a page boundary, as direct I/O needs. */
  static aligned(buf: Buffer): boolean {
    return aligned.has(buf);
  }
}
