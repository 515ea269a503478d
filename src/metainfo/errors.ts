import { ShoalError } from "../util/index.ts";

export type MetainfoErrorCode =
  | "invalid_bencoding"
  | "duplicate_key"
  | "not_a_dictionary"
  | "missing_info"
  | "missing_name"
  | "invalid_name"
  | "missing_piece_length"
  | "invalid_piece_length"
  | "missing_pieces"
  | "invalid_pieces"
  | "piece_count_mismatch"
  | "too_many_pieces"
  | "invalid_length"
  | "no_files"
  | "invalid_files"
  | "unsafe_path"
  | "duplicate_path"
  | "v2_not_supported"
  | "inconsistent_files"
  | "invalid_magnet"
  | "create_failed";

/** A torrent (or magnet link) that shoal refuses, with what is wrong with it. */
export class MetainfoError extends ShoalError {
  declare readonly code: MetainfoErrorCode;

  constructor(code: MetainfoErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
