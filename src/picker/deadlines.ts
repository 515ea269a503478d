/**
 * Streaming deadlines: which pieces readers of the torrent's data are
 * waiting for, most urgent first (libtorrent's time-critical pieces). Each
 * reader (an HTTP range being sent, say) has a read position and an end;
 * the pieces from its position forward, a window ahead, are time-critical,
 * and the one under its position most of all. Several readers share the
 * urgency: every reader's next piece comes before any reader's second.
 * A reader that moves on releases the pieces behind it; one that leaves
 * releases all of its own.
 *
 * Pure: the caller says where each reader is; the order goes to the piece
 * picker (PiecePicker.setTimeCritical).
 */

export interface DeadlineOptions {
  pieceLength: number;
  pieceCount: number;
  /** Bytes ahead of a read position that are time-critical (at least one piece). */
  windowBytes?: number;
}

/** 8 MiB ahead: a few seconds of high-bitrate video, tens of pieces of a typical torrent. */
export const DEFAULT_STREAM_WINDOW_BYTES = 8 * 1024 * 1024;

interface Window {
  first: number;
  last: number;
}

export class PieceDeadlines {
  readonly #pieceLength: number;
  readonly #pieceCount: number;
  readonly #windowBytes: number;
  /** By reader id, in the order readers came (older readers win ties). */
  readonly #windows = new Map<number, Window>();
  #nextId = 1;

  constructor(o: DeadlineOptions) {
    if (!(o.pieceLength > 0) || !(o.pieceCount >= 0)) {
      throw new RangeError("deadlines need a piece length and a piece count");
    }
    this.#pieceLength = o.pieceLength;
    this.#pieceCount = o.pieceCount;
    this.#windowBytes = Math.max(o.pieceLength, o.windowBytes ?? DEFAULT_STREAM_WINDOW_BYTES);
  }

  /** A new reader (with no pieces yet: see `read`); its id. */
  open(): number {
    return this.#nextId++;
  }

  /**
   * Reader `id` is at byte `position` of the torrent's data and will read up
   * to `end` (exclusive). True when its time-critical pieces changed.
   */
  read(id: number, position: number, end: number): boolean {
    const last = Math.min(end, position + this.#windowBytes, this.#pieceCount * this.#pieceLength);
    if (!(position >= 0) || !(last > position)) return this.release(id);
    const window: Window = {
      first: Math.floor(position / this.#pieceLength),
      last: Math.floor((last - 1) / this.#pieceLength),
    };
    const old = this.#windows.get(id);
    if (old && old.first === window.first && old.last === window.last) return false;
    this.#windows.set(id, window);
    return true;
  }

  /** Reader `id` is gone: its pieces are no longer time-critical. True when any were. */
  release(id: number): boolean {
    return this.#windows.delete(id);
  }

  /** Readers with pieces. */
  get readers(): number {
    return this.#windows.size;
  }

  /**
   * The time-critical pieces, most urgent first: by distance from each
   * reader's position, then by the reader's age; each piece once.
   */
  order(): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    const windows = [...this.#windows.values()];
    for (let step = 0; ; step++) {
      let any = false;
      for (const w of windows) {
        const index = w.first + step;
        if (index > w.last) continue;
        any = true;
        if (!seen.has(index)) {
          seen.add(index);
          out.push(index);
        }
      }
      if (!any) return out;
    }
  }
}
