/**
 * A private tracker's admin API (issue 18), under /admin/api, and the
 * operator's pages of members and ratios at /admin: every request carries
 * the admin token (`--admin-token`) as `Authorization: Bearer <token>` (or,
 * from a browser's prompt, Basic with the token as the password), compared
 * in constant time; an address that guessed wrong too often is refused
 * before its token is compared. config.ts refuses the token on a plain-HTTP
 * listener beyond loopback unless allowed.
 *
 *   GET  /admin/api/members                        every member with totals and ratio
 *   POST /admin/api/members  {"name", "canPublish"?}  a new member (201, with its passkey)
 *   GET  /admin/api/members/<name>                 one member, with its traffic per torrent
 *   POST /admin/api/members/<name>/<action>        disable, enable, rotate-passkey,
 *                                                  grant-publish, revoke-publish
 *   GET  /admin/api/torrents                       every member's traffic summed per torrent
 *
 * A refused request changes nothing.
 */

import { adminMemberPage, adminMembersPage } from "./admin-pages.ts";
import type { TrackerContext } from "./context.ts";
import { TrackerError } from "./errors.ts";
import { GuessThrottle } from "./guess-throttle.ts";
import type { HttpRequest } from "./http-request.ts";
import { json, methodNotAllowed } from "./http-responses.ts";
import type { HttpClientInfo, HttpResponse } from "./http-server.ts";
import type { Member, MemberDirectory, MemberTorrentTraffic } from "./members.ts";
import { credentialOf, secretMatches } from "./publishing.ts";

/** The largest request body the admin API reads (its bodies are small JSON objects). */
export const MAX_ADMIN_BODY = 4096;
/** Torrents listed per member, and in the totals. */
export const ADMIN_TORRENTS = 1000;
/** Wrong admin tokens allowed per address (IPv6: per /64) in a window. */
export const ADMIN_GUESSES = 5;
export const ADMIN_GUESS_WINDOW_MS = 60_000;

const ACTIONS = ["disable", "enable", "rotate-passkey", "grant-publish", "revoke-publish"];

export interface AdminRoutes {
  /** The answer for /admin paths, or null for other paths. */
  handle(req: HttpRequest, client: HttpClientInfo): HttpResponse | null;
  /** For a request with a body: null to read it, a refusal, or undefined when not an admin path. */
  admit(req: HttpRequest, client: HttpClientInfo): HttpResponse | null | undefined;
}

/** A member as the API shows it. */
export function memberJson(m: Member) {
  return {
    name: m.name,
    passkey: m.passkey,
    disabled: m.disabled,
    canPublish: m.canPublish,
    created: new Date(m.created).toISOString(),
    uploaded: m.uploaded,
    downloaded: m.downloaded,
    ratio: ratio(m.uploaded, m.downloaded),
  };
}

/** Uploaded over downloaded; null when nothing was downloaded (JSON has no infinity). */
function ratio(uploaded: number, downloaded: number): number | null {
  return downloaded === 0 ? null : Math.round((uploaded / downloaded) * 1000) / 1000;
}

function isAdminPath(path: string): boolean {
  return path === "/admin" || path.startsWith("/admin/");
}

export function createAdminRoutes(ctx: TrackerContext): AdminRoutes {
  const token = ctx.config.adminToken;
  const members: MemberDirectory | undefined = ctx.access?.members;
  const guesses = new GuessThrottle({
    maxFailures: ADMIN_GUESSES,
    windowMs: ADMIN_GUESS_WINDOW_MS,
    maxAddresses: 10_000,
  });

  function torrentJson(t: MemberTorrentTraffic) {
    const key = t.infoHash.toString("latin1");
    return {
      infoHash: t.infoHash.toString("hex"),
      name: ctx.index.get(key)?.name ?? null,
      uploaded: t.uploaded,
      downloaded: t.downloaded,
      ratio: ratio(t.uploaded, t.downloaded),
    };
  }

  /** Null when the request carries the admin token; else the refusal (JSON or a page's). */
  function refusal(req: HttpRequest, client: HttpClientInfo): HttpResponse | null {
    const page = !req.path.startsWith("/admin/api/");
    const who = GuessThrottle.keyOf(client.family, client.ip);
    const waitMs = guesses.waitMs(who, ctx.now());
    if (waitMs > 0) {
      ctx.metrics.errors.throttled++;
      return {
        ...json(429, { error: "too many wrong admin tokens from this address: try again later" }),
        headers: `Retry-After: ${Math.ceil(waitMs / 1000)}\r\n`,
      };
    }
    const given = credentialOf(req.authorization);
    if (given !== undefined && token !== undefined && secretMatches(given, token)) return null;
    if (given !== undefined) guesses.failed(who, ctx.now());
    ctx.metrics.errors.unauthorized++;
    return {
      ...json(401, { error: "the admin API needs 'Authorization: Bearer <admin token>'" }),
      // A browser asks its user for the token (as a password) only when told Basic.
      headers: page
        ? 'WWW-Authenticate: Basic realm="shoal tracker admin", charset="UTF-8"\r\n'
        : 'WWW-Authenticate: Bearer realm="shoal tracker admin"\r\n',
    };
  }

  function admit(req: HttpRequest, client: HttpClientInfo): HttpResponse | null | undefined {
    if (!isAdminPath(req.path) || !members) return undefined;
    const refused = refusal(req, client);
    if (refused) return refused;
    if (req.contentLength > MAX_ADMIN_BODY) {
      ctx.metrics.errors.http_too_large++;
      return json(413, { error: `admin requests take at most ${MAX_ADMIN_BODY} bytes of JSON` });
    }
    return null;
  }

  function addMember(dir: MemberDirectory, req: HttpRequest): HttpResponse {
    const body = bodyObject(req);
    if ("refusal" in body) return body.refusal;
    const fields = body.value;
    const unknown = Object.keys(fields).find((k) => k !== "name" && k !== "canPublish");
    if (unknown !== undefined) return json(400, { error: `unknown field '${unknown}'` });
    if (typeof fields.name !== "string") {
      return json(400, { error: "'name' is required: the new member's name" });
    }
    if (fields.canPublish !== undefined && typeof fields.canPublish !== "boolean") {
      return json(400, { error: "'canPublish' must be true or false" });
    }
    if (dir.find(fields.name)) return json(409, { error: `${fields.name} is already a member` });
    try {
      const m = dir.add(fields.name, { canPublish: fields.canPublish === true });
      ctx.logger.info("member added", { name: m.name, by: "admin api" });
      return json(201, memberJson(m));
    } catch (err) {
      if (err instanceof TrackerError) return json(400, { error: err.message });
      throw err;
    }
  }

  function act(dir: MemberDirectory, name: string, action: string): HttpResponse {
    if (!ACTIONS.includes(action)) {
      return json(404, { error: `no action '${action}': one of ${ACTIONS.join(", ")}` });
    }
    if (!dir.find(name)) return json(404, { error: `${name} is not a member` });
    const m =
      action === "disable" || action === "enable"
        ? dir.setDisabled(name, action === "disable")
        : action === "rotate-passkey"
          ? dir.rotatePasskey(name)
          : dir.setCanPublish(name, action === "grant-publish");
    ctx.logger.info("member changed", { name, action, by: "admin api" });
    return json(200, memberJson(m));
  }

  function api(dir: MemberDirectory, req: HttpRequest, rest: string[]): HttpResponse {
    const isGet = req.method === "GET" || req.method === "HEAD";
    if (rest.length === 1 && rest[0] === "members") {
      if (isGet) return json(200, { members: dir.list().map(memberJson) });
      return req.method === "POST" ? addMember(dir, req) : methodNotAllowed("GET, HEAD, POST");
    }
    if (rest.length === 1 && rest[0] === "torrents") {
      if (!isGet) return methodNotAllowed("GET, HEAD");
      return json(200, {
        torrents: dir.torrentTotals(ADMIN_TORRENTS).map((t) => ({
          ...torrentJson(t),
          members: t.members,
        })),
      });
    }
    if (rest[0] === "members" && (rest.length === 2 || rest.length === 3)) {
      const name = decodeName(rest[1]!);
      if (name === undefined) return json(404, { error: "not a member name" });
      if (rest.length === 3) {
        return req.method === "POST" ? act(dir, name, rest[2]!) : methodNotAllowed("POST");
      }
      if (!isGet) return methodNotAllowed("GET, HEAD");
      const m = dir.find(name);
      if (!m) return json(404, { error: `${name} is not a member` });
      return json(200, {
        ...memberJson(m),
        torrents: dir.torrentsOf(m.id, ADMIN_TORRENTS).map(torrentJson),
      });
    }
    return json(404, { error: `no admin route ${req.path}` });
  }

  function page(dir: MemberDirectory, req: HttpRequest): HttpResponse {
    if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed("GET, HEAD");
    if (req.path === "/admin") return adminMembersPage(dir.list());
    const name = req.path.startsWith("/admin/members/")
      ? decodeName(req.path.slice("/admin/members/".length))
      : undefined;
    const m = name === undefined ? undefined : dir.find(name);
    if (!m) return adminMembersPage(dir.list(), 404, "No such member.");
    return adminMemberPage(m, dir.torrentsOf(m.id, ADMIN_TORRENTS).map(torrentJson));
  }

  function handle(req: HttpRequest, client: HttpClientInfo): HttpResponse | null {
    if (!isAdminPath(req.path)) return null;
    if (!members || token === undefined) {
      return json(404, {
        error: "no admin API here: a private tracker with --admin-token has one",
      });
    }
    // A request with a body was admitted (token checked) on its head.
    const refused = req.body.length === 0 ? refusal(req, client) : null;
    if (refused) return refused;
    if (req.path.startsWith("/admin/api/")) {
      return api(members, req, req.path.slice("/admin/api/".length).split("/"));
    }
    return page(members, req);
  }

  return { handle, admit };
}

/** The JSON object of a request's body, or the 400 saying what is wrong with it. */
function bodyObject(
  req: HttpRequest,
): { value: Record<string, unknown> } | { refusal: HttpResponse } {
  let value: unknown;
  try {
    value = JSON.parse(req.body.toString("utf8"));
  } catch {
    return { refusal: json(400, { error: 'the body is not JSON: send {"name": "…"}' }) };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { refusal: json(400, { error: "the body must be one JSON object" }) };
  }
  return { value: value as Record<string, unknown> };
}

/** A member's name from a path segment (percent-encoded), or undefined. */
function decodeName(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
