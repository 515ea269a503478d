/**
 * The web UI's settings page and its themes in Debian's chromium (issue
 * 17): a daemon started from a config file; mistakes are shown beside their
 * fields (the daemon's own checks) and nothing is written; corrected, they
 * are saved into the file, comments kept, the limit applied at once; the
 * page is used with the keyboard alone; the dark theme is chosen and kept;
 * screenshots at desktop and phone widths; no request leaves for another host.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { call, startDaemonFromFile } from "../daemon/daemon-helpers.ts";
import { browserSkip, launchBrowser, screenshots, watchPage } from "./browser-helpers.ts";

const skip = browserSkip;
let browser: Browser;
let dir: string;

before(async () => {
  if (skip) return;
  browser = await launchBrowser();
  dir = await mkdtemp(join(tmpdir(), "shoal-web-settings-"));
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

test("web UI settings: per-field errors from the daemon, nothing written; saved into the config file, the limit applied at once; keyboard; themes", {
  skip,
}, async (t) => {
  const file = join(dir, "config.toml");
  const text = '# my settings\n[peer]\naddress = "127.0.0.1"\nport = 0 # any\n';
  await writeFile(file, text);
  const { daemon, base } = await startDaemonFromFile(dir, file);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const seen = watchPage(page, base);
    await page.goto(`${base}/`);
    await page.getByRole("link", { name: "Settings" }).click();
    const settings = page.getByRole("region", { name: "Settings" });
    await settings.getByText(file).waitFor();
    assert.equal(
      await page.getByRole("link", { name: "Settings" }).getAttribute("aria-current"),
      "page",
    );
    const port = settings.getByLabel("Peer port");
    const down = settings.getByLabel(/^Download limit/);
    assert.equal(await port.inputValue(), "0");
    assert.equal(await down.inputValue(), "0");

    // Mistakes: each said beside its field, the fields marked, the file untouched.
    await port.fill("70000");
    await down.fill("lots");
    await settings.getByRole("button", { name: "Save settings" }).click();
    await settings.getByRole("alert").filter({ hasText: "give a port from 0 to 65535" }).waitFor();
    await settings
      .getByRole("alert")
      .filter({ hasText: /give bytes\/s/ })
      .waitFor();
    assert.equal(await port.getAttribute("aria-invalid"), "true");
    assert.match((await port.getAttribute("aria-describedby")) ?? "", /-error/);
    assert.equal(await readFile(file, "utf8"), text, "nothing written");
    await page.locator(".status.error", { hasText: "2 to correct" }).waitFor();
    await screenshots(page, "settings-errors");

    // Corrected with the keyboard alone: type, Tab on, Enter saves.
    const next = await freePort();
    await port.fill(String(next));
    await down.focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("512KiB");
    await page.keyboard.press("Enter");
    await page.locator(".status", { hasText: `Saved to ${file}` }).waitFor();
    await page.locator(".status", { hasText: "applied now: limits.download" }).waitFor();
    await page.locator(".status", { hasText: "at the next start: peer.port" }).waitFor();
    assert.equal(await port.getAttribute("aria-invalid"), "false");
    const limits = await call(base, "GET", "/api/v1/session/settings");
    assert.equal(limits.body.limits.download, 512 * 1024, "applied at once");
    await page.getByTestId("limits").filter({ hasText: "512.0 KiB/s" }).waitFor();
    const saved = await readFile(file, "utf8");
    assert.match(
      saved,
      new RegExp(`^# my settings\\n\\[peer\\]\\naddress = "127.0.0.1"\\nport = ${next}\\n`),
    );
    assert.match(saved, /\[limits\]\ndownload = "512KiB"\n/);
    await settings
      .getByText("saved; the daemon runs with another value until it restarts")
      .waitFor();

    // Themes: dark chosen from the header and kept by the browser.
    await page.getByLabel("Theme").selectOption("dark");
    const dark = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    assert.equal(dark, "rgb(15, 19, 24)");
    await page.reload();
    await settings.getByText(file).waitFor();
    assert.equal(await page.evaluate("getComputedStyle(document.body).backgroundColor"), dark);
    for (const p of await screenshots(page, "settings-dark")) t.diagnostic(`screenshot ${p}`);
    await page.getByLabel("Theme").selectOption("light");
    assert.equal(
      await page.evaluate("getComputedStyle(document.body).backgroundColor"),
      "rgb(255, 255, 255)",
    );
    for (const p of await screenshots(page, "settings")) t.diagnostic(`screenshot ${p}`);

    // The phone's width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - window.innerWidth",
    );
    assert.ok(Number(overflow) <= 0, `the settings fit a phone's width (${overflow} px over)`);

    assert.deepEqual(seen.elsewhere, [], "the page asked nothing of any other host");
    assert.deepEqual(seen.errors, []);
    await page.close();
  } finally {
    await daemon.stop();
  }
});
