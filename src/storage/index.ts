export {
  isPermanentStorageError,
  StorageError,
  type StorageErrorCode,
  type StorageErrorOptions,
} from "./errors.ts";
export { type FileStat, FileStore } from "./file-store.ts";
export { MemoryStorage, type MemoryStorageOptions, PieceBank } from "./memory-storage.ts";
export type { Lease } from "./piece-cache.ts";
export { loadPieceIo } from "./piece-io-loader.ts";
export type { OpenPieceStore, PieceStore } from "./piece-store.ts";
export { forgetPreloaded, preloadFiles } from "./preloaded-files.ts";
export { readFileNow } from "./read-now.ts";
export { filesUnchanged, type ResumeData, resumePathIn, saveResume } from "./resume.ts";
export {
  type BlockLease,
  type OpenedFrom,
  partFileName,
  type StorageOptions,
  TorrentStorage,
} from "./torrent-storage.ts";
