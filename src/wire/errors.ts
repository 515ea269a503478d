import { ShoalError } from "../util/index.ts";

export type WireErrorCode =
  | "bad_protocol"
  | "message_too_long"
  | "bad_message_length"
  | "bad_request_length"
  | "bad_extended_message";

/** A peer broke the wire protocol: the connection ends, with this as the reason. */
export class WireError extends ShoalError {
  declare readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string) {
    super(code, message);
  }
}
