/**
 * What the tracker answers over HTTP: /announce and /scrape (BEP 3, 7, 23, 48),
 * publishing to the torrent index (POST /torrents; publishing.ts), through
 * operator-routes.ts the index and the operator views as JSON (/torrents,
 * /stats, /metrics, /swarms), and through page-routes.ts the pages for
 * people (/, /details, /upload, /operator). BEP 3 failures are bencoded `failure reason`s with
 * status 200, as clients only read the body.
 */
import { MetainfoError } from "../metainfo/index.ts";
import {
  type AnnounceReplyFields,
  announceReplyText,
  COMPACT_REPLY_OVERHEAD,
  type CompactAnnounceReply,
  FAILURE_REASONS,
  failureReplyText,
  formatIPv4,
  formatIPv6,
  newAnnounceFields,
  type PeerAddress,
  readAnnounceQuery,
  readScrapeQuery,
  scrapeReplyText,
  writeCompactAnnounceReply,
} from "../tracker-proto/index.ts";
import { infoHashFromHex } from "../util/index.ts";
import { createAdminRoutes } from "./admin-routes.ts";
import { type AnnounceOutcome, STORE_UNAVAILABLE_REASON } from "./announce-handler.ts";
import { blockedAnnounce } from "./blocked-address.ts";
import type { TrackerContext } from "./context.ts";
import { StoreUnavailableError } from "./errors.ts";
import { HttpAnnounceWaiters } from "./http-announce-waiters.ts";
import type { HttpRequest } from "./http-request.ts";
import { BENCODE_TYPE, bencoded, json, methodNotAllowed, notFound } from "./http-responses.ts";
import {
  type HttpClientInfo,
  type HttpLater,
  type HttpResponse,
  type HttpRoutes,
  LATER,
} from "./http-server.ts";
import type { Member } from "./members.ts";
import { createOperatorRoutes } from "./operator-routes.ts";
import { createPageRoutes } from "./page-routes.ts";
import { memberTorrent, passkeyFromPath, passkeyFromQuery } from "./private-access.ts";
import { Publisher, uploadedFile } from "./publishing.ts";
import type { StoredPeer } from "./swarm-store.ts";
import { magnetOf, type PublishResult } from "./torrent-index.ts";
import { ViewCache } from "./view-cache.ts";
import { announceUrlFor, torrentView } from "./views.ts";

const EMPTY = Buffer.alloc(0);

/** The routes, and `stop` for their background work. */
export function createHttpHandler(ctx: TrackerContext): HttpRoutes & { stop(): void } {
  const views = new ViewCache();
  const operator = createOperatorRoutes(ctx, views);
  const publisher = new Publisher(ctx, views);
  const adminRoutes = createAdminRoutes(ctx);
  const pages = createPageRoutes(ctx, {
    views,
    publisher,
    ranked: operator.ranked,
    stamp: operator.stamp,
  });
  const fields = newAnnounceFields();
  const reply: AnnounceReplyFields = { interval: 0 };
  const scrapeKeys: string[] = [];

  function peerList(
    peers: StoredPeer[],
    v6: boolean,
    noPeerId: boolean,
    into: PeerAddress[],
  ): void {
    for (const p of peers) {
      const b = Buffer.from(v6 ? p.addr6 : p.addr4, "latin1");
      const ip = v6 ? formatIPv6(b, 0) : formatIPv4(b, 0);
      const port = b.readUInt16BE(b.length - 2);
      into.push(noPeerId ? { ip, port } : { ip, port, peerId: Buffer.from(p.peerId, "latin1") });
    }
  }

  const compact: CompactAnnounceReply = {
    interval: 0,
    minInterval: 0,
    complete: 0,
    incomplete: 0,
    downloaded: 0,
    peers: EMPTY,
    peersLength: 0,
    peers6: null,
    peers6Length: 0,
  };
  // The reply body is written here and copied out by the front end before the next request.
  const body = Buffer.allocUnsafe(COMPACT_REPLY_OVERHEAD + 24 * ctx.config.maxNumwant);
  const announceResponse: HttpResponse = { status: 200, contentType: BENCODE_TYPE, body };

  /** A private tracker's member for this request, or the reply refusing it. */
  function memberOf(req: HttpRequest, pathKey: string): Member | HttpResponse {
    const access = ctx.access!;
    const passkey =
      pathKey || passkeyFromQuery(req.head.toString("latin1", req.queryStart, req.queryEnd));
    const admission = access.admit(passkey);
    return "refused" in admission
      ? bencoded(failureReplyText(admission.refused))
      : admission.member;
  }

  const waiters = new HttpAnnounceWaiters(announceReply);

  function announce(
    req: HttpRequest,
    client: HttpClientInfo,
    later: HttpLater,
    pathKey = "",
  ): HttpResponse | typeof LATER {
    const blocked = blockedAnnounce(ctx.ipFilter, ctx.metrics, client.address);
    if (blocked) return bencoded(failureReplyText(blocked));
    const member = ctx.access ? memberOf(req, pathKey) : undefined;
    if (member && !("id" in member)) return member;
    const error = readAnnounceQuery(req.head, req.queryStart, req.queryEnd, fields);
    if (error) {
      ctx.metrics.errors.bad_request++;
      return bencoded(failureReplyText(FAILURE_REASONS[error]));
    }
    if (member) {
      ctx.access!.account(member, {
        infoHash: fields.infoHash,
        peerId: fields.peerId,
        uploaded: fields.uploaded,
        downloaded: fields.downloaded,
        stopped: fields.event === "stopped",
      });
    }
    if (ctx.handler.shared) {
      // The reply's form is read now: `fields` is reused by the next request while this one waits.
      const w = waiters.take(later, fields.compact, fields.noPeerId, client.family);
      ctx.handler.announceSharedTo(fields, client, "http", w);
      return LATER;
    }
    return announceReply(
      ctx.handler.announce(fields, client, "http"),
      fields.compact,
      fields.noPeerId,
      client.family,
    );
  }

  /**
   * The reply to an announce, rendered into memory the next one reuses: the
   * front end copies it out before it handles another request.
   */
  function announceReply(
    out: AnnounceOutcome,
    isCompact: boolean,
    noPeerId: boolean,
    family: 4 | 6,
  ): HttpResponse {
    if (out.failure !== null) return bencoded(failureReplyText(out.failure));
    if (isCompact) {
      compact.interval = out.interval;
      compact.minInterval = out.minInterval;
      compact.complete = out.complete;
      compact.incomplete = out.incomplete;
      compact.downloaded = out.downloaded;
      compact.peers = out.compact4;
      compact.peersLength = 6 * out.count4;
      compact.peers6 = out.count6 > 0 || family === 6 ? out.compact6 : null;
      compact.peers6Length = 18 * out.count6;
      const length = writeCompactAnnounceReply(body, 0, compact);
      announceResponse.body = body.subarray(0, length);
      return announceResponse;
    }
    // BEP 3 dictionary form, for clients that sent compact=0.
    reply.interval = out.interval;
    reply.minInterval = out.minInterval;
    reply.complete = out.complete;
    reply.incomplete = out.incomplete;
    reply.downloaded = out.downloaded;
    const list: PeerAddress[] = [];
    peerList(out.peers4, false, noPeerId, list);
    peerList(out.peers6, true, noPeerId, list);
    reply.peerList = list;
    return bencoded(announceReplyText(reply));
  }

  function scrape(req: HttpRequest, pathKey = ""): HttpResponse | Promise<HttpResponse> {
    if (ctx.access) {
      const member = memberOf(req, pathKey);
      if (!("id" in member)) return member;
    }
    ctx.metrics.scrapes.http++;
    scrapeKeys.length = 0;
    const error = readScrapeQuery(
      req.head,
      req.queryStart,
      req.queryEnd,
      scrapeKeys,
      ctx.config.maxScrapeHashes,
    );
    if (error) {
      ctx.metrics.errors.bad_request++;
      return bencoded(failureReplyText(FAILURE_REASONS[error]));
    }
    if (scrapeKeys.length === 0) {
      if (!ctx.config.fullScrape) {
        ctx.metrics.errors.bad_request++;
        return bencoded(
          failureReplyText(
            "full scrape is disabled on this tracker: ask for one or more info_hash values",
          ),
        );
      }
      // Every swarm: rendered once for a burst of them, like the operator views.
      const stamp = ctx.metrics.announceCount() + ctx.metrics.expired + ctx.index.size;
      const view = views.get("/scrape#full", stamp, performance.now(), () => {
        const keys = [...ctx.store.infoHashes()];
        for (const k of ctx.index.keys()) if (!ctx.store.counts(k)) keys.push(k);
        return { body: Buffer.from(scrapeText(keys), "latin1") };
      });
      return { status: 200, contentType: BENCODE_TYPE, body: view.body };
    }
    if (ctx.handler.shared) {
      const keys = [...scrapeKeys];
      return ctx.handler.scrapeShared(keys).then((all) =>
        all === null
          ? bencoded(failureReplyText(STORE_UNAVAILABLE_REASON))
          : bencoded(
              scrapeReplyText(
                keys.map((key, i) => ({
                  key,
                  complete: all[i]!.complete,
                  downloaded: all[i]!.downloaded,
                  incomplete: all[i]!.incomplete,
                })),
              ),
            ),
      );
    }
    return bencoded(scrapeText(scrapeKeys));
  }

  function scrapeText(keys: readonly string[]): string {
    const files = keys.map((key) => {
      const s = ctx.handler.scrape(key);
      return { key, complete: s.complete, downloaded: s.downloaded, incomplete: s.incomplete };
    });
    return scrapeReplyText(files);
  }

  function isUpload(req: HttpRequest): boolean {
    return req.method === "POST" && (req.path === "/torrents" || req.path === "/torrents/");
  }

  /** The head of a request with a body: only an upload takes one, and only with the token. */
  function admit(req: HttpRequest, client: HttpClientInfo): HttpResponse | null {
    if (isUpload(req)) return publisher.refusal(req, client);
    if (req.path === "/torrents" || req.path === "/torrents/") {
      // Another method with a body: what the index takes, said on the head.
      if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed("GET, HEAD, POST");
    }
    // undefined: not theirs; null: read the body.
    const page = pages.admit(req, client);
    if (page !== undefined) return page;
    const admin = adminRoutes.admit(req, client);
    if (admin !== undefined) return admin;
    ctx.metrics.errors.http_too_large++;
    return json(413, { error: `${req.method} ${req.path} takes no request body` });
  }

  function upload(req: HttpRequest, client: HttpClientInfo): HttpResponse | Promise<HttpResponse> {
    // A request with a body was admitted on its head; one without is checked here.
    const refusal = req.body.length === 0 ? publisher.refusal(req, client) : null;
    if (refusal) return refusal;
    const file = uploadedFile(req);
    if ("error" in file) {
      ctx.metrics.errors.bad_upload++;
      return json(400, { error: file.error });
    }
    try {
      const result = publisher.publish(file.bytes);
      if (!(result instanceof Promise)) return published(req, result);
      return result.then(
        (r) => published(req, r),
        (err: unknown) => publishFailed(err),
      );
    } catch (err) {
      return publishFailed(err);
    }
  }

  function publishFailed(err: unknown): HttpResponse {
    if (err instanceof StoreUnavailableError) {
      return { ...json(503, { error: err.message }), headers: "Retry-After: 5\r\n" };
    }
    if (err instanceof MetainfoError) {
      ctx.metrics.errors.bad_upload++;
      return json(422, { error: `not a usable torrent: ${err.message}`, code: err.code });
    }
    throw err;
  }

  function published(req: HttpRequest, result: PublishResult): HttpResponse {
    const { entry, metainfo, created } = result;
    return json(created ? 201 : 200, {
      ...torrentView(ctx, entry, req.host),
      created,
      magnet: magnetOf(metainfo),
    });
  }

  /**
   * A private tracker's pages: the index for members only (`?passkey=`), each
   * `.torrent` the member's own copy; every other view (swarms, peers,
   * counters) for the operator's token only. Null: go on to the view.
   */
  function privateView(req: HttpRequest): HttpResponse | null {
    const path = req.path;
    if (path !== "/torrents" && path !== "/torrents/" && !path.startsWith("/torrents/")) {
      if (ctx.config.publishToken !== undefined && publisher.authorized(req)) return null;
      return json(403, {
        error:
          "this tracker is private: its views need 'Authorization: Bearer <token>' (--publish-token)",
      });
    }
    const passkey = passkeyFromQuery(req.query);
    // The operator (its token, as the operator's pages send it) sees the index as published.
    if (!passkey && ctx.config.publishToken !== undefined && publisher.authorized(req)) return null;
    const admission = ctx.access!.admit(passkey);
    if ("refused" in admission) return json(401, { error: `${admission.refused} (add ?passkey=)` });
    if (!path.endsWith(".torrent")) return null;
    const hash = infoHashFromHex(path.slice("/torrents/".length, -".torrent".length));
    const meta = hash ? ctx.index.metainfo(hash.toString("latin1")) : undefined;
    if (!meta) return notFound("torrent");
    const url = announceUrlFor(ctx.config, req.host, admission.member.passkey);
    if (url === undefined) {
      return json(400, { error: "no Host header: the member's announce URL is made from it" });
    }
    return {
      status: 200,
      contentType: "application/x-bittorrent",
      body: memberTorrent(meta.infoBytes, url),
      headers: `Content-Disposition: attachment; filename="${meta.name.replace(/[^\w.-]+/g, "_")}.torrent"\r\n`,
    };
  }

  const handle = (
    req: HttpRequest,
    client: HttpClientInfo,
    later: HttpLater,
  ): HttpResponse | Promise<HttpResponse> | typeof LATER => {
    const path = req.path;
    const isGet = req.method === "GET" || req.method === "HEAD";
    if (path === "/announce") {
      return isGet ? announce(req, client, later) : methodNotAllowed("GET, HEAD");
    }
    if (path === "/scrape") return isGet ? scrape(req) : methodNotAllowed("GET, HEAD");
    if (ctx.access) {
      // A private tracker's announce URLs carry the member's passkey in the path.
      const onAnnounce = passkeyFromPath(path, "/announce");
      if (onAnnounce !== undefined) {
        return isGet ? announce(req, client, later, onAnnounce) : methodNotAllowed("GET, HEAD");
      }
      const onScrape = passkeyFromPath(path, "/scrape");
      if (onScrape !== undefined)
        return isGet ? scrape(req, onScrape) : methodNotAllowed("GET, HEAD");
    }
    if (path === "/torrents" || path === "/torrents/") {
      if (req.method === "POST") return upload(req, client);
      if (!isGet) return methodNotAllowed("GET, HEAD, POST");
    }
    const page = pages.handle(req, client) ?? adminRoutes.handle(req, client);
    if (page !== null) return page;
    if (!isGet) return methodNotAllowed("GET, HEAD");
    if (ctx.access) {
      const gated = privateView(req);
      if (gated !== null) return gated;
    }
    const view = operator.handle(req);
    if (view !== null) return view;
    ctx.metrics.errors.not_found++;
    return notFound(`${path}`);
  };
  return { handle, admit, stop: () => operator.stop() };
}
