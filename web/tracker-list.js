// A torrent's trackers in its details (issue 17): each one's last announce
// result (working, or the tracker's error or warning; the swarm it counts; when),
// and editing the list through the daemon's routes: add a URL (its own tier after
// the others, BEP 12), change one's URL, remove one. Each route answers with the
// list after the change, shown at once; a refused edit is one line in the status.
import htm from "htm";
import { h } from "preact";
import { useState } from "preact/hooks";
import { call } from "./api.js";

const html = htm.bind(h);

/** The last announce's outcome in words. */
function announceResult(r) {
  if (r.lastError) return `${r.state}: ${r.lastError}`;
  if (r.lastWarning) return `${r.state} (${r.lastWarning})`;
  return r.state;
}

function TrackerRow({ t, r, edit, editing, setEditing }) {
  const [url, setUrl] = useState(r.url);
  const save = async (e) => {
    e.preventDefault();
    if (await edit("PUT", `/${r.id}`, { url: url.trim() })) setEditing(undefined);
  };
  const remove = () => {
    if (window.confirm(`Remove the tracker ${r.url} from ${t.name}?`)) edit("DELETE", `/${r.id}`);
  };
  const urlCell =
    editing === r.id
      ? html`<form class="tracker-edit" onSubmit=${save}>
          <input type="text" aria-label=${`New URL of ${r.url}`} value=${url} spellcheck="false"
            onInput=${(e) => setUrl(e.currentTarget.value)} />
          <button type="submit">Save</button>
          <button type="button" onClick=${() => setEditing(undefined)}>Cancel</button>
        </form>`
      : r.url;
  return html`<tr data-url=${r.url} data-state=${r.state}>
    <td class="name">${urlCell}</td><td>${r.tier}</td>
    <td class="announce-result">${announceResult(r)}</td>
    <td>${r.seeders ?? "–"}</td><td>${r.leechers ?? "–"}</td><td>${r.peersReceived}</td>
    <td>${r.lastAnnounceAgo === undefined ? "–" : `${r.lastAnnounceAgo} s ago`}</td>
    <td class="actions">
      <button type="button" aria-label=${`Edit tracker ${r.url}`} disabled=${editing === r.id}
        onClick=${() => {
          setUrl(r.url);
          setEditing(r.id);
        }}>Edit</button>
      <button type="button" aria-label=${`Remove tracker ${r.url}`} onClick=${remove}>Remove</button>
    </td>
  </tr>`;
}

/** `trackers` as last fetched; `setTrackers` takes the list a change answers with. */
export function TrackerList({ t, trackers, setTrackers, say }) {
  const [adding, setAdding] = useState("");
  // The id of the tracker whose URL is being edited (ids are places: one at a time).
  const [editing, setEditing] = useState(undefined);

  /** One change; true when the daemon took it. */
  const edit = async (method, path, body) => {
    try {
      setTrackers(await call(method, `/torrents/${t.infoHash}/trackers${path}`, body));
      return true;
    } catch (err) {
      say(`Trackers of ${t.name}: ${err.message}`, true);
      return false;
    }
  };
  const add = async (e) => {
    e.preventDefault();
    if (adding.trim() === "") return;
    if (await edit("POST", "", { url: adding.trim() })) setAdding("");
  };

  return html`${
    trackers.length === 0
      ? html`<p>No trackers.</p>`
      : html`<div class="table-wrap"><table class="trackers" aria-label=${`Trackers of ${t.name}`}>
    <thead><tr>
      <th scope="col">Tracker</th><th scope="col">Tier</th><th scope="col">Last announce result</th>
      <th scope="col">Seeders</th><th scope="col">Leechers</th><th scope="col">Peers received</th>
      <th scope="col">Last announce</th><th scope="col"><span class="visually-hidden">Actions</span></th>
    </tr></thead>
    <tbody>
      ${trackers.map(
        (r) =>
          html`<${TrackerRow} key=${`${r.id} ${r.url}`} t=${t} r=${r} edit=${edit} editing=${editing} setEditing=${setEditing} />`,
      )}
    </tbody>
  </table></div>`
  }
  <form class="tracker-add" onSubmit=${add}>
    <label>Add a tracker <input type="text" value=${adding} spellcheck="false" placeholder="udp://tracker.example:6969/announce"
      onInput=${(e) => setAdding(e.currentTarget.value)} /></label>
    <button type="submit">Add tracker</button>
  </form>`;
}
