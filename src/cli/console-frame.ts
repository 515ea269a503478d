/**
 * The live console's picture, as plain text lines of at most 80 columns: a
 * header (our peer id, listen address, trackers, rate limits), then what we
 * download from each peer and what we upload to each. Pure: it renders a
 * snapshot, so tests check it without a terminal or a swarm.
 */
import type { PeerView, ShoalApi, TorrentSummary } from "../api/index.ts";
import { formatBytes, formatEndpoint } from "../util/index.ts";
import {
  cell,
  displayPeerId,
  etaText,
  fetchingMetadataText,
  fit,
  formatLimit,
  formatPercent,
  formatRate,
  formatRatio,
  haveOfTotal,
  plural,
  shortPeerId,
} from "./format.ts";

export interface ConsoleTorrent {
  stats: TorrentSummary;
  peers: PeerView[];
}

export interface ConsoleSnapshot {
  peerId: string;
  /** Where we accept peers, `host:port`. */
  listen: string;
  trackers: string[];
  uploadLimit: number;
  downloadLimit: number;
  torrents: ConsoleTorrent[];
}

export interface FrameOptions {
  /** Line width (default and most 80: the console fits a standard terminal). */
  columns?: number;
  /** Most lines; peer rows are cut first (the terminal's height). */
  maxLines?: number;
  /** A line shown under the header (the demo's clock). */
  title?: string;
}

/** Reads what the console shows from a running session, through the api. */
export function consoleSnapshot(
  api: Pick<ShoalApi, "client" | "list" | "peers" | "trackers">,
  extra: { listenHost?: string | undefined; trackers?: readonly string[] } = {},
): ConsoleSnapshot {
  const client = api.client();
  const summaries = api.list();
  const torrents = summaries.map((stats) => ({ stats, peers: api.peers(stats.id) }));
  const trackers = new Set<string>(extra.trackers ?? []);
  for (const t of summaries) for (const tracker of api.trackers(t.id)) trackers.add(tracker.url);
  const host = extra.listenHost ?? "0.0.0.0";
  return {
    peerId: displayPeerId(Buffer.from(client.peerId, "hex")),
    listen: formatEndpoint(host, client.port),
    trackers: [...trackers],
    uploadLimit: client.limits.upload,
    downloadLimit: client.limits.download,
    torrents,
  };
}

// Column widths of a peer row: rate, role, address, id, piece, %, choked.
const W = { rate: 12, role: 7, address: 22, id: 13, piece: 6, pct: 4 } as const;

function peerHeader(): string {
  return (
    `  ${cell("RATE", W.rate, true)} ${cell("ROLE", W.role)} ${cell("ADDRESS", W.address)} ` +
    `${cell("ID", W.id)} ${cell("PIECE", W.piece, true)} ${cell("%", W.pct, true)}`
  );
}

function peerRow(
  rate: number,
  role: string,
  p: PeerView,
  piece: number | undefined,
  progress: number,
  choked: boolean,
): string {
  const pieceText = piece === undefined ? "-" : String(piece);
  const pct = piece === undefined ? "" : `${Math.floor(progress * 100)}%`;
  return (
    `  ${cell(formatRate(rate), W.rate, true)} ${cell(role, W.role)} ${cell(p.address, W.address)} ` +
    `${cell(shortPeerId(p.peerId), W.id)} ${cell(pieceText, W.piece, true)} ${cell(pct, W.pct, true)}` +
    (choked ? "  ch" : "")
  ).trimEnd();
}

/** Peers we download from, or want to: interested in them, or still receiving. */
function downloadPeers(t: ConsoleTorrent): PeerView[] {
  return t.peers
    .filter((p) => p.amInterested || p.downloadRate >= 1)
    .sort((a, b) => b.downloadRate - a.downloadRate || a.address.localeCompare(b.address));
}

/** Peers we upload to: unchoked and interested, or still sending to them. */
function uploadPeers(t: ConsoleTorrent): PeerView[] {
  return t.peers
    .filter((p) => (!p.amChoking && p.peerInterested) || p.uploadRate >= 1)
    .sort((a, b) => b.uploadRate - a.uploadRate || a.address.localeCompare(b.address));
}

function section(
  title: string,
  torrents: ConsoleTorrent[],
  /** The torrent's lines above its peers. */
  headline: (t: ConsoleTorrent, width: number) => string[],
  rows: (t: ConsoleTorrent) => string[],
  limit: number,
  columns: number,
): string[] {
  const out = [title];
  if (torrents.length === 0) {
    out.push("  (none)");
    return out;
  }
  for (const t of torrents) {
    out.push(...headline(t, columns));
    const all = rows(t);
    if (all.length === 0) {
      out.push("  (no peers)");
      continue;
    }
    out.push(peerHeader());
    const shown = all.slice(0, limit);
    out.push(...shown);
    if (all.length > shown.length) out.push(`  … ${all.length - shown.length} more`);
  }
  return out;
}

/** The console as lines, each at most `columns` wide. */
export function renderConsole(s: ConsoleSnapshot, opts: FrameOptions = {}): string[] {
  const columns = Math.min(80, Math.max(40, opts.columns ?? 80));
  let down = 0;
  let up = 0;
  for (const t of s.torrents) {
    down += t.stats.downloadRate;
    up += t.stats.uploadRate;
  }
  const header = [
    `shoal  peer ${s.peerId}`,
    `listening on ${s.listen}   ↓ ${formatRate(down)}  ↑ ${formatRate(up)}`,
    `max rates: ↓ ${formatLimit(s.downloadLimit)}  ↑ ${formatLimit(s.uploadLimit)}`,
    `trackers: ${s.trackers.length > 0 ? s.trackers.join(" ") : "(none)"}`,
  ];
  if (opts.title) header.unshift(opts.title);
  const downloading = s.torrents.filter(
    (t) =>
      t.stats.state === "downloading" ||
      t.stats.state === "metadata" ||
      (t.stats.state === "checking" && t.stats.left > 0),
  );
  const uploading = s.torrents.filter(
    (t) => t.stats.state === "downloading" || t.stats.state === "seeding",
  );
  const build = (limit: number): string[] => [
    ...header,
    "",
    ...section(
      "Downloads in progress",
      downloading,
      (t, w) => {
        if (t.stats.state === "metadata") {
          const tail = `  ${fetchingMetadataText(t.stats)}`;
          return [
            ` ${fit(t.stats.name, w - tail.length - 1)}${tail}`,
            `   ${plural(t.stats.peers, "peer")} connected`,
          ];
        }
        const tail =
          `  ${formatPercent(t.stats.progress)}  ${t.stats.piecesHave}/${t.stats.pieceCount} pieces` +
          `  ↓ ${formatRate(t.stats.downloadRate)}`;
        return [
          ` ${fit(t.stats.name, w - tail.length - 1)}${tail}`,
          `   ${haveOfTotal(t.stats)}  ${etaText(t.stats)}  ${plural(t.stats.peers, "peer")}`,
        ];
      },
      (t) =>
        downloadPeers(t).map((p) =>
          peerRow(
            p.downloadRate,
            p.seed ? "seed" : "peer",
            p,
            p.downloadPiece,
            p.downloadPieceProgress,
            p.peerChoking,
          ),
        ),
      limit,
      columns,
    ),
    "",
    ...section(
      "Uploads in progress",
      uploading,
      (t, w) => {
        const tail =
          `  uploaded ${formatBytes(t.stats.uploaded)}  ratio ${formatRatio(t.stats)}` +
          `  ↑ ${formatRate(t.stats.uploadRate)}`;
        return [` ${fit(t.stats.name, w - tail.length - 1)}${tail}`];
      },
      (t) =>
        uploadPeers(t).map((p) =>
          peerRow(
            p.uploadRate,
            // "peer" when we also download from it; a "leecher" only takes.
            p.amInterested ? "peer" : "leecher",
            p,
            p.uploadPiece,
            p.uploadPieceProgress,
            false,
          ),
        ),
      limit,
      columns,
    ),
  ];
  // Cut peer rows until the frame fits the terminal's height.
  const maxLines = opts.maxLines ?? Number.POSITIVE_INFINITY;
  let limit = 50;
  let lines = build(limit);
  while (lines.length > maxLines && limit > 0) lines = build(--limit);
  if (lines.length > maxLines) lines = lines.slice(0, Math.max(1, maxLines));
  return lines.map((l) => fit(l, columns));
}
