/**
 * Which connection gives way when a torrent's peer set is full and a new
 * peer could take its place (one that reached us, or an address waiting to
 * be dialled): the least useful one, as libtorrent makes room. Useful is
 * interest either way, or blocks either way lately; a connection newer than
 * a grace period has not had time to show either. Without this, idle
 * connections that never ask for anything hold every slot (issue 13, item 7).
 */
import type { SwarmPeer } from "./swarm-peer.ts";

/** A connection handshaken less than this ago is never dropped for being idle. */
export const IDLE_GRACE_MS = 20_000;
/** No block either way for this long (and no interest): idle. */
export const IDLE_AFTER_MS = 20_000;

/**
 * The connection idle the longest: neither side interested, no block
 * received from it nor asked of us lately, handshaken at least a grace
 * period ago. Undefined when every connection is useful.
 */
export function leastUseful(peers: Iterable<SwarmPeer>, now: number): SwarmPeer | undefined {
  let worst: SwarmPeer | undefined;
  let worstActiveAt = Number.POSITIVE_INFINITY;
  for (const p of peers) {
    const { conn } = p;
    if (conn.closed || conn.amInterested || conn.peerInterested) continue;
    if (now - p.connectedAt < IDLE_GRACE_MS) continue;
    const activeAt = Math.max(p.connectedAt, p.lastBlockAt ?? 0, p.lastRequestAt ?? 0);
    if (now - activeAt < IDLE_AFTER_MS) continue;
    if (activeAt < worstActiveAt) {
      worst = p;
      worstActiveAt = activeAt;
    }
  }
  return worst;
}
