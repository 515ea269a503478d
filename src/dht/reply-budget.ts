/**
 * No amplification (issue 15): an answer to an address that never answered
 * us stays within a budget of bytes, so a forged source address cannot turn
 * a small query into a large reply aimed at someone else.
 */
import type { Endpoint } from "./compact.ts";
import { encodeCompactPeer } from "./compact.ts";
import { encodeKrpc, type KrpcResponse } from "./krpc.ts";

/**
 * Trims a get_peers answer to `budget` bytes: values first (what the asker
 * wants), then nodes only if they still fit.
 */
export function fitReply(reply: KrpcResponse, peers: Endpoint[], budget: number): KrpcResponse {
  const withNodes = { ...reply, values: peers };
  if (encodeKrpc(withNodes).length <= budget) return withNodes;
  const bare: KrpcResponse = { ...reply, values: [] };
  delete bare.nodes;
  delete bare.nodes6;
  const room = budget - encodeKrpc(bare).length;
  const per = (encodeCompactPeer(peers[0]!)?.length ?? 6) + 3;
  const count = Math.max(1, Math.floor(room / per));
  return { ...bare, values: peers.slice(0, count) };
}
