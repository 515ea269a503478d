/**
 * Transmission's RPC at `/transmission/rpc`, so transmission-remote, remote
 * GUIs and media managers drive shoal unchanged: a JSON request
 * `{method, arguments, tag}` answered `{result, arguments, tag}` (HTTP 200
 * even when `result` is an error, as Transmission does). Every request must
 * carry the X-Transmission-Session-Id this daemon handed out in a 409 reply:
 * a browser on another site cannot read that header, so it cannot forge a
 * request (Transmission's own CSRF defence). Torrents are named by their
 * short id (Transmission's `id`) or info hash (`hashString`).
 */
import { randomBytes } from "node:crypto";
import { statfs } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAbsolute } from "node:path";
import { ApiError } from "./errors.ts";
import { readBody } from "./http-body.ts";
import type { ShoalApi } from "./shoal-api.ts";
import { SESSION_ID_HEADER } from "./transmission-paths.ts";
import { TORRENT_FIELDS, TorrentFacts } from "./transmission-torrent.ts";
import { trackerEditOf } from "./transmission-trackers.ts";
import type { AddRequest, TorrentSummary } from "./types.ts";

/** Transmission 3.00's RPC version: the one whose meanings this adapter follows. */
const RPC_VERSION = 16;
/** A request is a method and a few ids or a base64 .torrent. */
const MAX_RPC_BODY_BYTES = 12 * 1024 * 1024;
const KB = 1000;

/** What the session-get answer says of the daemon besides the facade's views. */
export interface TransmissionSessionInfo {
  configDir: string;
  downloadDir: string;
  dht: boolean;
  pex: boolean;
  lsd: boolean;
  peerLimitGlobal: number;
  peerLimitPerTorrent: number;
}

type Args = Record<string, unknown>;
type Method = (args: Args) => Promise<Args> | Args;

class RpcError extends Error {}

export class TransmissionRpc {
  readonly sessionId = randomBytes(24).toString("base64url");
  readonly #api: ShoalApi;
  readonly #info: () => TransmissionSessionInfo;
  /** Transmission keeps a limit's value while it is off: so do we, for the GUIs. */
  #speedLimitDown = 100;
  #speedLimitUp = 100;
  /** Likewise the queue sizes and seeding goals given while switched off. */
  readonly #kept: Record<string, number> = {};
  /** The incomplete folder last named, kept while the switch is off. */
  #incompleteDirKept: string | undefined;
  readonly #methods: Record<string, Method>;

  constructor(api: ShoalApi, info: () => TransmissionSessionInfo) {
    this.#api = api;
    this.#info = info;
    this.#methods = {
      "session-get": (a) => this.#sessionGet(a),
      "session-set": (a) => this.#sessionSet(a),
      "session-stats": () => this.#sessionStats(),
      "session-close": () => ({}),
      "torrent-get": (a) => this.#torrentGet(a),
      "torrent-add": (a) => this.#torrentAdd(a),
      "torrent-start": (a) => this.#each(a, (r) => this.#api.resume(r)),
      "torrent-start-now": (a) => this.#each(a, (r) => this.#api.resume(r)),
      "torrent-stop": (a) => this.#each(a, (r) => this.#api.pause(r)),
      "torrent-verify": (a) => this.#each(a, (r) => this.#api.recheck(r)),
      "torrent-reannounce": (a) => this.#each(a, (r) => this.#api.reannounce(r)),
      "torrent-remove": (a) =>
        this.#each(a, (r) => this.#api.remove(r, { deleteData: a["delete-local-data"] === true })),
      "torrent-set": (a) => this.#torrentSet(a),
      "torrent-set-location": (a) => this.#setLocation(a),
      "free-space": (a) => this.#freeSpace(a),
      "port-test": () => ({ "port-is-open": false }),
      "blocklist-update": () => ({ "blocklist-size": 0 }),
      "queue-move-top": (a) => this.#each(a, (r) => this.#api.moveInQueue(r, { to: "top" })),
      "queue-move-up": (a) => this.#each(a, (r) => this.#api.moveInQueue(r, { to: "up" })),
      "queue-move-down": (a) => this.#each(a, (r) => this.#api.moveInQueue(r, { to: "down" })),
      "queue-move-bottom": (a) => this.#each(a, (r) => this.#api.moveInQueue(r, { to: "bottom" })),
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers[SESSION_ID_HEADER] !== this.sessionId) {
      req.resume();
      this.#send(
        res,
        409,
        "<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p>",
        "text/html",
      );
      return;
    }
    if (req.method !== "POST") {
      this.#send(res, 405, JSON.stringify({ result: "use POST" }));
      return;
    }
    let request: { method?: unknown; arguments?: unknown; tag?: unknown };
    try {
      const body = await readBody(req, MAX_RPC_BODY_BYTES);
      request = JSON.parse(body.toString("utf8"));
      if (typeof request !== "object" || request === null) throw new Error("not an object");
    } catch (err) {
      const tooLarge = (err as { code?: string }).code === "payload_too_large";
      this.#send(
        res,
        tooLarge ? 413 : 400,
        JSON.stringify({ result: tooLarge ? "request too large" : "invalid JSON" }),
      );
      return;
    }
    const reply: Args = { result: "success", arguments: {} };
    if (typeof request.tag === "number" && Number.isInteger(request.tag)) reply.tag = request.tag;
    const method = typeof request.method === "string" ? this.#methods[request.method] : undefined;
    if (!method) {
      reply.result = "method name not recognized";
    } else {
      const args = request.arguments;
      try {
        if (
          args !== undefined &&
          (typeof args !== "object" || args === null || Array.isArray(args))
        ) {
          throw new RpcError("arguments must be an object");
        }
        reply.arguments = await method((args ?? {}) as Args);
      } catch (err) {
        if (!(err instanceof RpcError || err instanceof ApiError)) throw err;
        reply.result = err.message;
      }
    }
    this.#send(res, 200, JSON.stringify(reply));
  }

  #send(res: ServerResponse, status: number, body: string, type = "application/json"): void {
    res.writeHead(status, {
      "content-type": `${type}; charset=UTF-8`,
      "content-length": Buffer.byteLength(body),
      [SESSION_ID_HEADER]: this.sessionId,
    });
    res.end(body);
  }

  // ---- torrents --------------------------------------------------------------------

  /** The torrents `ids` names: all when absent; an id, a hash, or a list of them. */
  #select(args: Args): TorrentSummary[] {
    const all = this.#api.list();
    const ids = args.ids;
    if (ids === undefined) return all;
    if (ids === "recently-active") {
      return all.filter((s) => s.downloadRate > 0 || s.uploadRate > 0);
    }
    const list = Array.isArray(ids) ? ids : [ids];
    return all.filter((s) =>
      list.some((x) => x === s.id || (typeof x === "string" && x.toLowerCase() === s.infoHash)),
    );
  }

  async #each(args: Args, run: (infoHash: string) => Promise<unknown>): Promise<Args> {
    for (const s of this.#select(args)) await run(s.infoHash);
    return {};
  }

  #torrentGet(args: Args): Args {
    const fields = args.fields;
    if (!Array.isArray(fields) || !fields.every((f) => typeof f === "string")) {
      throw new RpcError("no fields specified");
    }
    const known = fields.filter((f) => TORRENT_FIELDS[f] !== undefined);
    const torrents = this.#select(args).map((s) => {
      const facts = new TorrentFacts(this.#api, s);
      const out: Args = {};
      for (const f of known) out[f] = TORRENT_FIELDS[f]!(facts);
      return out;
    });
    return { torrents };
  }

  async #torrentAdd(args: Args): Promise<Args> {
    const req: AddRequest = {};
    const { filename, metainfo } = args;
    if (typeof metainfo === "string" && metainfo !== "") req.torrent = metainfo;
    else if (typeof filename === "string" && filename !== "") {
      if (filename.startsWith("magnet:")) req.magnet = filename;
      else if (/^https?:\/\//i.test(filename)) req.url = filename;
      else req.path = filename;
    } else throw new RpcError("no filename or metainfo specified");
    const dir = args["download-dir"];
    if (typeof dir === "string" && dir !== "") {
      if (!isAbsolute(dir)) throw new RpcError("download directory path is not absolute");
      req.downloadDir = dir;
    }
    if (typeof args.paused === "boolean") req.paused = args.paused;
    const unwanted = args["files-unwanted"];
    if (Array.isArray(unwanted) && unwanted.length > 0) {
      // Transmission's add takes the files to leave out; shoal's, a priority per file.
      if (!unwanted.every((i) => Number.isSafeInteger(i) && i >= 0 && i < 1_000_000)) {
        throw new RpcError("files-unwanted: give a list of file indices");
      }
      const n = Math.max(...(unwanted as number[])) + 1;
      req.filePriorities = Array.from({ length: n }, (_, i) =>
        (unwanted as number[]).includes(i) ? "skip" : "normal",
      );
    }
    try {
      const s = await this.#api.add(req);
      return { "torrent-added": { id: s.id, name: s.name, hashString: s.infoHash } };
    } catch (err) {
      if (err instanceof ApiError && err.code === "duplicate") {
        const hash = /\b([0-9a-f]{40})\b/.exec(err.message)?.[1];
        const s = hash ? this.#api.list().find((x) => x.infoHash === hash) : undefined;
        if (s) return { "torrent-duplicate": { id: s.id, name: s.name, hashString: s.infoHash } };
      }
      throw err;
    }
  }

  async #torrentSet(args: Args): Promise<Args> {
    const torrents = this.#select(args);
    const limits: { upload?: number; download?: number } = {};
    const rate = (limited: unknown, value: unknown): number | undefined => {
      if (limited === false) return 0;
      if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
        return limited === undefined && value === 0 ? 0 : value * KB;
      }
      return undefined;
    };
    const down = rate(args.downloadLimited, args.downloadLimit);
    const up = rate(args.uploadLimited, args.uploadLimit);
    if (down !== undefined) limits.download = down;
    if (up !== undefined) limits.upload = up;
    const location = args.location;
    const trackerEdit = trackerEditOf(args);
    for (const s of torrents) {
      if (trackerEdit) await this.#api.editTrackers(s.infoHash, trackerEdit);
      await this.#selectFiles(s, args);
      await this.#manage(s, args);
      if (Object.keys(limits).length > 0) await this.#api.setTorrentLimits(s.infoHash, limits);
      if (typeof location === "string") await this.#api.move(s.infoHash, { downloadDir: location });
    }
    return {};
  }

  /**
   * files-wanted/-unwanted and priority-high/-low/-normal: file indices, an
   * empty list meaning every file (as Transmission reads them). A priority
   * given to an unwanted file leaves it unwanted, as in Transmission.
   */
  async #selectFiles(s: TorrentSummary, args: Args): Promise<void> {
    const indices = (key: string): number[] | undefined => {
      const v = args[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || !v.every((i) => Number.isSafeInteger(i) && i >= 0)) {
        throw new RpcError(`${key}: give a list of file indices`);
      }
      return v.length === 0 ? this.#api.files(s.infoHash).map((f) => f.index) : (v as number[]);
    };
    const wanted = indices("files-wanted");
    const unwanted = indices("files-unwanted");
    if (wanted) await this.#api.setFiles(s.infoHash, { indices: wanted, wanted: true });
    if (unwanted) await this.#api.setFiles(s.infoHash, { indices: unwanted, wanted: false });
    for (const priority of ["high", "low", "normal"] as const) {
      const list = indices(`priority-${priority}`);
      if (!list) continue;
      const files = this.#api.files(s.infoHash);
      const keepSkipped = list.filter((i) => files[i]?.wanted !== false);
      if (keepSkipped.length > 0)
        await this.#api.setFiles(s.infoHash, { indices: keepSkipped, priority });
    }
  }

  /** labels, queuePosition, seedRatioMode/-Limit, seedIdleMode/-Limit (0 global, 1 own, 2 none). */
  async #manage(s: TorrentSummary, args: Args): Promise<void> {
    if (args.labels !== undefined) {
      if (!Array.isArray(args.labels)) throw new RpcError("labels: give a list of strings");
      await this.#api.setLabels(s.infoHash, { labels: args.labels as string[] });
    }
    if (typeof args.queuePosition === "number") {
      await this.#api.moveInQueue(s.infoHash, { to: args.queuePosition });
    }
    const goal = (mode: unknown, limit: unknown, current: number | null | undefined) => {
      if (mode === undefined && limit === undefined) return undefined;
      const m = mode ?? (current === undefined ? 0 : current === null ? 2 : 1);
      if (m === 0) return "global" as const;
      if (m === 2) return null;
      if (m !== 1) throw new RpcError("a seeding mode is 0, 1 or 2");
      return typeof limit === "number" ? limit : (current ?? 0);
    };
    const ratio = goal(args.seedRatioMode, args.seedRatioLimit, s.ratioLimit);
    const idle = goal(args.seedIdleMode, args.seedIdleLimit, s.idleLimitMinutes);
    if (ratio !== undefined || idle !== undefined) {
      await this.#api.setSeedingGoals(s.infoHash, {
        ...(ratio !== undefined ? { ratioLimit: ratio } : {}),
        ...(idle !== undefined ? { idleLimitMinutes: idle } : {}),
      });
    }
  }

  async #setLocation(args: Args): Promise<Args> {
    const location = args.location;
    if (typeof location !== "string" || !isAbsolute(location)) {
      throw new RpcError("new location path is not absolute");
    }
    if (args.move !== true)
      throw new RpcError("shoal moves the data with the location (move: true)");
    for (const s of this.#select(args)) await this.#api.move(s.infoHash, { downloadDir: location });
    return {};
  }

  // ---- the session -----------------------------------------------------------------

  #sessionGet(args: Args): Args {
    const info = this.#info();
    const view = this.#api.client();
    const m = this.#api.manageSettings();
    const all: Args = {
      "alt-speed-enabled": false,
      "alt-speed-down": 50,
      "alt-speed-up": 50,
      "blocklist-enabled": false,
      "blocklist-size": 0,
      "cache-size-mb": 4,
      "config-dir": info.configDir,
      "dht-enabled": info.dht,
      "download-dir": info.downloadDir,
      "download-queue-enabled": m.maxActiveDownloads > 0,
      "download-queue-size": m.maxActiveDownloads,
      encryption: "tolerated",
      "idle-seeding-limit": m.idleLimitMinutes,
      "idle-seeding-limit-enabled": m.idleLimitMinutes > 0,
      "incomplete-dir":
        this.#api.incompleteDir().incompleteDir ?? this.#incompleteDirKept ?? info.downloadDir,
      "incomplete-dir-enabled": this.#api.incompleteDir().incompleteDir !== null,
      "lpd-enabled": info.lsd,
      "peer-limit-global": info.peerLimitGlobal,
      "peer-limit-per-torrent": info.peerLimitPerTorrent,
      "peer-port": view.port,
      "peer-port-random-on-start": false,
      "pex-enabled": info.pex,
      "port-forwarding-enabled": false,
      "queue-stalled-enabled": m.stalledMinutes > 0,
      "queue-stalled-minutes": m.stalledMinutes,
      "rename-partial-files": false,
      "rpc-version": RPC_VERSION,
      "rpc-version-minimum": 1,
      "script-torrent-done-enabled": false,
      "seed-queue-enabled": m.maxActiveSeeds > 0,
      "seed-queue-size": m.maxActiveSeeds,
      seedRatioLimit: m.ratioLimit,
      seedRatioLimited: m.ratioLimit > 0,
      "speed-limit-down":
        view.limits.download > 0 ? Math.round(view.limits.download / KB) : this.#speedLimitDown,
      "speed-limit-down-enabled": view.limits.download > 0,
      "speed-limit-up":
        view.limits.upload > 0 ? Math.round(view.limits.upload / KB) : this.#speedLimitUp,
      "speed-limit-up-enabled": view.limits.upload > 0,
      "start-added-torrents": true,
      "trash-original-torrent-files": false,
      units: {
        "speed-units": ["kB/s", "MB/s", "GB/s", "TB/s"],
        "speed-bytes": KB,
        "size-units": ["kB", "MB", "GB", "TB"],
        "size-bytes": KB,
        "memory-units": ["KiB", "MiB", "GiB", "TiB"],
        "memory-bytes": 1024,
      },
      "utp-enabled": false,
      version: "3.00 (shoal 0.1.0)",
    };
    const fields = args.fields;
    if (!Array.isArray(fields)) return all;
    return Object.fromEntries(Object.entries(all).filter(([k]) => fields.includes(k)));
  }

  async #sessionSet(args: Args): Promise<Args> {
    const view = this.#api.client();
    const kbps = (key: string): number | undefined => {
      const v = args[key];
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
        throw new RpcError(`${key}: not a rate in kB/s`);
      return v;
    };
    const down = kbps("speed-limit-down");
    const up = kbps("speed-limit-up");
    if (down !== undefined) this.#speedLimitDown = down;
    if (up !== undefined) this.#speedLimitUp = up;
    const downOn =
      args["speed-limit-down-enabled"] ??
      (down !== undefined ? view.limits.download > 0 : undefined);
    const upOn =
      args["speed-limit-up-enabled"] ?? (up !== undefined ? view.limits.upload > 0 : undefined);
    const limits: { upload?: number; download?: number } = {};
    if (typeof downOn === "boolean") limits.download = downOn ? this.#speedLimitDown * KB : 0;
    if (typeof upOn === "boolean") limits.upload = upOn ? this.#speedLimitUp * KB : 0;
    if (Object.keys(limits).length > 0) await this.#api.setLimits(limits);
    await this.#sessionSetManage(args);
    this.#sessionSetIncompleteDir(args);
    return {};
  }

  /**
   * incomplete-dir and incomplete-dir-enabled: Transmission keeps the
   * folder while it is switched off; so do we, for the next switch on.
   */
  #sessionSetIncompleteDir(args: Args): void {
    const dir = args["incomplete-dir"];
    const enabled = args["incomplete-dir-enabled"];
    if (dir !== undefined && (typeof dir !== "string" || !isAbsolute(dir))) {
      throw new RpcError("incomplete-dir: not an absolute path");
    }
    if (enabled !== undefined && typeof enabled !== "boolean") {
      throw new RpcError("incomplete-dir-enabled: not true or false");
    }
    const current = this.#api.incompleteDir().incompleteDir;
    if (current !== null) this.#incompleteDirKept = current;
    if (dir !== undefined) this.#incompleteDirKept = dir;
    const on = enabled ?? current !== null;
    const kept = this.#incompleteDirKept ?? this.#info().downloadDir;
    if (on && (dir !== undefined || enabled === true)) {
      this.#api.setIncompleteDir({ incompleteDir: kept });
    }
    if (enabled === false) this.#api.setIncompleteDir({ incompleteDir: null });
  }

  /**
   * The queues and seeding goals: Transmission keeps a size and an
   * on/off switch apiece, shoal one number (0: off); a size given while
   * its switch is off is kept for when it is switched on.
   */
  async #sessionSetManage(args: Args): Promise<void> {
    const m = this.#api.manageSettings();
    const next: Record<string, number> = {};
    const pair = (
      field:
        | "maxActiveDownloads"
        | "maxActiveSeeds"
        | "stalledMinutes"
        | "idleLimitMinutes"
        | "ratioLimit",
      sizeKey: string,
      enabledKey: string,
    ) => {
      const size = args[sizeKey];
      const enabled = args[enabledKey];
      if (size !== undefined && (typeof size !== "number" || !(size >= 0))) {
        throw new RpcError(`${sizeKey}: not a number from 0`);
      }
      if (typeof size === "number") this.#kept[field] = size;
      if (enabled === false) next[field] = 0;
      else if (enabled === true || (typeof size === "number" && m[field] > 0)) {
        next[field] = this.#kept[field] ?? m[field];
      }
    };
    pair("maxActiveDownloads", "download-queue-size", "download-queue-enabled");
    pair("maxActiveSeeds", "seed-queue-size", "seed-queue-enabled");
    pair("stalledMinutes", "queue-stalled-minutes", "queue-stalled-enabled");
    pair("idleLimitMinutes", "idle-seeding-limit", "idle-seeding-limit-enabled");
    pair("ratioLimit", "seedRatioLimit", "seedRatioLimited");
    if (Object.keys(next).length > 0) await this.#api.setManageSettings(next);
  }

  #sessionStats(): Args {
    const st = this.#api.stats();
    const totals = {
      uploadedBytes: st.uploaded,
      downloadedBytes: st.downloaded,
      filesAdded: st.torrents,
      sessionCount: 1,
      secondsActive: st.secondsActive,
    };
    return {
      activeTorrentCount: st.downloading + st.seeding,
      downloadSpeed: Math.round(st.downloadRate),
      pausedTorrentCount: st.paused,
      torrentCount: st.torrents,
      uploadSpeed: Math.round(st.uploadRate),
      "cumulative-stats": totals,
      "current-stats": totals,
    };
  }

  async #freeSpace(args: Args): Promise<Args> {
    const path = args.path;
    if (typeof path !== "string" || !isAbsolute(path))
      throw new RpcError("directory path is not absolute");
    try {
      const st = await statfs(path);
      return { path, "size-bytes": st.bavail * st.bsize, total_size: st.blocks * st.bsize };
    } catch (err) {
      throw new RpcError(`${path}: ${(err as NodeJS.ErrnoException).code ?? "cannot be read"}`);
    }
  }
}
