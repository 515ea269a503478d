import { ShoalError } from "../util/index.ts";

export type TorrentErrorCode =
  /** The torrent has no metadata yet (a magnet link's, before ut_metadata). */
  | "no_metadata"
  /** Metadata offered for another info hash. */
  | "metadata_mismatch"
  /** Metadata offered twice. */
  | "metadata_known"
  /** The torrent was closed. */
  | "stopped"
  /** File priorities that do not fit the torrent (count, or an unknown priority). */
  | "bad_selection"
  /** No such file to stream (an index outside the torrent, or a padding file). */
  | "no_file"
  /** A skipped file cannot be streamed: its pieces are not fetched. */
  | "file_skipped"
  /** A byte range outside the file. */
  | "bad_range"
  /** A streaming reader waited too long for a piece. */
  | "stream_timeout"
  /** A bug: a part of the swarm asked for before its modules were loaded (swarm-loader.ts). */
  | "internal";

export class TorrentError extends ShoalError {
  declare readonly code: TorrentErrorCode;

  constructor(code: TorrentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
