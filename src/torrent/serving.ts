/**
 * The uploading side: a peer's request answered from storage. Which peers
 * may ask (the choke rounds) is upload-slots.ts; the bytes on the wire and
 * the upload rate limits are the PeerConnection's.
 */
import type { PieceStore } from "../storage/index.ts";
import type { BlockRef } from "../wire/index.ts";
import type { SwarmPeer } from "./swarm-peer.ts";

/**
 * Reads the block and hands it to the connection, which sends it without a
 * copy and releases the read's memory once written. A request for a piece
 * we lack, from a peer we choke, or that the disk cannot read is rejected.
 */
export async function serveBlock(
  storage: PieceStore | undefined,
  peer: SwarmPeer,
  ref: BlockRef,
  warn: (err: unknown) => void,
): Promise<void> {
  if (!storage || peer.conn.amChoking || !storage.have.has(ref.index)) {
    peer.conn.reject(ref);
    return;
  }
  try {
    const block = await storage.readBlock(ref.index, ref.begin, ref.length);
    if (!peer.conn.sendPiece(ref.index, ref.begin, block.data, block.release)) block.release();
  } catch (err) {
    warn(err);
    peer.conn.reject(ref);
  }
}
