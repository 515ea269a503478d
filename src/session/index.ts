/**
 * session: the Client, many torrents behind one listener, and the registry
 * of them (short ids, info-hash prefixes), kept on disk when asked.
 *
 *   const client = await Client.start({ dataDir, downloadDir, port?, dialer?, listen?,
 *                                       persist?, lock?, ... });
 *   await client.restore();   // the persisted session's torrents, as they were
 *   await client.add("x.torrent" | bytes | metainfo | "magnet:?xt=…" | { infoHash, name?, trackers?, peers? });
 *   client.resolve("2" | "3fa2"); await client.pause(hash); await client.resume(hash);
 *   await client.recheck(hash); client.reannounce(hash); await client.remove(hash, { deleteData });
 *   client.setLimits({ upload, download }); client.setTorrentLimits(hash, { ... });
 *   await client.whenComplete(hash, { timeoutMs });
 *   client.view(); client.summaries(); client.detail(hash); client.peers(hash);
 *   client.files(hash); client.trackers(hash); client.pieceActivity(hash); await client.torrentFile(hash);
 *   for await (const chunk of client.readFile(hash, fileIndex, { start, end }, { signal })) …  // streaming
 *   client.on("event", (e: SessionEvent) => …); await client.close();
 *   await client.setFilePriorities(hash, ["skip", "high", …]); await client.setPieceOrder(hash, { sequential });
 *   client.managed: queue limits and seeding goals (settings, setSettings), move(hash, "top" | n),
 *                   setLabels(hash, [...]), setSeedingGoals(hash, { ratioLimit, idleLimitMinutes })
 *
 * With `persist`, <data-dir>/session.json lists the torrents with their
 * settings and states (written atomically; a damaged one is kept as
 * session.json.bad and the session starts empty; the shell's older
 * shell-session.json is migrated), and <data-dir>/torrents/<info hash>.torrent
 * keeps each one's .torrent. With `lock`, <data-dir>/lock makes it the only
 * shoal on that data dir. What front ends see is plain data (dto.ts).
 *
 * Incoming streams go through the negotiation step (peer/negotiate.ts) and
 * are routed to the torrent their handshake names; dialling and listening go
 * through a Dialer and a Listener (transports.ts), TCP unless given others.
 */
export { Client } from "./client.ts";
export type {
  AddOptions,
  ClientEvents,
  ClientOptions,
  RemoveOptions,
  RestoreResult,
} from "./client-options.ts";
export { type DataDirLock, DataDirLockedError, lockDataDir } from "./data-dir-lock.ts";
export type { ClientDhtOptions } from "./dht-source.ts";
export type {
  ActiveRates,
  ClientView,
  FilePriorityName,
  FileView,
  Limits,
  ManageSettingsView,
  PeerView,
  PieceActivityView,
  SessionEvent,
  SessionEventType,
  TorrentDetail,
  TorrentStateName,
  TorrentSummary,
  TrackerStateName,
  TrackerView,
} from "./dto.ts";
export { ClientError } from "./errors.ts";
export type { ManagedClient } from "./managed-client.ts";
export { savedDhtNodes } from "./peer-sources.ts";
export type { QueueMove } from "./queue.ts";
export type { TorrentGoals } from "./seeding-goals.ts";
export { SESSION_FILE } from "./session-store.ts";
export { TORRENTS_DIR } from "./torrent-files.ts";
export type { TorrentDescription, TorrentSource } from "./torrent-source.ts";
export { type Dialer, type Listen, type Listener, listenOnTcp, tcpDialer } from "./transports.ts";
export { shareRatio } from "./views.ts";
