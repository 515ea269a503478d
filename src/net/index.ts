export { addressFromCompact, compactAddress } from "./address.ts";
export { NetError, type NetErrorCode } from "./errors.ts";
export { IpFilter, type IpFilterLoad, MAX_FILTER_BYTES } from "./ip-filter.ts";
// Loaded with the first listener or link (link-loader.ts).
export {
  createTcpLinkListener,
  createUdpLink,
  libuvTcpAvailable,
  libuvUdpAvailable,
} from "./link-loader.ts";
// The in-memory network's classes as types; the classes themselves come from
// loadMemoryNetwork() (memory-loader.ts), so a process that runs on real
// sockets never loads them.
export type { MemoryConnection } from "./memory-connection.ts";
export { loadMemoryNetwork } from "./memory-loader.ts";
export type {
  MemoryHost,
  MemoryHostOptions,
  MemoryListener,
  MemoryListenerEvents,
  MemoryNetwork,
  MemoryNetworkOptions,
} from "./memory-network.ts";
export type {
  MemoryEndpoint,
  MemoryPipeOptions,
  MemoryTransport,
} from "./memory-pipe.ts";
export type {
  MemoryUdpHost,
  MemoryUdpNetwork,
  MemoryUdpOptions,
  PathValue,
} from "./memory-udp.ts";
export type { MemoryUdpSocket } from "./memory-udp-socket.ts";
export { NodeUdpSocket, nodeUdp } from "./node-udp.ts";
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
  TlsIdentity,
} from "./tcp-link.ts";
export type { Transport, TransportEvents } from "./transport.ts";
export type {
  UdpBindOptions,
  UdpFamily,
  UdpNetwork,
  UdpSent,
  UdpSocket,
  UdpSocketEvents,
  UdpSocketOptions,
  UdpSource,
} from "./udp.ts";
export type { UdpLink, UdpLinkKind, UdpReceiver } from "./udp-link.ts";
