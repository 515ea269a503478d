import { ShoalError } from "../util/index.ts";

export type StorageErrorCode =
  | "io_failed"
  | "bad_range"
  | "closed"
  | "path_too_long"
  /** A bug: piece memory asked for before its modules were loaded (piece-io-loader.ts). */
  | "internal";

export interface StorageErrorOptions {
  cause?: unknown;
  /** The system's error code (ENOSPC, ENAMETOOLONG…), when the system refused. */
  errno?: string | undefined;
  /** Retrying cannot help: the torrent must stop with this error (see io-errors.ts). */
  permanent?: boolean;
}

/** A disk problem, with the file concerned and what the user can do. */
export class StorageError extends ShoalError {
  declare readonly code: StorageErrorCode;
  readonly errno: string | undefined;
  /**
   * True when doing the same again cannot succeed until the user acts (a
   * full disk, a name too long, no permission), or when a passing failure
   * kept failing: a torrent stops with the error instead of fetching the
   * piece again and again.
   */
  readonly permanent: boolean;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errno = options.errno;
    this.permanent = options.permanent ?? code === "path_too_long";
  }
}

/** Whether `err` is a storage error that retrying cannot heal. */
export function isPermanentStorageError(err: unknown): err is StorageError {
  return err instanceof StorageError && err.permanent;
}
