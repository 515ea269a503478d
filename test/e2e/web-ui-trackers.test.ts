/**
 * A torrent's trackers edited in the web UI's details (issue 17), in
 * Debian's chromium against daemons on 127.0.0.1 and trackers in this
 * process: each tracker's last announce result is shown; a tracker is added
 * (a tier of its own, idle while the first answers), the first one's URL
 * changed to a port nobody listens on (its failure shown, the added tier
 * answering instead, BEP 12), and it is removed, through the daemon's
 * routes; a bad URL is one line.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { call } from "../daemon/daemon-helpers.ts";
import {
  browserSkip,
  launchBrowser,
  screenshots,
  startWebUiSwarm,
  type WebUiSwarm,
  waitForRow,
  watchPage,
} from "./browser-helpers.ts";
import { startTracker } from "./tracker-helpers.ts";

const skip = browserSkip;
let browser: Browser;
let swarm: WebUiSwarm;
let second: Awaited<ReturnType<typeof startTracker>>;

before(async () => {
  if (skip) return;
  browser = await launchBrowser();
  swarm = await startWebUiSwarm();
  second = await startTracker();
});

after(async () => {
  await browser?.close();
  await swarm?.stop();
  await second?.tracker.stop();
});

/** A loopback port nobody listens on (bound, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

test("web UI: a torrent's trackers with their last announce result; one added, the first's URL changed and its failure shown (the added tier answers), then removed; a bad URL refused in one line", {
  skip,
}, async () => {
  const { leecher, tracker } = swarm;
  const announce = `${tracker.base}/announce`;
  const kappa = await swarm.seed("kappa", 60_000);
  const added0 = await call(leecher.base, "POST", "/api/v1/torrents", {
    body: kappa.torrent,
    headers: { "content-type": "application/x-bittorrent" },
  });
  assert.equal(added0.status, 201, JSON.stringify(added0.body));
  const page = await browser.newPage();
  const watched = watchPage(page, leecher.base);
  await page.goto(`${leecher.base}/`);
  await waitForRow(page, "kappa", "seeding", "100%");
  await page.getByRole("button", { name: "Details of kappa" }).click();
  const details = page.getByRole("region", { name: "Details of kappa" });
  const row = (url: string) => details.locator(`table.trackers tr[data-url="${url}"]`);

  // The tracker the torrent names: working, counting the swarm it saw.
  await row(announce).and(page.locator('[data-state="working"]')).waitFor();
  assert.match(await row(announce).locator(".announce-result").innerText(), /^working$/);

  // Added: its own tier after the first, asked only if the first fails (BEP 12).
  const added = `${second.base}/announce`;
  await details.getByLabel("Add a tracker").fill(added);
  await details.getByRole("button", { name: "Add tracker" }).click();
  await row(added).and(page.locator('[data-state="idle"]')).waitFor();
  assert.equal(await details.getByLabel("Add a tracker").inputValue(), "", "the field emptied");

  // The first's URL changed to a port nobody listens on: its failure is its
  // last announce result, and the added tier answers instead.
  const dead = `http://127.0.0.1:${await closedPort()}/announce`;
  await details.getByRole("button", { name: `Edit tracker ${announce}` }).click();
  await details.getByLabel(`New URL of ${announce}`).fill(dead);
  await details.getByLabel(`New URL of ${announce}`).press("Enter");
  await row(dead).and(page.locator('[data-state="failed"]')).waitFor();
  await row(added).and(page.locator('[data-state="working"]')).waitFor();
  assert.match(await row(dead).locator(".announce-result").innerText(), /^failed: .+/);
  assert.equal(await row(announce).count(), 0);
  await screenshots(page, "trackers");

  // Removed (the browser asks first).
  page.once("dialog", (d) => {
    assert.match(d.message(), /Remove the tracker/);
    d.accept();
  });
  await details.getByRole("button", { name: `Remove tracker ${dead}` }).click();
  await row(dead).waitFor({ state: "detached" });
  const left = await call(leecher.base, "GET", `/api/v1/torrents/${kappa.infoHash}/trackers`);
  assert.deepEqual(
    left.body.map((r: { url: string }) => r.url),
    [added],
  );

  // A URL that is not a tracker's: one line, the list unchanged.
  await details.getByLabel("Add a tracker").fill("ftp://example/announce");
  await details.getByRole("button", { name: "Add tracker" }).click();
  await page.locator(".status.error", { hasText: "is not a tracker URL" }).waitFor();
  assert.equal(await details.locator("table.trackers tbody tr").count(), 1);
  assert.deepEqual(watched.elsewhere, [], "the page asked nothing of any other host");
  assert.deepEqual(watched.errors, []);
  await page.close();
});
