// A torrent's files as a tree (issue 17): folders fold and unfold, and each
// file or folder has a "download" checkbox (skip, or back to normal) and a
// priority (skip/low/normal/high), both sent as PUT /api/v1/torrents/<hash>/files
// with the indices of the files they cover. A folder's checkbox is mixed
// (indeterminate) when some of its files are skipped.
import htm from "htm";
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { FilePlayer } from "./file-player.js";
import { formatBytes, formatProgress } from "./format.js";

const html = htm.bind(h);
export const PRIORITIES = ["skip", "low", "normal", "high"];

/** The files (padding left out) as nested folders: { name, path, folders: Map, files: [] }. */
export function fileTree(files) {
  const root = { name: "", path: "", folders: new Map(), files: [] };
  for (const f of files) {
    if (f.padding) continue;
    const parts = f.path.split("/");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.folders.get(part);
      if (next === undefined) {
        next = {
          name: part,
          path: node.path ? `${node.path}/${part}` : part,
          folders: new Map(),
          files: [],
        };
        node.folders.set(part, next);
      }
      node = next;
    }
    node.files.push({ ...f, name: parts.at(-1) });
  }
  return root;
}

/** Every file below a folder. */
function filesUnder(node) {
  const out = [...node.files];
  for (const sub of node.folders.values()) out.push(...filesUnder(sub));
  return out;
}

/** The rows in view: folders first, then files, each at its depth; a closed folder hides its own. */
function rowsOf(node, closed, depth, out) {
  for (const sub of node.folders.values()) {
    out.push({ folder: sub, depth });
    if (!closed.has(sub.path)) rowsOf(sub, closed, depth + 1, out);
  }
  for (const f of node.files) out.push({ file: f, depth });
  return out;
}

function PrioritySelect({ value, label, onChange }) {
  return html`<select aria-label=${label} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
    ${value === "mixed" && html`<option value="mixed" disabled>mixed</option>`}
    ${PRIORITIES.map((p) => html`<option value=${p}>${p}</option>`)}
  </select>`;
}

function FolderRow({ node, depth, open, toggle, set }) {
  const files = filesUnder(node);
  const wanted = files.filter((f) => f.wanted).length;
  const length = files.reduce((n, f) => n + f.length, 0);
  const done = files.reduce((n, f) => n + f.bytesCompleted, 0);
  const priorities = new Set(files.map((f) => f.priority));
  const priority = priorities.size === 1 ? [...priorities][0] : "mixed";
  const indices = files.map((f) => f.index);
  const mixed = wanted > 0 && wanted < files.length;
  return html`<tr class="folder" data-folder=${node.path} aria-level=${depth + 1} aria-expanded=${open ? "true" : "false"}>
    <td><input type="checkbox" checked=${wanted === files.length} aria-label=${`Download folder ${node.path}`}
      ref=${(el) => {
        if (el) el.indeterminate = mixed;
      }}
      onChange=${(e) => set(indices, { wanted: e.currentTarget.checked }, node.path)} /></td>
    <td class="name" style=${{ paddingLeft: `${0.5 + depth * 1.25}rem` }}>
      <button type="button" class="fold" aria-expanded=${open ? "true" : "false"} aria-label=${`${open ? "Fold" : "Unfold"} ${node.path}`}
        onClick=${() => toggle(node.path)}>${open ? "▾" : "▸"}</button>
      ${" "}${node.name}/
    </td>
    <td><${PrioritySelect} value=${priority} label=${`Priority of folder ${node.path}`}
      onChange=${(p) => set(indices, { priority: p }, node.path)} /></td>
    <td>${formatBytes(length)}</td>
    <td>${wanted === 0 ? "skipped" : formatProgress(length > 0 ? done / length : 1)}</td>
  </tr>`;
}

function FileRow({ t, f, depth, set }) {
  return html`<tr data-file=${f.path} data-priority=${f.priority} aria-level=${depth + 1}>
    <td><input type="checkbox" checked=${f.wanted} aria-label=${`Download ${f.path}`}
      onChange=${(e) => set([f.index], { wanted: e.currentTarget.checked }, f.path)} /></td>
    <td class="name" style=${{ paddingLeft: `${0.5 + depth * 1.25 + 1.6}rem` }}>${f.name} <${FilePlayer} t=${t} f=${f} /></td>
    <td><${PrioritySelect} value=${f.priority} label=${`Priority of ${f.path}`}
      onChange=${(p) => set([f.index], { priority: p }, f.path)} /></td>
    <td>${formatBytes(f.length)}</td>
    <td>${f.wanted ? formatProgress(f.progress) : "skipped"}</td>
  </tr>`;
}

/** A file as it will be once `change` ({ wanted } or { priority }) is applied. */
function changed(f, change) {
  if (change.priority !== undefined) {
    return { ...f, priority: change.priority, wanted: change.priority !== "skip" };
  }
  if (change.wanted)
    return { ...f, wanted: true, priority: f.priority === "skip" ? "normal" : f.priority };
  return { ...f, wanted: false, priority: "skip" };
}

export function FileTree({ t, files, say, reload }) {
  const [closed, setClosed] = useState(() => new Set());
  // The user's last change, shown at once and kept over a refresh that was already on its
  // way (it would put the old state back for a moment) until the files fetched after it arrive.
  const [pending, setPending] = useState(undefined);
  useEffect(() => {
    if (pending?.settled) setPending(undefined);
  }, [files]);
  if (files.length === 0) return html`<p>No files yet (waiting for the metadata).</p>`;
  const set = async (indices, change, what) => {
    setPending({ indices: new Set(indices), change, settled: false });
    try {
      await call("PUT", `/torrents/${t.infoHash}/files`, { indices, ...change });
    } catch (err) {
      say(`${what}: ${err.message}`, true);
    }
    setPending((p) => p && { ...p, settled: true });
    reload();
  };
  const shown = pending
    ? files.map((f) => (pending.indices.has(f.index) ? changed(f, pending.change) : f))
    : files;
  const toggle = (path) =>
    setClosed((prev) => {
      const next = new Set(prev);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  const rows = rowsOf(fileTree(shown), closed, 0, []);
  return html`<div class="table-wrap"><table class="files" role="treegrid" aria-label=${`Files of ${t.name}`}>
    <thead><tr><th scope="col">Download</th><th scope="col">File</th><th scope="col">Priority</th><th scope="col">Size</th><th scope="col">Done</th></tr></thead>
    <tbody>
      ${rows.map((r) =>
        r.folder
          ? html`<${FolderRow} key=${`d:${r.folder.path}`} node=${r.folder} depth=${r.depth}
              open=${!closed.has(r.folder.path)} toggle=${toggle} set=${set} />`
          : html`<${FileRow} key=${`f:${r.file.index}`} t=${t} f=${r.file} depth=${r.depth} set=${set} />`,
      )}
    </tbody>
  </table></div>`;
}
