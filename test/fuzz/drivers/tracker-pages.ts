/**
 * Drivers for the tracker's newer entry points (issue 17's pages, issue 18's
 * private mode): the Authorization header (Bearer, HTTP Basic) read for the
 * admin API, the operator's pages and publishing; the passkey of an announce
 * path or query; the browsable index's query (search, sort, order, page)
 * down to the rendered page; and, on the client's side, the index's JSON
 * replies that `shoal list`/`publish` and the daemon read.
 */
import { encode } from "../../../src/bencode/index.ts";
import { readIndexPage, readPublishReply } from "../../../src/tracker-client/index-listing.ts";
// The tracker's own parsers are not part of its module's public face: the
// fuzzer reaches into the files, as the routes do.
import type { TrackerContext } from "../../../src/tracker-server/context.ts";
import {
  INDEX_PAGE_SIZE,
  listPage,
  listTorrents,
  MAX_SEARCH_LENGTH,
  readListQuery,
  SORT_KEYS,
} from "../../../src/tracker-server/index-pages.ts";
import { isPasskey } from "../../../src/tracker-server/members.ts";
import { NameSearch } from "../../../src/tracker-server/name-search.ts";
import { passkeyFromPath, passkeyFromQuery } from "../../../src/tracker-server/private-access.ts";
import { credentialOf } from "../../../src/tracker-server/publishing.ts";
import { TorrentIndex } from "../../../src/tracker-server/torrent-index.ts";
import type { Driver } from "../driver.ts";
import { outcome } from "./outcome.ts";

const PASSKEY = "0123456789abcdef0123456789abcdef";

function basic(userPass: string): string {
  return `Basic ${Buffer.from(userPass, "utf8").toString("base64")}`;
}

/**
 * One Authorization header (latin1, as the head parser hands it on), read
 * by credentialOf; the same bytes as an announce path and query for the
 * passkey. Beside the direct read, two round trips that must hold: a Basic
 * header made from the input as its password gives the password back, and a
 * Bearer header the token.
 */
export const trackerCredentialsDriver: Driver = {
  name: "tracker-credentials",
  seeds: () =>
    [
      "Bearer s3cret",
      "bearer   spaced token ",
      basic("admin:s3cret"),
      basic(":only-a-password"),
      basic("user:pa:ss:wörd"),
      "Basic !!notbase64",
      "Basic dXNlcg==",
      "Digest username=x",
      `/announce/${PASSKEY}`,
      `info_hash=x&passkey=${PASSKEY}&port=1`,
    ].map((s) => Buffer.from(s, "latin1")),
  // A request head is at most --max-header-bytes (8 KiB by default).
  maxLength: 8192,
  run(input) {
    const header = input.toString("latin1");
    const given = credentialOf(header);
    if (given !== undefined && given.length > input.length * 3) {
      throw new Error("a credential longer than its header could hold");
    }
    const text = input.toString("utf8");
    if (!text.includes("\ufffd")) {
      const password = credentialOf(basic(`user:${text}`));
      if (Buffer.byteLength(basic(`user:${text}`)) <= 6 + 1024 && password !== text) {
        throw new Error(`Basic's password does not read back: ${JSON.stringify(password)}`);
      }
    }
    const token = header.trim();
    if (token && !/[\r\n\u2028\u2029]/.test(token)) {
      const back = credentialOf(`Bearer ${token}`);
      if (back !== token) throw new Error(`a Bearer token does not read back: ${back}`);
    }
    // A passkey is read as sent, percent-decoded and in lower case (RFC 3986 §2.1), or is
    // "" when it cannot be one: whatever is read is what the path's end or a passkey= says.
    const asSent = (raw: string) => {
      try {
        return decodeURIComponent(raw).toLowerCase();
      } catch {
        return undefined;
      }
    };
    const inPath = passkeyFromPath(header, "/announce");
    if (inPath && inPath !== asSent(header.slice("/announce/".length))) {
      throw new Error("a passkey that is not the path's end");
    }
    const inQuery = passkeyFromQuery(header);
    const sentInQuery = header
      .split("&")
      .filter((part) => part.startsWith("passkey="))
      .map((part) => asSent(part.slice("passkey=".length)));
    if (inQuery && !sentInQuery.includes(inQuery)) {
      throw new Error("a passkey that is not in the query");
    }
    const key = isPasskey(inPath || inQuery) ? "passkey" : "no passkey";
    return `${given === undefined ? "none" : given === "" ? "empty" : "credential"} ${key}`;
  },
};

/** A small index for the list pages: names with words, markup and non-ASCII text. */
function pagesContext(): TrackerContext {
  let clock = 1_700_000_000_000;
  const index = new TorrentIndex(undefined, () => (clock += 60_000));
  const names = [
    "Ubuntu 24.04 desktop",
    "holiday photos",
    "<img src=x onerror=alert(1)>&'\"",
    "Ωmega — notes",
    "a b c",
  ];
  for (let i = 0; i < 12; i++) {
    const info = {
      length: 1000 * (i + 1),
      name: `${names[i % names.length]} ${i}`,
      "piece length": 16384,
      pieces: Buffer.alloc(20, i),
    };
    index.publish(encode({ info } as never));
  }
  const counts = (key: string) => {
    const n = key.charCodeAt(0);
    return { seeders: n % 7, leechers: n % 5, completed: n % 11 };
  };
  return {
    index,
    store: { counts },
    completedOf: () => 0,
  } as unknown as TrackerContext;
}

let pages: { ctx: TrackerContext; search: NameSearch } | undefined;
/** Inputs without markup in their search whose page is rendered: one in this many. */
const RENDER_EVERY = 8;
const VIEWER = { passkey: "", nav: [{ href: "/", label: "Torrents" }] };
/**
 * A search that would open a tag (`<fz`) or an attribute (`"fz=`) if it
 * reached the page as is: "fz" is in none of the page's own markup, so its
 * being there raw is the search's doing.
 */
const MARKUP = /<fz|["'] *fz *=/i;

/**
 * The index page's query string, as anyone may send it to /, through to the
 * rendered page: the query reads within its limits, the page shows at most
 * a page of rows, and nothing of the search becomes markup.
 */
export const indexQueryDriver: Driver = {
  name: "index-query",
  seeds: () =>
    [
      "q=holiday&sort=size&order=asc&page=1",
      "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&sort=name",
      "q=%3Cfz%20onload%3D1%3E%22%20fz%3D2&sort=name",
      "sort=seeders&order=desc&page=2",
      "q=ab12&page=99999999999999999999",
      "q=%E0%A4%A&sort=added&x=1&q=second",
      "q=+++omega+++&sort=completed&order=asc&page=-3",
      "page=1e3&sort=leechers",
    ].map((s) => Buffer.from(s, "latin1")),
  maxLength: 4096,
  run(input) {
    pages ??= { ctx: pagesContext(), search: new NameSearch() };
    const q = readListQuery(input.toString("latin1"));
    if (q.search.length > MAX_SEARCH_LENGTH || q.search !== q.search.trim()) {
      throw new Error(`a search past its limit or untrimmed: ${q.search.length}`);
    }
    if (!Number.isSafeInteger(q.page) || q.page < 1) throw new Error(`page ${q.page}`);
    if (!SORT_KEYS.includes(q.sort)) throw new Error(`sort ${q.sort}`);
    const listed = listTorrents(pages.ctx, q, pages.search);
    if (listed.rows.length > INDEX_PAGE_SIZE || listed.pages < 1) {
      throw new Error(`${listed.rows.length} rows, ${listed.pages} pages`);
    }
    // Rendering is most of an execution's cost and reads nothing new unless
    // the search could be markup: the page for those, and for one input in
    // RENDER_EVERY of the others (a query that breaks the rendering still shows).
    const probe = MARKUP.exec(q.search)?.[0];
    if (probe !== undefined || input.length % RENDER_EVERY === 0) {
      const html = listPage(pages.ctx, VIEWER, q, pages.search).toString("utf8");
      if (probe !== undefined && html.includes(probe)) {
        throw new Error("the search is in the page unescaped");
      }
    }
    return `${q.sort} ${listed.rows.length === 0 ? "none" : listed.rows.length === 1 ? "one" : "many"} ${q.page > 1 ? "later" : "first"}`;
  },
};

const LISTING = {
  infoHash: "ab".repeat(20),
  name: "x",
  size: 40_000,
  files: 1,
  seeders: 2,
  leechers: 3,
  completed: 4,
  added: "2026-01-01T00:00:00.000Z",
  magnet: "magnet:?xt=urn:btih:abababababababababababababababababababab",
};

/**
 * What a shoal tracker's index answers our client (JSON text): a page of
 * GET /torrents, then the same as a publish reply. Read, each field has its
 * type, or the reply is refused.
 */
export const indexReplyDriver: Driver = {
  name: "index-reply",
  seeds: () =>
    [
      [LISTING, { ...LISTING, infoHash: "CD".repeat(20), name: "ü" }],
      [],
      { ...LISTING, created: true },
      [{ infoHash: "ab".repeat(20), name: "y", seeders: -1 }],
      { error: "unknown passkey" },
    ].map((v) => Buffer.from(JSON.stringify(v), "utf8")),
  maxLength: 16384,
  run(input) {
    let body: unknown;
    try {
      body = JSON.parse(input.toString("utf8"));
    } catch {
      return "not json";
    }
    let rows = 0;
    const page = outcome(() => {
      for (const t of readIndexPage(body)) {
        rows++;
        if (typeof t.name !== "string" || !/^[0-9a-f]{40}$/.test(t.infoHash)) {
          throw new Error("a listing read with a wrong field");
        }
      }
    });
    const reply = outcome(() => {
      const r = readPublishReply(body);
      if (typeof r.magnet !== "string" || typeof r.created !== "boolean") {
        throw new Error("a publish reply read with a wrong field");
      }
    });
    // A body is one or the other: refused only when neither reader takes it.
    if (page === "ok") return `page of ${Math.min(rows, 2)}`;
    return reply === "ok" ? "publish reply" : `${page}/${reply}`;
  },
};
