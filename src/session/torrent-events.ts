/**
 * A torrent's events as the session's: each one re-emitted with the
 * torrent's id and info hash as a SessionEvent (dto.ts), so a subscriber
 * follows every torrent through one stream, and the session hears of the
 * changes it keeps on disk. One relay per torrent, its observer
 * (Torrent.observe), over one sink for the whole session: no listener
 * table and no closures per torrent.
 */
import type { Metainfo } from "../metainfo/index.ts";
import type { Torrent, TorrentEvents, TorrentObserver } from "../torrent/index.ts";
import type { SessionEvent } from "./dto.ts";
import type { TorrentEntry } from "./registry.ts";
import { peerView } from "./views.ts";

/** The session's side, one for all torrents: each call names the entry. */
export interface TorrentEventSink {
  emit(entry: TorrentEntry, event: SessionEvent): void;
  /** The torrent changed in a way the persisted session records. */
  changed(entry: TorrentEntry): void;
  /** Its metadata arrived (a magnet link's torrent): keep a .torrent copy. */
  metadata(entry: TorrentEntry, meta: Metainfo): void;
}

/** Follows the entry's torrent (as it is now) until detach(). */
export class TorrentEventRelay implements TorrentObserver {
  readonly #entry: TorrentEntry;
  readonly #torrent: Torrent;
  readonly #sink: TorrentEventSink;
  /** Stops the peer sources following the torrent, when any do. */
  readonly #sources: (() => void) | undefined;

  constructor(entry: TorrentEntry, sink: TorrentEventSink, sources?: () => void) {
    this.#entry = entry;
    this.#torrent = entry.torrent;
    this.#sink = sink;
    this.#sources = sources;
    this.#torrent.observe(this);
  }

  /** Stops relaying (the torrent is removed, or replaced by one opened again). */
  detach(): void {
    if (this.#torrent.observer === this) this.#torrent.observe(undefined);
    this.#sources?.();
  }

  torrentEvent<K extends keyof TorrentEvents>(event: K, args: TorrentEvents[K]): void {
    const entry = this.#entry;
    const sink = this.#sink;
    const id = entry.id;
    const infoHash = entry.infoHashHex;
    switch (event) {
      case "state": {
        const [state, previous] = args as TorrentEvents["state"];
        sink.emit(entry, { type: "state", id, infoHash, state, previous });
        if (state === "error") {
          const t = this.#torrent;
          const message = t.error ?? "an error with its data";
          sink.emit(entry, { type: "error", id, infoHash, name: t.name, message });
        }
        sink.changed(entry);
        break;
      }
      case "metadata": {
        const [meta] = args as TorrentEvents["metadata"];
        sink.metadata(entry, meta);
        sink.emit(entry, { type: "metadata", id, infoHash, name: meta.name });
        break;
      }
      case "complete":
        sink.emit(entry, { type: "completed", id, infoHash, name: this.#torrent.name });
        sink.changed(entry);
        break;
      case "peer-connected": {
        const [peer] = args as TorrentEvents["peer-connected"];
        sink.emit(entry, { type: "peer-connected", id, infoHash, peer: peerView(peer) });
        break;
      }
      case "peer-closed": {
        const [, reason, peer] = args as TorrentEvents["peer-closed"];
        sink.emit(entry, { type: "peer-closed", id, infoHash, reason, peer: peerView(peer) });
        break;
      }
      case "warning": {
        const [message] = args as TorrentEvents["warning"];
        sink.emit(entry, { type: "warning", id, infoHash, message });
        break;
      }
    }
  }
}
