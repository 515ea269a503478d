/**
 * The torrent index as pages for people (issue 17): the list with search,
 * sort and paging, one torrent's details (files, seeders/leechers/completed,
 * its .torrent and magnet links) and the upload form. Rendering only: who
 * may see or publish is decided in page-routes.ts.
 */
import { formatMagnet, type Metainfo } from "../metainfo/index.ts";
import type { InfoHash } from "../util/index.ts";
import { formatBytes } from "../util/index.ts";
import type { TrackerContext } from "./context.ts";
import { escapeHtml as e, type NavLink, queryParam, renderPage } from "./html-page.ts";
import type { NameSearch } from "./name-search.ts";
import type { TorrentEntry } from "./torrent-index.ts";
import { torrentView } from "./views.ts";

/** Torrents per page of the list. */
export const INDEX_PAGE_SIZE = 50;
/** Longest search accepted (longer is cut): a search is a scan of the names. */
export const MAX_SEARCH_LENGTH = 200;
/** Rows sorted for one list page at most (the newest matches); more would cost announces time. */
export const MAX_SORTED = 10_000;
/** Files listed on a details page; the rest are counted. */
export const MAX_FILES_SHOWN = 1000;

export const SORT_KEYS = ["name", "size", "seeders", "leechers", "completed", "added"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ListQuery {
  search: string;
  sort: SortKey;
  descending: boolean;
  /** 1-based. */
  page: number;
}

/**
 * The list's query string (`q`, `sort`, `order`, `page`), as anyone may send
 * it: what is not understood falls back to the default (newest first, page
 * 1), and the search is cut to MAX_SEARCH_LENGTH.
 */
export function readListQuery(query: string): ListQuery {
  const sort = queryParam(query, "sort");
  const page = Number(queryParam(query, "page") ?? "1");
  return {
    // Trimmed again once cut: the cut may end in spaces.
    search: (queryParam(query, "q") ?? "").trim().slice(0, MAX_SEARCH_LENGTH).trimEnd(),
    sort: SORT_KEYS.includes(sort as SortKey) ? (sort as SortKey) : "added",
    descending: queryParam(query, "order") !== "asc",
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

/** Who is looking, for the links a page carries. */
export interface Viewer {
  /** A private tracker's member: every link carries the passkey. */
  passkey: string;
  nav: readonly NavLink[];
}

interface Row {
  entry: TorrentEntry;
  seeders: number;
  leechers: number;
  completed: number;
}

/** `path` with the viewer's passkey (and `more`) in its query. */
export function link(viewer: Viewer, path: string, more: Record<string, string> = {}): string {
  const params = new URLSearchParams(more);
  if (viewer.passkey) params.set("passkey", viewer.passkey);
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

function rowOf(ctx: TrackerContext, entry: TorrentEntry): Row {
  const counts = ctx.store.counts(entry.key);
  return {
    entry,
    seeders: counts?.seeders ?? 0,
    leechers: counts?.leechers ?? 0,
    completed: counts?.completed ?? ctx.completedOf(entry.key),
  };
}

function compare(a: Row, b: Row, key: SortKey): number {
  switch (key) {
    case "name":
      return a.entry.name.localeCompare(b.entry.name);
    case "size":
      return a.entry.size - b.entry.size;
    case "added":
      return a.entry.added - b.entry.added;
    default:
      return a[key] - b[key];
  }
}

/** The torrents a list page shows, how many matched the search, and whether the sort saw them all. */
export function listTorrents(
  ctx: TrackerContext,
  q: ListQuery,
  search: NameSearch,
): { rows: Row[]; matched: number; pages: number; capped: boolean } {
  const words = q.search.toLowerCase().split(/\s+/).filter(Boolean);
  const index = ctx.index;
  if (words.length === 0 && q.sort === "added") {
    // The index is in publishing order already: a page of it, without a scan or a sort.
    const total = index.size;
    const pages = Math.max(1, Math.ceil(total / INDEX_PAGE_SIZE));
    const start = (Math.min(q.page, pages) - 1) * INDEX_PAGE_SIZE;
    const count = Math.min(INDEX_PAGE_SIZE, total - start);
    const entries = q.descending
      ? index.page(Math.max(0, total - start - count), count).reverse()
      : index.page(start, count);
    return { rows: entries.map((e) => rowOf(ctx, e)), matched: total, pages, capped: false };
  }
  const found = search.find(index, words);
  // Sorting reads every row's counts: at most MAX_SORTED rows (the newest), so no query
  // costs the tracker more than that, whatever the size of the index.
  const capped = found.length > MAX_SORTED;
  const rows = (capped ? found.slice(-MAX_SORTED) : found).map((entry) => rowOf(ctx, entry));
  const sign = q.descending ? -1 : 1;
  rows.sort((a, b) => sign * compare(a, b, q.sort) || a.entry.name.localeCompare(b.entry.name));
  const pages = Math.max(1, Math.ceil(rows.length / INDEX_PAGE_SIZE));
  const page = Math.min(q.page, pages);
  const start = (page - 1) * INDEX_PAGE_SIZE;
  const shown = rows.slice(start, start + INDEX_PAGE_SIZE);
  return { rows: shown, matched: found.length, pages, capped };
}

function sortHeader(viewer: Viewer, q: ListQuery, key: SortKey, label: string, cls = "") {
  const active = q.sort === key;
  // A second click on the sorted column turns the order round.
  const descending = active ? !q.descending : key !== "name";
  const params: Record<string, string> = { sort: key, order: descending ? "desc" : "asc" };
  if (q.search) params.q = q.search;
  const aria = active ? ` aria-sort="${q.descending ? "descending" : "ascending"}"` : "";
  const attr = cls ? ` class="${cls}"` : "";
  const arrow = active ? (q.descending ? " ↓" : " ↑") : "";
  return `<th scope="col"${aria}${attr}><a href="${e(link(viewer, "/", params))}">${e(label)}${arrow}</a></th>`;
}

export function listPage(
  ctx: TrackerContext,
  viewer: Viewer,
  q: ListQuery,
  search: NameSearch,
): Buffer {
  const { rows, matched, pages, capped } = listTorrents(ctx, q, search);
  const page = Math.min(q.page, pages);
  const body = rows
    .map((r) => {
      const t = r.entry;
      const details = link(viewer, `/details/${t.infoHashHex}`);
      return `<tr data-info-hash="${t.infoHashHex}"><td class="name"><a href="${e(details)}">${e(t.name)}</a></td><td class="num">${e(formatBytes(t.size))}</td><td class="num wide">${t.files}</td><td class="num">${r.seeders}</td><td class="num">${r.leechers}</td><td class="num wide">${r.completed}</td><td class="wide">${e(new Date(t.added).toISOString().slice(0, 10))}</td></tr>`;
    })
    .join("\n");
  const keep: Record<string, string> = { sort: q.sort, order: q.descending ? "desc" : "asc" };
  if (q.search) keep.q = q.search;
  const pager: string[] = [];
  if (page > 1) {
    pager.push(
      `<a rel="prev" href="${e(link(viewer, "/", { ...keep, page: String(page - 1) }))}">Previous</a>`,
    );
  }
  pager.push(`<span class="count">Page ${page} of ${pages}</span>`);
  if (page < pages) {
    pager.push(
      `<a rel="next" href="${e(link(viewer, "/", { ...keep, page: String(page + 1) }))}">Next</a>`,
    );
  }
  const total = ctx.index.size;
  const count = q.search
    ? `${matched} of ${total} torrents match “${e(q.search)}”`
    : `${total} torrent${total === 1 ? "" : "s"}`;
  const hidden = viewer.passkey
    ? `<input type="hidden" name="passkey" value="${e(viewer.passkey)}">`
    : "";
  const table =
    rows.length === 0
      ? `<p class="empty">${q.search ? "No torrent matches this search." : "Nothing published yet."}</p>`
      : `<div class="table-wrap"><table><caption class="visually-hidden">Published torrents, sorted by ${e(q.sort)}</caption>
<thead><tr>${sortHeader(viewer, q, "name", "Name")}${sortHeader(viewer, q, "size", "Size", "num")}<th scope="col" class="num wide">Files</th>${sortHeader(viewer, q, "seeders", "Seeders", "num")}${sortHeader(viewer, q, "leechers", "Leechers", "num")}${sortHeader(viewer, q, "completed", "Completed", "num wide")}${sortHeader(viewer, q, "added", "Added", "wide")}</tr></thead>
<tbody>${body}</tbody></table></div>`;
  const main = `<h2>Torrents</h2>
<form class="tools" role="search" method="get" action="/">
<label for="q" class="visually-hidden">Search torrents</label>
<input type="search" id="q" name="q" value="${e(q.search)}" placeholder="Search names or info hashes" maxlength="${MAX_SEARCH_LENGTH}">
<input type="hidden" name="sort" value="${e(q.sort)}"><input type="hidden" name="order" value="${q.descending ? "desc" : "asc"}">${hidden}
<button type="submit">Search</button>
<span class="count" role="status">${count}</span>
</form>
${table}${capped ? `\n<p class="muted">Sorted among the newest ${MAX_SORTED} of ${matched} matches: narrow the search to reach the others.</p>` : ""}
<nav class="pager" aria-label="Pages">${pager.join(" ")}</nav>`;
  return renderPage({ title: "Torrents", nav: viewer.nav, current: link(viewer, "/"), main });
}

export interface DetailsLinks {
  torrentUrl: string;
  magnet: string;
}

/** The .torrent and magnet links of a torrent: a member's carry their own announce URL. */
export function detailsLinks(
  ctx: TrackerContext,
  entry: TorrentEntry,
  host: string,
  viewer: Viewer,
  memberAnnounce: string | undefined,
): DetailsLinks {
  const view = torrentView(ctx, entry, host);
  if (memberAnnounce === undefined) return { torrentUrl: view.torrentUrl, magnet: view.magnet };
  return {
    torrentUrl: link(viewer, view.torrentUrl),
    magnet: formatMagnet({
      infoHash: entry.infoHash as InfoHash,
      displayName: entry.name,
      trackers: [memberAnnounce],
      exactLength: entry.size,
      webSeeds: [],
      peers: [],
    }),
  };
}

export function detailsPage(
  ctx: TrackerContext,
  viewer: Viewer,
  entry: TorrentEntry,
  meta: Metainfo | undefined,
  links: DetailsLinks,
  notice: string,
): Buffer {
  const r = rowOf(ctx, entry);
  const files = (meta?.files ?? []).filter((f) => !f.pad);
  const shown = files.slice(0, MAX_FILES_SHOWN);
  const fileRows = shown
    .map(
      (f) =>
        `<tr><td class="name">${e(f.path.join("/"))}</td><td class="num">${e(formatBytes(f.length))}</td></tr>`,
    )
    .join("\n");
  const more =
    files.length > shown.length
      ? `<p class="muted">and ${files.length - shown.length} more files</p>`
      : "";
  const facts: [string, string][] = [
    ["Info hash", `<code>${entry.infoHashHex}</code>`],
    ["Size", e(`${formatBytes(entry.size)} (${entry.size} bytes)`)],
    ["Seeders", String(r.seeders)],
    ["Leechers", String(r.leechers)],
    ["Completed", String(r.completed)],
    ["Pieces", e(`${entry.pieces} × ${formatBytes(entry.pieceLength)}`)],
    ["Added", e(new Date(entry.added).toISOString().replace("T", " ").slice(0, 16))],
    ["Private", entry.private ? "yes" : "no"],
  ];
  if (meta?.comment) facts.push(["Comment", e(meta.comment)]);
  if (meta?.createdBy) facts.push(["Created by", e(meta.createdBy)]);
  const main = `${notice ? `<p class="notice" role="status">${e(notice)}</p>\n` : ""}<h2>${e(entry.name)}</h2>
<p class="links"><a href="${e(links.torrentUrl)}" download>Download .torrent</a> <a href="${e(links.magnet)}">Magnet link</a></p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
<h3 id="files">Files (${files.length})</h3>
<div class="table-wrap"><table aria-labelledby="files"><thead><tr><th scope="col">Path</th><th scope="col" class="num">Size</th></tr></thead>
<tbody>${fileRows}</tbody></table></div>${more}`;
  return renderPage({ title: entry.name, nav: viewer.nav, main });
}

export interface UploadForm {
  /** The form asks for the publish token (not a member with the right). */
  askToken: boolean;
  error?: string;
}

export function uploadPage(viewer: Viewer, form: UploadForm, maxBodyBytes: number): Buffer {
  const error = form.error
    ? `<p class="notice error" role="alert" id="upload-error">${e(form.error)}</p>\n`
    : "";
  const token = form.askToken
    ? `<label>Publish token <input type="password" name="token" autocomplete="current-password" required></label>`
    : "";
  const main = `<h2>Upload a torrent</h2>
${error}<form class="stack" method="post" action="${e(link(viewer, "/upload"))}" enctype="multipart/form-data">
<label>.torrent file <input type="file" name="file" accept=".torrent,application/x-bittorrent" required></label>
${token}
<p class="muted">Up to ${e(formatBytes(maxBodyBytes))}. The file is published as it is: its info hash does not change.</p>
<button type="submit">Publish</button>
</form>`;
  return renderPage({ title: "Upload", nav: viewer.nav, current: link(viewer, "/upload"), main });
}
