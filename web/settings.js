// The settings page (issue 17): the config file's options as the daemon
// runs them (GET /api/v1/settings), checked by the daemon field by field
// before saving (POST /settings/validate: the config file's own rules), then
// saved to the file the daemon reads (PUT /settings), applied at once where
// the daemon can (limits, queues, seeding goals), else at its next start.
import htm from "htm";
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";

const html = htm.bind(h);

/** The page's sections: a heading and the fields' keys, with their labels. */
const SECTIONS = [
  [
    "Folders",
    [
      ["download-dir", "Download folder"],
      ["incomplete-dir", "Folder for downloads until complete (empty: the download folder)"],
      ["watch-dir", "Watch folder (.torrent files put here are added)"],
      ["watch.delete-added", "Delete .torrent files once added (else renamed .added)"],
    ],
  ],
  [
    "Limits",
    [
      ["limits.download", "Download limit (bytes/s, or like 512KiB, 10MB; 0 for none)"],
      ["limits.upload", "Upload limit (bytes/s, or like 512KiB, 10MB; 0 for none)"],
    ],
  ],
  [
    "Connections",
    [
      ["peer.port", "Peer port"],
      ["peer.address", "Listen address (empty: all interfaces)"],
      ["peer.max-connections", "Most connections"],
      ["peer.max-peers-per-torrent", "Most peers a torrent"],
      ["peer.encryption", "Encryption (MSE)"],
    ],
  ],
  [
    "Peer sources",
    [
      ["peer.dht", "DHT (BEP 5)"],
      ["peer.dht-enforce-node-id", "DHT: only nodes whose ids match their addresses (BEP 42)"],
      ["peer.dht-read-only", "DHT: read-only, not answering queries (BEP 43)"],
      ["peer.pex", "Peer exchange (BEP 11)"],
      ["peer.lsd", "Local service discovery (BEP 14)"],
    ],
  ],
  [
    "Queue",
    [
      ["queue.max-active-downloads", "Most active downloads (0 for no limit)"],
      ["queue.max-active-seeds", "Most active seeds (0 for no limit)"],
      ["queue.stalled-minutes", "Minutes without data before a download stops counting (0: never)"],
    ],
  ],
  [
    "Seeding",
    [
      ["seeding.ratio-limit", "Stop seeding at ratio (0 for never)"],
      ["seeding.idle-limit-minutes", "Stop seeding after idle minutes (0 for never)"],
    ],
  ],
];

const NUMBERS = new Set(["port", "count", "whole", "ratio"]);
const MIB = 1024 * 1024;

/** A value as the form shows it. */
function shown(field) {
  const v = field.value;
  if (v === null || v === undefined) return field.kind === "flag" ? false : "";
  if (field.kind === "rate" && typeof v === "number" && v > 0) {
    if (v % MIB === 0) return `${v / MIB}MiB`;
    if (v % 1024 === 0) return `${v / 1024}KiB`;
  }
  return field.kind === "flag" ? v : String(v);
}

/** What the form holds as the API takes it: numbers as numbers, nothing as null (0 for a live field). */
function parsed(field, input) {
  if (field.kind === "flag" || field.kind === "choice") return input;
  const text = String(input).trim();
  if (text === "") return field.live ? 0 : null;
  if ((NUMBERS.has(field.kind) || field.kind === "rate") && /^-?\d+(\.\d+)?$/.test(text))
    return Number(text);
  return text;
}

function Field({ field, label, value, error, onInput }) {
  const id = `setting-${field.key.replace(/\W/g, "-")}`;
  const hint = [
    field.live ? "applied at once" : "applied at the next start",
    field.flag ? "a command-line flag overrides it" : "",
    field.restartNeeded ? "saved; the daemon runs with another value until it restarts" : "",
  ]
    .filter(Boolean)
    .join("; ");
  const described = `${id}-hint${error ? ` ${id}-error` : ""}`;
  const common = {
    id,
    "aria-describedby": described,
    "aria-invalid": error ? "true" : "false",
    "data-key": field.key,
  };
  let input;
  if (field.kind === "flag") {
    input = html`<input type="checkbox" ...${common} checked=${value} onChange=${(e) => onInput(e.currentTarget.checked)} />`;
  } else if (field.kind === "choice") {
    input = html`<select ...${common} value=${value} onChange=${(e) => onInput(e.currentTarget.value)}>
      ${field.choices.map((c) => html`<option value=${c}>${c}</option>`)}
    </select>`;
  } else {
    input = html`<input type="text" ...${common} value=${value} spellcheck="false" autocomplete="off"
      inputmode=${NUMBERS.has(field.kind) ? "decimal" : undefined} onInput=${(e) => onInput(e.currentTarget.value)} />`;
  }
  return html`<div class=${`setting ${field.kind === "flag" ? "flag" : ""}`}>
    <label for=${id}>${label}</label>
    ${input}
    <small id=${`${id}-hint`} class="hint">${hint}</small>
    ${error && html`<small id=${`${id}-error`} class="field-error" role="alert">${error}</small>`}
  </div>`;
}

export function SettingsPage({ say }) {
  const [view, setView] = useState(undefined);
  const [form, setForm] = useState({});
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);

  const load = (v) => {
    setView(v);
    setForm(Object.fromEntries(v.fields.map((f) => [f.key, shown(f)])));
  };
  useEffect(() => {
    call("GET", "/settings").then(load, (err) => setProblem(err.message));
  }, []);

  if (problem)
    return html`<section class="settings" aria-label="Settings"><h2>Settings</h2><p class="status error">${problem}</p></section>`;
  if (!view)
    return html`<section class="settings" aria-label="Settings"><p>Loading the settings…</p></section>`;
  const byKey = new Map(view.fields.map((f) => [f.key, f]));

  /** Only what the user changed goes to the daemon. */
  const changes = () => {
    const out = {};
    for (const f of view.fields) {
      if (form[f.key] !== shown(f)) out[f.key] = parsed(f, form[f.key]);
    }
    return out;
  };

  const save = async (e) => {
    e.preventDefault();
    const values = changes();
    if (Object.keys(values).length === 0) {
      say("Settings: nothing changed");
      return;
    }
    setBusy(true);
    try {
      const checked = await call("POST", "/settings/validate", { values });
      setErrors(checked.errors);
      if (!checked.ok) {
        say(`Settings: ${Object.keys(checked.errors).length} to correct; nothing saved`, true);
        return;
      }
      const saved = await call("PUT", "/settings", { values });
      load(saved);
      const parts = [];
      if (saved.applied.length > 0) parts.push(`applied now: ${saved.applied.join(", ")}`);
      if (saved.restartNeeded.length > 0)
        parts.push(`at the next start: ${saved.restartNeeded.join(", ")}`);
      say(`Saved to ${saved.file}${parts.length > 0 ? ` (${parts.join("; ")})` : ""}`);
    } catch (err) {
      say(`Settings: ${err.message}`, true);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="settings" aria-label="Settings">
    <h2>Settings</h2>
    <p class="hint">Saved to <code>${view.file}</code>, the config file the daemon reads at start (its comments are kept).</p>
    <form onSubmit=${save} novalidate>
      ${errors.file && html`<p class="status error" role="alert">${errors.file}</p>`}
      ${SECTIONS.map(
        ([title, fields]) => html`<fieldset>
          <legend>${title}</legend>
          ${fields
            .filter(([key]) => byKey.has(key))
            .map(
              ([
                key,
                label,
              ]) => html`<${Field} key=${key} field=${byKey.get(key)} label=${label} value=${form[key]}
                error=${errors[key]} onInput=${(v) => setForm((f) => ({ ...f, [key]: v }))} />`,
            )}
        </fieldset>`,
      )}
      <div class="settings-actions">
        <button type="submit" disabled=${busy}>Save settings</button>
        <button type="button" onClick=${() => {
          load(view);
          setErrors({});
        }}>Undo changes</button>
      </div>
    </form>
  </section>`;
}
