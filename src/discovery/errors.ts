import { ShoalError } from "../util/index.ts";

export type DiscoveryErrorCode =
  /** A BEP 14 announce that breaks the format or one of its named limits. */
  "lsd_malformed";

/** Bad input from the LAN: the datagram is ignored, never a crash. */
export class DiscoveryError extends ShoalError {
  declare readonly code: DiscoveryErrorCode;

  constructor(code: DiscoveryErrorCode, message: string) {
    super(code, message);
  }
}
