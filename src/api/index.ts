/**
 * api: the framework-free facade over the session that every front end
 * talks to (the CLI, the shell, the daemon's HTTP API and its Transmission
 * RPC adapter, the web UI). Plain JSON in and out; torrents named by their
 * short id or a unique info-hash prefix; errors are ApiError with a code.
 *
 *   const api = new ShoalApi(client, { tracker?, publishToken? });
 *   api.client(); await api.setLimits({ upload, download });
 *   api.list({ fields? }); api.get(ref); await api.add({ torrent | path | magnet | infoHash, ... });
 *   await api.pause(ref); await api.resume(ref); await api.pauseAll(); await api.recheck(ref);
 *   await api.reannounce(ref); await api.remove(ref, { deleteData }); await api.setTorrentLimits(ref, {...});
 *   api.files(ref); await api.setFiles(ref, { indices?, priority? | wanted? });
 *   await api.setPieceOrder(ref, { sequential?, firstLastPiecePriority? }); api.peers(ref); api.trackers(ref); await api.torrentFile(ref);
 *   await api.whenComplete(ref, { timeoutMs }); const stop = api.subscribe((e) => …, { types });
 *   await api.index(); await api.publish({ ref } | { torrent }); await api.addFromIndex({ infoHash });
 */
export { ApiError, type ApiErrorCode, toApiError } from "./errors.ts";
export { ShoalApi, type ShoalApiOptions } from "./shoal-api.ts";
export { TrackerIndex } from "./tracker-index.ts";
export type {
  AddFromIndexRequest,
  AddRequest,
  ApiEvent,
  ApiListener,
  ClientView,
  FilePriorityName,
  FilesRequest,
  FileView,
  IndexEntry,
  Limits,
  LimitsRequest,
  ListRequest,
  PeerView,
  PieceOrderRequest,
  PublishRequest,
  PublishResult,
  RemoveRequest,
  SessionEvent,
  SessionEventType,
  SummaryField,
  TorrentDetail,
  TorrentRef,
  TorrentStateName,
  TorrentSummary,
  TrackerStateName,
  TrackerView,
  WaitRequest,
} from "./types.ts";
export { parseEndpoint } from "./validation.ts";
