/**
 * Publishing to the torrent index, shared by the API (POST /torrents) and the
 * upload form (POST /upload): who may publish (the publish token, compared in
 * constant time, with wrong guesses throttled per address; in a private
 * tracker, a member with the right, by passkey), the file out of a multipart
 * form, and the publish itself (into the shared index first when swarms are
 * shared).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { TrackerContext } from "./context.ts";
import { GuessThrottle } from "./guess-throttle.ts";
import type { HttpRequest } from "./http-request.ts";
import { json } from "./http-responses.ts";
import type { HttpClientInfo, HttpResponse } from "./http-server.ts";
import type { Member } from "./members.ts";
import { type FormPart, multipartBoundary, parseMultipart } from "./multipart.ts";
import { passkeyFromQuery } from "./private-access.ts";
import type { PublishResult } from "./torrent-index.ts";
import type { ViewCache } from "./view-cache.ts";

/** Failed publish-token guesses allowed per address (IPv6: per /64) in a window. */
export const PUBLISH_GUESSES = 5;
export const PUBLISH_GUESS_WINDOW_MS = 60_000;
const PUBLISH_GUESS_ADDRESSES = 10_000;

/** Whether `given` is `secret`, in time that does not depend on where they differ. */
export function secretMatches(given: string, secret: string): boolean {
  // Digests of both: equal lengths whatever was sent, so the length leaks nothing either.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(secret).digest();
  return timingSafeEqual(a, b);
}

/** Longest Basic credential read (base64 characters). */
export const MAX_BASIC_CREDENTIAL = 1024;
const BASIC_VALUE = /^[A-Za-z0-9+/=]+$/;
/** What a header value may not hold (the head parser ends lines at CRLF only, so a bare LF may be there). */
const LINE_BREAK = /[\r\n\u2028\u2029]/;

/**
 * The secret of an Authorization header: `Bearer <secret>`, or Basic's
 * password (a browser's prompt). Read in one pass: a regular expression with
 * ` +(.+)$` backtracked quadratically on spaces before a bare LF (60 ms of
 * CPU for one 8 KiB head).
 */
export function credentialOf(authorization: string): string | undefined {
  const space = authorization.indexOf(" ");
  if (space < 0) return undefined;
  const scheme = authorization.slice(0, space).toLowerCase();
  let at = space;
  while (authorization.charCodeAt(at) === 0x20) at++;
  const value = authorization.slice(at);
  if (value === "" || LINE_BREAK.test(value)) return undefined;
  if (scheme === "bearer") return value;
  if (scheme !== "basic" || value.length > MAX_BASIC_CREDENTIAL || !BASIC_VALUE.test(value)) {
    return undefined;
  }
  const text = Buffer.from(value, "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? undefined : text.slice(colon + 1);
}

/** The .torrent of an upload: the raw body, or a multipart form's file field. */
export type UploadedFile = { bytes: Buffer; fields: FormPart[] } | { error: string };

export function uploadedFile(req: HttpRequest): UploadedFile {
  const boundary = multipartBoundary(req.contentType);
  if (boundary === undefined) {
    if (/^multipart\//i.test(req.contentType))
      return { error: "multipart upload without a boundary" };
    if (req.body.length === 0) {
      return { error: "empty upload: send the .torrent file as the request body" };
    }
    return { bytes: req.body, fields: [] };
  }
  const parts = parseMultipart(req.body, boundary);
  const file =
    parts?.find((p) => p.filename !== undefined) ??
    parts?.find((p) => p.name === "file" || p.name === "torrent");
  if (!parts || !file) return { error: "the form has no file field: send the .torrent as 'file'" };
  if (file.data.length === 0) return { error: "the file is empty: choose a .torrent file" };
  return { bytes: file.data, fields: parts };
}

export class Publisher {
  readonly #ctx: TrackerContext;
  readonly #views: ViewCache;
  readonly #guesses = new GuessThrottle({
    maxFailures: PUBLISH_GUESSES,
    windowMs: PUBLISH_GUESS_WINDOW_MS,
    maxAddresses: PUBLISH_GUESS_ADDRESSES,
  });

  constructor(ctx: TrackerContext, views: ViewCache) {
    this.#ctx = ctx;
    this.#views = views;
  }

  /** Whether `token` is the publish token (true when there is none). */
  tokenMatches(token: string | undefined): boolean {
    const want = this.#ctx.config.publishToken;
    if (want === undefined) return true;
    return token !== undefined && secretMatches(token, want);
  }

  /** Whether the request carries the publish token (Bearer, or Basic's password). */
  authorized(req: HttpRequest): boolean {
    const want = this.#ctx.config.publishToken;
    if (want === undefined) return true;
    return this.tokenMatches(credentialOf(req.authorization));
  }

  /** Ms this address must wait after too many wrong tokens (0: it may try). */
  waitMs(client: HttpClientInfo): number {
    return this.#guesses.waitMs(GuessThrottle.keyOf(client.family, client.ip), this.#ctx.now());
  }

  /** A wrong token from this address. */
  failed(client: HttpClientInfo): void {
    this.#guesses.failed(GuessThrottle.keyOf(client.family, client.ip), this.#ctx.now());
    this.#ctx.metrics.errors.unauthorized++;
  }

  /** In a private tracker, the member whose `?passkey=` this request carries (or the refusal). */
  member(req: HttpRequest): { member: Member } | { refused: string } | undefined {
    if (!this.#ctx.access) return undefined;
    const passkey = passkeyFromQuery(req.query);
    return passkey ? this.#ctx.access.admit(passkey) : undefined;
  }

  /**
   * Null when the request may publish; else the refusal. Runs on the head
   * (before the body is read) and again for a body-less request. An address
   * that guessed wrong too often is refused before its token is even
   * compared, so the answer tells it nothing about its guess.
   */
  refusal(req: HttpRequest, client: HttpClientInfo): HttpResponse | null {
    const ctx = this.#ctx;
    if (ctx.access) {
      // A private tracker: a member with the right publishes by passkey; else the token.
      const admission = this.member(req);
      if (admission) {
        if ("refused" in admission) return json(401, { error: admission.refused });
        if (admission.member.canPublish) return null;
        return json(403, { error: `${admission.member.name} may not publish to this tracker` });
      }
      if (ctx.config.publishToken === undefined) {
        return json(403, { error: "publishing here needs a member's passkey (?passkey=)" });
      }
    }
    if (ctx.config.publishToken === undefined) return null;
    const waitMs = this.waitMs(client);
    if (waitMs > 0) {
      ctx.metrics.errors.throttled++;
      return {
        ...json(429, { error: "too many wrong publish tokens from this address: try again later" }),
        headers: `Retry-After: ${Math.ceil(waitMs / 1000)}\r\n`,
      };
    }
    if (this.authorized(req)) return null;
    this.failed(client);
    return {
      ...json(401, {
        error: "publishing needs 'Authorization: Bearer <token>' with this tracker's publish token",
      }),
      headers: 'WWW-Authenticate: Bearer realm="shoal tracker"\r\n',
    };
  }

  /** Validates and stores a .torrent; throws MetainfoError (not a torrent) or StoreUnavailableError. */
  publish(bytes: Buffer): PublishResult | Promise<PublishResult> {
    const ctx = this.#ctx;
    // Into the index every instance reads, first (shared-index.ts).
    if (ctx.sharedIndex) return ctx.sharedIndex.publish(bytes).then((r) => this.#published(r));
    return this.#published(ctx.index.publish(bytes));
  }

  #published(result: PublishResult): PublishResult {
    // A listing shows a new torrent at once, not a moment later.
    if (result.created) this.#views.clear();
    this.#ctx.logger.info("torrent published", {
      infoHash: result.entry.infoHashHex,
      name: result.entry.name,
      created: result.created,
    });
    return result;
  }
}
