import { ShoalError } from "../util/index.ts";

export type DhtErrorCode =
  /** A datagram that is not a well-formed KRPC message (BEP 5); the node drops it. */
  | "malformed"
  /** A query the remote node answered with a KRPC error (201–204). */
  | "remote_error"
  /** A query that got no answer in time. */
  | "timeout"
  /** The node was closed while the query was outstanding. */
  | "closed"
  /** A bootstrap address or setting the user gave that cannot be used. */
  | "bad_option";

export class DhtError extends ShoalError {
  declare readonly code: DhtErrorCode;
  /** For "remote_error": the KRPC error code the remote node sent. */
  readonly krpcCode: number | undefined;

  constructor(code: DhtErrorCode, message: string, krpcCode?: number) {
    super(code, message);
    this.krpcCode = krpcCode;
  }
}
