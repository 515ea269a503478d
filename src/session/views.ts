/**
 * The session's torrents as the DTOs of dto.ts: built from a torrent's own
 * figures (TorrentStats, PeerInfo, its trackers' status) and what the
 * registry knows of it (id, when added, where, its limits).
 */
import type { Bitfield } from "../bitfield/index.ts";
import { formatMagnet, magnetFromMetainfo, pieceFileSpans } from "../metainfo/index.ts";
import type { PeerInfo, Torrent } from "../torrent/index.ts";
import type { TrackerStatus } from "../tracker-client/index.ts";
import type {
  ClientView,
  FileView,
  PeerView,
  TorrentDetail,
  TorrentSummary,
  TrackerView,
} from "./dto.ts";
import type { TorrentEntry } from "./registry.ts";

/** What a transfer's figures are made of, for the ratio. */
export interface RatioFigures {
  size: number;
  left: number;
  downloaded: number;
  uploaded: number;
}

/**
 * Uploaded ÷ downloaded. Data that was here already (a seed's, a resumed
 * download's) counts as downloaded, as Transmission counts it when nothing
 * was: a seed that sent its whole content once has a ratio of 1.
 */
export function shareRatio(s: RatioFigures): number {
  const base = Math.max(s.downloaded, s.size - s.left);
  return base > 0 ? s.uploaded / base : 0;
}

export function peerView(p: PeerInfo): PeerView {
  const { peerId, client, downloadPiece, uploadPiece, ...rest } = p;
  const view: PeerView = { ...rest };
  if (peerId !== undefined) view.peerId = peerId;
  if (client !== undefined) view.client = client;
  if (downloadPiece !== undefined) view.downloadPiece = downloadPiece;
  if (uploadPiece !== undefined) view.uploadPiece = uploadPiece;
  return view;
}

export function torrentSummary(entry: TorrentEntry): TorrentSummary {
  const t = entry.torrent;
  const s = t.stats();
  const summary: TorrentSummary = {
    id: entry.id,
    infoHash: entry.infoHashHex,
    name: s.name,
    state: s.state,
    hasMetadata: t.metadata !== undefined,
    size: s.totalLength,
    pieceCount: s.pieceCount,
    pieceLength: t.metadata?.pieceLength ?? 0,
    piecesHave: s.piecesHave,
    progress: s.progress,
    left: s.left,
    downloaded: s.downloaded,
    uploaded: s.uploaded,
    wasted: s.wasted,
    hashFailures: s.hashFailures,
    ratio: shareRatio({ ...s, size: s.totalLength }),
    downloadRate: s.downloadRate,
    uploadRate: s.uploadRate,
    peers: s.peers,
    // Without a connection there is no seed to count (nor peer figures to make).
    seeds: s.peers === 0 ? 0 : t.peers().filter((p) => p.seed).length,
    banned: s.banned,
    addedAt: entry.addedAt,
    downloadDir: entry.downloadDir,
    limits: { upload: entry.limits.upLimit, download: entry.limits.downLimit },
    ...wantedFigures(t),
    sequential: t.sequential,
    firstLastPiecePriority: t.firstLastPiecePriority,
    queuePosition: entry.manage.position,
    queued: entry.manage.queued,
    labels: [...entry.manage.labels],
    uploadedEver: entry.manage.uploadedBefore + s.uploaded,
    downloadedEver: entry.manage.downloadedBefore + s.downloaded,
  };
  const goals = entry.manage.goals;
  if (goals.ratioLimit !== undefined) summary.ratioLimit = goals.ratioLimit;
  if (goals.idleLimitMinutes !== undefined) summary.idleLimitMinutes = goals.idleLimitMinutes;
  if (s.error !== undefined) summary.error = s.error;
  if (!t.metadata) summary.metadataPeers = s.metadataPeers;
  if (s.state === "downloading" && s.downloadRate > 0 && s.left > 0) {
    summary.eta = Math.ceil(s.left / s.downloadRate);
  }
  return summary;
}

/**
 * Summary fields read straight from the entry and the torrent's own state,
 * without its figures (stats(): progress, rates, peers): a list asked for
 * these alone, such as one polled for `state` while a thousand torrents
 * come back, costs a few property reads per torrent.
 */
const DIRECT_FIELDS: { [K in keyof TorrentSummary]?: (e: TorrentEntry) => TorrentSummary[K] } = {
  id: (e) => e.id,
  infoHash: (e) => e.infoHashHex,
  name: (e) => e.torrent.name,
  state: (e) => e.torrent.state,
  error: (e) => e.torrent.error,
  hasMetadata: (e) => e.torrent.metadata !== undefined,
  addedAt: (e) => e.addedAt,
  downloadDir: (e) => e.downloadDir,
  queuePosition: (e) => e.manage.position,
  queued: (e) => e.manage.queued,
  labels: (e) => [...e.manage.labels],
};

/**
 * Each torrent's summary with only `fields` (those it has), in their order.
 * The fields' getters are looked up once for the whole list, not per
 * torrent: the first list a daemon serves (polled while its torrents come
 * back) runs this code for the first time, unoptimised, a thousand times.
 */
export function torrentSummariesWithFields(
  entries: readonly TorrentEntry[],
  fields: readonly (keyof TorrentSummary)[],
): Partial<TorrentSummary>[] {
  const getters = fields.map((f) => DIRECT_FIELDS[f]);
  const direct = getters.every((get) => get !== undefined);
  const list: Partial<TorrentSummary>[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const summary = direct ? undefined : torrentSummary(entry);
    const out: Record<string, unknown> = {};
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j]!;
      const v = summary ? summary[f] : getters[j]!(entry);
      if (v !== undefined) out[f] = v;
    }
    list[i] = out as Partial<TorrentSummary>;
  }
  return list;
}

export function torrentDetail(
  entry: TorrentEntry,
  now: number,
  torrentFile: string | undefined,
): TorrentDetail {
  const t = entry.torrent;
  const meta = t.metadata;
  const link = meta
    ? magnetFromMetainfo(meta)
    : {
        infoHash: t.infoHash,
        trackers: (entry.magnet?.trackers ?? []).flat(),
        webSeeds: [],
        peers: entry.magnet?.peers ?? [],
        ...(entry.magnet?.name !== undefined ? { displayName: entry.magnet.name } : {}),
      };
  const detail: TorrentDetail = {
    ...torrentSummary(entry),
    magnet: formatMagnet(link),
    pieces: verifiedPieces(t)?.toBuffer().toString("base64") ?? "",
    private: meta?.private ?? false,
    trackers: trackerViews(entry, now),
  };
  if (meta?.comment !== undefined) detail.comment = meta.comment;
  if (meta?.createdBy !== undefined) detail.createdBy = meta.createdBy;
  if (meta?.creationDate !== undefined) detail.creationDate = meta.creationDate;
  if (torrentFile !== undefined) detail.torrentFile = torrentFile;
  return detail;
}

export function peerViews(t: Torrent): PeerView[] {
  return t.peers().map(peerView);
}

/** Bytes of each file inside verified pieces (BEP 3: files cut into pieces in order). */
function bytesCompleted(t: Torrent): number[] {
  const meta = t.metadata;
  if (!meta) return [];
  const done = new Array<number>(meta.files.length).fill(0);
  const have = verifiedPieces(t);
  for (const i of have ? have.indices() : []) {
    for (const span of pieceFileSpans(meta, i)) done[span.fileIndex]! += span.length;
  }
  return done;
}

/** Each file with the bytes of it inside verified pieces, and its priority. */
export function fileViews(t: Torrent): FileView[] {
  const meta = t.metadata;
  if (!meta) return [];
  const done = bytesCompleted(t);
  const priorities = t.filePriorities;
  return meta.files.map((f, index) => {
    const priority = priorities[index] ?? "normal";
    return {
      index,
      path: f.path.join("/"),
      length: f.length,
      bytesCompleted: done[index]!,
      progress: f.length > 0 ? done[index]! / f.length : 1,
      padding: f.pad,
      priority,
      wanted: priority !== "skip",
    };
  });
}

/** Bytes of the wanted files (Transmission's sizeWhenDone), and of them still missing. */
function wantedFigures(t: Torrent): { sizeWanted: number; leftWanted: number } {
  const meta = t.metadata;
  if (!meta) return { sizeWanted: 0, leftWanted: 0 };
  const priorities = t.filePriorities;
  if (!priorities.includes("skip")) {
    return { sizeWanted: meta.totalLength, leftWanted: t.left };
  }
  const done = bytesCompleted(t);
  let sizeWanted = 0;
  let leftWanted = 0;
  meta.files.forEach((f, i) => {
    if (f.pad || priorities[i] === "skip") return;
    sizeWanted += f.length;
    leftWanted += f.length - done[i]!;
  });
  return { sizeWanted, leftWanted };
}

/** The verified pieces; undefined before the data is open (metadata, checking). */
function verifiedPieces(t: Torrent): Bitfield | undefined {
  if (!t.metadata || t.state === "checking") return undefined;
  try {
    return t.storage.have;
  } catch {
    // Not open: its check failed (the `error` state) or it is closed.
    return undefined;
  }
}

/**
 * Every tracker of the torrent, tier by tier, with what its announcer says
 * while the torrent runs; `idle` while it does not.
 */
export function trackerViews(entry: TorrentEntry, now: number): TrackerView[] {
  const t = entry.torrent;
  const tiers = t.announceList;
  const status = new Map<string, TrackerStatus>();
  for (const s of t.stats().trackers) status.set(`${s.tier} ${s.url}`, s);
  const views: TrackerView[] = [];
  tiers.forEach((tier, index) => {
    for (const url of tier) {
      const s = status.get(`${index} ${url}`);
      const id = views.length;
      views.push(
        s ? trackerView(s, id, now) : { id, url, tier: index, state: "idle", peersReceived: 0 },
      );
    }
  });
  return views;
}

function trackerView(s: TrackerStatus, id: number, now: number): TrackerView {
  const v: TrackerView = {
    id,
    url: s.url,
    tier: s.tier,
    state: s.state,
    peersReceived: s.peersReceived,
  };
  const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));
  if (s.lastAnnounce !== undefined) v.lastAnnounceAgo = seconds(now - s.lastAnnounce);
  if (s.nextAnnounce !== undefined) v.nextAnnounceIn = seconds(s.nextAnnounce - now);
  if (s.lastError !== undefined) v.lastError = s.lastError;
  if (s.lastWarning !== undefined) v.lastWarning = s.lastWarning;
  if (s.seeders !== undefined) v.seeders = s.seeders;
  if (s.leechers !== undefined) v.leechers = s.leechers;
  if (s.downloaded !== undefined) v.downloaded = s.downloaded;
  return v;
}

/** The client as a whole: rates, limits, torrents by state, peers. */
export function clientView(
  entries: readonly TorrentEntry[],
  base: Pick<ClientView, "peerId" | "port" | "limits" | "downloadDir">,
): ClientView {
  const view: ClientView = {
    ...base,
    downloadRate: 0,
    uploadRate: 0,
    torrents: entries.length,
    downloading: 0,
    seeding: 0,
    paused: 0,
    peers: 0,
  };
  for (const e of entries) {
    // Read every second for every torrent (the daemon's rate history):
    // the rates alone, not stats() with its tracker list.
    const r = e.torrent.rates();
    view.downloadRate += r.downloadRate;
    view.uploadRate += r.uploadRate;
    view.peers += r.peers;
    const state = e.torrent.state;
    if (state === "downloading" || state === "metadata") view.downloading++;
    else if (state === "seeding") view.seeding++;
    else if (state === "paused") view.paused++;
  }
  return view;
}
