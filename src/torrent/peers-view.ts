/**
 * What views read of a torrent's peers, and the peers of a torrent that
 * never had a set made (an idle seed, whose swarm modules may not even be
 * loaded: swarm-loader.ts).
 */
import type { PeerSet } from "./peer-set.ts";
import type { SwarmPeer } from "./swarm-peer.ts";

/** What views read of a torrent's peers. */
export type PeersView = Pick<PeerSet, "values" | "size" | "banCount">;

/** What a set without a connection iterates (never written to). */
const NO_PEERS: ReadonlyMap<string, SwarmPeer> = new Map();

/** The peers of a torrent that never had a set made (an idle seed): none. */
export const NO_PEER_SET: PeersView = {
  size: 0,
  banCount: 0,
  values: () => NO_PEERS.values(),
};
