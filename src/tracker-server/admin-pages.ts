/**
 * The admin's pages of a private tracker (issue 18): every member with what
 * they reported and their ratio, and one member's traffic per torrent.
 * Read-only: changes go through the admin API (admin-routes.ts), whose
 * requests carry the token in a header a cross-site form cannot set.
 */
import { formatBytes } from "../util/index.ts";
import {
  escapeHtml as e,
  formatRatio,
  htmlResponse,
  type NavLink,
  renderPage,
} from "./html-page.ts";
import type { HttpResponse } from "./http-reply-writer.ts";
import type { Member } from "./members.ts";

const NAV: readonly NavLink[] = [
  { href: "/", label: "Torrents" },
  { href: "/operator", label: "Operator" },
  { href: "/admin", label: "Admin" },
];

export interface TorrentTrafficView {
  infoHash: string;
  name: string | null;
  uploaded: number;
  downloaded: number;
}

export function adminMembersPage(all: Member[], status = 200, error = ""): HttpResponse {
  const rows = all
    .map(
      (m) =>
        `<tr data-member="${e(m.name)}"><td class="name"><a href="/admin/members/${encodeURIComponent(m.name)}">${e(m.name)}</a></td><td>${m.disabled ? "disabled" : "enabled"}</td><td>${m.canPublish ? "yes" : "no"}</td><td class="num">${e(formatBytes(m.uploaded))}</td><td class="num">${e(formatBytes(m.downloaded))}</td><td class="num ratio">${formatRatio(m.uploaded, m.downloaded)}</td></tr>`,
    )
    .join("\n");
  const main = `${error ? `<p class="notice error" role="alert">${e(error)}</p>\n` : ""}<h2 id="members">Members (${all.length})</h2>
${
  all.length === 0
    ? '<p class="empty">No members yet: add one with <code>POST /admin/api/members</code> or <code>shoal tracker users add</code>.</p>'
    : `<div class="table-wrap"><table aria-labelledby="members"><thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">May publish</th><th scope="col" class="num">Uploaded</th><th scope="col" class="num">Downloaded</th><th scope="col" class="num">Ratio</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
<p class="muted">Traffic is what members' clients reported in their announces, each step capped at 10 Gbit/s. Changes: the admin API (<code>/admin/api/members</code>).</p>`;
  return htmlResponse(status, renderPage({ title: "Admin", nav: NAV, current: "/admin", main }));
}

export function adminMemberPage(m: Member, torrents: TorrentTrafficView[]): HttpResponse {
  const rows = torrents
    .map(
      (t) =>
        `<tr><td class="name">${t.name === null ? `<code>${t.infoHash}</code>` : e(t.name)}</td><td class="num">${e(formatBytes(t.uploaded))}</td><td class="num">${e(formatBytes(t.downloaded))}</td><td class="num ratio">${formatRatio(t.uploaded, t.downloaded)}</td></tr>`,
    )
    .join("\n");
  const main = `<h2>${e(m.name)}</h2>
<dl class="facts"><dt>State</dt><dd>${m.disabled ? "disabled" : "enabled"}</dd><dt>May publish</dt><dd>${m.canPublish ? "yes" : "no"}</dd><dt>Member since</dt><dd>${e(new Date(m.created).toISOString().slice(0, 10))}</dd><dt>Uploaded</dt><dd>${e(formatBytes(m.uploaded))}</dd><dt>Downloaded</dt><dd>${e(formatBytes(m.downloaded))}</dd><dt>Ratio</dt><dd>${formatRatio(m.uploaded, m.downloaded)}</dd></dl>
<h3 id="torrents">Per torrent</h3>
${
  torrents.length === 0
    ? '<p class="empty">Nothing reported yet.</p>'
    : `<div class="table-wrap"><table aria-labelledby="torrents"><thead><tr><th scope="col">Torrent</th><th scope="col" class="num">Uploaded</th><th scope="col" class="num">Downloaded</th><th scope="col" class="num">Ratio</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}`;
  return htmlResponse(200, renderPage({ title: m.name, nav: NAV, current: "/admin", main }));
}
