/**
 * The torrent index and operator views over HTTP as JSON (the pages for
 * people are page-routes.ts): GET /torrents (and one torrent's details and
 * file), /stats, /metrics, /swarms and one swarm.
 *
 * None of them may cost the tracker its announces, whoever asks and however
 * often (a pipeline of a thousand is one client's burst), so every listing is
 * a page with bounded size (swarms, peers per swarm, torrents), the order of
 * the swarms comes from a ranking kept between requests (swarm-ranking.ts),
 * and what is rendered is kept for a moment (view-cache.ts).
 */
import { infoHashFromHex } from "../util/index.ts";
import type { TrackerContext } from "./context.ts";
import type { HttpResponse } from "./http-reply-writer.ts";
import type { HttpRequest } from "./http-request.ts";
import { JSON_TYPE, json, jsonBytes, notFound, queryInt } from "./http-responses.ts";
import { passkeyFromQuery } from "./private-access.ts";
import { MAX_SWARM_LIMIT, MAX_SWARM_OFFSET, SwarmRanking } from "./swarm-ranking.ts";
import { magnetOf } from "./torrent-index.ts";
import type { ViewCache } from "./view-cache.ts";
import { statsView, swarmView, swarmViews, torrentView } from "./views.ts";

/** GET /swarms: swarms per page, and peers per swarm, by default and at most. */
export const SWARMS_PAGE = 100;
export const SWARM_PEERS = 10;
export const MAX_SWARM_PEERS = 100;
/** GET /swarms/<hash>: peers per page, by default and at most. */
export const PEERS_PAGE = 1000;
/** GET /torrents: torrents per page, by default and at most. */
export const TORRENTS_PAGE = 1000;

export interface OperatorRoutes {
  /** The answer to a GET or HEAD for these paths, or null when the path is not one of them. */
  handle(req: HttpRequest): HttpResponse | null;
  /** Stops the ranking's background work (the tracker is stopping). */
  stop(): void;
  /** The swarms busiest first (for the operator's page). */
  ranked(): readonly string[];
  /** What moves when anything a view shows may have changed. */
  stamp(): number;
}

export function createOperatorRoutes(ctx: TrackerContext, cache: ViewCache): OperatorRoutes {
  const ranking = new SwarmRanking(ctx);

  /** What moves when anything a view shows may have changed (all only ever grow). */
  function stamp(): number {
    return ctx.metrics.announceCount() + ctx.metrics.expired + ctx.index.size;
  }

  /** The view for this request from the cache, else rendered (and kept). */
  function cached(
    req: HttpRequest,
    contentType: string,
    render: () => { body: Buffer; headers?: string },
  ): HttpResponse {
    const key = `${req.path}?${req.query}#${req.host}`;
    const view = cache.get(key, stamp(), performance.now(), render);
    const res: HttpResponse = { status: 200, contentType, body: view.body };
    if (view.headers) res.headers = view.headers;
    return res;
  }

  function torrentList(req: HttpRequest): HttpResponse {
    return cached(req, JSON_TYPE, () => {
      const offset = queryInt(req.query, "offset", 0, 1e9);
      const limit = queryInt(req.query, "limit", TORRENTS_PAGE, TORRENTS_PAGE);
      // A private tracker's member (admitted by passkey before this view): their
      // magnet links announce with it. The cache keys on the query, so per member.
      const passkey = ctx.access ? passkeyFromQuery(req.query) : "";
      const page = ctx.index.page(offset, limit);
      return {
        body: jsonBytes(page.map((t) => torrentView(ctx, t, req.host, passkey))),
        // The page is an array (what clients read); the size of the whole index beside it.
        headers: `X-Total-Count: ${ctx.index.size}\r\n`,
      };
    });
  }

  function torrentDetails(hexHash: string, req: HttpRequest): HttpResponse {
    const wantFile = hexHash.endsWith(".torrent");
    const hash = infoHashFromHex(wantFile ? hexHash.slice(0, -8) : hexHash);
    const key = hash?.toString("latin1");
    const entry = key === undefined ? undefined : ctx.index.get(key);
    if (!entry || key === undefined) return notFound("torrent");
    if (wantFile) {
      const bytes = ctx.index.bytes(key);
      if (!bytes) return notFound("torrent");
      const filename = `${entry.name.replace(/[^\w.-]+/g, "_")}.torrent`;
      return {
        status: 200,
        contentType: "application/x-bittorrent",
        body: bytes,
        headers: `Content-Disposition: attachment; filename="${filename}"\r\n`,
      };
    }
    // Parsing the stored torrent again is the cost here: kept like the listings.
    return cached(req, JSON_TYPE, () => {
      const meta = ctx.index.metainfo(key);
      return {
        body: jsonBytes({
          ...torrentView(ctx, entry, req.host),
          magnet: meta ? magnetOf(meta) : undefined,
          comment: meta?.comment,
          createdBy: meta?.createdBy,
          creationDate: meta?.creationDate,
          announceList: meta?.announceList,
          fileList: meta?.files
            .filter((f) => !f.pad)
            .map((f) => ({ path: f.path.join("/"), length: f.length })),
        }),
      };
    });
  }

  function swarms(req: HttpRequest): HttpResponse {
    return cached(req, JSON_TYPE, () => {
      const offset = queryInt(req.query, "offset", 0, MAX_SWARM_OFFSET);
      const limit = queryInt(req.query, "limit", SWARMS_PAGE, MAX_SWARM_LIMIT);
      const peers = queryInt(req.query, "peers", SWARM_PEERS, MAX_SWARM_PEERS);
      const ranked = ranking.ranked(performance.now());
      return { body: jsonBytes({ swarms: swarmViews(ctx, ranked, offset, limit, peers) }) };
    });
  }

  function swarm(hexHash: string, req: HttpRequest): HttpResponse {
    const hash = infoHashFromHex(hexHash);
    if (!hash) return notFound("swarm");
    const key = hash.toString("latin1");
    if (!ctx.store.counts(key) && !ctx.index.has(key)) return notFound("swarm");
    return cached(req, JSON_TYPE, () => {
      const offset = queryInt(req.query, "offset", 0, 1e9);
      const peers = queryInt(req.query, "peers", PEERS_PAGE, PEERS_PAGE);
      return { body: jsonBytes(swarmView(ctx, key, peers, offset)) };
    });
  }

  function handle(req: HttpRequest): HttpResponse | null {
    const path = req.path;
    if (path === "/torrents" || path === "/torrents/") return torrentList(req);
    if (path.startsWith("/torrents/")) return torrentDetails(path.slice(10), req);
    if (path.startsWith("/swarms/")) return swarm(path.slice(8), req);
    switch (path) {
      case "/stats":
        return json(200, statsView(ctx));
      case "/metrics":
        return {
          status: 200,
          contentType: "text/plain; version=0.0.4; charset=utf-8",
          body:
            ctx.metrics.prometheus(ctx.store.totals(), ctx.index.size) +
            (ctx.storeStats ? `${ctx.storeStats.prometheus(performance.now()).join("\n")}\n` : ""),
        };
      case "/swarms":
        return swarms(req);
    }
    return null;
  }

  return {
    handle,
    stop: () => ranking.stop(),
    ranked: () => ranking.ranked(performance.now()),
    stamp,
  };
}
