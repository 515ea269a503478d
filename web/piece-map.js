// A torrent's live piece map (issue 17), drawn on a canvas so a torrent of
// 100,000 pieces costs what a small one does: pieces we have, pieces in
// flight (and from which peers), and the rest shaded by availability (how
// many connected peers hold each). Fed by GET …/piece-activity (piece-activity.ts
// in the daemon: a bitfield, one byte of availability per piece, the pieces
// in flight), fetched again on every list refresh while the details are open.
import htm from "htm";
import { h } from "preact";
import { useEffect, useRef } from "preact/hooks";

const html = htm.bind(h);
/** Cells drawn at most: past this, pieces are grouped, a cell standing for its group. */
export const MAX_CELLS = 4096;
/** In-flight pieces listed under the map (the map shows them all). */
const LISTED_IN_FLIGHT = 12;

function bytesOf(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * The pieces grouped into at most MAX_CELLS cells, each with the part of its
 * pieces we have (0..1), whether any is in flight, and its least availability.
 */
export function pieceCells(activity) {
  const { pieceCount } = activity;
  const have = bytesOf(activity.have);
  const availability = bytesOf(activity.availability);
  const flying = new Set(activity.inFlight.map((f) => f.piece));
  const per = Math.max(1, Math.ceil(pieceCount / MAX_CELLS));
  const cells = [];
  for (let start = 0; start < pieceCount; start += per) {
    const end = Math.min(pieceCount, start + per);
    let had = 0;
    let inFlight = false;
    let least = 255;
    for (let i = start; i < end; i++) {
      had += (have[i >> 3] >> (7 - (i & 7))) & 1;
      if (flying.has(i)) inFlight = true;
      least = Math.min(least, availability[i] ?? 0);
    }
    cells.push({ start, end, have: had / (end - start), inFlight, availability: least });
  }
  return cells;
}

/** The theme's colours for the canvas: style.css's variables (light-dark()) resolved on it. */
function colours(el) {
  const before = el.style.color;
  const v = (name) => {
    el.style.color = `var(${name})`;
    return getComputedStyle(el).color;
  };
  const c = { have: v("--done"), flight: v("--flight"), none: v("--bar"), held: v("--held") };
  el.style.color = before;
  return c;
}

/** Draws the cells; returns the cell size and columns (for pointing at a cell). */
function draw(canvas, cells) {
  const width = Math.max(120, canvas.parentElement.clientWidth);
  const cell = cells.length <= 512 ? 10 : cells.length <= 2048 ? 6 : 4;
  const columns = Math.max(1, Math.floor(width / cell));
  const rows = Math.ceil(cells.length / columns);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(columns * cell * ratio);
  canvas.height = Math.round(rows * cell * ratio);
  canvas.style.width = `${columns * cell}px`;
  canvas.style.height = `${rows * cell}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const c = colours(canvas);
  const most = Math.max(1, ...cells.map((x) => x.availability));
  const gap = cell > 4 ? 1 : 0;
  cells.forEach((x, i) => {
    const px = (i % columns) * cell;
    const py = Math.floor(i / columns) * cell;
    if (x.have >= 1) ctx.fillStyle = c.have;
    else if (x.inFlight) ctx.fillStyle = c.flight;
    else if (x.availability === 0) ctx.fillStyle = c.none;
    else ctx.fillStyle = c.held;
    // Availability as shade: the more peers hold a missing piece, the stronger it is.
    ctx.globalAlpha =
      x.have >= 1 || x.inFlight || x.availability === 0 ? 1 : 0.25 + (0.75 * x.availability) / most;
    ctx.fillRect(px, py, cell - gap, cell - gap);
    if (x.have > 0 && x.have < 1) {
      ctx.fillStyle = c.have;
      ctx.globalAlpha = 1;
      ctx.fillRect(px, py + (cell - gap) * (1 - x.have), cell - gap, (cell - gap) * x.have);
    }
  });
  ctx.globalAlpha = 1;
  return { cell, columns };
}

function describe(activity, cells, index) {
  const x = cells[index];
  if (!x) return "";
  const what = x.end - x.start === 1 ? `Piece ${x.start}` : `Pieces ${x.start}–${x.end - 1}`;
  const from = activity.inFlight
    .filter((f) => f.piece >= x.start && f.piece < x.end)
    .flatMap((f) => f.peers);
  const state =
    x.have >= 1
      ? "here"
      : x.inFlight
        ? `in flight from ${[...new Set(from)].join(", ")}`
        : "missing";
  return `${what}: ${state}; held by ${x.availability}${x.availability === 255 ? "+" : ""} peer${x.availability === 1 ? "" : "s"}`;
}

export function PieceMap({ activity }) {
  const canvas = useRef(null);
  const layout = useRef({ cell: 1, columns: 1 });
  const cells = activity && activity.pieceCount > 0 ? pieceCells(activity) : [];

  useEffect(() => {
    if (canvas.current && cells.length > 0) layout.current = draw(canvas.current, cells);
  });
  // A narrower or wider box (a phone turned, a window resized) redraws at once.
  const latest = useRef(cells);
  latest.current = cells;
  useEffect(() => {
    const box = canvas.current?.parentElement;
    if (!box || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (canvas.current && latest.current.length > 0) {
        layout.current = draw(canvas.current, latest.current);
      }
    });
    observer.observe(box);
    return () => observer.disconnect();
  }, [activity === undefined || activity.pieceCount === 0]);

  if (!activity || activity.pieceCount === 0)
    return html`<p>No pieces yet (waiting for the metadata).</p>`;
  const fullCells = cells.filter((x) => x.have >= 1).length;
  const label = `${activity.piecesHave} of ${activity.pieceCount} pieces here, ${activity.inFlight.length} in flight`;
  const point = (e) => {
    const { cell, columns } = layout.current;
    const r = e.currentTarget.getBoundingClientRect();
    const col = Math.floor((e.clientX - r.left) / cell);
    const row = Math.floor((e.clientY - r.top) / cell);
    e.currentTarget.title = col < columns ? describe(activity, cells, row * columns + col) : "";
  };
  return html`<figure class="piece-map-figure">
    <div class="piece-map-box">
      <canvas ref=${canvas} class="piece-map" role="img" aria-label=${label} data-have=${activity.piecesHave}
        data-cells=${cells.length} data-cells-have=${fullCells} data-in-flight=${activity.inFlight.length}
        onMouseMove=${point}></canvas>
    </div>
    <figcaption>
      ${label}${cells.length < activity.pieceCount ? ` (${Math.ceil(activity.pieceCount / cells.length)} pieces a cell)` : ""}.
      <span class="legend"><i class="swatch have"></i>here <i class="swatch flight"></i>in flight
        <i class="swatch held"></i>missing, darker = more peers hold it <i class="swatch none"></i>no connected peer has it</span>
    </figcaption>
    ${
      activity.inFlight.length > 0 &&
      html`<ul class="in-flight" aria-label="Pieces in flight">
        ${activity.inFlight
          .slice(0, LISTED_IN_FLIGHT)
          .map(
            (f) =>
              html`<li key=${f.piece} data-piece=${f.piece}>piece ${f.piece} from ${f.peers.join(", ")}</li>`,
          )}
        ${activity.inFlight.length > LISTED_IN_FLIGHT && html`<li>and ${activity.inFlight.length - LISTED_IN_FLIGHT} more</li>`}
      </ul>`
    }
  </figure>`;
}
