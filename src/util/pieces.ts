/**
 * Piece and block arithmetic, the one copy every module uses (BEP 3): a
 * torrent's data is cut into pieces of `pieceLength` bytes (the last one
 * shorter), and each piece is requested from peers in blocks of 16 KiB.
 */

/** The block length every client requests, and the most a request may ask (BEP 3: 2^14). */
export const BLOCK_LENGTH = 16 * 1024;

/** A torrent's data as pieces: what piece arithmetic needs to know. */
export interface PieceLayout {
  pieceLength: number;
  totalLength: number;
}

/** How many pieces `totalLength` bytes make. */
export function pieceCountFor(totalLength: number, pieceLength: number): number {
  return Math.ceil(totalLength / pieceLength);
}

/** Length in bytes of piece `index` (only the last piece may be shorter). */
export function pieceSize(layout: PieceLayout, index: number): number {
  const start = index * layout.pieceLength;
  if (index < 0 || start >= layout.totalLength) {
    throw new RangeError(`piece ${index} is outside the torrent`);
  }
  return Math.min(layout.pieceLength, layout.totalLength - start);
}

/** Number of blocks in a piece of `pieceBytes` bytes. */
export function blockCount(pieceBytes: number): number {
  return Math.ceil(pieceBytes / BLOCK_LENGTH);
}

/** Length of block `blockIndex` of a piece of `pieceBytes` bytes. */
export function blockLength(pieceBytes: number, blockIndex: number): number {
  return Math.min(BLOCK_LENGTH, pieceBytes - blockIndex * BLOCK_LENGTH);
}
