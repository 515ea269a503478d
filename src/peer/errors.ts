import { ShoalError } from "../util/index.ts";

export type PeerErrorCode =
  | "info_hash_mismatch"
  | "self_connection"
  | "handshake_timeout"
  | "closed"
  | "idle_timeout"
  | "stalled_reader"
  | "bad_have"
  | "bad_request"
  | "too_many_requests"
  | "fast_not_negotiated"
  | "unsolicited_pieces"
  | "duplicate_extension"
  | "transport"
  | "mse_failed"
  | "encryption_refused"
  | "internal";

/**
 * Why a peer connection ended badly. Protocol violations by the peer arrive
 * as PeerError, WireError (codec, framer) or BitfieldError: all ShoalErrors.
 */
export class PeerError extends ShoalError {
  declare readonly code: PeerErrorCode;

  constructor(code: PeerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
