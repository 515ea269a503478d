/**
 * A bounded HTTP(S) GET for tracker requests: the query goes out exactly as
 * given (BEP 3 info_hash and peer_id are percent-encoded raw bytes, which
 * URLSearchParams would re-encode), the reply is capped in size, the request
 * has one overall deadline, and redirects are followed a few times, to http
 * and https only.
 */
import type { IncomingMessage } from "node:http";
import { type Clock, realClock } from "../util/index.ts";
import { TrackerClientError } from "./errors.ts";

export const DEFAULT_HTTP_TIMEOUT_MS = 15_000;
/** Real announce replies are a few kB (200 compact peers are 1.2 kB); 2 MiB is generous. */
export const DEFAULT_MAX_REPLY_BYTES = 2 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 3;
const USER_AGENT = "shoal/0.1";

export interface HttpGetOptions {
  /** Deadline for the whole exchange, redirects included. */
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /**
   * Certificates (PEM) to trust for https, instead of the system's: a
   * tracker with its own CA. Certificates are always verified.
   */
  ca?: string | Buffer;
}

export interface HttpGetResult {
  status: number;
  body: Buffer;
  /** The URL that finally answered (after redirects). */
  url: string;
}

// Taken with getBuiltinModule rather than imported: an ESM import of node:http
// builds its module facade, which reads every export, and one of them loads
// Node's fetch implementation (undici), some 30 ms of every CLI start. And
// taken at the first request, not when this file loads: node:https loads
// node:tls, about 20 ms of CPU in every process start, paid only by one that
// announces to an https tracker.
function requestFor(url: URL): typeof import("node:http").request {
  return url.protocol === "https:"
    ? process.getBuiltinModule("node:https").request
    : process.getBuiltinModule("node:http").request;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A URL for messages: without its query (long, binary, and it may hold a passkey). */
export function urlForMessages(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** Parses and checks an http(s) URL; the host without IPv6 brackets. */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TrackerClientError("invalid_url", `'${text}' is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TrackerClientError(
      "unsupported_scheme",
      `${text}: only http, https and udp trackers are supported`,
    );
  }
  return url;
}

/**
 * GETs `url` as written (its query is not re-encoded). Resolves with any
 * status; rejects with a TrackerClientError on network failure, timeout, an
 * oversize body or a bad redirect.
 */
export function httpGet(url: string, opts: HttpGetOptions = {}): Promise<HttpGetResult> {
  const clock = opts.clock ?? realClock;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_REPLY_BYTES;
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const controller = new AbortController();
  const outer = opts.signal;
  const onOuterAbort = () => controller.abort();
  if (outer?.aborted) {
    return Promise.reject(
      new TrackerClientError("aborted", `${urlForMessages(url)}: request aborted`),
    );
  }
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);

  const attempt = async (current: string, redirectsLeft: number): Promise<HttpGetResult> => {
    const target = parseHttpUrl(current);
    const res = await send(target, controller.signal, opts.ca);
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      res.resume();
      const location = res.headers.location;
      if (!location) {
        throw new TrackerClientError(
          "bad_redirect",
          `${urlForMessages(current)}: redirect ${status} without Location`,
        );
      }
      if (redirectsLeft <= 0) {
        throw new TrackerClientError(
          "too_many_redirects",
          `${urlForMessages(url)}: more than ${maxRedirects} redirects; check the tracker URL`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, target);
      } catch {
        throw new TrackerClientError(
          "bad_redirect",
          `${urlForMessages(current)}: bad redirect to '${location}'`,
        );
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new TrackerClientError(
          "bad_redirect",
          `${urlForMessages(current)}: refusing redirect to ${next.protocol} URL '${location}'`,
        );
      }
      return attempt(next.href, redirectsLeft - 1);
    }
    const body = await readBody(res, maxBytes, current);
    return { status, body, url: current };
  };

  return attempt(url, maxRedirects)
    .catch((err: unknown) => {
      if (timedOut) {
        throw new TrackerClientError(
          "timeout",
          `${urlForMessages(url)}: no reply within ${timeoutMs} ms`,
        );
      }
      if (outer?.aborted)
        throw new TrackerClientError("aborted", `${urlForMessages(url)}: request aborted`);
      if (err instanceof TrackerClientError) throw err;
      const e = err as { code?: string; message?: string };
      // TLS verification failures (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, …).
      if (/CERT|SELF_SIGNED|ERR_TLS/.test(e.code ?? "")) {
        throw new TrackerClientError(
          "network",
          `${urlForMessages(url)}: the tracker's certificate is not trusted (${e.message ?? e.code}; a private CA's certificate can be given with --tracker-ca)`,
          { cause: err },
        );
      }
      throw new TrackerClientError(
        "network",
        `${urlForMessages(url)}: cannot reach the tracker (${e.code ?? e.message ?? String(err)})`,
        { cause: err },
      );
    })
    .finally(() => {
      clock.clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    });
}

function send(url: URL, signal: AbortSignal, ca?: string | Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = requestFor(url)(
      {
        // WHATWG URL keeps IPv6 brackets in hostname; the socket layer wants the bare address.
        host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: { "User-Agent": USER_AGENT, Accept: "*/*", Connection: "close" },
        // One request per connection: no pooled sockets outlive the announce.
        agent: false,
        signal,
        ...(ca !== undefined && url.protocol === "https:" ? { ca } : {}),
      },
      resolve,
    );
    req.on("error", reject);
    req.end();
  });
}

function readBody(res: IncomingMessage, maxBytes: number, url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new TrackerClientError(
        "reply_too_large",
        `${urlForMessages(url)}: the reply is larger than ${maxBytes} bytes; refusing it`,
      );
    const declared = Number(res.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.destroy();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    res.on("end", () => resolve(Buffer.concat(chunks, size)));
    res.on("error", reject);
    res.on("close", () => {
      if (!res.complete)
        reject(
          new TrackerClientError("network", `${urlForMessages(url)}: connection closed early`),
        );
    });
  });
}
