export type { CreatedTorrent, CreateOptions } from "./create.ts";
export { createTorrent } from "./create-loader.ts";
export { MetainfoError, type MetainfoErrorCode } from "./errors.ts";
export {
  autoPieceLength,
  BLOCK_LENGTH,
  blockCount,
  blockLength,
  type FileSpan,
  fileSpans,
  isPowerOfTwo,
  MAX_CREATE_PIECE_LENGTH,
  MAX_PIECE_LENGTH,
  MAX_PIECES,
  MIN_PIECE_LENGTH,
  type PieceLayout,
  pieceCountFor,
  pieceFileSpans,
  pieceSize,
} from "./geometry.ts";
export {
  formatMagnet,
  MAX_SELECT_ONLY,
  type MagnetLink,
  type MagnetPeer,
  magnetFromMetainfo,
  parseMagnet,
} from "./magnet.ts";
export { loadTorrentFile, parseMetainfo } from "./parse.ts";
export {
  MAX_COMPONENT_BYTES,
  MAX_PATH_BYTES,
  MAX_PATH_DEPTH,
  pathBytes,
  pathTooLongReason,
  unsafeComponentReason,
  unsafePathReason,
} from "./path-safety.ts";
export type { Metainfo, TorrentFile, TorrentVersion } from "./types.ts";
