/**
 * The web UI's browser tests' shared parts: Debian's chromium driven
 * headless by playwright-core (no browser download), where names resolve to
 * nothing so the page can reach 127.0.0.1 alone; a guard that records any
 * request to another origin than the daemon's; where screenshots go.
 */
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { assertTools, skipReason } from "../interop/helpers.ts";

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
