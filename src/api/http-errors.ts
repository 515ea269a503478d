/**
 * The control plane's one table of errors: every code an HTTP client can
 * get, with its status. The body is always
 * `{"error":{"code":"…","message":"…"}}`; codes are stable (clients switch
 * on them), messages are one line for a person.
 */
import type { ServerResponse } from "node:http";
import { ApiError, type ApiErrorCode } from "./errors.ts";

/** Codes the HTTP layer adds to the facade's own (errors.ts). */
export type HttpErrorCode =
  | ApiErrorCode
  /** No or wrong credentials. */
  | "unauthenticated"
  /** The Host header names no host of this daemon (DNS rebinding). */
  | "forbidden_host"
  /** A browser request from another site (CSRF). */
  | "cross_site"
  | "route_not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  /** A Range that starts past the file's end. */
  | "range_not_satisfiable"
  /** Too many event streams open. */
  | "too_many_streams"
  /** A bug: logged, never detailed to the client. */
  | "internal";

export const HTTP_STATUS: Record<HttpErrorCode, number> = {
  invalid_input: 400,
  not_found: 404,
  ambiguous: 409,
  duplicate: 409,
  no_metadata: 409,
  file_skipped: 409,
  no_tracker: 409,
  unauthorized: 502,
  tracker_error: 502,
  timeout: 504,
  torrent_error: 409,
  storage_error: 500,
  unavailable: 503,
  failed: 422,
  unauthenticated: 401,
  forbidden_host: 403,
  cross_site: 403,
  route_not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  too_many_streams: 503,
  internal: 500,
};

export class HttpError extends Error {
  readonly code: HttpErrorCode;
  constructor(code: HttpErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The code and message to answer for `err` (ApiError, HttpError, or a bug). */
export function errorOf(err: unknown): { code: HttpErrorCode; message: string } {
  if (err instanceof HttpError || err instanceof ApiError) {
    return { code: err.code as HttpErrorCode, message: err.message };
  }
  return { code: "internal", message: "internal error (see the daemon's log)" };
}

export function sendError(
  res: ServerResponse,
  code: HttpErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (code === "unauthenticated") headers["www-authenticate"] = 'Basic realm="shoal"';
  sendJson(res, HTTP_STATUS[code], { error: { code, message } }, headers);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Encoded once: the length and the bytes sent come from the same buffer
  // (a list of a thousand torrents is most of a megabyte of JSON).
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": body.length,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(body);
}
