/**
 * A torrent's data as files (BEP 3): its files concatenated in order, cut
 * into pieces; the limits shoal puts on pieces. The piece and block
 * arithmetic itself is util's (pieces.ts), re-exported here.
 */
import { BLOCK_LENGTH, type PieceLayout, pieceSize } from "../util/index.ts";
import type { TorrentFile } from "./types.ts";

export {
  BLOCK_LENGTH,
  blockCount,
  blockLength,
  type PieceLayout,
  pieceCountFor,
  pieceSize,
} from "../util/index.ts";

/** Smallest piece length shoal accepts or creates: one block. */
export const MIN_PIECE_LENGTH = BLOCK_LENGTH;
/** Largest piece length shoal accepts. */
export const MAX_PIECE_LENGTH = 512 * 1024 * 1024;
/** Most pieces in one torrent (libtorrent's max_pieces). */
export const MAX_PIECES = 0x200000;

/** Largest piece length create picks or accepts: bigger pieces only hurt swarms. */
export const MAX_CREATE_PIECE_LENGTH = 64 * 1024 * 1024;
const AUTO_MAX_PIECE_LENGTH = 16 * 1024 * 1024;
const AUTO_TARGET_MAX_PIECES = 2000;

/**
 * The piece length `create` picks: the smallest power of two in 16 KiB..16 MiB
 * that keeps the torrent at ≤ 2000 pieces, so between ~1000 and 2000 pieces
 * unless the size hits a bound. Fewer pieces keep the .torrent (20 bytes a
 * piece) and bitfields small; more pieces let peers trade sooner.
 */
export function autoPieceLength(totalBytes: number): number {
  let length = MIN_PIECE_LENGTH;
  while (length < AUTO_MAX_PIECE_LENGTH && totalBytes > length * AUTO_TARGET_MAX_PIECES) {
    length *= 2;
  }
  return length;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 2 ** 30;
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
  layout: PieceLayout & { files: readonly TorrentFile[] },
  index: number,
): FileSpan[] {
  return fileSpans(layout.files, index * layout.pieceLength, pieceSize(layout, index));
}
