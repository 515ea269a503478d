/**
 * The web UI in Firefox (issue 17: "works in current Chromium and
 * Firefox"): Debian's firefox-esr, headless, driven over WebDriver BiDi by
 * firefox-bidi.ts (playwright-core cannot drive it), against a daemon on
 * 127.0.0.1 and a second one seeding on loopback. The list loads, a magnet
 * link typed in and sent with Enter reaches 100% with the seeder's bytes,
 * its details open, and the page asks nothing of any other origin.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { call } from "../daemon/daemon-helpers.ts";
import { skipReason } from "../interop/helpers.ts";
import {
  assertSameFiles,
  SCREENSHOTS,
  startWebUiSwarm,
  TRANSFER_TIMEOUT_MS,
  type WebUiSwarm,
} from "./browser-helpers.ts";
import { FIREFOX, Firefox } from "./firefox-bidi.ts";

const skip = skipReason([{ bin: FIREFOX, pkg: "firefox-esr" }]);
let firefox: Firefox;
let swarm: WebUiSwarm;

before(async () => {
  if (skip) return;
  firefox = await Firefox.launch();
  swarm = await startWebUiSwarm();
});

after(async () => {
  await firefox?.close();
  await swarm?.stop();
});

test("web UI in Firefox: the list loads, a magnet link reaches 100%, details open, no other origin asked", {
  skip,
}, async () => {
  const { seeder, leecher } = swarm;
  const lambda = await swarm.seed("lambda", 150_000);
  const seederPort = (await call(seeder.base, "GET", "/api/v1/session/settings")).body.port;

  const requests: string[] = [];
  const errors: string[] = [];
  firefox.on((method, params) => {
    if (method === "network.beforeRequestSent") {
      requests.push((params.request as { url: string }).url);
    } else if (method === "log.entryAdded" && params.type === "javascript") {
      errors.push(String(params.text));
    }
  });
  await firefox.subscribe(["network.beforeRequestSent", "log.entryAdded"]);
  await firefox.navigate(`${leecher.base}/`);
  await firefox.waitFor(
    `document.querySelector("p.empty")?.textContent.startsWith("No torrents yet")`,
    "the empty list",
  );
  assert.match(await firefox.evaluate<string>("navigator.userAgent"), /Firefox\//);

  // A magnet link typed in, sent with Enter (the keyboard, as a user does).
  const magnet = `magnet:?xt=urn:btih:${lambda.infoHash}&dn=lambda&x.pe=127.0.0.1:${seederPort}`;
  await firefox.type("#magnet", `${magnet}\uE007`);
  await firefox.waitFor(
    `document.querySelector('tr[data-name="lambda"][data-state="seeding"] .progress-text')?.textContent === "100%"`,
    "lambda at 100%",
    TRANSFER_TIMEOUT_MS,
  );
  await assertSameFiles(lambda, leecher.downloadDir);

  // Its details: the files and the piece map, all pieces here.
  await firefox.click('button[aria-label="Details of lambda"]');
  await firefox.waitFor(
    `document.querySelector('section[aria-label="Details of lambda"] tr[data-file$="b.bin"]')`,
    "the details' files",
  );
  const pieces = Math.ceil(150_000 / 16384);
  await firefox.waitFor(
    `document.querySelector('section[aria-label="Details of lambda"] .piece-map')?.getAttribute("data-have") === "${pieces}"`,
    "the piece map, every piece here",
  );
  // The header follows the daemon's once-a-second stats event (the event stream works here).
  await firefox.waitFor(
    `[...document.querySelectorAll(".rates div")].some((d) => d.textContent === "Torrents1")`,
    "the header counting the torrent",
    5000,
  );
  const shot = (await firefox.send("browsingContext.captureScreenshot", {
    context: firefox.context,
    origin: "document",
  })) as { data: string };
  await mkdir(SCREENSHOTS, { recursive: true });
  await writeFile(
    join(SCREENSHOTS, "firefox-details-desktop.png"),
    Buffer.from(shot.data, "base64"),
  );

  // data: URLs reach no host (Firefox itself loads a data: font for its own widgets).
  const elsewhere = requests.filter(
    (u) => !u.startsWith("data:") && !u.startsWith(`${leecher.base}/`),
  );
  assert.deepEqual(elsewhere, [], "the page asked nothing of any other origin");
  assert.ok(
    requests.some((u) => u.includes("/api/v1/events")),
    "the event stream was opened",
  );
  assert.deepEqual(errors, [], "no script error");
});
