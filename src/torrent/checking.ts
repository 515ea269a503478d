/**
 * Opening a torrent's data: the files (or whatever store the options name)
 * are matched against the metainfo and their pieces verified, from resume
 * data where it is still valid, else by hashing what is on disk.
 */
import type { Metainfo } from "../metainfo/index.ts";
import { type PieceStore, type StorageOptions, TorrentStorage } from "../storage/index.ts";
import type { TorrentOptions } from "./options.ts";

export function openStore(
  meta: Metainfo,
  o: TorrentOptions,
  unwantedFiles: readonly number[] = [],
): Promise<PieceStore> {
  const storageOptions: StorageOptions = {};
  if (unwantedFiles.length > 0) storageOptions.unwantedFiles = unwantedFiles;
  if (o.resumePath) storageOptions.resumePath = o.resumePath;
  else if (o.resumeDir) storageOptions.resumeDir = o.resumeDir;
  if (o.verify) storageOptions.verify = true;
  if (o.directIo === false) storageOptions.directIo = false;
  if (o.onCheckProgress) storageOptions.onCheckProgress = o.onCheckProgress;
  const open = o.openStore ?? ((m, dir, opts) => TorrentStorage.open(m, dir, opts));
  return open(meta, o.downloadDir, storageOptions);
}
