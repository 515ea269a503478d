/**
 * The api's one error type. `code` says what went wrong in terms a front
 * end can act on (an HTTP status, a Transmission RPC result, a shell's
 * line); the message is one line, written for the user. Errors from below
 * (the session, the tracker's index, .torrent parsing, the disk) are turned
 * into these; a bug stays what it is, with its stack.
 */

import { MetainfoError } from "../metainfo/index.ts";
import { ClientError } from "../session/index.ts";
import type { TrackerClientError } from "../tracker-client/index.ts";
import { isShoalError, ShoalError } from "../util/index.ts";

export type ApiErrorCode =
  /** A request the api cannot take: a bad value, a missing field, an unreadable .torrent. */
  | "invalid_input"
  /** No such torrent (by id or info hash), file, or index entry. */
  | "not_found"
  /** An info-hash prefix that names several torrents. */
  | "ambiguous"
  /** The torrent is already in the session. */
  | "duplicate"
  /** The torrent has no metadata yet (a magnet link's). */
  | "no_metadata"
  /** A skipped file asked for (streaming): its pieces are not fetched. */
  | "file_skipped"
  /** An index operation without a tracker configured. */
  | "no_tracker"
  /** The tracker refused the publish token. */
  | "unauthorized"
  /** The tracker could not be reached or answered wrongly. */
  | "tracker_error"
  /** A wait ran out. */
  | "timeout"
  /** The torrent stopped on an error of its own (a full disk, a path refused). */
  | "torrent_error"
  /** The torrent's data could not be opened or written. */
  | "storage_error"
  /** The client is shutting down. */
  | "unavailable"
  /** Anything else shoal refused on purpose. */
  | "failed";

export class ApiError extends ShoalError {
  declare readonly code: ApiErrorCode;

  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, oneLine(message), options);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

const CLIENT_CODES: Record<string, ApiErrorCode> = {
  missing_ref: "invalid_input",
  bad_info_hash: "invalid_input",
  not_found: "not_found",
  unknown_torrent: "not_found",
  removed: "not_found",
  copy_missing: "not_found",
  copy_damaged: "storage_error",
  ambiguous: "ambiguous",
  duplicate_torrent: "duplicate",
  no_metadata: "no_metadata",
  file_skipped: "file_skipped",
  bad_range: "invalid_input",
  timeout: "timeout",
  torrent_error: "torrent_error",
  client_closed: "unavailable",
  bad_selection: "invalid_input",
  bad_setting: "invalid_input",
};

const TRACKER_CODES: Record<string, ApiErrorCode> = {
  unauthorized: "unauthorized",
  not_found: "not_found",
  invalid_url: "invalid_input",
  unsupported_scheme: "invalid_input",
};

type SystemError = NodeJS.ErrnoException & { syscall?: string };

/** A file the api was asked to read, refused by the system, as one line. */
function fileError(err: SystemError): ApiError {
  const where = err.path ? ` '${err.path}'` : "";
  switch (err.code) {
    case "ENOENT":
      return new ApiError("not_found", `no such file or directory${where}`, { cause: err });
    case "EACCES":
    case "EPERM":
      return new ApiError("invalid_input", `permission denied${where}`, { cause: err });
    case "EISDIR":
      return new ApiError("invalid_input", `is a directory${where}`, { cause: err });
    default:
      return new ApiError("failed", `${err.code}${where}: ${err.message}`, { cause: err });
  }
}

function isTrackerClientError(err: unknown): err is TrackerClientError {
  return isShoalError(err) && err.name === "TrackerClientError";
}

/** What the api throws for `err`: an ApiError, or `err` itself when it is a bug. */
export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof ClientError) {
    return new ApiError(CLIENT_CODES[err.code] ?? "failed", err.message, { cause: err });
  }
  // Told by its name, as the storage's below: the tracker clients are
  // loaded only once something announces or fetches a URL (torrent-url.ts).
  if (isTrackerClientError(err)) {
    return new ApiError(TRACKER_CODES[err.code] ?? "tracker_error", err.message, { cause: err });
  }
  if (err instanceof MetainfoError) {
    return new ApiError("invalid_input", err.message, { cause: err });
  }
  if (isShoalError(err)) {
    // Below the session (the storage's own errors are named for it).
    const code = err.name === "StorageError" ? "storage_error" : "failed";
    return new ApiError(code, err.message, { cause: err });
  }
  const sys = err as SystemError | undefined;
  if (typeof sys?.code === "string" && typeof sys.syscall === "string") return fileError(sys);
  return err;
}
