/**
 * A connection's events routed to the torrent's sides: pieces, blocks and
 * chokes to the downloading side (absent before the metadata is checked:
 * a connection has no pieces to tell of before its geometry), requests to
 * the serving side, interest to the upload slots, BEP 5 ports out.
 */
import type { Clock } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";
import type { Requester } from "./requesting.ts";
import type { SwarmPeer } from "./swarm-peer.ts";
import type { UploadSlots } from "./upload-slots.ts";

export interface PeerEventSinks {
  clock: Clock;
  requester(): Requester | undefined;
  serve(ref: BlockRef): void;
  slots: UploadSlots;
  /** BEP 5: the peer's DHT node listens at host:port. */
  dhtNode(host: string, port: number): void;
}

export function routePeerEvents(peer: SwarmPeer, to: PeerEventSinks): void {
  const { conn } = peer;
  conn.on("bitfield", (bf) => to.requester()?.onBitfield(peer, bf));
  conn.on("have", (index) => to.requester()?.onHave(peer, index));
  conn.on("unchoke", () => {
    peer.everUnchokedUs = true;
    to.requester()?.request(peer);
  });
  conn.on("choke", (returned) => to.requester()?.giveBack(peer, returned));
  conn.on("reject", (ref) => to.requester()?.giveBack(peer, [ref]));
  conn.on("request-timeout", (ref) => to.requester()?.giveBack(peer, [ref]));
  conn.on("block", (block) => {
    peer.lastBlockAt = to.clock.now();
    to.requester()?.onBlock(peer, block);
  });
  conn.on("request", (ref) => {
    peer.lastRequestAt = to.clock.now();
    to.serve(ref);
  });
  conn.on("interested", () => to.slots.onInterested());
  conn.on("not-interested", () => to.slots.onNotInterested(peer));
  conn.on("upload-stalled", () => to.slots.onUploadStalled(peer));
  conn.on("port", (port) => {
    if (port > 0) to.dhtNode(peer.host, port);
  });
}
