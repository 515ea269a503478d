// The global rate limits in the header, set in two clicks: "Limits", then
// "Save" (PUT /api/v1/session/settings). KiB/s in the form, bytes/s in the API.
import htm from "htm";
import { h } from "preact";
import { useState } from "preact/hooks";
import { call } from "./api.js";
import { formatRate } from "./format.js";

const html = htm.bind(h);
const KIB = 1024;

function limitText(n) {
  return n > 0 ? formatRate(n) : "none";
}

/** A limit typed in KiB/s: a whole number ≥ 0 (0 or empty: none), or undefined when not one. */
export function parseKib(text) {
  const t = text.trim();
  if (t === "") return 0;
  if (!/^\d{1,9}$/.test(t)) return undefined;
  return Number(t) * KIB;
}

export function LimitsForm({ limits, say }) {
  const [open, setOpen] = useState(false);
  const [down, setDown] = useState("");
  const [up, setUp] = useState("");

  const show = () => {
    setDown(limits?.download ? String(Math.round(limits.download / KIB)) : "");
    setUp(limits?.upload ? String(Math.round(limits.upload / KIB)) : "");
    setOpen(true);
  };

  const save = async (e) => {
    e.preventDefault();
    const download = parseKib(down);
    const upload = parseKib(up);
    if (download === undefined || upload === undefined) {
      say("Limits: give whole KiB/s (0 or empty for none)", true);
      return;
    }
    try {
      await call("PUT", "/session/settings", { limits: { download, upload } });
      say(`Limits: download ${limitText(download)}, upload ${limitText(upload)}`);
      setOpen(false);
    } catch (err) {
      say(`Limits: ${err.message}`, true);
    }
  };

  const summary = html`<span class="limits-now" data-testid="limits">
    limits ↓ ${limitText(limits?.download ?? 0)} ↑ ${limitText(limits?.upload ?? 0)}</span
  >`;
  if (!open) {
    return html`<div class="limits">
      ${summary}
      <button type="button" aria-expanded="false" onClick=${show}>Limits</button>
    </div>`;
  }
  return html`<form class="limits" aria-label="Global limits" onSubmit=${save}>
    <label>Download limit (KiB/s)
      <input type="text" inputmode="numeric" size="7" value=${down} onInput=${(e) => setDown(e.currentTarget.value)} />
    </label>
    <label>Upload limit (KiB/s)
      <input type="text" inputmode="numeric" size="7" value=${up} onInput=${(e) => setUp(e.currentTarget.value)} />
    </label>
    <button type="submit">Save</button>
    <button type="button" onClick=${() => setOpen(false)}>Cancel</button>
  </form>`;
}
