/**
 * peer: one BitTorrent peer connection (BEP 3, BEP 6 fast, BEP 10 extended).
 *
 *   const negotiated = await negotiateOutgoing(stream, { infoHash, peerId, dhtPort?, encryption? });
 *   //            or await negotiateIncoming(stream, { lookup: (infoHash) => identity?, infoHashes?, encryption? });
 *   // encryption: MSE (mse.ts) "disabled" | "enabled" | "prefer" | "required"; negotiated.encrypted says if RC4 is on
 *   const conn = openPeerConnection(negotiated, {   // a PeerConnection
 *     geometry?: { pieceCount, pieceLength, totalLength }, // or setGeometry() later
 *     extensionRegistry?, listenPort, dhtPort?, clock, logger,
 *     bitfield?,                        // our pieces (or call sendBitfield in "ready")
 *     uploadBuckets?, downloadBuckets?, // e.g. [torrentBucket, globalBucket]
 *     requestTimeoutMs?, maxQueuedRequests?, keepAliveMs?, idleTimeoutMs?, …
 *   });
 *
 * The negotiation (negotiate.ts) exchanges the handshakes, the same for both
 * directions; the connection never reads or writes one. Listeners must be
 * attached right after construction ("ready" follows in a microtask).
 *
 * Our side:   setGeometry(g, ours?) sendBitfield(bf) sendHave(i) choke() unchoke() setInterested(b)
 *             request(block) cancel(block) sendPiece(index, begin, data)
 *             reject(req) sendExtension(name, payload) sendExtended(id, payload) close(reason)
 * State:      ready closed closeReason fast extended peerId remoteAddress remotePort
 *             amChoking amInterested peerChoking peerInterested peerBitfield pieceCount
 *             peerExtensions peerExtendedHandshake pipelineDepth stats pendingRequests()
 * Events:     "ready" "extended-handshake" "bitfield" "have" "choke"(returned) "unchoke"
 *             "interested" "not-interested" "block" "request" "cancel" "reject"
 *             "request-timeout" "extended" "port" "close"(reason, error?)
 *
 * Extensions (BEP 10): an ExtensionRegistry (extensionRegistry option) lists
 * them by name with their handlers; the extended handshake advertises exactly
 * those, and their messages go to their handlers. BEP 5 `port` messages are
 * "port" events.
 *
 * Before the geometry (a magnet link's metadata phase) the connection opens,
 * exchanges BEP 10 handshakes and extension messages; the peer's bitfield and
 * haves are kept raw and checked when setGeometry comes; no request is made
 * or served until then.
 *
 * Requests: request() queues; the number outstanding follows the peer's rate
 * (about one second's worth of 16 KiB blocks, 2 to min(250, their reqq)).
 * Serving: "request" events hand out at most `maxServing` of the peer's
 * requests at once; answer each with sendPiece or reject. BEP 6 allowed-fast
 * and suggest are accepted and ignored.
 */
export { loadPeerConnection, openPeerConnection } from "./connection-loader.ts";
export { ENCRYPTION_POLICIES, type EncryptionPolicy } from "./encryption-policy.ts";
export { PeerError, type PeerErrorCode } from "./errors.ts";
export {
  type Extension,
  type ExtensionHandler,
  type ExtensionPeer,
  ExtensionRegistry,
  type ExtensionRegistryEvents,
} from "./extension-registry.ts";
export type { Geometry } from "./geometry.ts";
export { type MseKeyPair, mseKeyPair } from "./mse-key-pair.ts";
export type {
  Identity,
  IncomingOptions,
  Negotiated,
  NegotiateOptions,
  OutgoingOptions,
} from "./negotiate.ts";
// The negotiation loads with the first connection (negotiation-loader.ts).
export { negotiateIncoming, negotiateOutgoing } from "./negotiation-loader.ts";
// A type here: the class loads with the first negotiated connection
// (connection-loader.ts); open one with openPeerConnection.
export type { PeerConnection } from "./peer-connection.ts";
export type {
  Block,
  PeerConnectionEvents,
  PeerConnectionOptions,
  PeerStats,
} from "./types.ts";
