/**
 * What a torrent's data needs to take pieces in and hand blocks out: the
 * shared piece memory (piece-pool.ts), the writer thread (piece-writer.ts)
 * and the upload cache (piece-cache.ts). Loaded as one (piece-io-loader.ts)
 * by the first open that downloads or checks, the first block read or the
 * first piece written: a seed restored from its resume data that no peer
 * asks anything of never needs them.
 */
export { PieceCache } from "./piece-cache.ts";
export { PiecePool } from "./piece-pool.ts";
export { PieceWriter } from "./piece-writer.ts";
