/**
 * A connection's figures as PeerStats: rates and totals both ways, choke
 * and interest, and the state of both request pipelines (ours to the peer
 * in downloader.ts, theirs to us in uploader.ts).
 */
import type { ChokeState } from "./choke-state.ts";
import type { Downloader } from "./downloader.ts";
import type { PeerStats } from "./types.ts";
import type { Uploader } from "./uploader.ts";

export function peerStats(
  downloader: Downloader,
  uploader: Uploader,
  chokes: ChokeState,
  connectedAt: number,
  client: string | undefined,
  clientVersion: string | undefined,
): PeerStats {
  return {
    downloadRate: downloader.meter.rate(),
    uploadRate: uploader.meter.rate(),
    downloaded: downloader.meter.total,
    uploaded: uploader.meter.total,
    wasted: downloader.wasted,
    connectedAt,
    client,
    clientVersion,
    amChoking: chokes.amChoking,
    amInterested: chokes.amInterested,
    peerChoking: chokes.peerChoking,
    peerInterested: chokes.peerInterested,
    requestsOutstanding: downloader.outstandingCount,
    requestsQueued: downloader.queuedCount,
    pipelineDepth: downloader.depth(),
    peerRequests: uploader.size,
  };
}
