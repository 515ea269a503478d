/**
 * Opening a torrent's data: the files (or whatever store the options name)
 * are matched against the metainfo and their pieces verified, from resume
 * data where it is still valid, else by hashing what is on disk.
 */
import type { Metainfo } from "../metainfo/index.ts";
import { type PieceStore, type StorageOptions, TorrentStorage } from "../storage/index.ts";
import type { TorrentOptions } from "./options.ts";

/**
 * Storage options naming nothing but the session's resume folder, as a
 * daemon's torrents have: one frozen object per folder, kept by all of
 * them (the storage only reads its options), not one per torrent.
 */
const folderOptions = new Map<string, StorageOptions>();

function optionsOfFolder(resumeDir: string): StorageOptions {
  let options = folderOptions.get(resumeDir);
  if (!options) {
    options = Object.freeze({ resumeDir });
    folderOptions.set(resumeDir, options);
  }
  return options;
}

export function openStore(
  meta: Metainfo,
  o: TorrentOptions,
  unwantedFiles: readonly number[] = [],
): Promise<PieceStore> {
  const open = o.openStore ?? ((m, dir, opts) => TorrentStorage.open(m, dir, opts));
  const own =
    unwantedFiles.length > 0 ||
    o.resumePath ||
    o.verify ||
    o.directIo === false ||
    o.onCheckProgress !== undefined;
  if (!own && o.resumeDir) return open(meta, o.downloadDir, optionsOfFolder(o.resumeDir));
  const storageOptions: StorageOptions = {};
  if (unwantedFiles.length > 0) storageOptions.unwantedFiles = unwantedFiles;
  if (o.resumePath) storageOptions.resumePath = o.resumePath;
  else if (o.resumeDir) storageOptions.resumeDir = o.resumeDir;
  if (o.verify) storageOptions.verify = true;
  if (o.directIo === false) storageOptions.directIo = false;
  if (o.onCheckProgress) storageOptions.onCheckProgress = o.onCheckProgress;
  return open(meta, o.downloadDir, storageOptions);
}

/** Runs `open` now; what it throws comes back as a rejection, as from a promise's reaction. */
export function openNow(open: () => Promise<PieceStore>): Promise<PieceStore> {
  try {
    return open();
  } catch (err) {
    return Promise.reject(err);
  }
}
