// The torrent list: one row per torrent, sorted by a column (its header is a
// button; aria-sort says which), filtered by state and by a search of names.
import htm from "htm";
import { Component, h } from "preact";
import { useMemo, useState } from "preact/hooks";

/**
 * Past this many rows only those in view (and a margin) are in the page:
 * the table scrolls in its own box of fixed-height rows, and two spacer rows
 * stand for the others, so a long list costs what a screenful costs.
 */
const WINDOW_FROM = 200;
const ROW_HEIGHT = 44;
const MARGIN_ROWS = 10;

/** What the toolbar does to the selected torrents. */
const BULK = [
  ["pause", "Pause selected"],
  ["resume", "Resume selected"],
  ["recheck", "Recheck selected"],
  ["remove", "Remove selected"],
  ["remove-data", "Remove selected with data"],
];

import { formatBytes, formatEta, formatProgress, formatRate, formatRatio } from "./format.js";

const html = htm.bind(h);

/** The state filter's choices: what the API's `state` can be, and "queued". */
const STATES = [
  "all",
  "downloading",
  "seeding",
  "paused",
  "queued",
  "metadata",
  "checking",
  "error",
];

/** Sortable columns: label, how to read the value, first direction. */
const COLUMNS = [
  { key: "name", label: "Name", value: (t) => t.name.toLowerCase(), dir: 1 },
  { key: "size", label: "Size", value: (t) => t.size, dir: -1 },
  { key: "progress", label: "Progress", value: (t) => t.progress, dir: -1 },
  { key: "state", label: "State", value: (t) => stateText(t), dir: 1 },
  { key: "downloadRate", label: "Down", value: (t) => t.downloadRate, dir: -1 },
  { key: "uploadRate", label: "Up", value: (t) => t.uploadRate, dir: -1 },
  { key: "eta", label: "ETA", value: (t) => t.eta ?? Number.POSITIVE_INFINITY, dir: 1 },
  { key: "ratio", label: "Ratio", value: (t) => t.ratio, dir: -1 },
  { key: "peers", label: "Seeds/Peers", value: (t) => t.peers, dir: -1 },
  { key: "addedAt", label: "Added", value: (t) => t.addedAt, dir: -1 },
];

function stateText(t) {
  if (t.queued) return "queued";
  if (t.state === "error" && t.error) return `error: ${t.error}`;
  return t.state;
}

function matchesState(t, filter) {
  if (filter === "all") return true;
  if (filter === "queued") return t.queued === true;
  return t.state === filter && !t.queued;
}

function formatAdded(ms) {
  if (!ms) return "–";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function TorrentRow({ t, act, open, setOpen, selected, toggle }) {
  const paused = t.state === "paused";
  const progress = formatProgress(t.progress);
  return html`<tr data-info-hash=${t.infoHash} data-state=${t.state} data-name=${t.name}>
    <td><input type="checkbox" checked=${selected} aria-label=${`Select ${t.name}`} onChange=${() => toggle(t.infoHash)} /></td>
    <td class="name">${t.name}${(t.labels ?? []).map((l) => html` <span class="label">${l}</span>`)}</td>
    <td>${t.hasMetadata ? formatBytes(t.size) : "–"}</td>
    <td>
      <progress max="1" value=${t.progress} aria-label=${`${t.name}: ${progress}`}></progress>
      ${" "}<span class="progress-text">${progress}</span>
    </td>
    <td class="state">${stateText(t)}</td>
    <td>${formatRate(t.downloadRate)}</td>
    <td>${formatRate(t.uploadRate)}</td>
    <td>${t.state === "downloading" ? formatEta(t.eta) : "–"}</td>
    <td>${formatRatio(t.ratio)}</td>
    <td>${t.seeds}/${t.peers}</td>
    <td>${formatAdded(t.addedAt)}</td>
    <td><div class="actions">
      ${
        paused
          ? html`<button type="button" aria-label=${`Resume ${t.name}`} onClick=${() => act(t, "resume")}>Resume</button>`
          : html`<button type="button" aria-label=${`Pause ${t.name}`} onClick=${() => act(t, "pause")}>Pause</button>`
      }
      <button type="button" aria-label=${`Details of ${t.name}`} aria-expanded=${open ? "true" : "false"}
        onClick=${() => setOpen(open ? undefined : t.infoHash)}>Details</button>
      <button type="button" aria-label=${`Remove ${t.name}`} onClick=${() => act(t, "remove")}>Remove</button>
      <button type="button" class="danger" aria-label=${`Remove ${t.name} and its data`} onClick=${() => act(t, "remove-data")}>
        Remove with data
      </button>
    </div></td>
  </tr>`;
}

/** Same values in every field (labels compared by content): the row would look the same. */
function sameTorrent(a, b) {
  for (const key in b) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (Array.isArray(x) && Array.isArray(y) && x.join("\n") === y.join("\n")) continue;
    return false;
  }
  return true;
}

/**
 * A row drawn again only when what it shows changed: a refresh brings a new
 * object for each changed torrent, and even then what a row shows may be the same. Its
 * buttons' handlers stay valid (they use the session's stable callbacks).
 */
class Row extends Component {
  shouldComponentUpdate(next) {
    const now = this.props;
    return now.open !== next.open || now.selected !== next.selected || !sameTorrent(now.t, next.t);
  }

  render(props) {
    return TorrentRow(props);
  }
}

function HeaderCell({ col, sort, setSort }) {
  const active = sort.key === col.key;
  const ariaSort = active ? (sort.dir > 0 ? "ascending" : "descending") : "none";
  const next = () =>
    setSort(active ? { key: col.key, dir: -sort.dir } : { key: col.key, dir: col.dir });
  return html`<th scope="col" aria-sort=${ariaSort}>
    <button type="button" class="sort" onClick=${next}>
      ${col.label}${active ? (sort.dir > 0 ? " ▲" : " ▼") : ""}
    </button>
  </th>`;
}

export function TorrentTable({ torrents, act, open, setOpen }) {
  const [sort, setSort] = useState({ key: "addedAt", dir: 1 });
  const [filter, setFilter] = useState("all");
  const [search, setSearch] = useState("");
  const [label, setLabel] = useState("");
  const [view, setView] = useState({ top: 0, height: 800 });
  const [selection, setSelection] = useState(() => new Set());

  const needle = search.trim().toLowerCase();
  // Filtered and sorted again only when the list (a new array: something
  // changed) or the view's choices change, not on every refresh.
  const labels = useMemo(
    () => [...new Set(torrents.flatMap((t) => t.labels ?? []))].sort(),
    [torrents],
  );
  const shown = useMemo(() => {
    const col = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
    return torrents
      .filter(
        (t) =>
          matchesState(t, filter) &&
          (label === "" || (t.labels ?? []).includes(label)) &&
          (needle === "" || t.name.toLowerCase().includes(needle)),
      )
      .sort((a, b) => {
        const x = col.value(a);
        const y = col.value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * sort.dir || a.id - b.id;
      });
  }, [torrents, sort, filter, label, needle]);

  if (torrents.length === 0) {
    return html`<p class="empty">No torrents yet: add a .torrent file or a magnet link.</p>`;
  }

  // Only torrents still listed and shown stay selected (one removed or filtered out is not acted on).
  const selected = shown.filter((t) => selection.has(t.infoHash));
  const toggle = (hash) =>
    setSelection((prev) => {
      const next = new Set(prev);
      if (next.has(hash)) next.delete(hash);
      else next.add(hash);
      return next;
    });
  const windowed = shown.length > WINDOW_FROM;
  const first = windowed ? Math.max(0, Math.floor(view.top / ROW_HEIGHT) - MARGIN_ROWS) : 0;
  const last = windowed
    ? Math.min(shown.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + MARGIN_ROWS)
    : shown.length;
  const onScroll = (e) =>
    setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight });
  const allShown = shown.length > 0 && selected.length === shown.length;
  const selectAll = () =>
    setSelection(allShown ? new Set() : new Set(shown.map((t) => t.infoHash)));
  const bulk = async (what) => {
    await act(selected, what);
    if (what === "remove" || what === "remove-data") setSelection(new Set());
  };

  return html`<div class="list-tools">
      <label>Search <input type="search" value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} /></label>
      <label>State
        <select value=${filter} onChange=${(e) => setFilter(e.currentTarget.value)}>
          ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
      <label>Label
        <select value=${label} onChange=${(e) => setLabel(e.currentTarget.value)}>
          <option value="">any</option>
          ${labels.map((l) => html`<option value=${l}>${l}</option>`)}
        </select>
      </label>
      <span class="count" role="status">${shown.length} of ${torrents.length}${selected.length > 0 ? `, ${selected.length} selected` : ""}</span>
    </div>
    <div class="list-tools" role="toolbar" aria-label="Selected torrents">
      ${BULK.map(
        ([what, label]) =>
          html`<button type="button" disabled=${selected.length === 0} class=${what === "remove-data" ? "danger" : ""} onClick=${() => bulk(what)}>${label}</button>`,
      )}
    </div>
    <div class=${windowed ? "table-wrap windowed" : "table-wrap"} onScroll=${windowed ? onScroll : undefined}>
    <table aria-label="Torrents" aria-rowcount=${shown.length + 1}>
      <thead><tr>
        <th scope="col"><input type="checkbox" checked=${allShown} aria-label="Select all shown" onChange=${selectAll} /></th>
        ${COLUMNS.map((c) => html`<${HeaderCell} key=${c.key} col=${c} sort=${sort} setSort=${setSort} />`)}
        <th scope="col"><span class="visually-hidden">Actions</span></th>
      </tr></thead>
      <tbody>
        ${first > 0 && html`<tr class="spacer" aria-hidden="true" style=${{ height: `${first * ROW_HEIGHT}px` }}></tr>`}
        ${shown.slice(first, last).map(
          (
            t,
          ) => html`<${Row} key=${t.infoHash} t=${t} act=${act} open=${open === t.infoHash} setOpen=${setOpen}
          selected=${selection.has(t.infoHash)} toggle=${toggle} />`,
        )}
        ${last < shown.length && html`<tr class="spacer" aria-hidden="true" style=${{ height: `${(shown.length - last) * ROW_HEIGHT}px` }}></tr>`}
      </tbody>
    </table></div>`;
}
