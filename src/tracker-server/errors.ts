import { ShoalError } from "../util/index.ts";

export type TrackerErrorCode = "invalid_config" | "listen_failed" | "data_dir";

/** A tracker that cannot start as configured; the message says which setting to fix. */
export class TrackerError extends ShoalError {
  declare readonly code: TrackerErrorCode;

  constructor(code: TrackerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
