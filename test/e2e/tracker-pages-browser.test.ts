/**
 * The tracker's pages in a real browser (issue 17): Debian's chromium,
 * headless, driven by playwright-core against `shoal tracker` on 127.0.0.1.
 * A user finds a published torrent by searching the index, opens its details
 * and sees its files, downloads its .torrent (which transmission-show reads
 * with the same info hash), and publishes through the upload form: a wrong
 * token is refused with a clear message, the right one is taken. The
 * operator's view and a private tracker's admin page open behind their
 * tokens. Every request the pages make goes to the tracker; pages fit a
 * phone's width; the dark theme follows the system's. Screenshots at desktop
 * and phone widths go where the web UI's go (browser-helpers.ts, outside
 * the repository).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { assertTools, skipReason } from "../interop/helpers.ts";
import {
  browserSkip,
  DESKTOP,
  launchBrowser,
  PHONE,
  SCREENSHOTS,
  screenshots,
  watchPage,
} from "./browser-helpers.ts";
import {
  announce,
  makeFolderTorrent,
  makeTorrent,
  peerId,
  publishWithToken,
  startTracker,
} from "./tracker-helpers.ts";

/** Besides chromium (browser-helpers.ts): a real client's reader of the downloaded .torrent. */
const TOOLS = [{ bin: "transmission-show", pkg: "transmission-cli" }];
const skip = browserSkip || skipReason(TOOLS);
const TOKEN = "browser-publish-token";
const ADMIN = "browser-admin-token-0123";

let browser: Browser;
let work = "";

before(async () => {
  if (skip) return;
  assertTools(TOOLS);
  work = await mkdtemp(join(tmpdir(), "shoal-tracker-pages-"));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Screenshots at desktop and phone widths (browser-helpers.ts); the page fits a phone without sideways scrolling. */
async function shoot(page: Page, name: string) {
  await screenshots(page, name);
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate<number>(
    "document.documentElement.scrollWidth - window.innerWidth",
  );
  assert.ok(overflow <= 0, `${name} fits a phone's width (overflows by ${overflow}px)`);
  await page.setViewportSize(DESKTOP);
}

test("the index finds a published torrent, its details list its files, its upload form refuses a wrong token", {
  skip,
}, async () => {
  const { tracker, base } = await startTracker({ publishToken: TOKEN });
  const context = await browser.newContext({ acceptDownloads: true, viewport: DESKTOP });
  try {
    const film = makeFolderTorrent("Nature documentary 2026", {
      "README.txt": 12_345,
      "video/clip.mkv": 70_000,
    });
    assert.equal(await publishWithToken(base, film.bytes, TOKEN), 201);
    for (const name of ["linux distro", "podcast episode 12"]) {
      assert.equal(await publishWithToken(base, makeTorrent(name).bytes, TOKEN), 201);
    }
    await announce(base, { infoHash: film.infoHash, peerId: peerId(1), port: 7001, left: 0 });

    const page = await context.newPage();
    const seen = watchPage(page, base);
    await page.goto(`${base}/`);
    assert.equal(await page.locator("tbody tr").count(), 3);
    await shoot(page, "tracker-index");

    // The keyboard's first stop skips the header to the content.
    await page.keyboard.press("Tab");
    assert.equal(
      await page.evaluate<string>("document.activeElement.textContent"),
      "Skip to content",
    );

    // Search by a word of the name, from the keyboard.
    await page.getByLabel("Search torrents").fill("documentary");
    await page.getByLabel("Search torrents").press("Enter");
    await page.waitForURL(/q=documentary/);
    const rows = page.locator("tbody tr");
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /Nature documentary 2026/);
    assert.match(await page.getByRole("status").innerText(), /1 of 3 torrents match/);

    // Its details: the files, the counts, a .torrent that a real client reads.
    await page.getByRole("link", { name: "Nature documentary 2026" }).click();
    await page.getByRole("heading", { name: "Nature documentary 2026" }).waitFor();
    const files = await page.locator("table[aria-labelledby=files] tbody tr").allInnerTexts();
    assert.deepEqual(
      files.map((f) => f.split("\t")[0]),
      ["Nature documentary 2026/README.txt", "Nature documentary 2026/video/clip.mkv"],
    );
    assert.match(await page.locator("dl.facts").innerText(), /Seeders\s+1\s+Leechers\s+0/);
    const magnet = await page.getByRole("link", { name: "Magnet link" }).getAttribute("href");
    assert.match(magnet!, new RegExp(`^magnet:\\?xt=urn:btih:${film.infoHash.toString("hex")}`));
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download .torrent" }).click(),
    ]);
    const saved = join(work, "film.torrent");
    await download.saveAs(saved);
    const shown = spawnSync("transmission-show", [saved], { encoding: "utf8", timeout: 30_000 });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`Hash: ${film.infoHash.toString("hex")}`, "i"));
    await shoot(page, "tracker-details");

    // The upload form: a wrong token is refused, and nothing is published.
    const fresh = makeTorrent("uploaded from the browser");
    const torrentFile = {
      name: "fresh.torrent",
      mimeType: "application/x-bittorrent",
      buffer: fresh.bytes,
    };
    await page.getByRole("link", { name: "Upload" }).click();
    await page.getByLabel(".torrent file").setInputFiles(torrentFile);
    await page.getByLabel("Publish token").fill("not-the-token");
    await page.getByRole("button", { name: "Publish" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.innerText(), "Wrong publish token: nothing was published.");
    assert.equal(tracker.index.has(fresh.infoHash.toString("latin1")), false);
    await shoot(page, "tracker-upload-refused");

    // The right token: published, and the browser lands on its details.
    await page.getByLabel(".torrent file").setInputFiles(torrentFile);
    await page.getByLabel("Publish token").fill(TOKEN);
    await page.getByRole("button", { name: "Publish" }).click();
    await page.waitForURL(new RegExp(`/details/${fresh.infoHash.toString("hex")}`));
    assert.equal(await page.getByRole("status").innerText(), "Published.");
    assert.ok(tracker.index.has(fresh.infoHash.toString("latin1")));

    // The operator's view, in light and dark.
    await page.getByRole("link", { name: "Operator" }).click();
    await page.getByRole("heading", { name: "Swarms, busiest first" }).waitFor();
    assert.match(await page.locator("main").innerText(), /Nature documentary 2026/);
    await shoot(page, "tracker-operator");
    const light = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    assert.notEqual(light, dark, "the dark theme follows the system's");
    await page.screenshot({ path: join(SCREENSHOTS, "tracker-operator-dark.png"), fullPage: true });
    assert.deepEqual(seen.elsewhere, [], "no request to any other host");
  } finally {
    await context.close();
    await tracker.stop();
  }
});

test("a private tracker's admin page shows members' ratios behind the admin token", {
  skip,
}, async () => {
  const dataDir = join(work, "private");
  const { tracker, base } = await startTracker({
    private: true,
    dataDir,
    publishToken: TOKEN,
    adminToken: ADMIN,
  });
  try {
    const members = tracker.access!.members;
    members.add("alice", { canPublish: true });
    members.add("bob");
    // Without the token the browser is asked for it (Basic), and gets nothing.
    const without = await fetch(`${base}/admin`);
    assert.equal(without.status, 401);
    assert.match(without.headers.get("www-authenticate")!, /^Basic/);
    assert.ok(!(await without.text()).includes("alice"));
    const context = await browser.newContext({
      viewport: DESKTOP,
      httpCredentials: { username: "admin", password: ADMIN },
    });
    const page = await context.newPage();
    await page.goto(`${base}/admin`);
    const rows = await page.locator("tbody tr").allInnerTexts();
    assert.deepEqual(
      rows.map((r) => r.split("\t").slice(0, 3)),
      [
        ["alice", "enabled", "yes"],
        ["bob", "enabled", "no"],
      ],
    );
    await shoot(page, "tracker-admin");
    await context.close();
  } finally {
    await tracker.stop();
  }
});
