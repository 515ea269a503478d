import { LibuvTcpListener, libuvTcpAvailable } from "./libuv-tcp.ts";
import { NetTcpLinkListener } from "./net-tcp-link.ts";
import type { TcpLinkListener, TcpLinkListenerKind, TcpReceiver, TlsIdentity } from "./tcp-link.ts";

/**
 * The listener of `kind`: "auto" takes libuv's handles where this Node offers
 * them (the tracker's fast path, libuv-tcp.ts), else node:net; with `tls`,
 * always node:net over node:tls.
 */
export function createTcpLinkListener<S>(
  kind: TcpLinkListenerKind,
  receiver: TcpReceiver<S>,
  onError: (err: Error) => void,
  tls?: TlsIdentity,
): TcpLinkListener {
  if (tls) return new NetTcpLinkListener(receiver, onError, tls);
  if (kind === "libuv" || (kind === "auto" && libuvTcpAvailable())) {
    return new LibuvTcpListener(receiver);
  }
  return new NetTcpLinkListener(receiver, onError);
}
