export { addressFromCompact, compactAddress } from "./address.ts";
export { NetError, type NetErrorCode } from "./errors.ts";
export { libuvTcpAvailable } from "./libuv-tcp.ts";
export { libuvUdpAvailable } from "./libuv-udp.ts";
export {
  createMemoryPipe,
  type MemoryEndpoint,
  type MemoryPipeOptions,
  MemoryTransport,
} from "./memory-pipe.ts";
export {
  type DialOptions,
  dialTcp,
  type ListenOptions,
  listenTcp,
  SocketTransport,
  TcpListener,
  type TcpListenerEvents,
} from "./tcp.ts";
export type {
  TcpLink,
  TcpLinkListener,
  TcpLinkListenerKind,
  TcpReceiver,
} from "./tcp-link.ts";
export { createTcpLinkListener } from "./tcp-link-factory.ts";
export type { Transport, TransportEvents } from "./transport.ts";
export type { UdpLink, UdpLinkKind, UdpReceiver, UdpSource } from "./udp-link.ts";
export { createUdpLink } from "./udp-link-factory.ts";
