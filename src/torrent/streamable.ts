/**
 * Whether a range of a file can be streamed (file-stream.ts), told at once
 * to the caller of Torrent.readFile: checked before the streams' modules
 * (loaded with the swarm's, swarm-loader.ts) are there.
 */
import type { Metainfo } from "../metainfo/index.ts";
import { TorrentError } from "./errors.ts";
import type { FilePriority } from "./file-selection.ts";

/** Throws TorrentError for a range of file `index` that cannot be streamed. */
export function checkStreamable(
  meta: Metainfo,
  priorities: readonly FilePriority[],
  index: number,
  start: number,
  end: number,
): void {
  const file = Number.isInteger(index) ? meta.files[index] : undefined;
  if (!file || file.pad) {
    throw new TorrentError("no_file", `the torrent has no file ${String(index).slice(0, 20)}`);
  }
  if (priorities[index] === "skip") {
    throw new TorrentError("file_skipped", `${file.path.join("/")} is skipped: want it first`);
  }
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new TorrentError("bad_range", `bytes ${start}-${end} are not a range`);
  }
  if (end > file.length) {
    throw new TorrentError(
      "bad_range",
      `bytes ${start}-${end} pass the file's end (${file.length})`,
    );
  }
}
