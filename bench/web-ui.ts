/**
 * Issue 17's web UI benchmark: a shoal daemon (its own process, as users
 * start it) holding N small generated torrents, all seeding, and its web UI
 * in Debian's chromium, headless, driven by playwright-core (no browser is
 * downloaded; the page can reach 127.0.0.1 and nothing else).
 *
 * - interactive: on the page's clock, from navigation start until the first
 *   rows are in the page, the count says N, and the page's main thread is
 *   free to answer (a script run in it returns), with where the time went
 *   (HTML, modules, the list asked for, arrived, drawn); then a click on a
 *   column header until the list is sorted by it. Repeated --runs times,
 *   each in a fresh page.
 * - live updates: for --seconds, the list is kept current from the daemon's
 *   events (after each, the page asks GET /torrents/changes?since= for what
 *   changed) while 20 torrents in view are paused or resumed every second;
 *   the page records each frame's interval (requestAnimationFrame), each
 *   list update's work from its data's arrival to the page updated (User
 *   Timing measures "shoal-list-update", web/app.js), and the size of the
 *   list's replies (Resource Timing), beside the whole list's.
 *
 * Targets (issue 17): interactive ≤ 1 s; updates under 16 ms a frame. There
 * is no reference program for a web UI on this machine, so no ratio.
 *
 * Usage: node bench/web-ui.ts [--torrents 5000] [--runs 3] [--seconds 10]
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { poll, requireWholeNumbers } from "./lib/options.ts";
import { makeSeedTorrents } from "./lib/seed-torrents.ts";
import { freePort, ServerProcess, stopAllServers } from "./lib/server-process.ts";
import { percentileOfSorted, summarize } from "./lib/stats.ts";
import { fixed, formatTable } from "./lib/table.ts";

/** As users start it: the `shoal` command (bin/shoal: the daemon's memory settings, then bin/shoal.js). */
const SHOAL = resolve(import.meta.dirname, "../bin/shoal");
const CHROMIUM = "/usr/bin/chromium";

const { values } = parseArgs({
  options: {
    torrents: { type: "string", default: "5000" },
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
  },
});
const N = Number(values.torrents);
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
requireWholeNumbers("bench/web-ui.ts", [
  ["--torrents", N, 20_000],
  ["--runs", RUNS, 20],
  ["--seconds", SECONDS, 120],
]);
if (!existsSync(CHROMIUM)) {
  process.stderr.write("bench/web-ui.ts: needs Debian's chromium (apt-get install chromium)\n");
  process.exit(2);
}

function spread(samples: number[]): string {
  const s = summarize(samples);
  return `${fixed(s.median, 0)} (${fixed(s.min, 0)}–${fixed(s.max, 0)})`;
}

/** p50/p95/max of samples, in ms. */
function tail(samples: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    max: sorted.at(-1) ?? 0,
  };
}

const work = mkdtempSync(join(tmpdir(), "shoal-bench-web-ui-"));
const content = join(work, "content");
mkdirSync(content);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-component-update"],
});
try {
  process.stdout.write(`generating ${N} torrents…\n`);
  const torrents = makeSeedTorrents(N, content);
  const apiPort = await freePort();
  const peerPort = await freePort();
  const config = join(work, "config.toml");
  writeFileSync(
    config,
    `download-dir = "${content}"\n[peer]\naddress = "127.0.0.1"\npex = false\ndht = false\nlsd = false\n[log]\nlevel = "warn"\n`,
  );
  const daemon = new ServerProcess({
    name: "shoal daemon",
    command: SHOAL,
    args: ["daemon", "--config", config, "--data-dir", join(work, "data")].concat([
      "--port",
      String(peerPort),
      "--api-port",
      String(apiPort),
    ]),
    timeoutMs: 1_800_000,
  });
  const base = `http://127.0.0.1:${apiPort}`;
  await poll("the daemon's API", async () => (await fetch(`${base}/api/v1/session`)).ok, 30_000);
  const began = performance.now();
  // Added by a few requests at a time (the daemon's adding is not what is measured here).
  let next = 0;
  const adder = async () => {
    while (next < torrents.length) {
      const t = torrents[next++]!;
      const res = await fetch(`${base}/api/v1/torrents`, {
        method: "POST",
        body: t,
        headers: { "content-type": "application/x-bittorrent" },
        signal: AbortSignal.timeout(60_000),
      });
      if (res.status !== 201) throw new Error(`add: HTTP ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, adder));
  await poll(
    "every torrent seeding",
    async () => {
      const list = (await (await fetch(`${base}/api/v1/torrents?fields=state`)).json()) as {
        state: string;
      }[];
      return list.length === N && list.every((t) => t.state === "seeding");
    },
    600_000,
  );
  process.stdout.write(
    `${N} torrents added and seeding in ${fixed((performance.now() - began) / 1000, 1)} s\n`,
  );

  const interactive: number[] = [];
  const firstRows: number[] = [];
  const sortClick: number[] = [];
  const breakdown: number[][] = [];
  const fromBench: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Watched in the page at every frame, so the bench's own round trips do not count: rows
    // shown and the count saying N, then the next task (the main thread free to answer).
    await page.addInitScript(`(() => {
      const look = () => {
        const count = document.querySelector(".list-tools .count")?.textContent ?? "";
        if (document.querySelector("tbody tr[data-name]") && count.startsWith("${N} of ${N}")) {
          window.__shown = performance.now();
          setTimeout(() => { window.__interactive = performance.now(); }, 0);
        } else requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    })()`);
    const t0 = performance.now();
    await page.goto(`${base}/`);
    await page.locator("tbody tr[data-name]").first().waitFor({ timeout: 60_000 });
    firstRows.push(performance.now() - t0);
    await page.waitForFunction("window.__interactive !== undefined", undefined, {
      timeout: 60_000,
    });
    interactive.push((await page.evaluate("window.__interactive")) as number);
    fromBench.push(performance.now() - t0);
    // Where the time went, on the page's clock.
    const marks = (await page.evaluate(`(() => {
      const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
      const modules = performance.getEntriesByType("resource").filter((r) => /.m?js$/.test(r.name));
      return [
        performance.getEntriesByType("navigation")[0]?.responseEnd ?? NaN,
        Math.max(...modules.map((r) => r.responseEnd)),
        at("shoal-app-start"),
        at("shoal-list-asked"),
        at("shoal-first-list-arrived"),
        at("shoal-first-list"),
      ];
    })()`)) as number[];
    breakdown.push(marks);
    const c0 = performance.now();
    await page.getByRole("button", { name: "Size", exact: true }).click();
    await page.locator('th[aria-sort="descending"]', { hasText: "Size" }).waitFor();
    await page.locator("tbody tr[data-name]").first().waitFor();
    sortClick.push(performance.now() - c0);
    await page.close();
  }

  // Live: a page left open on the list while torrents in view change state.
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${base}/`);
  await page.getByText(`${N} of ${N}`).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  await page.evaluate(`(() => {
    performance.clearMeasures("shoal-list-update");
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => { window.__frames.push(now - last); last = now; window.__raf = requestAnimationFrame(tick); };
    window.__raf = requestAnimationFrame(tick);
  })()`);
  const list = (await (await fetch(`${base}/api/v1/torrents?fields=infoHash`)).json()) as {
    infoHash: string;
  }[];
  const inView = list.slice(0, 20).map((t) => t.infoHash);
  const until = Date.now() + SECONDS * 1000;
  for (let round = 0; Date.now() < until && round < SECONDS * 2; round++) {
    const what = round % 2 === 0 ? "pause" : "resume";
    await Promise.all(
      inView.map((h) => fetch(`${base}/api/v1/torrents/${h}/${what}`, { method: "POST" })),
    );
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1000, until - Date.now()))));
  }
  const measured = (await page.evaluate(`(() => {
    cancelAnimationFrame(window.__raf);
    const lists = performance.getEntriesByType("resource").filter((r) => r.name.includes("/api/v1/torrents"));
    return {
      frames: window.__frames.slice(1),
      updates: performance.getEntriesByName("shoal-list-update").map((m) => m.duration),
      whole: lists.filter((r) => !r.name.includes("since=")).map((r) => r.encodedBodySize),
      changes: lists.filter((r) => r.name.includes("since=")).map((r) => r.encodedBodySize),
    };
  })()`)) as { frames: number[]; updates: number[]; whole: number[]; changes: number[] };
  await page.close();
  await daemon.stop(30_000);

  const frames = tail(measured.frames);
  const updates = tail(measured.updates);
  process.stdout.write(
    `\nweb UI with ${N} torrents (chromium headless, 1280×800; ${RUNS} runs; median (min–max))\n`,
  );
  process.stdout.write(
    formatTable(
      ["figure", "shoal", "target"],
      [
        ["first rows shown (bench's clock), ms", spread(firstRows), ""],
        ["interactive (page's clock from navigation start), ms", spread(interactive), "≤ 1000"],
        ["  the same on the bench's clock (its round trips too), ms", spread(fromBench), ""],
        ...[
          "  the page's HTML received at, ms",
          "  its last module received at, ms",
          "  its script started at, ms",
          "  the list asked for at, ms",
          "  the list arrived at, ms",
          "  the first list drawn at, ms",
        ].map((label, i) => [label, spread(breakdown.map((m) => m[i]!)), ""]),
        ["sort by a column (click → sorted), ms", spread(sortClick), ""],
        [
          `list update work, ms p50 / p95 / max (${measured.updates.length} updates in ${SECONDS} s)`,
          `${fixed(updates.p50, 1)} / ${fixed(updates.p95, 1)} / ${fixed(updates.max, 1)}`,
          "< 16",
        ],
        [
          `the list's replies while live, KiB p50 / max (${measured.changes.length} replies)`,
          `${fixed(tail(measured.changes).p50 / 1024, 1)} / ${fixed(tail(measured.changes).max / 1024, 1)}`,
          "",
        ],
        [
          "  the whole list's reply (first load), KiB",
          fixed((measured.whole[0] ?? 0) / 1024, 1),
          "",
        ],
        [
          `frame interval, ms p50 / p95 / max (${measured.frames.length} frames)`,
          `${fixed(frames.p50, 1)} / ${fixed(frames.p95, 1)} / ${fixed(frames.max, 1)}`,
          "< 16.7 (60 Hz)",
        ],
      ],
    ),
  );
  process.stdout.write(
    "\nNo reference program: there is no other web UI on this machine to measure beside shoal's, so no ratio.\n",
  );
} finally {
  await browser.close();
  await stopAllServers();
  rmSync(work, { recursive: true, force: true });
}
