export {
  COMPACT_NODE_LENGTH,
  COMPACT_PEER_LENGTH,
  type DhtFamily,
  decodeCompactNodes,
  decodeCompactPeer,
  type Endpoint,
  encodeCompactNodes,
  encodeCompactPeer,
  familyOf,
  type NodeInfo,
} from "./compact.ts";
export {
  DhtNode,
  type DhtNodeOptions,
  type DhtState,
  type DhtStats,
  type LookupTuning,
  NODE_LIMITS,
} from "./dht-node.ts";
export { DhtError, type DhtErrorCode } from "./errors.ts";
export {
  decodeKrpc,
  encodeKrpc,
  isRefusal,
  KRPC_ERROR,
  KRPC_LIMITS,
  type KrpcErrorMessage,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcRefusal,
  type KrpcResponse,
  type QueryMethod,
} from "./krpc.ts";
export {
  type Candidate,
  LOOKUP_LIMITS,
  type LookupOptions,
  type LookupResult,
  lookup,
} from "./lookup.ts";
export {
  commonPrefixBits,
  compareDistance,
  crc32c,
  distance,
  idInBucket,
  isLocalAddress,
  NODE_ID_LENGTH,
  type NodeId,
  nodeIdForAddress,
  nodeIdMatchesAddress,
} from "./node-id.ts";
export { PEER_STORE_LIMITS, PeerStore } from "./peer-store.ts";
export { QUERY_LIMITS, QueryLimiter } from "./query-limiter.ts";
export {
  type HeardResult,
  type NodeState,
  ROUTING_LIMITS,
  type RoutingNode,
  RoutingTable,
} from "./routing-table.ts";
export { type DhtCounters, emptyCounters, KrpcSocket, RPC_LIMITS } from "./rpc.ts";
export { TOKEN_LIMITS, TokenSecret } from "./tokens.ts";
