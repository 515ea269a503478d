import { ShoalError } from "../util/index.ts";

export type StorageErrorCode = "io_failed" | "bad_range" | "closed";

/** A disk problem, with the file concerned and what the user can do. */
export class StorageError extends ShoalError {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
