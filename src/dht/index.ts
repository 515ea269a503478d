export {
  COMPACT_NODE_LENGTH,
  COMPACT_PEER_LENGTH,
  type DhtFamily,
  decodeCompactNodes,
  decodeCompactPeer,
  type Endpoint,
  encodeCompactNodes,
  encodeCompactPeer,
  type NodeInfo,
} from "./compact.ts";
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
export {
  type HeardResult,
  type NodeState,
  ROUTING_LIMITS,
  type RoutingNode,
  RoutingTable,
} from "./routing-table.ts";
