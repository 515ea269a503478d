/**
 * Piece and block arithmetic, in one place (BEP 3): a torrent's data is its
 * files concatenated in order, cut into pieces of `pieceLength` bytes (the
 * last one shorter), each requested from peers in blocks of 16 KiB.
 */
import type { TorrentFile } from "./types.ts";

/** The block size every client requests (BEP 3 "request": 2^14). */
export const BLOCK_SIZE = 16 * 1024;
/** Smallest piece length shoal accepts or creates: one block. */
export const MIN_PIECE_LENGTH = BLOCK_SIZE;
/** Largest piece length shoal accepts. */
export const MAX_PIECE_LENGTH = 512 * 1024 * 1024;
/** Most pieces in one torrent (libtorrent's max_pieces). */
export const MAX_PIECES = 0x200000;

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

/** How many pieces `totalLength` bytes make. */
export function pieceCountFor(totalLength: number, pieceLength: number): number {
  return Math.ceil(totalLength / pieceLength);
}

export interface Layout {
  pieceLength: number;
  totalLength: number;
}

/** Length in bytes of piece `index` (only the last piece may be shorter). */
export function pieceSize(layout: Layout, index: number): number {
  const start = index * layout.pieceLength;
  if (index < 0 || start >= layout.totalLength) {
    throw new RangeError(`piece ${index} is outside the torrent`);
  }
  return Math.min(layout.pieceLength, layout.totalLength - start);
}

/** Number of blocks in a piece of `pieceBytes` bytes. */
export function blockCount(pieceBytes: number): number {
  return Math.ceil(pieceBytes / BLOCK_SIZE);
}

/** Length of block `blockIndex` of a piece of `pieceBytes` bytes. */
export function blockSize(pieceBytes: number, blockIndex: number): number {
  return Math.min(BLOCK_SIZE, pieceBytes - blockIndex * BLOCK_SIZE);
}

/** A run of bytes that belongs to one file. */
export interface FileSpan {
  fileIndex: number;
  /** Where the run starts inside the file. */
  fileOffset: number;
  /** Where the run starts inside the torrent's data. */
  offset: number;
  length: number;
}

/**
 * The file runs that bytes [offset, offset + length) of the torrent's data
 * cover, in order. Zero-length files are skipped. `files` must be in order
 * with correct offsets (as parseMetainfo and createTorrent produce them).
 */
export function fileSpans(
  files: readonly TorrentFile[],
  offset: number,
  length: number,
): FileSpan[] {
  const spans: FileSpan[] = [];
  const end = offset + length;
  // Binary search for the last file starting at or before `offset`.
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (files[mid]!.offset <= offset) lo = mid;
    else hi = mid - 1;
  }
  for (let i = lo; i < files.length; i++) {
    const file = files[i]!;
    if (file.offset >= end) break;
    const from = Math.max(offset, file.offset);
    const to = Math.min(end, file.offset + file.length);
    if (to > from) {
      spans.push({ fileIndex: i, fileOffset: from - file.offset, offset: from, length: to - from });
    }
  }
  return spans;
}

/** The file runs of piece `index`. */
export function pieceFileSpans(
  layout: Layout & { files: readonly TorrentFile[] },
  index: number,
): FileSpan[] {
  return fileSpans(layout.files, index * layout.pieceLength, pieceSize(layout, index));
}
