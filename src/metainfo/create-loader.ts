/**
 * createTorrent as the metainfo module offers it: create.ts and the hashing
 * under it (piece-hasher.ts, hash-worker.ts) load with the first torrent
 * made, not with every process that reads torrents. A daemon restoring its
 * seeds makes none, and each module loaded is part of its start-up time
 * (issue 16).
 */
import type { CreatedTorrent, CreateOptions } from "./create.ts";

/** Makes the torrent of `path` (a file → single-file torrent, a folder → multi-file); create.ts. */
export async function createTorrent(path: string, opts?: CreateOptions): Promise<CreatedTorrent> {
  return (await import("./create.ts")).createTorrent(path, opts);
}
