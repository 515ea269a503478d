/**
 * What a torrent needs of its data: the verified set, piece memory to
 * download into, whole pieces in (verified against the torrent's SHA-1
 * before they count, BEP 3), blocks out for uploads, and resume data.
 * TorrentStorage keeps it in files; MemoryStorage keeps it in memory for
 * simulations, where file I/O and worker threads would finish in an order
 * no seed can repeat.
 */
import type { Bitfield } from "../bitfield/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import type { BlockLease, StorageOptions } from "./torrent-storage.ts";

export interface PieceStore {
  /** Verified pieces (do not modify). */
  readonly have: Bitfield;
  /** Memory for downloading piece `index` into: hand it to writePiece() or releasePiece(). */
  acquirePiece(index: number): Buffer;
  /** Gives back a buffer from acquirePiece() that will not be written. */
  releasePiece(data: Buffer): void;
  /**
   * Verifies a whole piece and keeps it if its hash matches; false (keeping
   * nothing) if not. `data` is handed over: the caller must not use it after.
   * Throws a StorageError when the piece cannot be kept; one with
   * `permanent` set (isPermanentStorageError) will fail again however often
   * the piece is fetched: the torrent stops with it (its `error` state).
   * `onMismatch` sees the data of a piece that failed its hash before it is
   * let go (the torrent hashes its blocks, to tell later who sent bad ones).
   */
  writePiece(index: number, data: Buffer, onMismatch?: (data: Buffer) => void): Promise<boolean>;
  /** A block of a verified piece, for a peer's request; release the lease once it is sent. */
  readBlock(index: number, begin: number, length: number): Promise<BlockLease>;
  /** Hashes every piece held and rebuilds the verified set. */
  recheck(): Promise<Bitfield>;
  /**
   * Selective download: `wanted[i]` false for a file not wanted (not
   * created; its bytes in shared edge pieces kept aside). Stores without
   * files ignore it.
   */
  setFileWanted?(wanted: readonly boolean[]): Promise<void>;
  /** Records the verified set so a restart need not recheck. */
  saveResume(): Promise<void>;
  /** Saves resume data and lets go of the data. */
  close(): Promise<void>;
}

/**
 * Opens a torrent's data in `dir` (TorrentStorage.open by default): the
 * seam where a client or a simulation chooses where pieces live.
 */
export type OpenPieceStore = (
  meta: Metainfo,
  dir: string,
  opts: StorageOptions,
) => Promise<PieceStore>;
