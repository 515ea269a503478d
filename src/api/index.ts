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
 *   await api.setPieceOrder(ref, { sequential?, firstLastPiecePriority? }); api.peers(ref);
 *   api.manageSettings(); await api.setManageSettings({ maxActiveDownloads, maxActiveSeeds,
 *     stalledMinutes, ratioLimit, idleLimitMinutes }); await api.moveInQueue(ref, { to });
 *   await api.setLabels(ref, { labels }); api.labels(); await api.setSeedingGoals(ref, { ratioLimit }); api.trackers(ref); await api.torrentFile(ref);
 *   await api.editTrackers(ref, { add?: [{ url, tier? }], remove?: [id], replace?: [{ id, url }] });
 *   await api.whenComplete(ref, { timeoutMs }); const stop = api.subscribe((e) => …, { types });
 *   api.stats(); api.pieces(ref); await api.move(ref, { downloadDir });
 *   await api.index(); await api.publish({ ref } | { torrent }); await api.addFromIndex({ infoHash });
 *
 * The daemon's HTTP side, thin adapters over the facade: ControlPlane (one
 * node:http handler: the guard, /api/v1 routes, SSE events, the OpenAPI
 * document, Transmission's RPC at /transmission/rpc).
 */
export { ControlPlane, type ControlPlaneOptions } from "./control-plane.ts";
export { type CredentialSettings, hashPassword, verifyPassword } from "./credentials.ts";
export { ApiError, type ApiErrorCode, toApiError } from "./errors.ts";
export { EVENT_BACKLOG, MAX_EVENT_STREAMS } from "./event-stream.ts";
export { MAX_JSON_BODY_BYTES, MAX_TORRENT_FILE_BYTES } from "./http-body.ts";
export { HTTP_STATUS, type HttpErrorCode } from "./http-errors.ts";
export { API_PREFIX, ROUTES } from "./rest-routes.ts";
export type {
  SettingErrors,
  SettingField,
  SettingsSaved,
  SettingsStore,
  SettingsView,
  SettingValue,
} from "./settings-routes.ts";
export { ShoalApi, type ShoalApiOptions } from "./shoal-api.ts";
export type { TrackerEditRequest } from "./tracker-edits.ts";
export type { TrackerIndex } from "./tracker-index.ts";
export { openTrackerIndex } from "./tracker-index-loader.ts";
export { SESSION_ID_HEADER, TRANSMISSION_RPC_PATH } from "./transmission-paths.ts";
export type { TransmissionSessionInfo } from "./transmission-rpc.ts";
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
  LabelsRequest,
  Limits,
  LimitsRequest,
  ListRequest,
  ManageSettingsView,
  MoveRequest,
  PeerView,
  PieceActivityView,
  PieceMap,
  PieceOrderRequest,
  PublishRequest,
  PublishResult,
  QueueMoveRequest,
  RemoveRequest,
  SeedingGoalsRequest,
  SessionEvent,
  SessionEventType,
  SessionStats,
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
