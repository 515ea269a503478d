/**
 * Operator views: the JSON for /stats, /swarms and /torrents, and the HTML
 * page at /. Every piece of text that came from a client or a torrent is
 * escaped before it reaches HTML.
 */
import { formatMagnet } from "../metainfo/index.ts";
import { formatIPv4, formatIPv6 } from "../tracker-proto/index.ts";
import { formatEndpoint, type InfoHash } from "../util/index.ts";
import type { TrackerContext } from "./context.ts";
import type { StoredPeer } from "./swarm-store.ts";
import type { TorrentEntry } from "./torrent-index.ts";

export interface PeerView {
  ip: string;
  port: number;
  seeder: boolean;
  /** -1 when the client never said. */
  left: number;
  peerId: string;
  /** Seconds since the peer last announced. */
  lastSeen: number;
}

export interface SwarmView {
  infoHash: string;
  name: string | null;
  size: number | null;
  pieces: number | null;
  seeders: number;
  leechers: number;
  completed: number;
  peers: PeerView[];
}

function hex(key: string): string {
  return Buffer.from(key, "latin1").toString("hex");
}

function addressOf(compact: string): { ip: string; port: number } {
  const b = Buffer.from(compact, "latin1");
  const ip = b.length === 6 ? formatIPv4(b, 0) : formatIPv6(b, 0);
  return { ip, port: b.readUInt16BE(b.length - 2) };
}

export function peerViews(p: StoredPeer, nowMs: number): PeerView[] {
  const views: PeerView[] = [];
  for (const compact of [p.addr4, p.addr6]) {
    if (compact === "") continue;
    views.push({
      ...addressOf(compact),
      seeder: p.left === 0,
      left: p.left,
      peerId: hex(p.peerId),
      lastSeen: Math.max(0, Math.round((nowMs - p.lastSeen) / 1000)),
    });
  }
  return views;
}

/** One swarm with up to `maxPeers` of its peers from `peerOffset` (a page, never all). */
export function swarmView(
  ctx: TrackerContext,
  key: string,
  maxPeers: number,
  peerOffset = 0,
): SwarmView {
  const entry = ctx.index.get(key);
  const counts = ctx.store.counts(key);
  const now = ctx.now();
  const peers: PeerView[] = [];
  for (const p of ctx.store.peers(key, peerOffset, maxPeers)) {
    if (peers.length >= maxPeers) break;
    peers.push(...peerViews(p, now));
  }
  return {
    infoHash: hex(key),
    name: entry?.name ?? null,
    size: entry?.size ?? null,
    pieces: entry?.pieces ?? null,
    seeders: counts?.seeders ?? 0,
    leechers: counts?.leechers ?? 0,
    completed: counts?.completed ?? ctx.completedOf(key),
    peers,
  };
}

/**
 * A page of swarms from `ranked` (swarm-ranking.ts: swarms with peers and
 * published torrents without any, busiest first): `limit` from `offset`,
 * each with up to `maxPeers` peers.
 */
export function swarmViews(
  ctx: TrackerContext,
  ranked: readonly string[],
  offset: number,
  limit: number,
  maxPeers: number,
): SwarmView[] {
  return ranked.slice(offset, offset + limit).map((k) => swarmView(ctx, k, maxPeers));
}

/** The announce URL clients should use, from the Host the request came to. */
export function announceUrlFor(host: string): string | undefined {
  return host ? `http://${host}/announce` : undefined;
}

export function torrentView(ctx: TrackerContext, t: TorrentEntry, host: string) {
  const counts = ctx.store.counts(t.key);
  const announce = announceUrlFor(host);
  return {
    infoHash: t.infoHashHex,
    name: t.name,
    size: t.size,
    files: t.files,
    pieces: t.pieces,
    pieceLength: t.pieceLength,
    private: t.private,
    seeders: counts?.seeders ?? 0,
    leechers: counts?.leechers ?? 0,
    completed: counts?.completed ?? ctx.completedOf(t.key),
    added: new Date(t.added).toISOString(),
    magnet: formatMagnet({
      infoHash: t.infoHash as InfoHash,
      displayName: t.name,
      trackers: announce ? [announce] : [],
      exactLength: t.size,
      webSeeds: [],
      peers: [],
    }),
    torrentUrl: `/torrents/${t.infoHashHex}.torrent`,
  };
}

export function statsView(ctx: TrackerContext) {
  const totals = ctx.store.totals();
  return {
    uptimeSeconds: Math.floor((Date.now() - ctx.metrics.startedAt) / 1000),
    torrents: ctx.index.size,
    ...totals,
    registeredOnly: ctx.config.registeredOnly,
    interval: ctx.config.interval,
    ...ctx.metrics.json(),
    http: ctx.httpStats?.() ?? { connections: 0, bodyBytes: 0, waiting: 0 },
    memory: process.memoryUsage(),
  };
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function formatSize(n: number | null): string {
  if (n === null) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The page at /: the busiest swarms and their peers (bounded), as escaped HTML. */
export function htmlPage(ctx: TrackerContext, host: string, ranked: readonly string[]): string {
  const stats = ctx.store.totals();
  const swarms = swarmViews(ctx, ranked, 0, 200, 50);
  const e = escapeHtml;
  const rows = swarms.map((s) => {
    const peers = s.peers
      .map((p) => {
        const addr = formatEndpoint(p.ip, p.port);
        return `<li>${e(addr)} ${p.seeder ? "seeder" : "leecher"}, ${p.lastSeen}s ago</li>`;
      })
      .join("");
    const name = s.name === null ? "<i>unpublished</i>" : e(s.name);
    const link =
      s.name === null ? "" : ` <a href="/torrents/${e(s.infoHash)}.torrent">.torrent</a>`;
    return `<tr><td><code>${e(s.infoHash)}</code></td><td>${name}${link}</td><td>${e(formatSize(s.size))}</td><td>${s.seeders}</td><td>${s.leechers}</td><td>${s.completed}</td><td><ul>${peers}</ul></td></tr>`;
  });
  const announce = announceUrlFor(host) ?? "/announce";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shoal tracker</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}ul{margin:0;padding-left:1.2em}</style>
</head><body>
<h1>shoal tracker</h1>
<p>Announce URL: <code>${e(announce)}</code>. ${ctx.index.size} published torrents, ${stats.swarms} swarms, ${stats.peers} peers (${stats.seeders} seeders, ${stats.leechers} leechers).</p>
<p><a href="/stats">stats</a> · <a href="/metrics">metrics</a> · <a href="/torrents">torrents (JSON)</a> · <a href="/swarms">swarms (JSON)</a></p>
<table><thead><tr><th>info hash</th><th>name</th><th>size</th><th>seeders</th><th>leechers</th><th>completed</th><th>peers</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>
</body></html>
`;
}
