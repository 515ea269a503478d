/** The torrent's shape as a connection needs it: is a block inside its piece? */
import { BLOCK_LENGTH } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";

/** A torrent's shape: what a connection checks pieces and blocks against. */
export interface Geometry {
  pieceCount: number;
  /** Bytes per piece (the last may be shorter), and of the whole torrent. */
  pieceLength: number;
  totalLength: number;
}

export class PieceGeometry implements Geometry {
  readonly pieceCount: number;
  readonly pieceLength: number;
  readonly totalLength: number;

  constructor(pieceCount: number, pieceLength: number, totalLength: number) {
    if (
      !Number.isSafeInteger(pieceCount) ||
      pieceCount < 1 ||
      !(pieceLength > 0) ||
      Math.ceil(totalLength / pieceLength) !== pieceCount
    ) {
      throw new RangeError(
        `inconsistent geometry: ${pieceCount} pieces of ${pieceLength} for ${totalLength} bytes`,
      );
    }
    this.pieceCount = pieceCount;
    this.pieceLength = pieceLength;
    this.totalLength = totalLength;
  }

  pieceSize(index: number): number {
    return index === this.pieceCount - 1
      ? this.totalLength - this.pieceLength * (this.pieceCount - 1)
      : this.pieceLength;
  }

  /** BEP 3: a block is 1 to 16 KiB and lies inside its piece. */
  blockProblem(ref: BlockRef): string | undefined {
    if (
      Number.isInteger(ref.index) &&
      ref.index >= 0 &&
      ref.index < this.pieceCount &&
      ref.begin >= 0 &&
      ref.length > 0 &&
      ref.length <= BLOCK_LENGTH &&
      ref.begin + ref.length <= this.pieceSize(ref.index)
    ) {
      return undefined;
    }
    return `block of ${ref.length} bytes at ${ref.begin} of piece ${ref.index} is out of range`;
  }

  checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) {
      throw new RangeError(`piece ${index} is outside a torrent of ${this.pieceCount}`);
    }
  }
}
