// A speed graph of the last ten minutes (issue 17): download and upload
// rates as two lines of an SVG, one sample a second, newest at the right.
// The samples are the daemon's (GET …/rates, rate-history.ts): it samples
// every torrent moving data, so opening the details shows the last ten
// minutes and a reload keeps the graph.
import htm from "htm";
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { formatRate } from "./format.js";

const html = htm.bind(h);
/** Ten minutes of one-second samples. */
const SAMPLES = 600;
const WIDTH = 600;
const HEIGHT = 120;

/** A round scale above the largest rate, so the axis reads well. */
function scaleOf(most) {
  let step = 1024;
  while (step * 4 < most) step *= 2;
  return Math.max(step * 4, 1024);
}

function points(series, top) {
  const offset = SAMPLES - series.length;
  return series
    .map((r, i) => `${offset + i},${(HEIGHT - (r / top) * HEIGHT).toFixed(1)}`)
    .join(" ");
}

export function SpeedGraph({ rates, label, note = "last ten minutes" }) {
  const down = rates?.download ?? [];
  const up = rates?.upload ?? [];
  const most = Math.max(0, ...down, ...up);
  const top = scaleOf(most);
  const last = { down: down.at(-1) ?? 0, up: up.at(-1) ?? 0 };
  const seconds = down.length;
  const summary = `${label}: down ${formatRate(last.down)}, up ${formatRate(last.up)} now; at most ${formatRate(most)} over the last ${seconds < 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`}`;
  return html`<figure class="speed-graph">
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label=${summary}
      data-samples=${down.length}>
      <line class="grid" x1="0" x2=${WIDTH} y1=${HEIGHT / 2} y2=${HEIGHT / 2} />
      <polyline class="down" points=${points(down, top)} />
      <polyline class="up" points=${points(up, top)} />
    </svg>
    <figcaption>
      <span class="swatch-line down"></span>down ${formatRate(last.down)}
      ${" "}<span class="swatch-line up"></span>up ${formatRate(last.up)}
      ${" "}· scale ${formatRate(top)} · ${note}
    </figcaption>
  </figure>`;
}

/**
 * The session's rates of the last ten minutes (GET /session/rates), folded
 * away until opened; fetched on each list refresh (`tick`) while open.
 */
export function SessionSpeed({ tick }) {
  const [open, setOpen] = useState(false);
  const [rates, setRates] = useState(undefined);
  useEffect(() => {
    if (!open) return;
    let live = true;
    call("GET", "/session/rates").then(
      (r) => live && setRates(r),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [open, tick]);
  return html`<details class="session-speed" onToggle=${(e) => setOpen(e.currentTarget.open)}>
    <summary>Speed of the last ten minutes</summary>
    ${open && html`<${SpeedGraph} rates=${rates} label="Speed of every torrent" note="last ten minutes" />`}
  </details>`;
}
