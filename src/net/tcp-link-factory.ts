import { LibuvTcpListener, libuvTcpAvailable } from "./libuv-tcp.ts";
import { NetTcpLinkListener } from "./net-tcp-link.ts";
import type { TcpLinkListener, TcpLinkListenerKind, TcpReceiver } from "./tcp-link.ts";

/**
 * The listener of `kind`: "auto" takes libuv's handles where this Node offers
 * them (the tracker's fast path, libuv-tcp.ts), else node:net.
 */
export function createTcpLinkListener<S>(
  kind: TcpLinkListenerKind,
  receiver: TcpReceiver<S>,
  onError: (err: Error) => void,
): TcpLinkListener {
  if (kind === "libuv" || (kind === "auto" && libuvTcpAvailable())) {
    return new LibuvTcpListener(receiver);
  }
  return new NetTcpLinkListener(receiver, onError);
}
