/**
 * Rendered operator views (/swarms, /torrents, /, a full scrape), kept for a
 * moment so that a burst of the same request (a pipeline of a thousand, or
 * many operators' dashboards) is rendered once. An entry is served while it
 * is younger than FRESH_MS whatever changed, and up to SAME_MS while the
 * tracker's state stamp (announces, expiries, the index) has not moved, so
 * a view is never older than FRESH_MS once anything happened. The cache is
 * bounded in entries (keys carry client-chosen query strings) and in bytes (a
 * view larger than a quarter of them is rendered each time, not kept).
 */

/** Served whatever changed, this long after rendering. */
export const FRESH_MS = 100;
/** Served while nothing changed, this long after rendering ("seconds ago" fields drift). */
export const SAME_MS = 1000;

interface Entry {
  body: Buffer;
  at: number;
  stamp: number;
  /** Extra header lines sent with the body. */
  headers: string;
}

export class ViewCache {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(max = 64, maxBytes = 32 * 1024 * 1024) {
    this.#max = max;
    this.#maxBytes = maxBytes;
  }

  /**
   * The view for `key`: the cached one if still good at `now` (ms, monotonic)
   * for `stamp`, else `render()`'s, kept.
   */
  get(
    key: string,
    stamp: number,
    now: number,
    render: () => { body: Buffer; headers?: string },
  ): { body: Buffer; headers: string } {
    const e = this.#entries.get(key);
    if (e) {
      const age = now - e.at;
      if (age >= 0 && (age < FRESH_MS || (age < SAME_MS && e.stamp === stamp))) return e;
      this.#delete(key, e);
    }
    const view = render();
    const entry: Entry = { body: view.body, at: now, stamp, headers: view.headers ?? "" };
    if (entry.body.length > this.#maxBytes / 4) return entry;
    // The oldest entries go (Map order is insertion order).
    while (
      this.#entries.size > 0 &&
      (this.#entries.size >= this.#max || this.#bytes + entry.body.length > this.#maxBytes)
    ) {
      const [oldest, e] = this.#entries.entries().next().value as [string, Entry];
      this.#delete(oldest, e);
    }
    this.#entries.set(key, entry);
    this.#bytes += entry.body.length;
    return entry;
  }

  #delete(key: string, e: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= e.body.length;
  }

  /** Forgets every view (the index changed: a listing must show it at once). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  get size(): number {
    return this.#entries.size;
  }
}
