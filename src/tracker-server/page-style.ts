/**
 * The stylesheet of the tracker's pages, served at PAGE_STYLE_PATH. Its
 * palette and controls are the daemon web UI's (web/style.css: system
 * colours, light and dark by prefers-color-scheme), copied down to what
 * server-rendered pages use, so both look like one product; nothing is
 * loaded from another host.
 */
export const PAGE_STYLE_PATH = "/static/tracker.css";

export const PAGE_STYLE = `:root {
  --bg: #ffffff;
  --fg: #1b1f24;
  --muted: #59636e;
  --line: #d1d9e0;
  --accent: #0a5cc2;
  --bar: #e6ebf0;
  --done: #1a7f37;
  --danger: #b3261e;
  font-family: system-ui, sans-serif;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318;
    --fg: #e6edf3;
    --muted: #9aa5b1;
    --line: #30363d;
    --accent: #5aa2ff;
    --bar: #262c33;
    --done: #3fb950;
    --danger: #ff7b72;
  }
}
body { margin: 0; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
header {
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 1rem;
  padding: 0.75rem 1rem; border-bottom: 1px solid var(--line);
}
header h1 { font-size: 1.25rem; margin: 0; }
header h1 a { color: inherit; text-decoration: none; }
header nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header nav a[aria-current="page"] { color: var(--fg); font-weight: 600; text-decoration: none; }
main { padding: 1rem; max-width: 80rem; }
h2 { font-size: 1.1rem; }
h3 { font-size: 1rem; }
form.tools, .pager { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin-bottom: 0.75rem; }
form.stack { display: grid; gap: 0.75rem; max-width: 32rem; }
form.stack label { display: grid; gap: 0.25rem; }
form.stack p { margin: 0; }
form.stack button { justify-self: start; }
input, button, select {
  font: inherit; color: inherit; background: var(--bg);
  border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.6rem;
}
input[type="search"] { flex: 1 1 12rem; min-width: 0; }
button { cursor: pointer; }
button:focus-visible, input:focus-visible, select:focus-visible, a:focus-visible {
  outline: 2px solid var(--accent); outline-offset: 1px;
}
.muted, .count, .empty { color: var(--muted); }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--done); padding: 0.5rem 0.75rem; }
.notice.error { border-left-color: var(--danger); color: var(--danger); }
.table-wrap { position: relative; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.name { white-space: normal; overflow-wrap: anywhere; min-width: 8rem; }
th { color: var(--muted); font-weight: 600; }
th a { color: inherit; }
td.num, th.num { text-align: right; }
code { font-size: 0.9em; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.links { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; }
.links a { border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.6rem; text-decoration: none; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 0.5rem; background: var(--bg); padding: 0.25rem 0.5rem; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
@media (max-width: 40rem) {
  main { padding: 0.5rem; }
  .wide { display: none; }
  table { font-size: 0.9rem; }
  th, td { padding: 0.4rem 0.25rem; }
}
`;
