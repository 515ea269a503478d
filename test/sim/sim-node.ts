/**
 * One simulated peer: a torrent on a host of the simulated network.
 * TEMPORARY: drives a Torrent directly until Client takes a dialer, a
 * listener and a store factory.
 */
import type { Metainfo } from "../../src/metainfo/index.ts";
import type { MemoryHost } from "../../src/net/index.ts";
import { negotiateIncoming } from "../../src/peer/index.ts";
import { type PieceStore, TorrentStorage } from "../../src/storage/index.ts";
import { Torrent } from "../../src/torrent/index.ts";
import type { Clock, RandomSource } from "../../src/util/index.ts";

export interface SimNodeOptions {
  host: MemoryHost;
  port: number;
  meta: Metainfo;
  store: PieceStore;
  clock: Clock;
  random: RandomSource;
  peerId: Buffer;
  uploadSlots?: number;
  chokeIntervalMs?: number;
}

export interface SimNode {
  readonly torrent: Torrent;
  close(): Promise<void>;
}

export async function startNode(o: SimNodeOptions): Promise<SimNode> {
  const original = TorrentStorage.open;
  (TorrentStorage as { open: unknown }).open = async () => o.store;
  let torrent: Torrent;
  try {
    torrent = await Torrent.open({
      meta: o.meta,
      downloadDir: "/nonexistent",
      peerId: o.peerId,
      listenPort: o.port,
      dial: (host, port) => o.host.dial(host, port),
      trackers: false,
      clock: o.clock,
      random: o.random,
      ...(o.uploadSlots !== undefined ? { uploadSlots: o.uploadSlots } : {}),
      ...(o.chokeIntervalMs !== undefined ? { chokeIntervalMs: o.chokeIntervalMs } : {}),
    });
  } finally {
    TorrentStorage.open = original;
  }
  const listener = o.host.listen(o.port);
  listener.on("connection", (stream) => {
    negotiateIncoming(stream, {
      lookup: (infoHash) =>
        infoHash.equals(o.meta.infoHash) &&
        torrent.canAccept(stream.remoteAddress ?? "?", stream.remotePort ?? 0)
          ? { peerId: o.peerId }
          : undefined,
      clock: o.clock,
      timeoutMs: 10_000,
    }).then(
      (negotiated) => {
        if (!torrent.acceptIncoming(negotiated)) stream.destroy();
      },
      () => stream.destroy(),
    );
  });
  torrent.start();
  return {
    torrent,
    close: async () => {
      await listener.close();
      await torrent.close();
    },
  };
}
