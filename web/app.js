// shoal's web UI (issue 17): the torrent list, live from the daemon's events,
// adding by .torrent file or magnet link, pause/resume/remove. It uses only
// the public HTTP API (/api/v1) and loads nothing from any other host.
import htm from "htm";
import { h, render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { formatBytes, formatEta, formatProgress, formatRate, formatRatio } from "./format.js";

const html = htm.bind(h);
const API = "/api/v1";
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
].join(",");
/** Events after which the list is fetched at once (stats ticks refresh it too). */
const LIST_EVENTS = ["added", "metadata", "state", "completed", "error", "removed", "finished"];

/** One API call: its JSON, or an Error with the API's message. */
async function call(method, path, body, type) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = type ?? "application/json";
    init.body = type === undefined ? JSON.stringify(body) : body;
  }
  const res = await fetch(API + path, init);
  const text = await res.text();
  let json;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new Error(json?.error?.message ?? `${res.status} ${res.statusText}`);
  return json;
}

/**
 * The session's torrents and stats, kept current from /api/v1/events: a
 * torrent event or the once-a-second stats event fetches the list again (one
 * fetch at a time; a request arriving meanwhile is served by one more after it).
 */
function useSession() {
  const [torrents, setTorrents] = useState([]);
  const [stats, setStats] = useState(undefined);
  const [connected, setConnected] = useState(false);
  const fetching = useRef(false);
  const again = useRef(false);

  const refresh = useCallback(async () => {
    if (fetching.current) {
      again.current = true;
      return;
    }
    fetching.current = true;
    try {
      do {
        again.current = false;
        setTorrents(await call("GET", `/torrents?fields=${FIELDS}`));
      } while (again.current);
    } catch {
      // The daemon went away: the event stream says so and reconnects.
    } finally {
      fetching.current = false;
    }
  }, []);

  useEffect(() => {
    const events = new EventSource(`${API}/events`);
    events.onopen = () => {
      setConnected(true);
      refresh();
    };
    events.onerror = () => setConnected(false);
    events.addEventListener("stats", (e) => {
      setStats(JSON.parse(e.data));
      refresh();
    });
    events.addEventListener("reset", () => refresh());
    for (const type of LIST_EVENTS) events.addEventListener(type, () => refresh());
    return () => events.close();
  }, [refresh]);

  return { torrents, stats, connected, refresh };
}

function Header({ stats, connected }) {
  return html`<header>
    <h1>shoal</h1>
    <dl class="rates" aria-label="Global rates">
      <div><dt>Download</dt><dd data-testid="download-rate">${formatRate(stats?.downloadRate ?? 0)}</dd></div>
      <div><dt>Upload</dt><dd data-testid="upload-rate">${formatRate(stats?.uploadRate ?? 0)}</dd></div>
      <div><dt>Torrents</dt><dd>${stats?.torrents ?? "–"}</dd></div>
      <div><dt>Peers</dt><dd>${stats?.peers ?? "–"}</dd></div>
    </dl>
    <span role="status" class="connection">${connected ? "" : "Connecting to the daemon…"}</span>
  </header>`;
}

function AddBar({ onAdded, say }) {
  const [magnet, setMagnet] = useState("");

  const addFiles = async (e) => {
    const input = e.currentTarget;
    const files = [...input.files];
    input.value = "";
    for (const file of files) {
      try {
        const t = await call("POST", "/torrents", file, "application/x-bittorrent");
        say(`Added ${t.name}`);
      } catch (err) {
        say(`${file.name}: ${err.message}`, true);
      }
    }
    onAdded();
  };

  const addMagnet = async (e) => {
    e.preventDefault();
    const link = magnet.trim();
    if (link === "") return;
    try {
      const t = await call("POST", "/torrents", { magnet: link });
      setMagnet("");
      say(`Added ${t.name}`);
    } catch (err) {
      say(`Magnet link: ${err.message}`, true);
    }
    onAdded();
  };

  return html`<section class="add" aria-label="Add torrents">
    <label class="file-button">
      Add .torrent files
      <input type="file" accept=".torrent,application/x-bittorrent" multiple onChange=${addFiles} />
    </label>
    <form onSubmit=${addMagnet}>
      <label for="magnet">Magnet link</label>
      <input
        id="magnet"
        type="text"
        placeholder="magnet:?xt=urn:btih:…"
        autocomplete="off"
        spellcheck="false"
        value=${magnet}
        onInput=${(e) => setMagnet(e.currentTarget.value)}
      />
      <button type="submit">Add magnet</button>
    </form>
  </section>`;
}

function stateText(t) {
  if (t.queued) return "queued";
  if (t.state === "error" && t.error) return `error: ${t.error}`;
  return t.state;
}

function TorrentRow({ t, act }) {
  const paused = t.state === "paused";
  const progress = formatProgress(t.progress);
  return html`<tr data-info-hash=${t.infoHash} data-state=${t.state} data-name=${t.name}>
    <td class="name">${t.name}</td>
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
    <td class="actions">
      ${
        paused
          ? html`<button type="button" aria-label=${`Resume ${t.name}`} onClick=${() => act(t, "resume")}>Resume</button>`
          : html`<button type="button" aria-label=${`Pause ${t.name}`} onClick=${() => act(t, "pause")}>Pause</button>`
      }
      <button type="button" aria-label=${`Remove ${t.name}`} onClick=${() => act(t, "remove")}>Remove</button>
      <button type="button" class="danger" aria-label=${`Remove ${t.name} and its data`} onClick=${() => act(t, "remove-data")}>
        Remove with data
      </button>
    </td>
  </tr>`;
}

function TorrentTable({ torrents, act }) {
  if (torrents.length === 0) {
    return html`<p class="empty">No torrents yet: add a .torrent file or a magnet link.</p>`;
  }
  return html`<div class="table-wrap"><table aria-label="Torrents">
    <thead><tr>
      <th scope="col">Name</th><th scope="col">Size</th><th scope="col">Progress</th>
      <th scope="col">State</th><th scope="col">Down</th><th scope="col">Up</th>
      <th scope="col">ETA</th><th scope="col">Ratio</th><th scope="col">Seeds/Peers</th>
      <th scope="col"><span class="visually-hidden">Actions</span></th>
    </tr></thead>
    <tbody>${torrents.map((t) => html`<${TorrentRow} key=${t.infoHash} t=${t} act=${act} />`)}</tbody>
  </table></div>`;
}

function App() {
  const { torrents, stats, connected, refresh } = useSession();
  const [status, setStatus] = useState({ text: "", error: false });
  const say = useCallback((text, error = false) => setStatus({ text, error }), []);

  const act = async (t, what) => {
    try {
      if (what === "pause" || what === "resume") {
        await call("POST", `/torrents/${t.infoHash}/${what}`);
      } else {
        const deleteData = what === "remove-data";
        const question = deleteData
          ? `Remove ${t.name} and delete its downloaded files?`
          : `Remove ${t.name}? Its files stay on disk.`;
        if (!window.confirm(question)) return;
        await call("DELETE", `/torrents/${t.infoHash}?deleteData=${deleteData}`);
        say(`Removed ${t.name}${deleteData ? " and its data" : ""}`);
      }
    } catch (err) {
      say(`${t.name}: ${err.message}`, true);
    }
    refresh();
  };

  return html`
    <${Header} stats=${stats} connected=${connected} />
    <main>
      <${AddBar} onAdded=${refresh} say=${say} />
      <p class=${status.error ? "status error" : "status"} role="status" aria-live="polite">${status.text}</p>
      <${TorrentTable} torrents=${torrents} act=${act} />
    </main>
  `;
}

// The "Loading" text goes first: render adds to what the container holds.
const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
