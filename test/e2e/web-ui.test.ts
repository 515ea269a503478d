/**
 * The web UI in a real browser (issue 17): Debian's chromium, headless,
 * driven by playwright-core against a daemon on 127.0.0.1, with a second
 * daemon on loopback seeding through an in-process tracker. A user adds one
 * torrent by the file chooser and one by a magnet link and watches both reach
 * 100%, pauses and resumes one, and removes one with its data. Every request
 * the page makes goes to the daemon, and hostnames resolve to nothing, so the
 * browser cannot reach any other host.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { hashPassword } from "../../src/api/index.ts";
import { call, startTestDaemon, type TestDaemon } from "../daemon/daemon-helpers.ts";
import {
  assertSameFiles,
  browserSkip,
  launchBrowser,
  SCREENSHOTS,
  screenshots,
  startWebUiSwarm,
  TRANSFER_TIMEOUT_MS,
  type WebUiSwarm,
  waitForRow,
  watchPage,
} from "./browser-helpers.ts";

const skip = browserSkip;
/**
 * The torrent's files as `view` shows them, once they are as `expected` or
 * after 10 s (what they are then): the web UI shows a change before the
 * daemon has answered its request.
 */
async function filesOnceSettled<T>(
  base: string,
  infoHash: string,
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, as each caller reads it
  view: (f: any) => T,
  expected: T[],
): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const files = await call(base, "GET", `/api/v1/torrents/${infoHash}/files`);
    const seen = (files.body as unknown[]).map(view);
    if (JSON.stringify(seen) === JSON.stringify(expected) || Date.now() > deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits (up to 30 s) until the list shows exactly these torrents, in this order. */
async function expectRows(page: Page, names: string[]) {
  let shown: (string | null)[] = [];
  for (let i = 0; i < 300; i++) {
    shown = await page
      .locator("tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
    if (JSON.stringify(shown) === JSON.stringify(names)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(shown, names);
}

/** A torrent the seeder serves at 100 KiB/s. */
async function seedAt100KiBs(name: string, size: number) {
  const made = await swarm.seed(name, size);
  const limited = await call(seeder.base, "PUT", `/api/v1/torrents/${made.infoHash}/limits`, {
    json: { upload: 100 * 1024 },
  });
  assert.equal(limited.status, 200, JSON.stringify(limited.body));
  return made;
}

let browser: Browser;
let swarm: WebUiSwarm;
let seeder: TestDaemon;
let leecher: TestDaemon;
let tracker: WebUiSwarm["tracker"];
let work: string;

before(async () => {
  if (skip) return;
  browser = await launchBrowser();
  work = await mkdtemp(join(tmpdir(), "shoal-web-ui-"));
  swarm = await startWebUiSwarm();
  ({ seeder, leecher, tracker } = swarm);
});

after(async () => {
  await browser?.close();
  await swarm?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("web UI: add by file chooser and by magnet link, both reach 100%; sort, search, filter by state and label; limits; pause, resume, remove with data", {
  skip,
}, async () => {
  const alpha = await swarm.seed("alpha", 300_000);
  const beta = await swarm.seed("beta", 200_000);
  const seederPort = (await call(seeder.base, "GET", "/api/v1/session/settings")).body
    .port as number;
  const alphaFile = join(work, "alpha.torrent");
  await writeFile(alphaFile, alpha.torrent);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const elsewhere: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(`${leecher.base}/`)) elsewhere.push(r.url());
  });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  await page.goto(`${leecher.base}/`);
  await page.getByRole("heading", { name: "shoal" }).waitFor();
  await page.getByText("No torrents yet").waitFor();

  // By the file chooser, as a user clicks "Add .torrent files".
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByText("Add .torrent files").click(),
  ]);
  await chooser.setFiles(alphaFile);
  await waitForRow(page, "alpha", "seeding", "100%");

  // By a magnet link typed in and sent with Enter (the keyboard alone).
  const magnet = `magnet:?xt=urn:btih:${beta.infoHash}&dn=beta&x.pe=127.0.0.1:${seederPort}`;
  await page.getByLabel("Magnet link").fill(magnet);
  await page.getByLabel("Magnet link").press("Enter");
  await waitForRow(page, "beta", "seeding", "100%");
  await assertSameFiles(alpha, leecher.downloadDir);
  await assertSameFiles(beta, leecher.downloadDir);
  // The session's speed graph, folded until opened (the daemon has sampled since it started).
  await page.getByText("Speed of the last ten minutes").click();
  const sessionGraph = page.locator(".session-speed svg");
  await sessionGraph.waitFor();
  for (let i = 0; i < 300 && Number(await sessionGraph.getAttribute("data-samples")) < 2; i++) {
    await page.waitForTimeout(100);
  }
  assert.ok(Number(await sessionGraph.getAttribute("data-samples")) >= 2, "the session's samples");

  const rowText = await page.locator('tr[data-name="alpha"]').innerText();
  assert.match(rowText, /293\.0 KiB/, "the size in binary units");
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, "torrents-desktop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SCREENSHOTS, "torrents-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Sort by a column's header, search names, filter by state.
  await page.getByRole("button", { name: "Name", exact: true }).click();
  await expectRows(page, ["alpha", "beta"]);
  assert.equal(
    await page.locator("th", { hasText: "Name" }).getAttribute("aria-sort"),
    "ascending",
  );
  await page.getByRole("button", { name: /^Name/ }).click();
  await expectRows(page, ["beta", "alpha"]);
  await page.getByLabel("Search").fill("alp");
  await expectRows(page, ["alpha"]);
  await page.getByLabel("Search").fill("");
  await page.getByLabel("State").selectOption("downloading");
  await expectRows(page, []);
  await page.getByLabel("State").selectOption("seeding");
  await expectRows(page, ["beta", "alpha"]);
  await page.getByLabel("State").selectOption("all");
  const labelled = await call(leecher.base, "PUT", `/api/v1/torrents/${beta.infoHash}/labels`, {
    json: { labels: ["music"] },
  });
  assert.equal(labelled.status, 200, JSON.stringify(labelled.body));
  await page.locator('tr[data-name="beta"] .label', { hasText: "music" }).waitFor();
  await page.getByLabel("Label").selectOption("music");
  await expectRows(page, ["beta"]);
  await page.getByLabel("Label").selectOption("");
  await expectRows(page, ["beta", "alpha"]);

  // The global limits in two clicks (and the Save between them).
  await page.getByRole("button", { name: "Limits" }).click();
  await page.getByLabel("Download limit (KiB/s)").fill("512");
  await page.getByLabel("Upload limit (KiB/s)").fill("256");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByTestId("limits").filter({ hasText: "512.0 KiB/s" }).waitFor();
  const limits = await call(leecher.base, "GET", "/api/v1/session/settings");
  assert.deepEqual(limits.body.limits, { download: 512 * 1024, upload: 256 * 1024 });
  await page.getByRole("button", { name: "Limits" }).click();
  await page.getByLabel("Download limit (KiB/s)").fill("lots");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator(".status.error", { hasText: "whole KiB/s" }).waitFor();
  await page.getByLabel("Download limit (KiB/s)").fill("");
  await page.getByLabel("Upload limit (KiB/s)").fill("0");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByTestId("limits").filter({ hasText: "↓ none ↑ none" }).waitFor();

  // Pause and resume with the keyboard: focus the button, press Enter.
  await page.getByRole("button", { name: "Pause beta" }).focus();
  await page.keyboard.press("Enter");
  await waitForRow(page, "beta", "paused");
  const paused = await call(leecher.base, "GET", `/api/v1/torrents/${beta.infoHash}`);
  assert.equal(paused.body.state, "paused");
  await page.getByRole("button", { name: "Resume beta" }).click();
  await waitForRow(page, "beta", "seeding");

  // Several at once: select both, pause them, resume them.
  assert.equal(await page.getByRole("button", { name: "Pause selected" }).isDisabled(), true);
  await page.getByLabel("Select all shown").check();
  await page.getByText("2 selected").waitFor();
  await page.getByRole("button", { name: "Pause selected" }).click();
  await waitForRow(page, "alpha", "paused");
  await waitForRow(page, "beta", "paused");
  await page.getByRole("button", { name: "Resume selected" }).click();
  await waitForRow(page, "alpha", "seeding");
  await waitForRow(page, "beta", "seeding");
  await page.getByLabel("Select beta").uncheck();
  await page.getByText("1 selected").waitFor();
  // Recheck alpha: hashed again from disk, it is whole and seeds again.
  await page.getByRole("button", { name: "Recheck selected" }).click();
  await waitForRow(page, "alpha", "seeding", "100%");
  assert.equal(await page.locator(".status.error").count(), 0, "no error from the recheck");
  await page.getByLabel("Select alpha").uncheck();

  // Remove with data: the browser asks first; the files go with it.
  page.once("dialog", (d) => {
    assert.match(d.message(), /delete the downloaded files/);
    d.accept();
  });
  await page.getByRole("button", { name: "Remove alpha and its data" }).click();
  await page.locator('tr[data-name="alpha"]').waitFor({ state: "detached" });
  await page.getByText("Removed alpha and the data").waitFor();
  const list = await call(leecher.base, "GET", "/api/v1/torrents?fields=name");
  assert.deepEqual(
    list.body.map((t: { name: string }) => t.name),
    ["beta"],
  );
  for (let i = 0; i < 300 && existsSync(join(leecher.downloadDir, "alpha")); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(existsSync(join(leecher.downloadDir, "alpha")), false, "alpha's files deleted");
  assert.equal(existsSync(join(leecher.downloadDir, "beta", "a.bin")), true, "beta's kept");

  // A bad magnet link is one line in the page, not a crash.
  await page.getByLabel("Magnet link").fill("magnet:?xt=nonsense");
  await page.getByRole("button", { name: "Add link" }).click();
  await page.locator(".status.error").waitFor();

  assert.deepEqual(elsewhere, [], "the page asked nothing of any other host");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("web UI: add paused, deselect a file in the details and it is not downloaded; the piece map fills as pieces arrive; the seeder among the peers", {
  skip,
}, async () => {
  // Slow enough (about 3 s for the wanted half) that the page sees pieces arrive.
  const delta = await seedAt100KiBs("delta", 600_000);
  const file = join(work, "delta.torrent");
  await writeFile(file, delta.torrent);

  const page = await browser.newPage();
  const watched = watchPage(page, leecher.base);
  const pageErrors = watched.errors;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.goto(`${leecher.base}/`);
  await page.getByLabel("Add paused (choose the files first)").check();
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByText("Add .torrent files").click(),
  ]);
  await chooser.setFiles(file);
  await waitForRow(page, "delta", "paused");
  await page.getByRole("button", { name: "Details of delta" }).click();
  const details = page.getByRole("region", { name: "Details of delta" });
  await details.getByLabel(/^Download .*b\.bin$/).uncheck();
  await details.locator('tr[data-file$="b.bin"]', { hasText: "skipped" }).waitFor();
  // The page shows a change as soon as it is made; the daemon has it once its PUT is answered.
  assert.deepEqual(
    await filesOnceSettled(
      leecher.base,
      delta.infoHash,
      (f: { path: string; wanted: boolean }) => [f.path.split("/").pop(), f.wanted],
      [
        ["a.bin", true],
        ["b.bin", false],
      ],
    ),
    [
      ["a.bin", true],
      ["b.bin", false],
    ],
  );
  const map = details.locator(".piece-map");
  assert.equal(await map.getAttribute("data-have"), "0");
  // The files as a tree: the torrent's folder folds away and back; a priority is set from its menu.
  await details.getByRole("button", { name: "Fold delta" }).click();
  await details.locator('tr[data-file$="a.bin"]').waitFor({ state: "detached" });
  await details.getByRole("button", { name: "Unfold delta" }).click();
  await details.getByLabel(/^Priority of .*a\.bin$/).selectOption("high");
  await details.locator('tr[data-file$="a.bin"][data-priority="high"]').waitFor();
  assert.deepEqual(
    await filesOnceSettled(leecher.base, delta.infoHash, (f: { priority: string }) => f.priority, [
      "high",
      "skip",
    ]),
    ["high", "skip"],
  );
  assert.equal(
    await details
      .getByLabel("Download folder delta")
      .evaluate((e) => (e as unknown as { indeterminate: boolean }).indeterminate),
    true,
    "the folder's box is mixed: one file skipped",
  );

  await page.getByRole("button", { name: "Resume delta" }).click();
  const seen = new Set<number>();
  let inFlightSeen = "";
  const deadline = Date.now() + TRANSFER_TIMEOUT_MS;
  const seederPort = (await call(seeder.base, "GET", "/api/v1/session/settings")).body.port;
  const seederRow = details.locator(`table.peers tr[data-address="127.0.0.1:${seederPort}"]`);
  let seederSeen = "";
  let shot = false;
  while (Date.now() < deadline) {
    seen.add(Number(await map.getAttribute("data-have")));
    if (inFlightSeen === "" && Number(await map.getAttribute("data-in-flight")) > 0) {
      inFlightSeen = (await details.locator("ul.in-flight li").first().textContent()) ?? "";
    }
    if (seederSeen === "" && (await seederRow.count()) > 0) {
      seederSeen = await seederRow.innerText();
    }
    // The screenshots take seconds on a loaded machine: taken once what must be seen while
    // downloading has been, so they cannot use up the download's few seconds first.
    if (!shot && seederSeen !== "" && inFlightSeen !== "" && [...seen].some((n) => n > 0)) {
      await screenshots(page, "details");
      shot = true;
    }
    if ((await page.locator('tr[data-name="delta"]').getAttribute("data-state")) === "seeding")
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!shot) await screenshots(page, "details");
  await waitForRow(page, "delta", "seeding");
  // The map's next refresh shows the last pieces: waited for (30 s at most) until it shows
  // what the daemon has, not a fixed 1.5 s, which a loaded machine's refresh can outlast.
  const activity = await call(
    leecher.base,
    "GET",
    `/api/v1/torrents/${delta.infoHash}/piece-activity`,
  );
  const had = activity.body.piecesHave as number;
  for (let i = 0; i < 300 && Number(await map.getAttribute("data-have")) !== had; i++) {
    await page.waitForTimeout(100);
  }
  const final = Number(await map.getAttribute("data-have"));
  assert.equal(final, had, "the map shows what the daemon has");
  const pieceCount = Math.ceil(600_000 / 16384);
  assert.ok(
    final > 0 && final < pieceCount,
    `only the wanted file's pieces: ${final} of ${pieceCount}`,
  );
  const between = [...seen].filter((n) => n > 0 && n < final);
  assert.ok(between.length > 0, `the map changed while downloading: saw ${[...seen].join(", ")}`);
  assert.equal(
    Number(await map.getAttribute("data-cells-have")),
    final,
    "one full cell a piece had",
  );
  assert.match(
    inFlightSeen,
    new RegExp(`^piece \\d+ from 127\\.0\\.0\\.1:${seederPort}$`),
    "a piece in flight, and from whom",
  );
  const samples = Number(await details.locator(".speed-graph svg").getAttribute("data-samples"));
  assert.ok(samples >= 2, `the speed graph has samples: ${samples}`);
  const rates = await call(leecher.base, "GET", `/api/v1/torrents/${delta.infoHash}/rates`);
  assert.ok(
    rates.body.download.some((r: number) => r > 0),
    "the daemon's samples saw the download",
  );
  // The daemon keeps the graph: a reloaded page draws it again at once.
  await page.reload();
  await page.getByRole("button", { name: "Details of delta" }).click();
  const graph = page.locator(".speed-graph svg");
  let kept = 0;
  for (let i = 0; i < 300 && kept < samples; i++) {
    kept = Number((await graph.getAttribute("data-samples")) ?? 0);
    if (kept < samples) await page.waitForTimeout(100);
  }
  assert.ok(kept >= samples, `the graph kept its ${samples} samples after a reload: ${kept}`);

  await details
    .locator(`table.trackers tr[data-url="${tracker.base}/announce"][data-state="working"]`)
    .waitFor();
  assert.match(seederSeen, /tracker/, "the seeder listed among the peers, found by the tracker");
  assert.match(seederSeen, /seed/);
  const a = await readFile(join(leecher.downloadDir, "delta", "a.bin"));
  assert.ok(a.equals(delta.files.get("a.bin")!), "the wanted file is whole");
  assert.equal(
    existsSync(join(leecher.downloadDir, "delta", "b.bin")),
    false,
    "the skipped file is not created",
  );
  assert.deepEqual(watched.elsewhere, [], "the page asked nothing of any other host");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("web UI: a .torrent dropped on the list, or named by a URL, is added and downloads; another file is refused in one line", {
  skip,
}, async () => {
  const epsilon = await swarm.seed("epsilon", 100_000);
  const page = await browser.newPage();
  await page.goto(`${leecher.base}/`);
  await page.getByRole("heading", { name: "shoal" }).waitFor();
  // Built in the page (a DataTransfer exists only there), as a drag from the desktop carries it.
  const dropped = await page.evaluateHandle(`(() => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(epsilon.torrent.toString("base64"))}), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], "epsilon.torrent"));
    data.items.add(new File(["hello"], "notes.txt", { type: "text/plain" }));
    return data;
  })()`);
  await page.dispatchEvent("main", "dragover", { dataTransfer: dropped });
  await page.dispatchEvent("main", "drop", { dataTransfer: dropped });
  await page.locator(".status.error", { hasText: "Only .torrent files" }).waitFor();
  await waitForRow(page, "epsilon", "seeding", "100%");
  await assertSameFiles(epsilon, leecher.downloadDir);
  const list = await call(leecher.base, "GET", "/api/v1/torrents?fields=name");
  assert.ok(!list.body.some((t: { name: string }) => t.name.includes("notes")));

  // By the address of a .torrent on a loopback web server: the daemon fetches it.
  const zeta = await swarm.seed("zeta", 100_000);
  const web = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/x-bittorrent" });
    res.end(zeta.torrent);
  });
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  try {
    const { port } = web.address() as AddressInfo;
    await page
      .getByLabel("Magnet link or .torrent URL")
      .fill(`http://127.0.0.1:${port}/zeta.torrent`);
    await page.getByRole("button", { name: "Add link" }).click();
    await waitForRow(page, "zeta", "seeding", "100%");
    await assertSameFiles(zeta, leecher.downloadDir);
  } finally {
    web.close();
  }
  await page.close();
});

test("web UI: a torrent's speed graph shows its download from before its details were first opened", {
  skip,
}, async () => {
  // Slow enough (about 3 s) for the daemon's once-a-second samples to see it move.
  const eta = await seedAt100KiBs("eta", 300_000);
  const seederPort = (await call(seeder.base, "GET", "/api/v1/session/settings")).body.port;
  const page = await browser.newPage();
  const watched = watchPage(page, leecher.base);
  await page.goto(`${leecher.base}/`);
  const magnet = `magnet:?xt=urn:btih:${eta.infoHash}&dn=eta&x.pe=127.0.0.1:${seederPort}`;
  await page.getByLabel("Magnet link or .torrent URL").fill(magnet);
  await page.getByRole("button", { name: "Add link" }).click();
  await waitForRow(page, "eta", "seeding", "100%");
  // Its details opened only now: the graph already holds the download.
  await page.getByRole("button", { name: "Details of eta" }).click();
  const details = page.getByRole("region", { name: "Details of eta" });
  const graph = details.locator(".speed-graph svg");
  let drawn = 0;
  for (let i = 0; i < 300 && drawn === 0; i++) {
    drawn = Number((await graph.getAttribute("data-samples")) ?? 0);
    if (drawn === 0) await page.waitForTimeout(100);
  }
  const rates = (await call(leecher.base, "GET", `/api/v1/torrents/${eta.infoHash}/rates`)).body;
  const session = (await call(leecher.base, "GET", "/api/v1/session/rates")).body;
  assert.ok(
    rates.download.filter((r: number) => r > 0).length >= 2,
    `its download, sampled before anyone asked: ${rates.download.join(",")}`,
  );
  // Lined up with the session's (a sample may fall between the two reads).
  assert.ok(session.download.length - rates.download.length <= 1);
  assert.ok(drawn >= 3, `the graph drawn at once with its earlier samples: ${drawn}`);
  assert.deepEqual(watched.errors, []);
  await page.close();
});

test("web UI: a long list keeps only the rows in view in the page, and scrolls to the last", {
  skip,
}, async (t) => {
  const many = await startTestDaemon();
  const COUNT = 500;
  try {
    for (let i = 0; i < COUNT; i++) {
      const hash = createHash("sha1").update(`many-${i}`).digest("hex");
      const name = `many-${String(i).padStart(4, "0")}`;
      const r = await call(many.base, "POST", "/api/v1/torrents", {
        json: { infoHash: hash, name, paused: true },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const started = Date.now();
    await page.goto(`${many.base}/`);
    await page.locator('tr[data-name="many-0000"]').waitFor();
    t.diagnostic(`${COUNT} torrents: first rows shown ${Date.now() - started} ms after navigation`);
    await page.getByText(`${COUNT} of ${COUNT}`).waitFor();
    const rows = await page.locator("tbody tr:not(.spacer)").count();
    assert.ok(rows > 5 && rows < 80, `only the rows in view are in the page: ${rows}`);
    await page.locator(".table-wrap.windowed").evaluate((box) => {
      box.scrollTop = box.scrollHeight;
    });
    await page.locator(`tr[data-name="many-${String(COUNT - 1).padStart(4, "0")}"]`).waitFor();
    assert.equal(await page.locator('tr[data-name="many-0000"]').count(), 0);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, "long-list-desktop.png") });
    await page.getByLabel("Search").fill("many-0250");
    await expectRows(page, ["many-0250"]);
    await page.close();
  } finally {
    await many.stop();
  }
});

test("web UI: the page is HTML for a browser, JSON stays at / for scripts, with a strict CSP", {
  skip,
}, async () => {
  const page = await fetch(`${leecher.base}/`, { headers: { accept: "text/html" } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  const csp = page.headers.get("content-security-policy") ?? "";
  assert.match(csp, /script-src 'self' 'sha256-/);
  assert.match(csp, /frame-ancestors 'none'/);
  const json = await call(leecher.base, "GET", "/");
  assert.equal(json.body.api, "/api/v1");
  const lib = await fetch(`${leecher.base}/ui/vendor/preact.mjs`);
  assert.equal(lib.status, 200);
  assert.match(lib.headers.get("content-type") ?? "", /javascript/);
  // Every module the page preloads is served (a new module listed there and not served fails here).
  const html = await (await fetch(`${leecher.base}/`, { headers: { accept: "text/html" } })).text();
  const preloads = [...html.matchAll(/rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(preloads.length >= 10, `modules preloaded: ${preloads.length}`);
  for (const path of preloads) {
    const res = await fetch(`${leecher.base}${path}`);
    assert.equal(res.status, 200, path);
    await res.arrayBuffer();
  }
  const missing = await fetch(`${leecher.base}/ui/../package.json`);
  assert.notEqual(missing.status, 200);
  const traversal = await call(leecher.base, "GET", "/ui/vendor/%2e%2e%2fpackage.json");
  assert.equal(traversal.status, 404);
});

test("web UI: behind credentials (the browser's basic auth), in the dark theme; remove keeps the files", {
  skip,
}, async () => {
  const guarded = await startTestDaemon({
    api: { username: "admin", "password-hash": await hashPassword("s3cret") },
  });
  try {
    // Without credentials the page is refused, with the challenge that makes a browser ask.
    const refused = await fetch(`${guarded.base}/`, { headers: { accept: "text/html" } });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Basic/);

    const context = await browser.newContext({
      httpCredentials: { username: "admin", password: "s3cret" },
      colorScheme: "dark",
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${guarded.base}/`);
    await page.getByText("No torrents yet").waitFor();
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    assert.equal(background, "rgb(15, 19, 24)", "the dark theme's background");

    // A magnet link no peer serves: it waits for its metadata, listed by its name.
    const hash = "ab".repeat(20);
    await page.getByLabel("Magnet link").fill(`magnet:?xt=urn:btih:${hash}&dn=gamma`);
    await page.getByRole("button", { name: "Add link" }).click();
    await page.locator('tr[data-name="gamma"]').waitFor();
    page.once("dialog", (d) => {
      assert.match(d.message(), /The files stay on disk/);
      d.accept();
    });
    await page.getByRole("button", { name: "Remove gamma", exact: true }).click();
    await page.getByText("No torrents yet").waitFor();
    const left = await fetch(`${guarded.base}/api/v1/torrents`, {
      headers: { authorization: `Basic ${Buffer.from("admin:s3cret").toString("base64")}` },
    });
    assert.deepEqual(await left.json(), []);
    assert.deepEqual(pageErrors, []);
    await context.close();
  } finally {
    await guarded.stop();
  }
});
