/**
 * What every request to the control plane passes before a route sees it:
 *
 * - the Host header names this daemon (loopback names, the address it
 *   listens on, or a host the user allowed), so a web page whose name was
 *   re-pointed at 127.0.0.1 (DNS rebinding) is refused;
 * - a browser request that changes something comes from this daemon's own
 *   origin (Origin and Sec-Fetch-Site headers), so another site cannot make
 *   the user's browser add or remove torrents (CSRF);
 * - the credentials, when any are set.
 */
import type { IncomingMessage } from "node:http";
import type { Credentials } from "./credentials.ts";
import { HttpError } from "./http-errors.ts";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface GuardOptions {
  /** The address the control plane listens on (accepted in Host). */
  listenHost: string;
  /** Other names it is reached by (a LAN name, a reverse proxy's). */
  allowedHosts: readonly string[];
  credentials: Credentials;
}

export class ControlGuard {
  readonly #hosts: Set<string>;
  readonly #credentials: Credentials;

  constructor(o: GuardOptions) {
    this.#hosts = new Set(
      [...LOOPBACK_NAMES, o.listenHost, ...o.allowedHosts].map((h) => h.toLowerCase()),
    );
    this.#credentials = o.credentials;
  }

  /** Throws HttpError when the request may not go on. */
  async check(req: IncomingMessage): Promise<void> {
    const host = req.headers.host;
    // A client that sends no Host (HTTP/1.0) is not a browser: nothing to rebind.
    if (host !== undefined && !this.hostAllowed(host)) {
      throw new HttpError("forbidden_host", `host '${host.slice(0, 100)}' is not this daemon's`);
    }
    if (!SAFE_METHODS.has(req.method ?? "GET")) {
      const site = req.headers["sec-fetch-site"];
      if (site === "cross-site" || site === "same-site") {
        throw new HttpError("cross_site", "a request from another site is refused");
      }
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== "null" && !this.#originAllowed(origin)) {
        throw new HttpError("cross_site", `origin '${origin.slice(0, 100)}' is refused`);
      }
      if (origin === "null") throw new HttpError("cross_site", "origin 'null' is refused");
    }
    if (!(await this.#credentials.check(req.headers.authorization))) {
      throw new HttpError("unauthenticated", "wrong or missing credentials");
    }
  }

  /** `name`, `name:port`, `[v6]:port`. */
  hostAllowed(header: string): boolean {
    const m = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
    return m !== null && this.#hosts.has(m[1]!.toLowerCase());
  }

  #originAllowed(origin: string): boolean {
    try {
      const url = new URL(origin);
      return this.hostAllowed(url.host);
    } catch {
      return false;
    }
  }
}
