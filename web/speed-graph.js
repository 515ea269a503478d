// A speed graph of the last ten minutes (issue 17): download and upload
// rates as two lines of an SVG, one sample a second, newest at the right.
// The samples are what the page saw (each list refresh), so the graph
// starts when the page or the details were opened.
import htm from "htm";
import { h } from "preact";
import { formatRate } from "./format.js";

const html = htm.bind(h);
/** Ten minutes of one-second samples. */
export const SAMPLES = 600;
const WIDTH = 600;
const HEIGHT = 120;

/** A new history with `sample` ({ down, up }) at its end, at most SAMPLES long. */
export function withSample(history, sample) {
  const next =
    history.length >= SAMPLES ? history.slice(history.length - SAMPLES + 1) : history.slice();
  next.push(sample);
  return next;
}

/** A round scale above the largest rate, so the axis reads well. */
function scaleOf(most) {
  let step = 1024;
  while (step * 4 < most) step *= 2;
  return Math.max(step * 4, 1024);
}

function points(history, key, top) {
  const offset = SAMPLES - history.length;
  return history
    .map((s, i) => `${offset + i},${(HEIGHT - (s[key] / top) * HEIGHT).toFixed(1)}`)
    .join(" ");
}

export function SpeedGraph({ history, label }) {
  const most = history.reduce((m, s) => Math.max(m, s.down, s.up), 0);
  const top = scaleOf(most);
  const last = history.at(-1) ?? { down: 0, up: 0 };
  const seconds = history.length;
  const summary = `${label}: down ${formatRate(last.down)}, up ${formatRate(last.up)} now; at most ${formatRate(most)} over the last ${seconds < 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`}`;
  return html`<figure class="speed-graph">
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label=${summary}
      data-samples=${history.length}>
      <line class="grid" x1="0" x2=${WIDTH} y1=${HEIGHT / 2} y2=${HEIGHT / 2} />
      <polyline class="down" points=${points(history, "down", top)} />
      <polyline class="up" points=${points(history, "up", top)} />
    </svg>
    <figcaption>
      <span class="swatch-line down"></span>down ${formatRate(last.down)}
      ${" "}<span class="swatch-line up"></span>up ${formatRate(last.up)}
      ${" "}· scale ${formatRate(top)} · last ten minutes (since opened)
    </figcaption>
  </figure>`;
}
