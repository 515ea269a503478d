/**
 * Operator views: the JSON for /stats, /swarms and /torrents (the pages
 * render from them: page-routes.ts).
 */
import { formatMagnet } from "../metainfo/index.ts";
import { formatIPv4, formatIPv6 } from "../tracker-proto/index.ts";
import type { InfoHash } from "../util/index.ts";
import type { TrackerConfig } from "./config.ts";
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

/**
 * The announce URL clients should use, from the Host the request came to:
 * https when the tracker serves TLS (--tls-cert), and a private tracker's
 * member's passkey in the path.
 */
export function announceUrlFor(
  config: Pick<TrackerConfig, "tlsCert">,
  host: string,
  passkey = "",
): string | undefined {
  if (!host) return undefined;
  const scheme = config.tlsCert ? "https" : "http";
  return `${scheme}://${host}/announce${passkey ? `/${passkey}` : ""}`;
}

/** A torrent of the index as JSON; `passkey`: a private tracker's member's, for their magnet link. */
export function torrentView(ctx: TrackerContext, t: TorrentEntry, host: string, passkey = "") {
  const counts = ctx.store.counts(t.key);
  const announce = announceUrlFor(ctx.config, host, passkey);
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
