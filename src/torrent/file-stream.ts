/**
 * Streaming a file while the torrent downloads (issue 17): the bytes of a
 * range of one file, in order, each piece's bytes handed out only once the
 * piece is verified (BEP 3: a piece's SHA-1 decides whether its data is
 * real). While a reader waits, the pieces from its position forward are
 * time-critical for the picker (picker's PieceDeadlines): fetched before
 * all others. The deadlines follow the reader as it moves on and are
 * released when it ends, fails or is aborted.
 */
import type { Metainfo } from "../metainfo/index.ts";
import { PieceDeadlines } from "../picker/index.ts";
import type { PieceStore } from "../storage/index.ts";
import type { Clock } from "../util/index.ts";
import { TorrentError } from "./errors.ts";
import type { FilePriority } from "./file-selection.ts";
import { checkStreamable } from "./streamable.ts";

/** A waiting reader gives up when no piece it needs is verified for this long. */
export const STREAM_PIECE_WAIT_MS = 60_000;
/** The most bytes handed out at once (one copy each, so a slow reader holds no piece memory). */
export const STREAM_CHUNK_BYTES = 256 * 1024;

export interface FileStreamOptions {
  /** Stops the reader at once (the HTTP client went away); iteration throws its reason. */
  signal?: AbortSignal;
  /** How long to wait for the next piece (STREAM_PIECE_WAIT_MS). */
  maxWaitMs?: number;
}

/** What the streams need of their torrent (the Torrent, in torrent.ts). */
export interface FileStreamsHost {
  readonly meta: Metainfo;
  readonly clock: Clock;
  /** The data, once open (not while it is being checked). */
  storage(): PieceStore | undefined;
  /** The time-critical pieces changed, most urgent first: for the picker. */
  timeCritical(order: readonly number[]): void;
  /** Why no piece will come any more (the torrent closed or stopped on an error), if so. */
  ended(): string | undefined;
}

/** A torrent's streaming readers: their deadlines, and their waits for pieces. */
export class FileStreams {
  readonly #host: FileStreamsHost;
  readonly #deadlines: PieceDeadlines;
  /** Readers waiting for a piece or a change of state. */
  readonly #watchers = new Set<() => void>();

  constructor(host: FileStreamsHost) {
    this.#host = host;
    this.#deadlines = new PieceDeadlines(host.meta);
  }

  /** The time-critical pieces now, most urgent first (for a new picker). */
  order(): number[] {
    return this.#deadlines.order();
  }

  /** A piece was verified or the torrent's state changed: waiting readers look again. */
  changed(): void {
    for (const w of this.#watchers) w();
  }

  /**
   * Bytes [start, end) of file `index` (TorrentError at once if it cannot be
   * streamed: checkStreamable), as its pieces are verified.
   */
  read(
    priorities: readonly FilePriority[],
    index: number,
    start: number,
    end: number,
    opts: FileStreamOptions = {},
  ): AsyncGenerator<Buffer> {
    const { meta } = this.#host;
    checkStreamable(meta, priorities, index, start, end);
    const offset = meta.files[index]!.offset;
    return streamRange(this.#source(), offset + start, offset + end, opts);
  }

  #source(): StreamSource {
    const host = this.#host;
    const deadlines = this.#deadlines;
    return {
      meta: host.meta,
      clock: host.clock,
      deadlines,
      storage: () => host.storage(),
      deadlinesChanged: () => host.timeCritical(deadlines.order()),
      watch: (listener) => {
        this.#watchers.add(listener);
        return () => this.#watchers.delete(listener);
      },
      ended: () => host.ended(),
    };
  }
}

/** What one reader needs. */
interface StreamSource {
  readonly meta: Metainfo;
  readonly clock: Clock;
  readonly deadlines: PieceDeadlines;
  storage(): PieceStore | undefined;
  deadlinesChanged(): void;
  watch(listener: () => void): () => void;
  ended(): string | undefined;
}

/**
 * The torrent's bytes [from, to) (offsets in its whole data), in chunks of
 * at most STREAM_CHUNK_BYTES, each a copy the caller owns.
 */
async function* streamRange(
  source: StreamSource,
  from: number,
  to: number,
  opts: FileStreamOptions = {},
): AsyncGenerator<Buffer> {
  const { pieceLength } = source.meta;
  const reader = source.deadlines.open();
  try {
    let position = from;
    while (position < to) {
      if (source.deadlines.read(reader, position, to)) source.deadlinesChanged();
      const index = Math.floor(position / pieceLength);
      const storage = await waitForPiece(source, index, opts);
      const pieceEnd = Math.min(to, (index + 1) * pieceLength);
      while (position < pieceEnd) {
        opts.signal?.throwIfAborted();
        const length = Math.min(STREAM_CHUNK_BYTES, pieceEnd - position);
        const lease = await storage.readBlock(index, position - index * pieceLength, length);
        const chunk = Buffer.from(lease.data);
        lease.release();
        position += length;
        yield chunk;
      }
    }
  } finally {
    if (source.deadlines.release(reader)) source.deadlinesChanged();
  }
}

/** The storage once it holds piece `index` verified; throws on abort, end or timeout. */
function waitForPiece(
  source: StreamSource,
  index: number,
  opts: FileStreamOptions,
): Promise<PieceStore> {
  const { signal } = opts;
  const maxWait = opts.maxWaitMs ?? STREAM_PIECE_WAIT_MS;
  return new Promise((resolve, reject) => {
    let unwatch = () => {};
    const timer = source.clock.setTimeout(() => {
      done(
        new TorrentError(
          "stream_timeout",
          `piece ${index} did not arrive within ${Math.round(maxWait / 1000)} s`,
        ),
      );
    }, maxWait);
    const onAbort = () => done(signal?.reason ?? new Error("aborted"));
    function done(err: unknown, storage?: PieceStore): void {
      source.clock.clearTimeout(timer);
      unwatch();
      signal?.removeEventListener("abort", onAbort);
      if (storage) resolve(storage);
      else reject(err);
    }
    const check = () => {
      if (signal?.aborted) return onAbort();
      const storage = source.storage();
      if (storage?.have.has(index)) return done(undefined, storage);
      const ended = source.ended();
      if (ended) done(new TorrentError("stopped", ended));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    unwatch = source.watch(check);
    check();
  });
}
