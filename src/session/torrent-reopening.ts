/**
 * Operations that close a torrent and open it again under the same entry:
 * a recheck (every piece verified again, resume data ignored) and a move of
 * its data to another folder (data-move.ts). The entry keeps its id, place,
 * settings and totals; the new Torrent takes the old one's file selection
 * and tracker edits.
 */
import { Torrent, type TorrentOptions } from "../torrent/index.ts";
import type { SessionEvent } from "./dto.ts";
import { ClientError } from "./errors.ts";
import type { TorrentEntry } from "./registry.ts";
import { openTorrent } from "./torrent-opening.ts";
import { resolveSource, type TorrentSource } from "./torrent-source.ts";

/** What reopening needs of the client. */
export interface ReopenContext {
  /** The options a torrent of this entry opens with (its folder as the entry now says). */
  torrentOptions(entry: TorrentEntry): TorrentOptions;
  /** Follows the entry's (new) torrent: events, peer sources. */
  watch(entry: TorrentEntry): void;
  /** Queues it to start (it is not paused). */
  schedule(entry: TorrentEntry): void;
  emit(event: SessionEvent): void;
  /** Keeps the entry's change with the session. */
  save(entry: TorrentEntry): Promise<void>;
}

/** Closes the entry's torrent, its transfer totals kept in the entry. */
async function retire(entry: TorrentEntry): Promise<Torrent> {
  const old = entry.torrent;
  entry.watching?.detach();
  entry.manage.uploadedBefore += old.uploaded;
  entry.manage.downloadedBefore += old.downloaded;
  await old.close();
  return old;
}

/** What the new torrent keeps of the old one: file selection and tracker edits. */
function carried(old: Torrent): Partial<TorrentOptions> {
  return { ...old.selectionOptions, ...(old.trackerList ? { trackerList: old.trackerList } : {}) };
}

/**
 * Verifies every piece on disk again, ignoring resume data: the torrent is
 * opened again (its peers reconnect) and runs as before once checked.
 */
export async function recheckTorrent(entry: TorrentEntry, c: ReopenContext): Promise<void> {
  const meta = entry.torrent.metadata;
  if (!meta) {
    throw new ClientError("no_metadata", `'${entry.torrent.name}' has no metadata to check yet`);
  }
  if (entry.torrent.state === "checking") return;
  const old = await retire(entry);
  const torrent = new Torrent({ ...c.torrentOptions(entry), meta, verify: true, ...carried(old) });
  entry.torrent = torrent;
  c.watch(entry);
  c.emit({
    type: "state",
    id: entry.id,
    infoHash: entry.infoHashHex,
    state: torrent.state,
    previous: old.state,
  });
  if (!entry.paused) c.schedule(entry);
}

/**
 * Moves the torrent's data to `downloadDir` (data-move.ts) and opens it
 * there: closed while its files move, then running as before, its resume
 * data still trusted. A move that fails (no room, no right to write there)
 * leaves the torrent running where its data is, and says why.
 */
export async function moveTorrent(
  entry: TorrentEntry,
  downloadDir: string,
  c: ReopenContext,
): Promise<void> {
  const old = await retire(entry);
  const meta = old.metadata;
  let failed: unknown;
  if (meta) {
    // data-move.ts loads with the first move, not with the session (issue 16's start-up).
    const { moveTorrentData } = await import("./data-move.ts");
    await moveTorrentData(meta, entry.incompleteDir ?? entry.downloadDir, downloadDir).catch(
      (err) => {
        failed = err;
      },
    );
  }
  if (failed === undefined) {
    entry.downloadDir = downloadDir;
    delete entry.incompleteDir;
  }
  const source: TorrentSource = meta ?? {
    infoHash: entry.infoHashHex,
    trackers: entry.magnet?.trackers.flat() ?? [],
    peers: entry.magnet?.peers ?? [],
    ...(entry.magnet?.name !== undefined ? { name: entry.magnet.name } : {}),
  };
  const { torrent } = await openTorrent(
    await resolveSource(source),
    { ...c.torrentOptions(entry), ...carried(old) },
    true,
  );
  entry.torrent = torrent;
  c.watch(entry);
  if (!entry.paused && torrent.state !== "error") c.schedule(entry);
  await c.save(entry);
  if (failed !== undefined) throw failed;
}
