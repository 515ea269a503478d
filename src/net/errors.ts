import { ShoalError } from "../util/index.ts";

export type NetErrorCode =
  | "connect_failed"
  | "connect_timeout"
  | "aborted"
  | "listen_failed"
  | "bind_failed"
  | "bad_filter"
  | "closed";

/** A transport could not be opened or failed: says where, and the system's reason. */
export class NetError extends ShoalError {
  declare readonly code: NetErrorCode;

  constructor(code: NetErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
