/**
 * `torrent-get` fields in Transmission's meanings and units (its RPC spec,
 * version 16 as Transmission 3.00 speaks it): rates in bytes/s, limits in
 * kB/s (1000 bytes), dates in seconds since the epoch, `status` as its enum,
 * `wanted` as 0/1. Each field is computed only when asked for, from the
 * facade's views; a field shoal has no meaning for is absent.
 */
import type { ShoalApi } from "./shoal-api.ts";
import type { FileView, PeerView, TorrentDetail, TorrentSummary } from "./types.ts";

/** Transmission's tr_torrent_activity. */
export const TR_STATUS = {
  stopped: 0,
  checkWait: 1,
  check: 2,
  downloadWait: 3,
  download: 4,
  seedWait: 5,
  seed: 6,
} as const;

/** Transmission's tr_stat_errtype: 3 is a local error (shoal's `error` state). */
const TR_STAT_LOCAL_ERROR = 3;
/** Transmission's "not available" ETA. */
const TR_ETA_NOT_AVAIL = -1;
const KB = 1000;

/** What a field is made from: the summary, and the rest only when needed. */
export class TorrentFacts {
  readonly s: TorrentSummary;
  readonly #api: ShoalApi;
  #detail: TorrentDetail | undefined;
  #files: FileView[] | undefined;

  constructor(api: ShoalApi, s: TorrentSummary) {
    this.#api = api;
    this.s = s;
  }

  get detail(): TorrentDetail {
    this.#detail ??= this.#api.get(this.s.infoHash);
    return this.#detail;
  }

  get peers(): PeerView[] {
    return this.#api.peers(this.s.infoHash);
  }

  get files(): FileView[] {
    this.#files ??= this.s.hasMetadata ? this.#api.files(this.s.infoHash) : [];
    return this.#files;
  }
}

function status(s: TorrentSummary): number {
  if (s.queued) return s.leftWanted > 0 ? TR_STATUS.downloadWait : TR_STATUS.seedWait;
  switch (s.state) {
    case "checking":
      return TR_STATUS.check;
    case "metadata":
    case "downloading":
      return TR_STATUS.download;
    case "seeding":
      return TR_STATUS.seed;
    default:
      return TR_STATUS.stopped;
  }
}

/**
 * Transmission's tr_priority_t. It keeps a file's priority apart from
 * whether it is wanted; shoal's `skip` is the unwanted state, shown at
 * normal priority.
 */
const TR_PRIORITY: Record<FileView["priority"], number> = { skip: 0, low: -1, normal: 0, high: 1 };

function goalMode(goal: number | null | undefined): number {
  return goal === undefined ? 0 : goal === null ? 2 : 1;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const kb = (bytes: number) => Math.round(bytes / KB);

type Field = (f: TorrentFacts) => unknown;

export const TORRENT_FIELDS: Record<string, Field> = {
  id: (f) => f.s.id,
  hashString: (f) => f.s.infoHash,
  name: (f) => f.s.name,
  status: (f) => status(f.s),
  error: (f) => (f.s.state === "error" ? TR_STAT_LOCAL_ERROR : 0),
  errorString: (f) => f.s.error ?? "",
  eta: (f) => (f.s.eta === undefined ? TR_ETA_NOT_AVAIL : Math.round(f.s.eta)),
  etaIdle: () => TR_ETA_NOT_AVAIL,
  isFinished: () => false,
  isStalled: (f) => f.s.state === "downloading" && f.s.peers === 0,
  leftUntilDone: (f) => f.s.leftWanted,
  sizeWhenDone: (f) => f.s.sizeWanted,
  totalSize: (f) => f.s.size,
  percentDone: (f) =>
    f.s.sizeWanted === 0
      ? f.s.hasMetadata
        ? 1
        : 0
      : (f.s.sizeWanted - f.s.leftWanted) / f.s.sizeWanted,
  metadataPercentComplete: (f) => (f.s.hasMetadata ? 1 : 0),
  recheckProgress: (f) => (f.s.state === "checking" ? f.s.progress : 0),
  haveValid: (f) => f.s.size - f.s.left,
  haveUnchecked: () => 0,
  desiredAvailable: (f) => f.s.leftWanted,
  rateDownload: (f) => Math.round(f.s.downloadRate),
  rateUpload: (f) => Math.round(f.s.uploadRate),
  uploadRatio: (f) => f.s.ratio,
  uploadedEver: (f) => f.s.uploadedEver,
  downloadedEver: (f) => f.s.downloadedEver,
  corruptEver: (f) => f.s.wasted,
  peersConnected: (f) => f.s.peers,
  peersGettingFromUs: (f) => f.s.peers,
  peersSendingToUs: (f) => f.s.seeds,
  webseedsSendingToUs: () => 0,
  webseeds: () => [],
  downloadDir: (f) => f.s.downloadDir,
  addedDate: (f) => seconds(f.s.addedAt),
  activityDate: (f) =>
    f.s.downloadRate > 0 || f.s.uploadRate > 0 ? seconds(Date.now()) : seconds(f.s.addedAt),
  startDate: (f) => seconds(f.s.addedAt),
  doneDate: () => 0,
  dateCreated: (f) => f.detail.creationDate ?? 0,
  comment: (f) => f.detail.comment ?? "",
  creator: (f) => f.detail.createdBy ?? "",
  isPrivate: (f) => f.detail.private,
  magnetLink: (f) => f.detail.magnet,
  pieceCount: (f) => f.s.pieceCount,
  pieceSize: (f) => f.s.pieceLength,
  pieces: (f) => f.detail.pieces,
  torrentFile: (f) => f.detail.torrentFile ?? "",
  downloadLimit: (f) => kb(f.s.limits.download),
  downloadLimited: (f) => f.s.limits.download > 0,
  uploadLimit: (f) => kb(f.s.limits.upload),
  uploadLimited: (f) => f.s.limits.upload > 0,
  honorsSessionLimits: () => true,
  bandwidthPriority: () => 0,
  // Transmission's tr_ratiolimit / tr_idlelimit: 0 global, 1 its own, 2 unlimited.
  seedRatioMode: (f) => goalMode(f.s.ratioLimit),
  seedRatioLimit: (f) => f.s.ratioLimit ?? 0,
  seedIdleMode: (f) => goalMode(f.s.idleLimitMinutes),
  seedIdleLimit: (f) => f.s.idleLimitMinutes ?? 0,
  queuePosition: (f) => f.s.queuePosition,
  "peer-limit": () => 50,
  labels: (f) => f.s.labels,
  secondsDownloading: () => 0,
  secondsSeeding: () => 0,
  files: (f) =>
    f.files.map((x) => ({ name: x.path, length: x.length, bytesCompleted: x.bytesCompleted })),
  fileStats: (f) =>
    f.files.map((x) => ({
      bytesCompleted: x.bytesCompleted,
      wanted: x.wanted,
      priority: TR_PRIORITY[x.priority],
    })),
  // Transmission 3.00 sends these as 0/1, which its own clients read.
  wanted: (f) => f.files.map((x) => (x.wanted ? 1 : 0)),
  priorities: (f) => f.files.map((x) => TR_PRIORITY[x.priority]),
  peers: (f) => (f.s.peers === 0 ? [] : f.peers.map(trPeer)),
  trackers: (f) =>
    f.detail.trackers.map((t) => ({ announce: t.url, id: t.id, scrape: "", tier: t.tier })),
  trackerStats: (f) =>
    f.detail.trackers.map((t) => ({
      announce: t.url,
      id: t.id,
      tier: t.tier,
      host: hostOf(t.url),
      scrape: "",
      isBackup: false,
      hasAnnounced: t.lastAnnounceAgo !== undefined,
      lastAnnounceSucceeded: t.state === "working",
      lastAnnounceResult: t.lastError ?? (t.state === "working" ? "Success" : ""),
      lastAnnounceTime:
        t.lastAnnounceAgo === undefined ? 0 : seconds(Date.now()) - t.lastAnnounceAgo,
      nextAnnounceTime:
        t.nextAnnounceIn === undefined ? 0 : seconds(Date.now()) + Math.round(t.nextAnnounceIn),
      lastAnnouncePeerCount: t.peersReceived,
      seederCount: t.seeders ?? -1,
      leecherCount: t.leechers ?? -1,
      downloadCount: t.downloaded ?? -1,
      announceState: t.state === "announcing" ? 3 : t.nextAnnounceIn === undefined ? 0 : 1,
      scrapeState: 0,
      // The rest of Transmission's fields: transmission-remote -it lists a tracker only with all of them.
      lastAnnounceStartTime:
        t.lastAnnounceAgo === undefined ? 0 : seconds(Date.now()) - t.lastAnnounceAgo,
      lastAnnounceTimedOut: /timed out|timeout/i.test(t.lastError ?? ""),
      hasScraped: false,
      lastScrapeResult: "",
      lastScrapeStartTime: 0,
      lastScrapeSucceeded: false,
      lastScrapeTime: 0,
      lastScrapeTimedOut: false,
      nextScrapeTime: 0,
    })),
};

function trPeer(p: PeerView): unknown {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(p.address);
  return {
    address: m?.[1] ?? p.address,
    port: Number(m?.[2] ?? 0),
    clientName: p.client ?? "",
    clientIsChoked: p.amChoking,
    clientIsInterested: p.amInterested,
    peerIsChoked: p.peerChoking,
    peerIsInterested: p.peerInterested,
    isDownloadingFrom: p.downloadRate > 0,
    isUploadingTo: p.uploadRate > 0,
    isEncrypted: false,
    isIncoming: !p.outgoing,
    isUTP: false,
    progress: p.progress,
    rateToClient: Math.round(p.downloadRate),
    rateToPeer: Math.round(p.uploadRate),
    flagStr:
      (p.downloadRate > 0 ? "D" : "") + (p.uploadRate > 0 ? "U" : "") + (p.outgoing ? "" : "I"),
  };
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return url;
  }
}
