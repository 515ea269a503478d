// shoal's web UI (issue 17): the torrent list, live from the daemon's events,
// adding by .torrent file, magnet link or URL, pause/resume/remove. It uses only
// the public HTTP API (/api/v1) and loads nothing from any other host.
import htm from "htm";
import { h, render } from "preact";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { API, call } from "./api.js";
import { Details } from "./details.js";
import { formatRate } from "./format.js";
import { LimitsForm } from "./limits.js";
import { SettingsPage } from "./settings.js";
import { SessionSpeed } from "./speed-graph.js";
import { ThemeSwitch } from "./theme.js";
import { TorrentTable } from "./torrent-table.js";

// When the page's script began (bench/web-ui.ts reads it beside the list's marks).
performance.mark("shoal-app-start");
const html = htm.bind(h);
const FIELDS = [
  "id",
  "infoHash",
  "name",
  "state",
  "error",
  "hasMetadata",
  "size",
  "progress",
  "downloadRate",
  "uploadRate",
  "eta",
  "ratio",
  "peers",
  "seeds",
  "queued",
  "addedAt",
  "labels",
].join(",");
/** Events after which the list is fetched at once (stats ticks refresh it too). */
const LIST_EVENTS = ["added", "metadata", "state", "completed", "error", "removed", "finished"];

/**
 * The list after a reply of GET /torrents/changes: the whole list, or the one
 * before with the changed torrents replaced (the unchanged keep their objects,
 * so their rows are not drawn again), the added appended (the session's order)
 * and the removed left out; the same array when nothing changed.
 */
function applyChanges(torrents, changes) {
  if (changes.full) return changes.torrents;
  if (changes.torrents.length === 0 && changes.removed.length === 0) return torrents;
  const changed = new Map(changes.torrents.map((t) => [t.infoHash, t]));
  const removed = new Set(changes.removed);
  const out = [];
  for (const t of torrents) {
    if (removed.has(t.infoHash)) continue;
    const now = changed.get(t.infoHash);
    out.push(now ?? t);
    changed.delete(t.infoHash);
  }
  for (const t of changed.values()) out.push(t);
  return out;
}

/**
 * The session's torrents and stats, kept current from /api/v1/events: a
 * torrent event or the once-a-second stats event asks the daemon what changed
 * since the list's version (GET /torrents/changes?since=), so a quiet list of
 * thousands costs a small reply; one fetch at a time, and a request arriving
 * meanwhile is served by one more after it.
 */
function useSession() {
  const [torrents, setTorrents] = useState([]);
  const [tick, setTick] = useState(0);
  const [stats, setStats] = useState(undefined);
  const [connected, setConnected] = useState(false);
  const fetching = useRef(false);
  const again = useRef(false);
  const arrived = useRef(0);
  /** The list's version at the daemon (undefined: ask for the whole list). */
  const version = useRef(undefined);

  // User Timing: each list update's work from its data's arrival to the page
  // updated (bench/web-ui.ts reads these "shoal-list-update" measures).
  useLayoutEffect(() => {
    if (arrived.current > 0) {
      if (performance.getEntriesByName("shoal-first-list").length === 0) {
        performance.mark("shoal-first-list-arrived", { startTime: arrived.current });
        performance.mark("shoal-first-list");
      }
      performance.measure("shoal-list-update", { start: arrived.current });
      arrived.current = 0;
      if (performance.getEntriesByName("shoal-list-update").length > 1000) {
        performance.clearMeasures("shoal-list-update");
      }
    }
  }, [tick]);

  const refresh = useCallback(async () => {
    if (fetching.current) {
      again.current = true;
      return;
    }
    fetching.current = true;
    try {
      do {
        again.current = false;
        performance.mark("shoal-list-asked");
        const since = version.current === undefined ? "" : `&since=${version.current}`;
        const changes = await call("GET", `/torrents/changes?fields=${FIELDS}${since}`);
        arrived.current = performance.now();
        version.current = changes.version;
        setTorrents((list) => applyChanges(list, changes));
        setTick((n) => n + 1);
      } while (again.current);
    } catch {
      // The daemon went away: the event stream says so and reconnects.
    } finally {
      fetching.current = false;
    }
  }, []);

  useEffect(() => {
    // The list is asked for at once, not after the event stream opens; a
    // reopened stream (the daemon back) fetches it again.
    refresh();
    let opened = false;
    const events = new EventSource(`${API}/events`);
    events.onopen = () => {
      setConnected(true);
      // The daemon back (perhaps another run of it): the whole list again.
      if (opened) {
        version.current = undefined;
        refresh();
      }
      opened = true;
    };
    events.onerror = () => setConnected(false);
    events.addEventListener("stats", (e) => {
      setStats(JSON.parse(e.data));
      refresh();
    });
    events.addEventListener("reset", () => {
      version.current = undefined;
      refresh();
    });
    for (const type of LIST_EVENTS) events.addEventListener(type, () => refresh());
    return () => events.close();
  }, [refresh]);

  return { torrents, tick, stats, connected, refresh };
}

/** The page shown: the torrent list or the settings (#settings), kept in the address. */
function usePage() {
  const read = () => (location.hash === "#settings" ? "settings" : "torrents");
  const [page, setPage] = useState(read);
  useEffect(() => {
    const follow = () => setPage(read());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  return page;
}

function Header({ stats, connected, say, page }) {
  const link = (id, label) =>
    html`<a href=${`#${id}`} aria-current=${page === id ? "page" : undefined}>${label}</a>`;
  return html`<header>
    <h1>shoal</h1>
    <nav class="pages" aria-label="Pages">${link("torrents", "Torrents")} ${link("settings", "Settings")}</nav>
    <dl class="rates" aria-label="Global rates">
      <div><dt>Download</dt><dd data-testid="download-rate">${formatRate(stats?.downloadRate ?? 0)}</dd></div>
      <div><dt>Upload</dt><dd data-testid="upload-rate">${formatRate(stats?.uploadRate ?? 0)}</dd></div>
      <div><dt>Torrents</dt><dd>${stats?.torrents ?? "–"}</dd></div>
      <div><dt>Peers</dt><dd>${stats?.peers ?? "–"}</dd></div>
    </dl>
    <${LimitsForm} limits=${stats?.limits} say=${say} />
    <${ThemeSwitch} />
    <span role="status" class="connection">${connected ? "" : "Connecting to the daemon…"}</span>
  </header>`;
}

/** What an add asks for besides its source: paused (a magnet: once its metadata is here), the folder. */
function addChoices({ paused, folder }) {
  return { paused, folder: folder.trim() };
}

/** Uploads .torrent files one by one (POST /torrents as application/x-bittorrent). */
async function addTorrentFiles(files, choices, say) {
  const query = new URLSearchParams();
  if (choices.paused) query.set("paused", "true");
  if (choices.folder !== "") query.set("downloadDir", choices.folder);
  const search = query.size > 0 ? `?${query}` : "";
  for (const file of files) {
    try {
      const t = await call("POST", `/torrents${search}`, file, "application/x-bittorrent");
      say(`Added ${t.name}`);
    } catch (err) {
      say(`${file.name}: ${err.message}`, true);
    }
  }
}

/**
 * The download folder of the next adds: the daemon's own folder (from its
 * stats) until the user types another; emptied, the daemon's default again.
 */
function useFolder(downloadDir) {
  const [folder, setFolder] = useState("");
  const typed = useRef(false);
  useEffect(() => {
    if (!typed.current && downloadDir !== undefined) setFolder(downloadDir);
  }, [downloadDir]);
  const choose = useCallback((value) => {
    typed.current = value !== "";
    setFolder(value);
  }, []);
  return [folder, choose];
}

function AddBar({ onAdded, say, choices, setPaused, setFolder }) {
  const [magnet, setMagnet] = useState("");
  const { paused, folder } = choices;

  const addFiles = async (e) => {
    const input = e.currentTarget;
    const files = [...input.files];
    input.value = "";
    await addTorrentFiles(files, addChoices(choices), say);
    onAdded();
  };

  const addMagnet = async (e) => {
    e.preventDefault();
    const link = magnet.trim();
    if (link === "") return;
    try {
      // An http(s) address names a .torrent the daemon fetches; anything else is a magnet link.
      const source = /^https?:\/\//i.test(link) ? { url: link } : { magnet: link };
      const chosen = addChoices(choices);
      // Paused, a magnet still fetches its metadata (BEP 9) so its files can be chosen.
      const body = { ...source, pauseAfterMetadata: chosen.paused };
      if (chosen.folder !== "") body.downloadDir = chosen.folder;
      const t = await call("POST", "/torrents", body);
      setMagnet("");
      say(`Added ${t.name}`);
    } catch (err) {
      say(`${link.slice(0, 60)}: ${err.message}`, true);
    }
    onAdded();
  };

  return html`<section class="add" aria-label="Add torrents">
    <label class="file-button">
      Add .torrent files
      <input type="file" accept=".torrent,application/x-bittorrent" multiple onChange=${addFiles} />
    </label>
    <form onSubmit=${addMagnet}>
      <label for="magnet">Magnet link or .torrent URL</label>
      <input
        id="magnet"
        type="text"
        placeholder="magnet:?xt=urn:btih:…"
        autocomplete="off"
        spellcheck="false"
        value=${magnet}
        onInput=${(e) => setMagnet(e.currentTarget.value)}
      />
      <button type="submit">Add link</button>
    </form>
    <label class="folder">
      Download folder
      <input
        type="text"
        autocomplete="off"
        spellcheck="false"
        value=${folder}
        onInput=${(e) => setFolder(e.currentTarget.value)}
      />
    </label>
    <label>
      <input type="checkbox" checked=${paused} onChange=${(e) => setPaused(e.currentTarget.checked)} />
      Add paused (choose the files first)
    </label>
  </section>`;
}

function App() {
  const { torrents, tick, stats, connected, refresh } = useSession();
  const page = usePage();
  const [open, setOpen] = useState(undefined);
  const [paused, setPaused] = useState(false);
  const [folder, setFolder] = useFolder(stats?.downloadDir);
  const choices = { paused, folder };
  const [dragging, setDragging] = useState(false);
  const opened = torrents.find((t) => t.infoHash === open);
  const [status, setStatus] = useState({ text: "", error: false });
  const say = useCallback((text, error = false) => setStatus({ text, error }), []);

  /** One action on one or several torrents (the selection): removing asks once for all. */
  const act = async (list, what) => {
    const many = Array.isArray(list) ? list : [list];
    if (many.length === 0) return;
    const names = many.length === 1 ? many[0].name : `${many.length} torrents`;
    const deleteData = what === "remove-data";
    if (what === "remove" || deleteData) {
      const question = deleteData
        ? `Remove ${names} and delete the downloaded files?`
        : `Remove ${names}? The files stay on disk.`;
      if (!window.confirm(question)) return;
    }
    let failed = false;
    for (const t of many) {
      try {
        if (what === "remove" || deleteData) {
          await call("DELETE", `/torrents/${t.infoHash}?deleteData=${deleteData}`);
        } else {
          await call("POST", `/torrents/${t.infoHash}/${what}`);
        }
      } catch (err) {
        failed = true;
        say(`${t.name}: ${err.message}`, true);
      }
    }
    if (!failed && (what === "remove" || deleteData)) {
      say(`Removed ${names}${deleteData ? " and the data" : ""}`);
    }
    refresh();
  };

  // .torrent files dropped anywhere on the list are added (others are ignored, said once).
  const dragOver = (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes("Files")) return;
    e.preventDefault();
    setDragging(true);
  };
  const drop = async (e) => {
    e.preventDefault();
    setDragging(false);
    const all = [...(e.dataTransfer?.files ?? [])];
    const files = all.filter(
      (f) => /\.torrent$/i.test(f.name) || f.type === "application/x-bittorrent",
    );
    await addTorrentFiles(files, addChoices(choices), say);
    if (files.length < all.length) say("Only .torrent files can be dropped here", true);
    refresh();
  };

  return html`
    <${Header} stats=${stats} connected=${connected} say=${say} page=${page} />
    ${
      page === "settings"
        ? html`<main>
            <p class=${status.error ? "status error" : "status"} role="status" aria-live="polite">${status.text}</p>
            <${SettingsPage} say=${say} />
          </main>`
        : html`<main class=${dragging ? "dragging" : ""} onDragOver=${dragOver} onDragLeave=${() => setDragging(false)} onDrop=${drop}>
      <${AddBar} onAdded=${refresh} say=${say} choices=${choices} setPaused=${setPaused} setFolder=${setFolder} />
      <${SessionSpeed} tick=${tick} />
      <p class=${status.error ? "status error" : "status"} role="status" aria-live="polite">${status.text}</p>
      <${TorrentTable} torrents=${torrents} act=${act} open=${open} setOpen=${setOpen} />
      ${opened && html`<${Details} t=${opened} tick=${tick} say=${say} onClose=${() => setOpen(undefined)} />`}
    </main>`
    }
  `;
}

// The "Loading" text goes first: render adds to what the container holds.
const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
