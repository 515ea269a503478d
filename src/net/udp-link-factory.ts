import { DgramUdpLink } from "./dgram-udp-link.ts";
import { LibuvUdpLink, libuvUdpAvailable } from "./libuv-udp.ts";
import type { UdpLink, UdpLinkKind, UdpReceiver } from "./udp-link.ts";

/**
 * The link of `kind`: "auto" takes libuv's UDP handle where this Node offers
 * it (the tracker's fast path, libuv-udp.ts), else node:dgram.
 */
export function createUdpLink(
  kind: UdpLinkKind,
  receiver: UdpReceiver,
  onError: (err: Error) => void,
): UdpLink {
  if (kind === "libuv" || (kind === "auto" && libuvUdpAvailable())) {
    return new LibuvUdpLink(receiver, onError);
  }
  return new DgramUdpLink(receiver, onError);
}
