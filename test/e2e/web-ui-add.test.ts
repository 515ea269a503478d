/**
 * The web UI's add form (issue 17: "choose the folder and the files before
 * starting (for magnets, once the metadata has arrived)"), in Debian's
 * chromium against daemons on 127.0.0.1: a .torrent added into a folder
 * typed in the form lands there; a magnet link added paused fetches its
 * metadata, waits paused, a file is deselected in its details, and once
 * resumed only the wanted file is downloaded, into the chosen folder.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { call } from "../daemon/daemon-helpers.ts";
import {
  assertSameFiles,
  browserSkip,
  launchBrowser,
  startWebUiSwarm,
  type WebUiSwarm,
  waitForRow,
  watchPage,
} from "./browser-helpers.ts";

const skip = browserSkip;
let browser: Browser;
let swarm: WebUiSwarm;
let work: string;

before(async () => {
  if (skip) return;
  browser = await launchBrowser();
  work = await mkdtemp(join(tmpdir(), "shoal-web-ui-add-"));
  swarm = await startWebUiSwarm();
});

after(async () => {
  await browser?.close();
  await swarm?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("web UI: the download folder chosen in the add form; a magnet added paused waits with its metadata, its files chosen, then only those downloaded there", {
  skip,
}, async () => {
  const { seeder, leecher } = swarm;
  const theta = await swarm.seed("theta", 120_000);
  const iota = await swarm.seed("iota", 300_000);
  const seederPort = (await call(seeder.base, "GET", "/api/v1/session/settings")).body.port;
  const thetaFile = join(work, "theta.torrent");
  await writeFile(thetaFile, theta.torrent);
  const page = await browser.newPage();
  const watched = watchPage(page, leecher.base);
  await page.goto(`${leecher.base}/`);
  const folder = page.getByLabel("Download folder", { exact: true });
  // The daemon's own folder until another is typed.
  for (let i = 0; i < 300 && (await folder.inputValue()) === ""; i++)
    await page.waitForTimeout(100);
  assert.equal(await folder.inputValue(), leecher.downloadDir);

  // A .torrent by the file chooser, into a folder typed in the form.
  const elsewhere = join(work, "elsewhere");
  await folder.fill(elsewhere);
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByText("Add .torrent files").click(),
  ]);
  await chooser.setFiles(thetaFile);
  await waitForRow(page, "theta", "seeding", "100%");
  await assertSameFiles(theta, elsewhere);
  assert.equal(existsSync(join(leecher.downloadDir, "theta")), false, "not in the daemon's folder");

  // A magnet link, paused: its metadata comes from the seeder, then it waits.
  const chosen = join(work, "chosen");
  await folder.fill(chosen);
  await page.getByLabel("Add paused (choose the files first)").check();
  await page
    .getByLabel("Magnet link or .torrent URL")
    .fill(`magnet:?xt=urn:btih:${iota.infoHash}&dn=iota&x.pe=127.0.0.1:${seederPort}`);
  await page.getByRole("button", { name: "Add link" }).click();
  await waitForRow(page, "iota", "paused");
  await page.getByRole("button", { name: "Details of iota" }).click();
  const details = page.getByRole("region", { name: "Details of iota" });
  await details.getByLabel(/^Download .*b\.bin$/).uncheck();
  await details.locator('tr[data-file$="b.bin"]', { hasText: "skipped" }).waitFor();
  const waiting = (await call(leecher.base, "GET", `/api/v1/torrents/${iota.infoHash}`)).body;
  assert.deepEqual(
    [waiting.hasMetadata, waiting.piecesHave, waiting.downloadDir],
    [true, 0, chosen],
    "paused with its metadata, nothing downloaded, the chosen folder",
  );
  await page.getByRole("button", { name: "Resume iota" }).click();
  await waitForRow(page, "iota", "seeding");
  assert.ok(
    readFileSync(join(chosen, "iota", "a.bin")).equals(iota.files.get("a.bin")!),
    "the wanted file, in the chosen folder",
  );
  assert.equal(
    existsSync(join(chosen, "iota", "b.bin")),
    false,
    "the deselected file is not there",
  );
  assert.equal(existsSync(join(leecher.downloadDir, "iota")), false);
  assert.deepEqual(watched.elsewhere, [], "the page asked nothing of any other host");
  assert.deepEqual(watched.errors, []);
  await page.close();
});
