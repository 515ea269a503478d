/**
 * A torrent's events as the session's: each one re-emitted with the
 * torrent's id and info hash as a SessionEvent (dto.ts), so a subscriber
 * follows every torrent through one stream, and the session hears of the
 * changes it keeps on disk.
 */
import type { Metainfo } from "../metainfo/index.ts";
import type { PeerInfo, TorrentState } from "../torrent/index.ts";
import type { SessionEvent } from "./dto.ts";
import type { TorrentEntry } from "./registry.ts";
import { peerView } from "./views.ts";

export interface TorrentEventSink {
  emit(event: SessionEvent): void;
  /** The torrent changed in a way the persisted session records. */
  changed(): void;
  /** Its metadata arrived (a magnet link's torrent): keep a .torrent copy. */
  metadata(entry: TorrentEntry, meta: Metainfo): void;
}

/** Listens to the entry's torrent; returns what stops listening. */
export function watchTorrent(entry: TorrentEntry, sink: TorrentEventSink): () => void {
  const t = entry.torrent;
  const ids = { id: entry.id, infoHash: entry.infoHashHex };
  const onState = (state: TorrentState, previous: TorrentState) => {
    sink.emit({ type: "state", ...ids, state, previous });
    if (state === "error") {
      sink.emit({
        type: "error",
        ...ids,
        name: t.name,
        message: t.error ?? "an error with its data",
      });
    }
    sink.changed();
  };
  const onMetadata = (meta: Metainfo) => {
    sink.metadata(entry, meta);
    sink.emit({ type: "metadata", ...ids, name: meta.name });
  };
  const onComplete = () => {
    sink.emit({ type: "completed", ...ids, name: t.name });
    sink.changed();
  };
  const onConnected = (peer: PeerInfo) =>
    sink.emit({ type: "peer-connected", ...ids, peer: peerView(peer) });
  const onClosed = (_id: string, reason: string, peer: PeerInfo) =>
    sink.emit({ type: "peer-closed", ...ids, reason, peer: peerView(peer) });
  const onWarning = (message: string) => sink.emit({ type: "warning", ...ids, message });
  t.on("state", onState);
  t.on("metadata", onMetadata);
  t.on("complete", onComplete);
  t.on("peer-connected", onConnected);
  t.on("peer-closed", onClosed);
  t.on("warning", onWarning);
  return () => {
    t.off("state", onState);
    t.off("metadata", onMetadata);
    t.off("complete", onComplete);
    t.off("peer-connected", onConnected);
    t.off("peer-closed", onClosed);
    t.off("warning", onWarning);
  };
}
