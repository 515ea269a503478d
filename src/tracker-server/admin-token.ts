/**
 * Where the admin token (`--admin-token`, admin-routes.ts) may be used: a
 * private tracker's, long enough to resist guessing, and never sent in clear
 * over a network unless the operator says so (TLS, a loopback listener, or
 * --admin-over-plain-http).
 */
import { TrackerError } from "./errors.ts";

/** The shortest admin token accepted. */
export const MIN_ADMIN_TOKEN = 16;

/** Whether `host` is a loopback address (the token never leaves the machine). */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  return host === "::1" || host === "localhost" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface AdminTokenSettings {
  adminToken: string | undefined;
  adminOverPlainHttp: boolean;
  private: boolean;
  host: string | undefined;
  tlsCert: string | undefined;
}

/** Throws TrackerError when the admin token is set where it may not be used. */
export function checkAdminToken(config: AdminTokenSettings): void {
  const token = config.adminToken;
  if (token === undefined) return;
  if (!config.private) {
    throw new TrackerError(
      "invalid_config",
      "admin-token: the admin API manages a private tracker's members (add --private)",
    );
  }
  if (token.length < MIN_ADMIN_TOKEN) {
    throw new TrackerError(
      "invalid_config",
      `admin-token: use ${MIN_ADMIN_TOKEN} characters or more`,
    );
  }
  if (config.tlsCert === undefined && !isLoopback(config.host) && !config.adminOverPlainHttp) {
    throw new TrackerError(
      "invalid_config",
      "admin-token: the tracker listens beyond loopback over plain HTTP, where the token would cross the network in clear: add --tls-cert/--tls-key, listen on --host 127.0.0.1, or allow it with --admin-over-plain-http",
    );
  }
}
