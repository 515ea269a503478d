/**
 * A bounded set of open files, the least recently used closed first, as
 * libtorrent's file_pool and Transmission's fdlimit keep them. A torrent of
 * thousands of files would otherwise hold one descriptor per file it ever
 * touched, until open() fails with EMFILE and nothing (not the resume data,
 * not a new peer's socket) can be opened any more.
 *
 * A file is used through a lease (use()): a file in use is never closed
 * under its user, whose write may still be running in libuv's thread pool
 * (and whose descriptor number the kernel would hand to the next open).
 * When every file is in use and the pool is full, a new one waits for a
 * release. Each caller holds one lease at a time, so waiting cannot
 * deadlock. Should the process run out of descriptors all the same (other
 * parts hold more than expected), every idle file is closed and the open
 * tried once more.
 *
 * Used on both threads: FileStore's reads (one pool for the process) and
 * the piece writer's worker (its own pool).
 */
// No imports: the piece writer's worker loads this file, and every module it
// loads delays its first write (see piece-writer.ts).

/** Failures that mean the process is out of file descriptors (close some and retry). */
export function isOutOfDescriptors(errno: string | undefined): boolean {
  return errno === "EMFILE" || errno === "ENFILE";
}

interface Entry<F> {
  key: string;
  /** The file once opened (the open may still be running). */
  file: Promise<F>;
  users: number;
}

export class FilePool<F> {
  #capacity: number;
  readonly #closeFile: (file: F) => Promise<void>;
  /** Open files, least recently used first (a Map keeps insertion order). */
  readonly #entries = new Map<string, Entry<F>>();
  /** Callers waiting for a file to be released (the pool was full of files in use). */
  readonly #waiting: (() => void)[] = [];
  /** Files taken out of the pool whose close has not finished: they still hold a descriptor. */
  #closing = 0;

  constructor(capacity: number, closeFile: (file: F) => Promise<void>) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    this.#closeFile = closeFile;
  }

  /** Most files open at once. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Files open (or opening, or closing) now. */
  get size(): number {
    return this.#entries.size + this.#closing;
  }

  /** Whether `key` is open now. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /**
   * Runs `fn` on the file for `key`, opened with `open` unless it is open
   * already; the file stays open for later uses until it is the least
   * recently used one and room is needed. A failed open is not kept.
   */
  async use<T>(key: string, open: () => Promise<F>, fn: (file: F) => Promise<T>): Promise<T> {
    const entry = await this.#acquire(key, open);
    try {
      return await fn(await entry.file);
    } finally {
      this.#release(entry);
    }
  }

  /** Closes `key`'s file once nobody uses it. */
  async close(key: string): Promise<void> {
    for (;;) {
      const entry = this.#entries.get(key);
      if (!entry) return;
      if (entry.users === 0) {
        await this.#evict(entry);
        return;
      }
      await this.#released();
    }
  }

  /** Closes every file once nobody uses it. */
  async closeAll(): Promise<void> {
    for (const key of [...this.#entries.keys()]) await this.close(key);
  }

  async #acquire(key: string, open: () => Promise<F>): Promise<Entry<F>> {
    for (;;) {
      const entry = this.#entries.get(key);
      if (entry) {
        entry.users++;
        // The most recently used now: to the end of the order.
        this.#entries.delete(key);
        this.#entries.set(key, entry);
        return entry;
      }
      if (this.size < this.#capacity) {
        const fresh: Entry<F> = { key, users: 1, file: this.#open(open) };
        this.#entries.set(key, fresh);
        fresh.file.catch(() => {
          if (this.#entries.get(key) === fresh) this.#entries.delete(key);
        });
        return fresh;
      }
      // Full: close the least recently used idle file, or wait for one to become idle.
      const idle = this.#oldestIdle();
      if (idle) {
        await this.#evict(idle);
      } else {
        await this.#released();
      }
    }
  }

  async #open(open: () => Promise<F>): Promise<F> {
    try {
      return await open();
    } catch (err) {
      if (!isOutOfDescriptors((err as NodeJS.ErrnoException).code)) throw err;
      // Out of descriptors after all: give back every idle one and try once more.
      const idle = [...this.#entries.values()].filter((e) => e.users === 0);
      await Promise.all(idle.map((e) => this.#evict(e)));
      return open();
    }
  }

  #release(entry: Entry<F>): void {
    entry.users--;
    if (entry.users === 0) this.#wakeAll();
  }

  /** Every waiter looks again: one may want a file closed, another the room. */
  #wakeAll(): void {
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** Takes an idle file out of the pool and closes it; its room counts as taken until then. */
  async #evict(entry: Entry<F>): Promise<void> {
    this.#entries.delete(entry.key);
    this.#closing++;
    try {
      await this.#closeEntry(entry);
    } finally {
      this.#closing--;
      this.#wakeAll();
    }
  }

  #released(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #oldestIdle(): Entry<F> | undefined {
    for (const e of this.#entries.values()) if (e.users === 0) return e;
    return undefined;
  }

  async #closeEntry(entry: Entry<F>): Promise<void> {
    const file = await entry.file.catch(() => undefined);
    if (file !== undefined) await this.#closeFile(file).catch(() => {});
  }
}
