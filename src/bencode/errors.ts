import { ShoalError } from "../util/index.ts";

/** Why a bencoded input was refused; stable names that tests and callers switch on. */
export type BencodeErrorCode =
  | "input_too_large"
  | "unexpected_end"
  | "unexpected_byte"
  | "invalid_integer"
  | "leading_zero"
  | "negative_zero"
  | "integer_too_large"
  | "invalid_length"
  | "string_too_long"
  | "depth_exceeded"
  | "too_many_items"
  | "invalid_key"
  | "unsorted_keys"
  | "duplicate_key"
  | "trailing_data"
  | "unencodable";

/** A refused input: `code` says why, `offset` is the byte where it was found. */
export class BencodeError extends ShoalError {
  declare readonly code: BencodeErrorCode;
  readonly offset: number;

  constructor(code: BencodeErrorCode, offset: number, message: string) {
    super(code, `invalid bencoding at byte ${offset}: ${message}`);
    this.offset = offset;
  }
}
