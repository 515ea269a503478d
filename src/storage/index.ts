export { StorageError, type StorageErrorCode } from "./errors.ts";
export { type FileStat, FileStore } from "./file-store.ts";
export { PieceCache } from "./piece-cache.ts";
export { filesUnchanged, loadResume, type ResumeData, saveResume } from "./resume.ts";
export { type OpenedFrom, type StorageOptions, TorrentStorage } from "./torrent-storage.ts";
