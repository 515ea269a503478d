/**
 * The daemon's one HTTP handler: every request passes the guard
 * (control-guard.ts: Host allow-list, CSRF, credentials), then goes to the
 * REST API (`/api/v1`), its event stream, its OpenAPI document, the
 * Prometheus metrics (`/metrics`), or the Transmission RPC. A bug in a route is logged and answered 500 `internal`;
 * it never takes the daemon down.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Logger, silentLogger } from "../util/index.ts";
import { ControlGuard } from "./control-guard.ts";
import { type CredentialSettings, Credentials } from "./credentials.ts";
import { EventStream } from "./event-stream.ts";
import { errorOf, HTTP_STATUS, HttpError, sendError, sendJson } from "./http-errors.ts";
import { RateHistory } from "./rate-history.ts";
import { API_PREFIX, handleRest } from "./rest-routes.ts";
import type { SettingsStore } from "./settings-routes.ts";
import type { ShoalApi } from "./shoal-api.ts";
import { TRANSMISSION_RPC_PATH } from "./transmission-paths.ts";
import type { TransmissionRpc, TransmissionSessionInfo } from "./transmission-rpc.ts";
import type { WebUi } from "./web-ui.ts";

/** Prometheus' scrape path (metrics.ts). */
const METRICS_PATH = "/metrics";

export interface ControlPlaneOptions {
  api: ShoalApi;
  /** The address the HTTP server listens on (a Host the guard accepts). */
  listenHost: string;
  allowedHosts?: readonly string[];
  credentials?: CredentialSettings;
  /** The daemon's config file, read and written by the settings page (settings-routes.ts). */
  settings?: SettingsStore;
  /** What Transmission's session-get reports of the daemon. */
  sessionInfo: () => TransmissionSessionInfo;
  logger?: Logger;
}

export class ControlPlane {
  readonly events: EventStream;
  readonly #api: ShoalApi;
  readonly #sessionInfo: () => TransmissionSessionInfo;
  /**
   * Transmission's RPC adapter, the OpenAPI document, the metrics and the
   * web UI's files are loaded on their first request: most starts of a
   * daemon never serve them, and loading them is part of every start's
   * time (issue 16's start-up target).
   */
  #rpc: Promise<TransmissionRpc> | undefined;
  #webUi: Promise<typeof import("./web-ui.ts") & { ui: WebUi }> | undefined;
  #guard: ControlGuard;
  readonly #listenHost: string;
  readonly #log: Logger;
  readonly #settings: SettingsStore | undefined;
  readonly #rates: RateHistory;

  constructor(o: ControlPlaneOptions) {
    this.#api = o.api;
    this.#settings = o.settings;
    this.#rates = new RateHistory(o.api);
    this.#rates.start();
    this.#log = o.logger ?? silentLogger;
    this.#listenHost = o.listenHost;
    this.#guard = this.#newGuard(o.allowedHosts, o.credentials);
    this.events = new EventStream(o.api);
    this.#sessionInfo = o.sessionInfo;
  }

  /** The node:http request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#route(req, res).catch((err) => {
      const { code, message } = errorOf(err);
      if (code === "internal") {
        this.#log.error("api", { error: (err as Error)?.stack ?? String(err), url: req.url });
      }
      if (!res.headersSent) sendError(res, code, message);
      else res.destroy();
    });
  };

  /** New credentials and allowed hosts (the daemon's config reloaded). */
  secure(allowedHosts?: readonly string[], credentials?: CredentialSettings): void {
    this.#guard = this.#newGuard(allowedHosts, credentials);
  }

  #newGuard(allowedHosts?: readonly string[], credentials?: CredentialSettings): ControlGuard {
    return new ControlGuard({
      listenHost: this.#listenHost,
      allowedHosts: allowedHosts ?? [],
      credentials: new Credentials(credentials ?? {}),
    });
  }

  close(): void {
    this.#rates.close();
    this.events.close();
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://control.invalid");
    } catch {
      throw new HttpError("invalid_input", "the request's path is not a URL");
    }
    await this.#guard.check(req);
    const path = url.pathname;
    if (path === TRANSMISSION_RPC_PATH || path === `${TRANSMISSION_RPC_PATH}/`) {
      this.#rpc ??= import("./transmission-rpc.ts").then(
        ({ TransmissionRpc }) => new TransmissionRpc(this.#api, this.#sessionInfo),
      );
      await (await this.#rpc).handle(req, res);
      return;
    }
    if (path === `${API_PREFIX}/events`) {
      if (req.method !== "GET") throw new HttpError("method_not_allowed", "GET the events");
      this.events.open(req, res, url);
      return;
    }
    if (path === METRICS_PATH) {
      if (req.method !== "GET") throw new HttpError("method_not_allowed", "GET the metrics");
      const { METRICS_CONTENT_TYPE, metricsText } = await import("./metrics.ts");
      res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" });
      res.end(metricsText(this.#api.stats()));
      return;
    }
    if (path === `${API_PREFIX}/openapi.json`) {
      const { openApiDocument } = await import("./openapi.ts");
      sendJson(res, 200, openApiDocument());
      return;
    }
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) {
      try {
        await handleRest(this.#api, req, res, url, this.#settings, this.#rates);
      } catch (err) {
        if (err instanceof URIError)
          throw new HttpError("invalid_input", "bad %-escape in the path");
        throw err;
      }
      return;
    }
    // The web UI (web-ui.ts: its paths are `/` and below `/ui/`); `/` stays
    // JSON for a client that does not ask for HTML.
    if (
      (req.method === "GET" || req.method === "HEAD") &&
      (path === "/" || path.startsWith("/ui/"))
    ) {
      this.#webUi ??= import("./web-ui.ts").then((m) => ({ ...m, ui: new m.WebUi() }));
      const { isWebUiPath, ui, wantsHtml } = await this.#webUi;
      if (isWebUiPath(path) && (path !== "/" || wantsHtml(req))) {
        await ui.serve(req, res, path);
        return;
      }
    }
    if (path === "/" && req.method === "GET") {
      sendJson(res, 200, {
        name: "shoal",
        api: API_PREFIX,
        openapi: `${API_PREFIX}/openapi.json`,
        rpc: TRANSMISSION_RPC_PATH,
      });
      return;
    }
    throw new HttpError("route_not_found", `no route ${path.slice(0, 200)}`);
  }
}

export { HTTP_STATUS };
