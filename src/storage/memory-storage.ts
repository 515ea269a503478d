/**
 * A torrent's data in memory, for simulations and tests: the PieceStore a
 * TorrentStorage is, without files or worker threads. Pieces are hashed
 * here and now (node:crypto's SHA-1, BEP 3) and every call completes in the
 * order it was made, so a simulated swarm repeats exactly.
 *
 * Many simulated peers hold the same content: a PieceBank shared by their
 * stores keeps one buffer per verified piece hash, so twenty leechers of a
 * 64 MiB torrent hold 64 MiB, not 1.3 GiB. A verified piece is never
 * changed, so sharing it is safe.
 */
import { Bitfield } from "../bitfield/index.ts";
import { type Metainfo, pieceSize } from "../metainfo/index.ts";
import { sha1 } from "../util/index.ts";
import { StorageError } from "./errors.ts";
import type { PieceStore } from "./piece-store.ts";
import type { BlockLease } from "./torrent-storage.ts";

/** One buffer per verified piece hash, shared by the stores of one process. */
export class PieceBank {
  readonly #pieces = new Map<string, Buffer>();

  /** The buffer kept for `hash`: `data` if the bank had none (it keeps it), else the one it has. */
  share(hash: Buffer, data: Buffer): Buffer {
    const key = hash.toString("latin1");
    const kept = this.#pieces.get(key);
    if (kept) return kept;
    this.#pieces.set(key, data);
    return data;
  }

  /** Bytes held. */
  get bytes(): number {
    let n = 0;
    for (const p of this.#pieces.values()) n += p.length;
    return n;
  }
}

export interface MemoryStorageOptions {
  /** The torrent's content, checked piece by piece when opened (a seeder's data). */
  content?: Buffer;
  /** Where verified pieces are kept, shared with other stores (default: this store alone). */
  bank?: PieceBank;
}

/** Spare piece buffers kept for reuse. */
const SPARES = 8;
const noRelease = () => {};

export class MemoryStorage implements PieceStore {
  readonly meta: Metainfo;
  readonly have: Bitfield;
  readonly #bank: PieceBank;
  readonly #pieces = new Map<number, Buffer>();
  readonly #spares: Buffer[] = [];
  #closed = false;
  /** Times saveResume() was called (tests look). */
  saves = 0;

  private constructor(meta: Metainfo, o: MemoryStorageOptions) {
    this.meta = meta;
    this.have = new Bitfield(meta.pieceCount);
    this.#bank = o.bank ?? new PieceBank();
  }

  static async open(meta: Metainfo, o: MemoryStorageOptions = {}): Promise<MemoryStorage> {
    const store = new MemoryStorage(meta, o);
    if (o.content) {
      if (o.content.length !== meta.totalLength) {
        throw new StorageError(
          "bad_range",
          `the content is ${o.content.length} bytes; '${meta.name}' has ${meta.totalLength}`,
        );
      }
      for (let i = 0; i < meta.pieceCount; i++) {
        const start = i * meta.pieceLength;
        store.#keep(i, o.content.subarray(start, start + pieceSize(meta, i)));
      }
    }
    return store;
  }

  acquirePiece(index: number): Buffer {
    const size = pieceSize(this.meta, index);
    if (size === this.meta.pieceLength && this.#spares.length > 0) return this.#spares.pop()!;
    return Buffer.allocUnsafe(size);
  }

  releasePiece(data: Buffer): void {
    if (data.length === this.meta.pieceLength && this.#spares.length < SPARES) {
      this.#spares.push(data);
    }
  }

  async writePiece(
    index: number,
    data: Buffer,
    onMismatch?: (data: Buffer) => void,
  ): Promise<boolean> {
    this.#checkOpen();
    const size = pieceSize(this.meta, index);
    if (data.length !== size) {
      throw new StorageError(
        "bad_range",
        `piece ${index} must be ${size} bytes, got ${data.length}`,
      );
    }
    const kept = this.#keep(index, data);
    if (kept === undefined) onMismatch?.(data);
    // Ours again when it failed, or when the bank already had the piece.
    if (kept !== data) this.releasePiece(data);
    return kept !== undefined;
  }

  async readBlock(index: number, begin: number, length: number): Promise<BlockLease> {
    this.#checkOpen();
    const piece = this.have.has(index) ? this.#pieces.get(index) : undefined;
    if (!piece) throw new StorageError("bad_range", `piece ${index} is not verified`);
    if (begin < 0 || length <= 0 || begin + length > piece.length) {
      throw new StorageError(
        "bad_range",
        `block ${begin}+${length} is outside piece ${index} (${piece.length} bytes)`,
      );
    }
    return { data: piece.subarray(begin, begin + length), release: noRelease };
  }

  async recheck(): Promise<Bitfield> {
    for (let i = 0; i < this.meta.pieceCount; i++) {
      const piece = this.#pieces.get(i);
      if (piece && this.#hashMatches(i, piece)) this.have.set(i);
      else this.have.clear(i);
    }
    return this.have;
  }

  async saveResume(): Promise<void> {
    this.saves++;
  }

  async close(): Promise<void> {
    await this.saveResume();
    this.#closed = true;
  }

  /** Verifies piece `index` and keeps it (through the bank): the buffer kept, if its hash matched. */
  #keep(index: number, data: Buffer): Buffer | undefined {
    if (!this.#hashMatches(index, data)) return undefined;
    const kept = this.#bank.share(this.#expected(index), data);
    this.#pieces.set(index, kept);
    this.have.set(index);
    return kept;
  }

  #expected(index: number): Buffer {
    return this.meta.pieces.subarray(index * 20, index * 20 + 20);
  }

  #hashMatches(index: number, data: Buffer): boolean {
    return sha1(data).equals(this.#expected(index));
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError("closed", `'${this.meta.name}' is closed`);
  }
}
