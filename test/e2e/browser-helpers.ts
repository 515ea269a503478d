/**
 * The web UI's browser tests' shared parts: Debian's chromium driven
 * headless by playwright-core (no browser download), where names resolve to
 * nothing so the page can reach 127.0.0.1 alone; a guard that records any
 * request to another origin than the daemon's; where screenshots go.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { createTorrent } from "../../src/metainfo/index.ts";
import { call, startTestDaemon, type TestDaemon } from "../daemon/daemon-helpers.ts";
import { assertTools, skipReason } from "../interop/helpers.ts";
import { startTracker } from "./tracker-helpers.ts";

export const CHROMIUM = "/usr/bin/chromium";
const BROWSER = [{ bin: CHROMIUM, pkg: "chromium" }];
/** Why the browser tests are skipped (SHOAL_SKIP_INTEROP=1 without chromium), or undefined. */
export const browserSkip = skipReason(BROWSER);
/** Where the screenshots go (outside the repository) for a person to look at. */
export const SCREENSHOTS =
  process.env.SHOAL_SCREENSHOT_DIR ?? join(tmpdir(), "shoal-web-ui-screenshots");

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export async function launchBrowser(): Promise<Browser> {
  assertTools(BROWSER);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No name resolves: the page can reach 127.0.0.1 (an address) and nothing else.
    args: [
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--disable-component-update",
    ],
  });
}

/** Records every request the page makes to anything but `base` (the daemon), and its script errors. */
export function watchPage(page: Page, base: string): { elsewhere: string[]; errors: string[] } {
  const seen = { elsewhere: [] as string[], errors: [] as string[] };
  page.on("request", (r) => {
    if (!r.url().startsWith(`${base}/`)) seen.elsewhere.push(r.url());
  });
  page.on("pageerror", (e) => seen.errors.push(e.message));
  return seen;
}

/** The page at desktop and phone widths, as <name>-desktop.png and <name>-phone.png; the paths. */
export async function screenshots(page: Page, name: string): Promise<string[]> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize() ?? DESKTOP;
  const paths: string[] = [];
  for (const [width, size] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.waitForTimeout(100); // a frame for the layout (and the piece map's canvas) to follow
    const path = join(SCREENSHOTS, `${name}-${width}.png`);
    await page.screenshot({ path, fullPage: true });
    paths.push(path);
  }
  await page.setViewportSize(before);
  return paths;
}

export const TRANSFER_TIMEOUT_MS = 120_000;

export interface Made {
  name: string;
  torrent: Buffer;
  infoHash: string;
  /** file name → its bytes. */
  files: Map<string, Buffer>;
}

/** A two-file torrent announcing to `announce`, its data in `dir` (so it seeds there). */
export async function makeTorrent(dir: string, name: string, size: number, announce: string) {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  const files = new Map<string, Buffer>();
  const bytes = createHash("sha256").update(name).digest();
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = bytes[i % 32]! ^ (i >> 8);
  files.set("a.bin", data.subarray(0, size >> 1));
  files.set("b.bin", data.subarray(size >> 1));
  for (const [f, b] of files) await writeFile(join(folder, f), b);
  const created = await createTorrent(folder, {
    pieceLength: 16384,
    creationDate: null,
    trackers: [[announce]],
  });
  return { name, torrent: created.torrent, infoHash: created.metainfo.infoHashHex, files };
}

/** Waits until the row of `name` shows `state` and 100% (what the user sees). */
export async function waitForRow(page: Page, name: string, state: string, text?: string) {
  const row = page.locator(`tr[data-name="${name}"][data-state="${state}"]`);
  await row.waitFor({ timeout: TRANSFER_TIMEOUT_MS });
  if (text !== undefined) {
    await page
      .locator(`tr[data-name="${name}"] .progress-text`, { hasText: new RegExp(`^${text}$`) })
      .waitFor({ timeout: TRANSFER_TIMEOUT_MS });
  }
  return row;
}

export async function assertSameFiles(made: Made, downloadDir: string) {
  for (const [f, bytes] of made.files) {
    const got = await readFile(join(downloadDir, made.name, f));
    assert.ok(got.equals(bytes), `${made.name}/${f} has the seeder's bytes`);
  }
}

/** A tracker and two daemons on 127.0.0.1: one seeds what `seed` makes, the other's web UI is driven. */
export interface WebUiSwarm {
  tracker: Awaited<ReturnType<typeof startTracker>>;
  seeder: TestDaemon;
  leecher: TestDaemon;
  /** A two-file torrent of `size` bytes announcing to the tracker, added to the seeder. */
  seed(name: string, size: number): Promise<Made>;
  stop(): Promise<void>;
}

export async function startWebUiSwarm(): Promise<WebUiSwarm> {
  const tracker = await startTracker();
  const seeder = await startTestDaemon();
  const leecher = await startTestDaemon();
  return {
    tracker,
    seeder,
    leecher,
    async seed(name, size) {
      const made = await makeTorrent(seeder.downloadDir, name, size, `${tracker.base}/announce`);
      const added = await call(seeder.base, "POST", "/api/v1/torrents", {
        body: made.torrent,
        headers: { "content-type": "application/x-bittorrent" },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      return made;
    },
    async stop() {
      await leecher.stop();
      await seeder.stop();
      await tracker.tracker.stop();
    },
  };
}
