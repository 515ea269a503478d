import { ShoalError } from "../util/index.ts";

export type DnsErrorCode =
  /** The bytes are not a DNS message within our limits (RFC 1035 §4). */
  | "malformed_message"
  /** A name or record we were asked to write breaks RFC 1035's rules. */
  | "invalid_record";

/** A DNS message could not be read or written. Bad network input is dropped, never fatal. */
export class DnsError extends ShoalError {
  declare readonly code: DnsErrorCode;

  constructor(code: DnsErrorCode, message: string) {
    super(code, message);
  }
}
