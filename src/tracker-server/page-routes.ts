/**
 * The tracker's pages for people (issue 17), beside its JSON views: the
 * browsable index at / (search, sort, paging), a torrent's details at
 * /details/<info hash>, the upload form at /upload and the operator's view
 * at /operator (and /operator/swarms/<info hash>), with their stylesheet.
 *
 * Who sees what follows the JSON views: on an open tracker everything is
 * open and the form asks for the publish token when there is one; on a
 * private tracker the index is for members (`?passkey=`, carried by every
 * link) and the operator's token (Bearer, or a browser's Basic prompt with
 * the token as the password), and the operator's view for the token only.
 * A browser cannot send a bearer token from a form, so the upload form
 * carries the token in a field: its body is read (within the publish limits,
 * --max-body-bytes) before the token is compared, and an address that
 * guessed wrong too often is refused on the head, before any of it is read.
 */
import { MetainfoError } from "../metainfo/index.ts";
import { infoHashFromHex } from "../util/index.ts";
import type { TrackerContext } from "./context.ts";
import { StoreUnavailableError } from "./errors.ts";
import { htmlResponse, messagePage, type NavLink, queryParam, renderPage } from "./html-page.ts";
import type { HttpRequest } from "./http-request.ts";
import { methodNotAllowed } from "./http-responses.ts";
import type { HttpClientInfo, HttpResponse } from "./http-server.ts";
import {
  type DetailsLinks,
  detailsLinks,
  detailsPage,
  link,
  listPage,
  readListQuery,
  uploadPage,
  type Viewer,
} from "./index-pages.ts";
import { NameSearch } from "./name-search.ts";
import { OPERATOR_PEERS_PAGE, operatorPage, swarmPage } from "./operator-pages.ts";
import { PAGE_STYLE, PAGE_STYLE_PATH } from "./page-style.ts";
import { credentialOf, type Publisher, secretMatches, uploadedFile } from "./publishing.ts";
import type { PublishResult } from "./torrent-index.ts";
import type { ViewCache } from "./view-cache.ts";
import { announceUrlFor, swarmView } from "./views.ts";

export interface PageRoutes {
  /** The answer for a page's path, or null when the path is not a page. */
  handle(req: HttpRequest, client: HttpClientInfo): HttpResponse | Promise<HttpResponse> | null;
  /** For a request with a body: null to read it, a refusal, or undefined when it is not a page's. */
  admit(req: HttpRequest, client: HttpClientInfo): HttpResponse | null | undefined;
}

export interface PageDeps {
  views: ViewCache;
  publisher: Publisher;
  /** The swarms busiest first (swarm-ranking.ts). */
  ranked(): readonly string[];
  /** What moves when anything a view shows may have changed. */
  stamp(): number;
}

const STYLE = Buffer.from(PAGE_STYLE, "utf8");

type Right = { askToken: boolean } | { status: number; message: string };

export function createPageRoutes(ctx: TrackerContext, deps: PageDeps): PageRoutes {
  const { views, publisher } = deps;
  const isPrivate = ctx.access !== undefined;
  const search = new NameSearch();

  /** Whether the request carries the operator's token (publish or admin token). */
  function operator(req: HttpRequest): boolean {
    const given = credentialOf(req.authorization);
    if (given === undefined) return false;
    const { publishToken, adminToken } = ctx.config;
    return (
      (publishToken !== undefined && secretMatches(given, publishToken)) ||
      (adminToken !== undefined && secretMatches(given, adminToken))
    );
  }

  function navOf(passkey: string, canPublish: boolean, isOperator: boolean): NavLink[] {
    const viewer: Viewer = { passkey, nav: [] };
    const nav: NavLink[] = [{ href: link(viewer, "/"), label: "Torrents" }];
    if (canPublish) nav.push({ href: link(viewer, "/upload"), label: "Upload" });
    if (isOperator) nav.push({ href: "/operator", label: "Operator" });
    if (isOperator && ctx.config.adminToken !== undefined) {
      nav.push({ href: "/admin", label: "Admin" });
    }
    return nav;
  }

  /** Who looks at an index page, or the page refusing them. */
  function viewerOf(req: HttpRequest): { viewer: Viewer; canPublish: boolean } | HttpResponse {
    if (!isPrivate) {
      return { viewer: { passkey: "", nav: navOf("", true, true) }, canPublish: true };
    }
    const admission = publisher.member(req);
    if (admission && "refused" in admission) {
      return messagePage(401, "Members only", `${admission.refused}.`, navOf("", false, false));
    }
    if (admission) {
      const { member } = admission;
      const nav = navOf(member.passkey, member.canPublish, false);
      return { viewer: { passkey: member.passkey, nav }, canPublish: member.canPublish };
    }
    if (operator(req))
      return { viewer: { passkey: "", nav: navOf("", true, true) }, canPublish: true };
    return messagePage(
      403,
      "Members only",
      "This tracker is private: open its pages with your passkey (?passkey=…), or as its operator with the publish token.",
      [{ href: "/", label: "Torrents" }],
    );
  }

  function cached(req: HttpRequest, render: () => Buffer): HttpResponse {
    const key = `page:${req.path}?${req.query}#${req.host}`;
    const view = views.get(key, deps.stamp(), performance.now(), () => ({ body: render() }));
    return htmlResponse(200, view.body);
  }

  function index(req: HttpRequest): HttpResponse {
    const who = viewerOf(req);
    if ("status" in who) return who;
    const q = readListQuery(req.query);
    return cached(req, () => listPage(ctx, who.viewer, q, search));
  }

  function memberAnnounce(req: HttpRequest, passkey: string): string | undefined {
    return passkey ? announceUrlFor(ctx.config, req.host, passkey) : undefined;
  }

  function details(req: HttpRequest, hex: string): HttpResponse {
    const who = viewerOf(req);
    if ("status" in who) return who;
    const hash = infoHashFromHex(hex);
    const key = hash?.toString("latin1");
    const entry = key === undefined ? undefined : ctx.index.get(key);
    if (!entry || key === undefined) {
      return messagePage(404, "Not found", `No torrent ${hex} here.`, who.viewer.nav);
    }
    const published = queryParam(req.query, "published");
    const notice =
      published === "new"
        ? "Published."
        : published === "old"
          ? "Already published: here it is."
          : "";
    return cached(req, () => {
      const links: DetailsLinks = detailsLinks(
        ctx,
        entry,
        req.host,
        who.viewer,
        memberAnnounce(req, who.viewer.passkey),
      );
      return detailsPage(ctx, who.viewer, entry, ctx.index.metainfo(key), links, notice);
    });
  }

  /** Who may publish through the form. */
  function uploadRight(req: HttpRequest): Right {
    if (isPrivate) {
      const admission = publisher.member(req);
      if (admission && "refused" in admission) return { status: 401, message: admission.refused };
      if (admission) {
        if (admission.member.canPublish) return { askToken: false };
        return {
          status: 403,
          message: `${admission.member.name} may not publish to this tracker.`,
        };
      }
      if (operator(req)) return { askToken: false };
      if (ctx.config.publishToken === undefined) {
        return { status: 403, message: "Publishing here needs a member's passkey (?passkey=…)." };
      }
      return { askToken: true };
    }
    return { askToken: !publisher.authorized(req) };
  }

  function uploadForm(req: HttpRequest, status: number, error?: string): HttpResponse {
    const who = viewerOf(req);
    const viewer: Viewer =
      "status" in who ? { passkey: "", nav: navOf("", false, false) } : who.viewer;
    const right = uploadRight(req);
    if ("status" in right) return messagePage(right.status, "Upload", right.message, viewer.nav);
    const form =
      error === undefined ? { askToken: right.askToken } : { askToken: right.askToken, error };
    return htmlResponse(status, uploadPage(viewer, form, ctx.config.maxBodyBytes));
  }

  function throttled(req: HttpRequest, client: HttpClientInfo): HttpResponse | null {
    const waitMs = publisher.waitMs(client);
    if (waitMs <= 0) return null;
    ctx.metrics.errors.throttled++;
    const res = uploadForm(
      req,
      429,
      "Too many wrong publish tokens from this address: try again in a minute.",
    );
    return { ...res, headers: `Retry-After: ${Math.ceil(waitMs / 1000)}\r\n` };
  }

  /** The form is read and sent to, nothing else (RFC 9110 §15.5.6: Allow lists what is). */
  function uploadMethods(): HttpResponse {
    return methodNotAllowed("GET, HEAD, POST");
  }

  function admit(req: HttpRequest, client: HttpClientInfo): HttpResponse | null | undefined {
    if (req.path !== "/upload") return undefined;
    if (req.method !== "POST") {
      // A PUT with a body is answered on its head: 405, not 413 for the body.
      return req.method === "GET" || req.method === "HEAD" ? undefined : uploadMethods();
    }
    const right = uploadRight(req);
    if ("status" in right) return uploadForm(req, right.status);
    return right.askToken ? throttled(req, client) : null;
  }

  function upload(req: HttpRequest, client: HttpClientInfo): HttpResponse | Promise<HttpResponse> {
    const right = uploadRight(req);
    if ("status" in right) return uploadForm(req, right.status);
    const file = uploadedFile(req);
    if (right.askToken) {
      const refusal = throttled(req, client);
      if (refusal) return refusal;
      const field = "error" in file ? undefined : file.fields.find((f) => f.name === "token");
      if (!publisher.tokenMatches(field?.data.toString("utf8"))) {
        publisher.failed(client);
        return uploadForm(req, 401, "Wrong publish token: nothing was published.");
      }
    }
    if ("error" in file) {
      ctx.metrics.errors.bad_upload++;
      return uploadForm(req, 400, `${file.error}.`);
    }
    const failed = (err: unknown): HttpResponse => {
      if (err instanceof StoreUnavailableError) return uploadForm(req, 503, err.message);
      if (!(err instanceof MetainfoError)) throw err;
      ctx.metrics.errors.bad_upload++;
      return uploadForm(req, 422, `Not a usable torrent: ${err.message}`);
    };
    const done = (result: PublishResult): HttpResponse => {
      const viewer: Viewer = { passkey: passkeyOf(req), nav: [] };
      const to = link(viewer, `/details/${result.entry.infoHashHex}`, {
        published: result.created ? "new" : "old",
      });
      return {
        ...htmlResponse(303, renderPage({ title: "Published", nav: [], main: "" })),
        headers: `Location: ${to}\r\n`,
      };
    };
    try {
      const result = publisher.publish(file.bytes);
      return result instanceof Promise ? result.then(done, failed) : done(result);
    } catch (err) {
      return failed(err);
    }
  }

  function passkeyOf(req: HttpRequest): string {
    const admission = publisher.member(req);
    return admission && "member" in admission ? admission.member.passkey : "";
  }

  function operatorView(req: HttpRequest, path: string): HttpResponse {
    if (isPrivate && !operator(req)) {
      return messagePage(
        401,
        "Operator",
        "The operator's view needs the tracker's token (as the password; any user name).",
        [{ href: "/", label: "Torrents" }],
        'WWW-Authenticate: Basic realm="shoal tracker operator", charset="UTF-8"\r\n',
      );
    }
    const nav = navOf("", true, true);
    if (path === "/operator") {
      const page = Number(queryParam(req.query, "page") ?? "1");
      const at = Number.isSafeInteger(page) && page >= 1 ? page : 1;
      const scheme = ctx.config.tlsCert ? "https" : "http";
      const announceUrl = `${scheme}://${req.host || "<host>"}/announce`;
      return cached(req, () => operatorPage(ctx, nav, deps.ranked(), at, announceUrl));
    }
    const hash = infoHashFromHex(path.slice("/operator/swarms/".length));
    const key = hash?.toString("latin1");
    if (key === undefined || (!ctx.store.counts(key) && !ctx.index.has(key))) {
      return messagePage(404, "Not found", "No such swarm here.", nav);
    }
    const asked = Math.floor(Number(queryParam(req.query, "offset") ?? "0"));
    const offset = Number.isSafeInteger(asked) ? Math.min(Math.max(0, asked), 1e9) : 0;
    return cached(req, () => {
      // One more than a page: whether there is a next one.
      const swarm = swarmView(ctx, key, OPERATOR_PEERS_PAGE + 1, offset);
      const more = swarm.peers.length > OPERATOR_PEERS_PAGE;
      swarm.peers.length = Math.min(swarm.peers.length, OPERATOR_PEERS_PAGE);
      return swarmPage(nav, swarm, offset, more);
    });
  }

  function handle(
    req: HttpRequest,
    client: HttpClientInfo,
  ): HttpResponse | Promise<HttpResponse> | null {
    const path = req.path;
    const isGet = req.method === "GET" || req.method === "HEAD";
    if (path === "/upload" && req.method === "POST") return upload(req, client);
    if (path === "/upload" && !isGet) return uploadMethods();
    if (!isGet) return null;
    if (path === "/") return index(req);
    if (path === PAGE_STYLE_PATH) {
      return {
        status: 200,
        contentType: "text/css; charset=utf-8",
        body: STYLE,
        headers: "Cache-Control: max-age=3600\r\n",
      };
    }
    if (path.startsWith("/details/")) return details(req, path.slice("/details/".length));
    if (path === "/upload") return uploadForm(req, 200);
    if (path === "/operator" || path.startsWith("/operator/swarms/"))
      return operatorView(req, path);
    return null;
  }

  return { handle, admit };
}
