import { ShoalError } from "../util/index.ts";

export type DiscoveryErrorCode =
  /** A BEP 14 announce that breaks the format or one of its named limits. */
  | "lsd_malformed"
  /** Neither LSD group could be joined (the port taken, no multicast route). */
  | "lsd_unavailable"
  /** The mDNS group could not be joined or sent to (5353 held alone, no multicast route). */
  | "mdns_unavailable"
  /** Another responder on the link answers for the instance name we meant to advertise (RFC 6762 §9). */
  | "mdns_name_conflict";

/** Bad input from the LAN (the datagram is ignored, never a crash), or LSD cannot run. */
export class DiscoveryError extends ShoalError {
  declare readonly code: DiscoveryErrorCode;

  constructor(code: DiscoveryErrorCode, message: string) {
    super(code, message);
  }
}
