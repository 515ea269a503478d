export { addressFromCompact, compactAddress } from "./address.ts";
export { NetError, type NetErrorCode } from "./errors.ts";
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
export type { Transport, TransportEvents } from "./transport.ts";
