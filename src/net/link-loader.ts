/**
 * The tracker server's socket layers (tcp-link-factory.ts with node:net's
 * listener and libuv's, udp-link-factory.ts with node:dgram's link and
 * libuv's), loaded with the first listener or link made, or the first
 * question whether libuv's handles are there: no other command serves a
 * tracker, and a daemon loaded the six modules at every start. Loaded synchronously
 * (require of an ES module) as the servers make them synchronously;
 * nothing imports these files otherwise, so no asynchronous import of them
 * can be under way meanwhile.
 */
import { createRequire } from "node:module";
import type { TcpLinkListener, TcpLinkListenerKind, TcpReceiver, TlsIdentity } from "./tcp-link.ts";
import type { UdpLink, UdpLinkKind, UdpReceiver } from "./udp-link.ts";

const require = createRequire(import.meta.url);

/** tcp-link-factory.ts's createTcpLinkListener, its module loaded first. */
export function createTcpLinkListener<S>(
  kind: TcpLinkListenerKind,
  receiver: TcpReceiver<S>,
  onError: (err: Error) => void,
  tls?: TlsIdentity,
): TcpLinkListener {
  const factory = require("./tcp-link-factory.ts") as typeof import("./tcp-link-factory.ts");
  return factory.createTcpLinkListener(kind, receiver, onError, tls);
}

/** udp-link-factory.ts's createUdpLink, its module loaded first. */
export function createUdpLink(
  kind: UdpLinkKind,
  receiver: UdpReceiver,
  onError: (err: Error) => void,
): UdpLink {
  const factory = require("./udp-link-factory.ts") as typeof import("./udp-link-factory.ts");
  return factory.createUdpLink(kind, receiver, onError);
}

/** libuv-tcp.ts's libuvTcpAvailable, its module loaded first. */
export function libuvTcpAvailable(): boolean {
  return (require("./libuv-tcp.ts") as typeof import("./libuv-tcp.ts")).libuvTcpAvailable();
}

/** libuv-udp.ts's libuvUdpAvailable, its module loaded first. */
export function libuvUdpAvailable(): boolean {
  return (require("./libuv-udp.ts") as typeof import("./libuv-udp.ts")).libuvUdpAvailable();
}
