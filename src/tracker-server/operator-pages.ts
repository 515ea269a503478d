/**
 * The operator's views as pages (issue 17): the tracker's counters and the
 * swarms busiest first with a few of their peers, and one swarm's peers, in
 * the pages' style. Pages of bounded size, like the JSON views they mirror
 * (/stats, /swarms, /swarms/<info hash>).
 */
import { formatBytes, formatEndpoint } from "../util/index.ts";
import type { TrackerContext } from "./context.ts";
import { escapeHtml as e, formatAgo, type NavLink, renderPage } from "./html-page.ts";
import { type PeerView, type SwarmView, statsView, swarmViews } from "./views.ts";

/** Swarms per page of the operator view, and peers shown per swarm there. */
export const OPERATOR_SWARMS_PAGE = 50;
export const OPERATOR_SWARM_PEERS = 5;
/** Peers per page of one swarm's view. */
export const OPERATOR_PEERS_PAGE = 200;

function peerText(p: PeerView): string {
  return `${formatEndpoint(p.ip, p.port)} ${p.seeder ? "seeder" : "leecher"}, ${formatAgo(p.lastSeen)} ago`;
}

function swarmName(s: SwarmView): string {
  return s.name === null ? '<i class="muted">unpublished</i>' : e(s.name);
}

export function operatorPage(
  ctx: TrackerContext,
  nav: readonly NavLink[],
  ranked: readonly string[],
  page: number,
  announceUrl: string,
): Buffer {
  const stats = statsView(ctx);
  const pages = Math.max(1, Math.ceil(ranked.length / OPERATOR_SWARMS_PAGE));
  const at = Math.min(Math.max(1, page), pages);
  const swarms = swarmViews(
    ctx,
    ranked,
    (at - 1) * OPERATOR_SWARMS_PAGE,
    OPERATOR_SWARMS_PAGE,
    OPERATOR_SWARM_PEERS,
  );
  const announces = ctx.metrics.announceCount();
  const errors = Object.entries(ctx.metrics.errors).filter(([, n]) => n > 0);
  const facts: [string, string][] = [
    ["Announce URL", `<code>${e(announceUrl)}</code> (and UDP on the same port)`],
    ["Up", formatAgo(stats.uptimeSeconds)],
    ["Published torrents", String(ctx.index.size)],
    ["Swarms", String(stats.swarms)],
    ["Peers", `${stats.peers} (${stats.seeders} seeders, ${stats.leechers} leechers)`],
    [
      "Announces",
      `${announces} (HTTP ${ctx.metrics.announceCount("http")}, UDP ${ctx.metrics.announceCount("udp")})`,
    ],
    ["Scrapes", `HTTP ${ctx.metrics.scrapes.http}, UDP ${ctx.metrics.scrapes.udp}`],
    ["Peers expired", String(ctx.metrics.expired)],
    ["Refused", errors.length === 0 ? "none" : e(errors.map(([k, n]) => `${k} ${n}`).join(", "))],
    ["Memory (RSS)", e(formatBytes(process.memoryUsage.rss()))],
  ];
  if (ctx.access) {
    facts.push(["Refused passkeys", String(ctx.access.refused)]);
    facts.push(["Inflated reports", String(ctx.access.inflated)]);
  }
  const rows = swarms
    .map((s) => {
      const peers = s.peers.map((p) => `<li>${e(peerText(p))}</li>`).join("");
      return `<tr><td class="name"><a href="/operator/swarms/${s.infoHash}">${swarmName(s)}</a><br><code class="muted">${s.infoHash}</code></td><td class="num">${s.seeders}</td><td class="num">${s.leechers}</td><td class="num">${s.completed}</td><td class="wide"><ul>${peers}</ul></td></tr>`;
    })
    .join("\n");
  const pager = [
    at > 1 ? `<a rel="prev" href="/operator?page=${at - 1}">Previous</a>` : "",
    `<span class="count">Page ${at} of ${pages}</span>`,
    at < pages ? `<a rel="next" href="/operator?page=${at + 1}">Next</a>` : "",
  ].join(" ");
  const main = `<h2>Counters</h2>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
<p class="links"><a href="/stats">stats (JSON)</a> <a href="/metrics">metrics (Prometheus)</a> <a href="/swarms">swarms (JSON)</a></p>
<h2 id="swarms">Swarms, busiest first</h2>
${
  swarms.length === 0
    ? '<p class="empty">No swarms yet.</p>'
    : `<div class="table-wrap"><table aria-labelledby="swarms"><thead><tr><th scope="col">Torrent</th><th scope="col" class="num">Seeders</th><th scope="col" class="num">Leechers</th><th scope="col" class="num">Completed</th><th scope="col" class="wide">Peers (a few)</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
<nav class="pager" aria-label="Pages">${pager}</nav>`;
  return renderPage({ title: "Operator", nav, current: "/operator", main });
}

export function swarmPage(
  nav: readonly NavLink[],
  swarm: SwarmView,
  offset: number,
  more: boolean,
): Buffer {
  const rows = swarm.peers
    .map(
      (p) =>
        `<tr><td>${e(formatEndpoint(p.ip, p.port))}</td><td>${p.seeder ? "seeder" : "leecher"}</td><td class="num">${p.left < 0 ? "?" : e(formatBytes(p.left))}</td><td class="num">${e(formatAgo(p.lastSeen))} ago</td><td class="wide"><code>${e(p.peerId)}</code></td></tr>`,
    )
    .join("\n");
  const base = `/operator/swarms/${swarm.infoHash}`;
  const pager = [
    offset > 0
      ? `<a rel="prev" href="${base}?offset=${Math.max(0, offset - OPERATOR_PEERS_PAGE)}">Previous</a>`
      : "",
    more ? `<a rel="next" href="${base}?offset=${offset + OPERATOR_PEERS_PAGE}">Next</a>` : "",
  ].join(" ");
  const main = `<h2>${swarmName(swarm)}</h2>
<dl class="facts"><dt>Info hash</dt><dd><code>${swarm.infoHash}</code></dd><dt>Seeders</dt><dd>${swarm.seeders}</dd><dt>Leechers</dt><dd>${swarm.leechers}</dd><dt>Completed</dt><dd>${swarm.completed}</dd></dl>
<h3 id="peers">Peers</h3>
${
  swarm.peers.length === 0
    ? '<p class="empty">No peers.</p>'
    : `<div class="table-wrap"><table aria-labelledby="peers"><thead><tr><th scope="col">Address</th><th scope="col">Role</th><th scope="col" class="num">Left</th><th scope="col" class="num">Last announce</th><th scope="col" class="wide">Peer id</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
<nav class="pager" aria-label="Pages">${pager}</nav>`;
  return renderPage({ title: swarm.name ?? swarm.infoHash, nav, current: "/operator", main });
}
