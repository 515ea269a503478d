/**
 * The HTTP API, `/api/v1`: one route per facade operation, JSON in and out,
 * torrents named by reference (short id or info-hash prefix) in the path.
 * Each route is a line in ROUTES; the OpenAPI document (openapi.ts) lists
 * the same ones, and a test checks that they agree. The handlers of the
 * rarely used routes (a file's bytes, the settings page) load their modules
 * on their first request, not with the daemon (issue 16's start-up).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "./errors.ts";
import { MAX_TORRENT_FILE_BYTES, mediaType, readBody, readJsonObject } from "./http-body.ts";
import { HttpError, sendJson } from "./http-errors.ts";
import type { RateHistory } from "./rate-history.ts";
import type { SettingsStore } from "./settings-routes.ts";
import type { ShoalApi } from "./shoal-api.ts";
import { TRACKER_ROUTES } from "./tracker-routes.ts";
import type {
  AddRequest,
  FilesRequest,
  LabelsRequest,
  LimitsRequest,
  PieceOrderRequest,
  QueueMoveRequest,
  SeedingGoalsRequest,
} from "./types.ts";

export const API_PREFIX = "/api/v1";

export interface RouteContext {
  api: ShoalApi;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path's `:ref` and other parameters. */
  params: Record<string, string>;
  /** The daemon's config file, for the settings page (settings-routes.ts). */
  settings?: SettingsStore | undefined;
  /** The last ten minutes of rates (rate-history.ts). */
  rates?: RateHistory | undefined;
}

type Handler = (ctx: RouteContext) => Promise<unknown> | unknown;

export interface Route {
  method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE";
  /** Below API_PREFIX, with `:name` parameters. */
  path: string;
  handler: Handler;
  /** 201 for creations. */
  status?: number;
  /** The handler writes the response itself (not JSON: a file's bytes). */
  raw?: boolean;
}

const ref = (c: RouteContext) => c.params.ref!;

export const ROUTES: Route[] = [
  { method: "GET", path: "/session", handler: (c) => c.api.stats() },
  { method: "GET", path: "/session/settings", handler: (c) => settingsOf(c.api) },
  {
    method: "PUT",
    path: "/session/settings",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      const { limits, ...rest } = body;
      if (Object.keys(rest).length > 0) {
        throw new ApiError(
          "invalid_input",
          `settings: '${Object.keys(rest)[0]}' cannot be set here`,
        );
      }
      if (limits !== undefined) await c.api.setLimits(limits as LimitsRequest);
      return settingsOf(c.api);
    },
  },
  { method: "GET", path: "/session/rates", handler: (c) => ratesOf(c).session() },
  { method: "GET", path: "/torrents/:ref/rates", handler: (c) => ratesOf(c).torrent(ref(c)) },
  {
    method: "GET",
    path: "/settings",
    handler: async (c) => (await import("./settings-routes.ts")).readSettings(c.settings),
  },
  {
    method: "POST",
    path: "/settings/validate",
    handler: async (c) =>
      (await import("./settings-routes.ts")).validateSettings(c.settings, c.req),
  },
  {
    method: "PUT",
    path: "/settings",
    handler: async (c) => (await import("./settings-routes.ts")).saveSettings(c.settings, c.req),
  },
  { method: "GET", path: "/session/manage", handler: (c) => c.api.manageSettings() },
  {
    method: "PUT",
    path: "/session/manage",
    handler: async (c) => c.api.setManageSettings(await readJsonObject(c.req)),
  },
  { method: "GET", path: "/labels", handler: (c) => c.api.labels() },
  {
    method: "GET",
    path: "/torrents",
    handler: (c) => {
      const fields = c.url.searchParams.get("fields");
      return fields === null
        ? c.api.list()
        : c.api.list({ fields: fields.split(",").filter(Boolean) });
    },
  },
  { method: "POST", path: "/torrents", status: 201, handler: addTorrent },
  {
    // Before /torrents/:ref, which it would otherwise match.
    method: "GET",
    path: "/torrents/changes",
    handler: (c) => {
      const fields = c.url.searchParams.get("fields");
      const since = c.url.searchParams.get("since");
      return c.api.listChanges({
        ...(fields === null ? {} : { fields: fields.split(",").filter(Boolean) }),
        ...(since === null ? {} : { since }),
      });
    },
  },
  { method: "GET", path: "/torrents/:ref", handler: (c) => c.api.get(ref(c)) },
  {
    method: "DELETE",
    path: "/torrents/:ref",
    handler: (c) => c.api.remove(ref(c), { deleteData: boolParam(c.url, "deleteData") ?? false }),
  },
  { method: "POST", path: "/torrents/:ref/pause", handler: (c) => c.api.pause(ref(c)) },
  { method: "POST", path: "/torrents/:ref/resume", handler: (c) => c.api.resume(ref(c)) },
  { method: "POST", path: "/torrents/:ref/recheck", handler: (c) => c.api.recheck(ref(c)) },
  { method: "POST", path: "/torrents/:ref/reannounce", handler: (c) => c.api.reannounce(ref(c)) },
  {
    method: "POST",
    path: "/torrents/:ref/move",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      c.api.get(ref(c)); // an unknown torrent before a bad body
      return c.api.move(ref(c), body as { downloadDir: string });
    },
  },
  {
    method: "PUT",
    path: "/torrents/:ref/limits",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      return c.api.setTorrentLimits(ref(c), body as LimitsRequest);
    },
  },
  { method: "GET", path: "/torrents/:ref/files", handler: (c) => c.api.files(ref(c)) },
  {
    method: "PUT",
    path: "/torrents/:ref/files",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      return c.api.setFiles(ref(c), body as FilesRequest);
    },
  },
  {
    method: "PUT",
    path: "/torrents/:ref/piece-order",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      return c.api.setPieceOrder(ref(c), body as PieceOrderRequest);
    },
  },
  {
    method: "POST",
    path: "/torrents/:ref/queue",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      return c.api.moveInQueue(ref(c), body as unknown as QueueMoveRequest);
    },
  },
  {
    method: "PUT",
    path: "/torrents/:ref/labels",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      return c.api.setLabels(ref(c), body as unknown as LabelsRequest);
    },
  },
  {
    method: "PUT",
    path: "/torrents/:ref/seeding-goals",
    handler: async (c) => {
      const body = await readJsonObject(c.req);
      return c.api.setSeedingGoals(ref(c), body as SeedingGoalsRequest);
    },
  },
  ...(["GET", "HEAD"] as const).map(
    (method): Route => ({
      method,
      path: "/torrents/:ref/files/:index",
      raw: true,
      handler: async (c) =>
        (await import("./file-route.ts")).serveFile(c.api, c.req, c.res, ref(c), c.params.index!),
    }),
  ),
  { method: "GET", path: "/torrents/:ref/peers", handler: (c) => c.api.peers(ref(c)) },
  { method: "GET", path: "/torrents/:ref/trackers", handler: (c) => c.api.trackers(ref(c)) },
  { method: "GET", path: "/torrents/:ref/pieces", handler: (c) => c.api.pieces(ref(c)) },
  {
    method: "GET",
    path: "/torrents/:ref/piece-activity",
    handler: (c) => c.api.pieceActivity(ref(c)),
  },
  {
    method: "GET",
    path: "/torrents/:ref/torrent-file",
    handler: async (c) => ({ torrent: await c.api.torrentFile(ref(c)) }),
  },
  ...TRACKER_ROUTES,
];

function ratesOf(c: RouteContext): RateHistory {
  if (c.rates === undefined) throw new ApiError("unavailable", "rates: no rate history here");
  return c.rates;
}

function settingsOf(api: ShoalApi): { limits: { upload: number; download: number }; port: number } {
  const view = api.client();
  return { limits: view.limits, port: view.port };
}

/**
 * `POST /torrents`: JSON (`torrent` base64, `magnet` or `url`, with options),
 * or the .torrent itself as application/x-bittorrent with options in the query.
 */
async function addTorrent(c: RouteContext): Promise<unknown> {
  if (mediaType(c.req) === "application/x-bittorrent") {
    const bytes = await readBody(c.req, MAX_TORRENT_FILE_BYTES);
    if (bytes.length === 0) throw new ApiError("invalid_input", "the .torrent is empty");
    const req: AddRequest = { torrent: bytes.toString("base64") };
    const paused = boolParam(c.url, "paused");
    if (paused !== undefined) req.paused = paused;
    const dir = c.url.searchParams.get("downloadDir");
    if (dir !== null) req.downloadDir = dir;
    return c.api.add(req);
  }
  const body = await readJsonObject(c.req);
  if (Object.keys(body).length === 0) {
    throw new ApiError("invalid_input", "add: give torrent (base64), magnet or url");
  }
  // A path names a file on the daemon's machine: not for remote callers.
  if (body.path !== undefined) {
    throw new ApiError("invalid_input", "path: upload the .torrent instead (torrent, base64)");
  }
  return c.api.add(body as AddRequest);
}

function boolParam(url: URL, name: string): boolean | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new ApiError("invalid_input", `${name}: give true or false`);
}

interface CompiledRoute extends Route {
  parts: string[];
}

const COMPILED: CompiledRoute[] = ROUTES.map((r) => ({ ...r, parts: r.path.split("/").slice(1) }));

/** The route for a path below API_PREFIX, or why there is none. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } {
  const parts = path.split("/").slice(1);
  let pathKnown = false;
  for (const r of COMPILED) {
    if (r.parts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = r.parts.every((p, i) => {
      if (p.startsWith(":")) {
        params[p.slice(1)] = decodeURIComponent(parts[i]!);
        return parts[i] !== "";
      }
      return p === parts[i];
    });
    if (!ok) continue;
    pathKnown = true;
    if (r.method === method) return { route: r, params };
  }
  if (pathKnown)
    throw new HttpError("method_not_allowed", `${method} is not allowed on ${API_PREFIX}${path}`);
  throw new HttpError("route_not_found", `no route ${API_PREFIX}${path}`);
}

export async function handleRest(
  api: ShoalApi,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  settings?: SettingsStore,
  rates?: RateHistory,
): Promise<void> {
  const path = url.pathname.slice(API_PREFIX.length) || "/";
  const { route, params } = matchRoute(req.method ?? "GET", path);
  const value = await route.handler({ api, req, res, url, params, settings, rates });
  if (route.raw) return;
  sendJson(res, route.status ?? 200, value);
}
