import { ShoalError } from "../util/index.ts";

export type TrackerErrorCode = "invalid_config" | "listen_failed" | "data_dir";

/** A tracker that cannot start as configured; the message says which setting to fix. */
export class TrackerError extends ShoalError {
  declare readonly code: TrackerErrorCode;

  constructor(code: TrackerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * The shared swarm store did not answer (Redis down, slow or refusing): the
 * request gets a failure reason, and the store reconnects by itself.
 */
export class StoreUnavailableError extends ShoalError {
  declare readonly code: "store_unavailable";

  constructor(message: string, options?: { cause?: unknown }) {
    super("store_unavailable", message, options);
  }
}

/** The failure reason of an announce from an address on the --ip-filter list. */
export const BLOCKED_ADDRESS = "your address is on this tracker's block list";
