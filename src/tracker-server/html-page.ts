/**
 * The frame of the tracker's HTML pages (index, details, upload, operator
 * and admin views): one escaped page with the shared header and stylesheet.
 * Every piece of text from a client, a torrent or a member goes through
 * escapeHtml before it reaches a page; pages carry no script.
 */
import type { HttpResponse } from "./http-reply-writer.ts";
import { PAGE_STYLE_PATH } from "./page-style.ts";

export const HTML_TYPE = "text/html; charset=utf-8";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export interface NavLink {
  href: string;
  label: string;
}

export interface PageParts {
  title: string;
  /** The header's links; the one whose href is `current` is marked as the page. */
  nav: readonly NavLink[];
  current?: string;
  /** The main content, already escaped HTML. */
  main: string;
}

export function renderPage(parts: PageParts): Buffer {
  const e = escapeHtml;
  const links = parts.nav
    .map((l) => {
      const here = l.href === parts.current ? ' aria-current="page"' : "";
      return `<li><a href="${e(l.href)}"${here}>${e(l.label)}</a></li>`;
    })
    .join("");
  return Buffer.from(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${e(parts.title)} · shoal tracker</title>
<link rel="stylesheet" href="${PAGE_STYLE_PATH}">
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header><h1><a href="${e(parts.nav[0]?.href ?? "/")}">shoal tracker</a></h1>
<nav aria-label="Tracker"><ul>${links}</ul></nav></header>
<main id="main">
${parts.main}
</main>
</body></html>
`,
    "utf8",
  );
}

export function htmlResponse(status: number, body: Buffer, headers?: string): HttpResponse {
  const res: HttpResponse = { status, contentType: HTML_TYPE, body };
  if (headers) res.headers = headers;
  return res;
}

/** A page that says one thing (a refusal, a missing torrent) in the pages' frame. */
export function messagePage(
  status: number,
  title: string,
  message: string,
  nav: readonly NavLink[],
  headers?: string,
): HttpResponse {
  const main = `<h2>${escapeHtml(title)}</h2>\n<p class="notice error" role="alert">${escapeHtml(message)}</p>`;
  return htmlResponse(status, renderPage({ title, nav, main }), headers);
}

/** "5 s", "3 min", "2 h", "4 d": how long ago, for people. */
export function formatAgo(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** A ratio of uploaded to downloaded, as trackers show it ("∞" with nothing downloaded). */
export function formatRatio(uploaded: number, downloaded: number): string {
  if (downloaded === 0) return uploaded === 0 ? "–" : "∞";
  return (uploaded / downloaded).toFixed(2);
}

/** One decoded query parameter (`+` is a space in a form's query), or undefined. */
export function queryParam(query: string, name: string): string | undefined {
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key !== name) continue;
    const raw = eq < 0 ? "" : part.slice(eq + 1).replace(/\+/g, " ");
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
