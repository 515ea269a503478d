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
  | "bad_selection";

export class TorrentError extends ShoalError {
  declare readonly code: TorrentErrorCode;

  constructor(code: TorrentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
