/**
 * Smart ban, as libtorrent does it: a piece that fails its hash (BEP 3)
 * says only that one of the peers that sent its blocks lied, and an honest
 * seeder that shared the piece with a liar is as suspect as the liar. So
 * for a failed piece we remember who sent each block and a digest of what
 * it sent; once the piece passes, the good copy shows who sent blocks that
 * differ from it (the liars) and whose blocks were true. Kept only for
 * pieces that failed, and bounded: pieces on record, and senders of one
 * block (a block fetched again and again from many peers).
 */
import { BLOCK_LENGTH, sha1 } from "../util/index.ts";

/** Pieces on record at once; the oldest is forgotten past this. */
const MAX_PIECES = 256;
/** Different (sender, digest) pairs kept for one block. */
const MAX_PER_BLOCK = 8;

interface Evidence {
  /** Who sent it (a ban key). */
  sender: string;
  digest: Buffer;
}

export interface Verdict {
  /** Senders of a block that differs from the good copy. */
  liars: string[];
  /** Senders whose every block on record matched the good copy. */
  honest: string[];
}

/** SHA-1 of each block of a piece (a view of its bytes, no copy). */
export function blockDigests(piece: Buffer): Buffer[] {
  const digests: Buffer[] = [];
  for (let begin = 0; begin < piece.length; begin += BLOCK_LENGTH) {
    digests.push(sha1(piece.subarray(begin, Math.min(piece.length, begin + BLOCK_LENGTH))));
  }
  return digests;
}

export class SmartBan {
  /**
   * Piece index → for each block, what was sent for it in failed attempts;
   * made with the first piece that failed (most torrents never have one).
   */
  #table: Map<number, Evidence[][]> | undefined;

  get #pieces(): Map<number, Evidence[][]> {
    this.#table ??= new Map();
    return this.#table;
  }

  /** The piece failed before: a pass or a failure of it will be judged block by block. */
  tracks(index: number): boolean {
    return this.#table?.has(index) ?? false;
  }

  /**
   * A piece failed: `senders[b]` sent block b, whose bytes hash to
   * `digests[b]`. An unknown sender (undefined) is left out.
   */
  failed(
    index: number,
    senders: readonly (string | undefined)[],
    digests: readonly Buffer[],
  ): void {
    let blocks = this.#pieces.get(index);
    if (!blocks) {
      if (this.#pieces.size >= MAX_PIECES) {
        const oldest = this.#pieces.keys().next().value;
        if (oldest !== undefined) this.#pieces.delete(oldest);
      }
      blocks = Array.from({ length: digests.length }, () => []);
      this.#pieces.set(index, blocks);
    }
    for (const [b, digest] of digests.entries()) {
      const sender = senders[b];
      const kept = blocks[b];
      if (sender === undefined || !kept || kept.length >= MAX_PER_BLOCK) continue;
      if (kept.some((e) => e.sender === sender && e.digest.equals(digest))) continue;
      kept.push({ sender, digest });
    }
  }

  /**
   * The piece passed, its blocks hashing to `digests`: who lied in its
   * failed attempts, and who sent only true blocks. The record is dropped.
   */
  passed(index: number, digests: readonly Buffer[]): Verdict {
    const blocks = this.#table?.get(index);
    this.#table?.delete(index);
    const liars = new Set<string>();
    const truthful = new Set<string>();
    for (const [b, kept] of (blocks ?? []).entries()) {
      const good = digests[b];
      if (!good) continue;
      for (const e of kept) (e.digest.equals(good) ? truthful : liars).add(e.sender);
    }
    return { liars: [...liars], honest: [...truthful].filter((s) => !liars.has(s)) };
  }

  /** Forgets a piece (the torrent's data was opened again). */
  forget(index: number): void {
    this.#table?.delete(index);
  }

  get size(): number {
    return this.#table?.size ?? 0;
  }
}
