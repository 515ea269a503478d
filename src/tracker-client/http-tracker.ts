/**
 * HTTP(S) tracker requests: announce (BEP 3, compact peers BEP 23, peers6
 * BEP 7) and scrape (BEP 48). The codecs live in tracker-proto; this file only
 * builds URLs, sends them and turns replies into results or errors.
 */
import {
  type AnnounceEvent,
  buildAnnounceQuery,
  buildScrapeQuery,
  parseAnnounceReply,
  parseScrapeReply,
  type ScrapeCounts,
  scrapeUrlFor,
  TrackerProtoError,
} from "../tracker-proto/index.ts";
import type { Clock } from "../util/index.ts";
import { TrackerClientError } from "./errors.ts";
import { type HttpGetResult, httpGet, parseHttpUrl, urlForMessages } from "./http-get.ts";
import type { AnnounceParams, AnnounceResult, RequestOptions } from "./types.ts";

export interface HttpTrackerOptions extends RequestOptions {
  /** Deadline for the whole request, redirects included (default 15 s). */
  timeoutMs?: number;
  /** Reply size cap (default 2 MiB). */
  maxBytes?: number;
  /** Certificates (PEM) to trust for https trackers instead of the system's. */
  ca?: string | Buffer;
  /** Redirects followed at most (default 3). */
  maxRedirects?: number;
  clock?: Clock;
}

/** `base` with `query` appended, keeping any query the URL already has (passkeys). */
export function withQuery(base: string, query: string): string {
  const hash = base.indexOf("#");
  const url = hash < 0 ? base : base.slice(0, hash);
  if (!query) return url;
  const sep = !url.includes("?") ? "?" : url.endsWith("?") || url.endsWith("&") ? "" : "&";
  return `${url}${sep}${query}`;
}

function get(url: string, opts: HttpTrackerOptions): Promise<HttpGetResult> {
  const o: Parameters<typeof httpGet>[1] = {};
  if (opts.timeoutMs !== undefined) o.timeoutMs = opts.timeoutMs;
  if (opts.maxBytes !== undefined) o.maxBytes = opts.maxBytes;
  if (opts.maxRedirects !== undefined) o.maxRedirects = opts.maxRedirects;
  if (opts.clock !== undefined) o.clock = opts.clock;
  if (opts.signal !== undefined) o.signal = opts.signal;
  if (opts.ca !== undefined) o.ca = opts.ca;
  return httpGet(url, o);
}

/** Turns a codec error into a client error naming the tracker. */
function invalid(url: string, err: unknown): never {
  if (err instanceof TrackerProtoError) {
    throw new TrackerClientError("invalid_reply", `${urlForMessages(url)}: ${err.message}`, {
      cause: err,
    });
  }
  throw err;
}

function statusError(url: string, status: number): TrackerClientError {
  return new TrackerClientError(
    "http_status",
    `${urlForMessages(url)}: the tracker answered HTTP ${status}`,
  );
}

/**
 * Announces over HTTP. Rejects with TrackerClientError: code "tracker_failure"
 * carries the tracker's `failure reason` as the message.
 */
export async function announceHttp(
  url: string,
  params: AnnounceParams,
  opts: HttpTrackerOptions = {},
): Promise<AnnounceResult> {
  parseHttpUrl(url);
  const event: AnnounceEvent = params.event;
  const query = buildAnnounceQuery({
    infoHash: params.infoHash,
    peerId: params.peerId,
    port: params.port,
    uploaded: params.uploaded,
    downloaded: params.downloaded,
    left: params.left,
    event,
    numwant: params.numwant,
    compact: true,
    ...(params.key !== undefined ? { key: params.key } : {}),
    ...(params.trackerId !== undefined ? { trackerId: params.trackerId } : {}),
  });
  const res = await get(withQuery(url, query), opts);
  let reply: ReturnType<typeof parseAnnounceReply>;
  try {
    reply = parseAnnounceReply(res.body);
  } catch (err) {
    // A non-200 status with a body that is not bencoding says more than the parse error.
    if (res.status !== 200) throw statusError(url, res.status);
    invalid(url, err);
  }
  // BEP 3: a failure reason means nothing else in the reply counts.
  if (reply.failureReason !== undefined) {
    throw new TrackerClientError("tracker_failure", reply.failureReason);
  }
  if (res.status !== 200) throw statusError(url, res.status);
  const result: AnnounceResult = { peers: reply.peers };
  if (reply.interval !== undefined) result.interval = reply.interval;
  if (reply.minInterval !== undefined) result.minInterval = reply.minInterval;
  if (reply.complete !== undefined) result.complete = reply.complete;
  if (reply.incomplete !== undefined) result.incomplete = reply.incomplete;
  if (reply.downloaded !== undefined) result.downloaded = reply.downloaded;
  if (reply.trackerId !== undefined) result.trackerId = reply.trackerId;
  if (reply.warning !== undefined) result.warning = reply.warning;
  return result;
}

/**
 * BEP 48 scrape of the given torrents at the scrape URL derived from `url`.
 * Rejects with code "unsupported_scheme" when the announce URL has no scrape
 * form (its last path component does not start with "announce").
 */
export async function scrapeHttp(
  url: string,
  infoHashes: readonly Buffer[],
  opts: HttpTrackerOptions = {},
): Promise<ScrapeCounts[]> {
  parseHttpUrl(url);
  const scrapeUrl = scrapeUrlFor(url);
  if (scrapeUrl === undefined) {
    throw new TrackerClientError(
      "unsupported_scheme",
      `${urlForMessages(url)}: no scrape URL (BEP 48 needs a path ending in /announce)`,
    );
  }
  const res = await get(withQuery(scrapeUrl, buildScrapeQuery(infoHashes)), opts);
  let reply: ReturnType<typeof parseScrapeReply>;
  try {
    reply = parseScrapeReply(res.body);
  } catch (err) {
    if (res.status !== 200) throw statusError(scrapeUrl, res.status);
    invalid(scrapeUrl, err);
  }
  if (reply.failureReason !== undefined) {
    throw new TrackerClientError("tracker_failure", reply.failureReason);
  }
  if (res.status !== 200) throw statusError(scrapeUrl, res.status);
  return reply.files;
}
