import { ShoalError } from "../util/index.ts";

export type TrackerClientErrorCode =
  /** The URL's scheme is not http, https or udp (e.g. wss:// WebTorrent trackers). */
  | "unsupported_scheme"
  | "invalid_url"
  /** The tracker answered with `failure reason` (HTTP) or an error action (UDP). */
  | "tracker_failure"
  /** An HTTP status other than 200 without a failure reason. */
  | "http_status"
  | "too_many_redirects"
  | "bad_redirect"
  /** The reply exceeded the size cap. */
  | "reply_too_large"
  /** The reply is not a tracker reply (bad bencoding, short UDP packet). */
  | "invalid_reply"
  | "timeout"
  /** Connection refused, reset, DNS failure and other socket errors. */
  | "network"
  | "aborted"
  /** The tracker's index refused a publish for want of the right token. */
  | "unauthorized"
  /** The tracker's index has no such torrent. */
  | "not_found";

/** A failed tracker request; `message` says which tracker and what went wrong. */
export class TrackerClientError extends ShoalError {
  declare readonly code: TrackerClientErrorCode;

  constructor(code: TrackerClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Wraps anything thrown by a transport so callers always see a TrackerClientError. */
export function asTrackerClientError(err: unknown, url: string): TrackerClientError {
  if (err instanceof TrackerClientError) return err;
  url = url.split("?")[0]!; // a query may hold a passkey: keep it out of messages and logs
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === "AbortError") return new TrackerClientError("aborted", `${url}: request aborted`);
  const what = e?.code ?? e?.message ?? String(err);
  return new TrackerClientError("network", `${url}: cannot reach the tracker (${what})`, {
    cause: err,
  });
}
