/**
 * Streaming in the web UI (issue 17): a video of a torrent that is still
 * downloading, from a rate-limited seeder on loopback, starts playing in
 * Debian's chromium (its media element reaches `canplay`) before the
 * download completes. The video is made at test time by the same chromium
 * (a canvas animation recorded by MediaRecorder as VP8 in WebM, a codec
 * Debian's build has), so nothing is checked in and no other program is
 * needed. The user opens the torrent's details and presses Play on the
 * file's row; every request of the page goes to the daemon.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { createTorrent } from "../../src/metainfo/index.ts";
import { call, startTestDaemon, type TestDaemon } from "../daemon/daemon-helpers.ts";
import { assertTools, skipReason } from "../interop/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const BROWSER = [{ bin: CHROMIUM, pkg: "chromium" }];
const skip = skipReason(BROWSER);
/**
 * Six seconds of video, about 300 kB: ~12 s to download at 24 KiB/s.
 * Chromium plays once it has about two seconds of it (~100 kB here).
 */
const SEED_RATE = 24 * 1024;
const RECORD_MS = 6000;
const RECORDER = join(import.meta.dirname, "record-webm.browser.js");
const SCREENSHOTS = process.env.SHOAL_SCREENSHOT_DIR ?? join(tmpdir(), "shoal-web-ui-screenshots");

let browser: Browser;
let seeder: TestDaemon;
let leecher: TestDaemon;
let work: string;

before(async () => {
  if (skip) return;
  assertTools(BROWSER);
  work = await mkdtemp(join(tmpdir(), "shoal-web-stream-"));
  [seeder, leecher] = await Promise.all([startTestDaemon(), startTestDaemon()]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No name resolves: the page can reach 127.0.0.1 (an address) and nothing else.
    args: [
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--disable-component-update",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
});

after(async () => {
  await browser?.close();
  await Promise.all([leecher?.stop(), seeder?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * A WebM (VP8) of `ms` of animation, recorded by the browser itself from a
 * canvas (record-webm.browser.js: browser code, outside this file's types).
 */
async function recordWebm(page: Page, ms: number): Promise<Buffer> {
  await page.addScriptTag({ path: RECORDER });
  const base64 = await page.evaluate(
    (duration) =>
      (globalThis as unknown as { recordWebm(ms: number): Promise<string> }).recordWebm(duration),
    ms,
  );
  return Buffer.from(base64, "base64");
}

test("web UI: a video of a torrent downloading from a rate-limited seeder plays (canplay) before the download completes", {
  skip,
}, async () => {
  const page = await browser.newPage();
  const video = await recordWebm(page, RECORD_MS);
  // EBML's magic: a WebM file.
  assert.equal(video.subarray(0, 4).toString("hex"), "1a45dfa3");
  assert.ok(video.length > 100_000, `a clip of ${video.length} bytes`);

  const folder = join(seeder.downloadDir, "film");
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "clip.webm"), video);
  await writeFile(join(folder, "readme.txt"), "a clip of a square crossing colours\n");
  const created = await createTorrent(folder, { pieceLength: 16 * 1024, creationDate: null });
  const hash = created.metainfo.infoHashHex;
  const seeded = await call(seeder.base, "POST", "/api/v1/torrents", {
    json: { torrent: created.torrent.toString("base64") },
  });
  assert.equal(seeded.status, 201, JSON.stringify(seeded.body));
  const limited = await call(seeder.base, "PUT", `/api/v1/torrents/${hash}/limits`, {
    json: { upload: SEED_RATE },
  });
  assert.equal(limited.status, 200);
  const seederPort = (await call(seeder.base, "GET", "/api/v1/session/settings")).body.port;

  const elsewhere: string[] = [];
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith(leecher.base)) elsewhere.push(r.url());
  });
  await page.goto(`${leecher.base}/`);
  const added = await call(leecher.base, "POST", "/api/v1/torrents", {
    json: { torrent: created.torrent.toString("base64"), peers: [`127.0.0.1:${seederPort}`] },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await page.getByRole("button", { name: "Details of film" }).click();
  const details = page.getByRole("region", { name: "Details of film" });
  // Not a media file: opened as a link to the same route.
  const open = details.getByRole("link", { name: /^Open .*readme\.txt$/ });
  assert.equal(await open.getAttribute("href"), `/api/v1/torrents/${hash}/files/1`);

  await details.getByRole("button", { name: /^Play .*clip\.webm$/ }).click();
  const player = details.getByLabel(/^Player of .*clip\.webm$/);
  await player.waitFor();
  const reached = await player.evaluate(
    (el) =>
      new Promise<string>((resolve) => {
        const media = el as unknown as {
          readyState: number;
          error: { message: string } | null;
          addEventListener(type: string, fn: () => void): void;
        };
        // HAVE_FUTURE_DATA: canplay has fired already.
        if (media.readyState >= 3) return resolve("canplay");
        media.addEventListener("canplay", () => resolve("canplay"));
        media.addEventListener("error", () => resolve(`error: ${media.error?.message}`));
        setTimeout(() => resolve("timed out"), 30_000);
      }),
  );
  const progress = (await call(leecher.base, "GET", `/api/v1/torrents/${hash}`)).body.progress;
  assert.equal(reached, "canplay");
  assert.ok(progress < 1, `playing before the download completed (progress ${progress})`);
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, "stream-playing.png"), fullPage: true });

  // Stop: the player goes, and its request with it.
  await details.getByRole("button", { name: /^Stop .*clip\.webm$/ }).click();
  await player.waitFor({ state: "detached" });
  assert.deepEqual(elsewhere, [], "the page asked nothing of any other host");
  assert.deepEqual(pageErrors, []);
  await page.close();
});
