/**
 * The web UI's list lives on the daemon's events and asks only for what
 * changed (issue 17), in Debian's chromium against a daemon on 127.0.0.1
 * with 300 torrents: the whole list is asked for once; after that each
 * event or stats tick asks GET /torrents/changes?since=, whose replies carry
 * nothing while nothing changes, one torrent when one is labelled, and an
 * info hash when one is removed, and the page follows them.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { call, startTestDaemon, type TestDaemon } from "../daemon/daemon-helpers.ts";
import { browserSkip, launchBrowser, watchPage } from "./browser-helpers.ts";

const skip = browserSkip;
const COUNT = 300;
let browser: Browser;
let daemon: TestDaemon;

before(async () => {
  if (skip) return;
  browser = await launchBrowser();
  daemon = await startTestDaemon();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

interface Reply {
  /** Its place among the responses, taken when it came (bodies are read out of order). */
  order: number;
  since: boolean;
  full: boolean;
  torrents: { infoHash: string; name: string; labels: string[] }[];
  removed: string[];
}

test("web UI: the list is asked for whole once, then only its changes (nothing while quiet, one labelled torrent, one removal)", {
  skip,
}, async () => {
  const hash = (i: number) => createHash("sha1").update(`live-${i}`).digest("hex");
  const name = (i: number) => `live-${String(i).padStart(3, "0")}`;
  for (let i = 0; i < COUNT; i++) {
    const r = await call(daemon.base, "POST", "/api/v1/torrents", {
      json: { infoHash: hash(i), name: name(i), paused: true },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const page = await browser.newPage();
  const watched = watchPage(page, daemon.base);
  const replies: Reply[] = [];
  const wholeLists: string[] = [];
  let responses = 0;
  page.on("response", async (res) => {
    const url = new URL(res.url());
    if (url.pathname === "/api/v1/torrents") wholeLists.push(url.search);
    if (url.pathname !== "/api/v1/torrents/changes") return;
    // Numbered now: a small reply's body can be read before a large one's that came first.
    const order = responses++;
    const body = (await res.json()) as Omit<Reply, "since" | "order">;
    replies.push({ order, since: url.searchParams.has("since"), ...body });
  });
  const waitForReply = async (what: string, ok: (r: Reply) => boolean) => {
    for (let i = 0; i < 300 && !replies.some(ok); i++) await page.waitForTimeout(100);
    const found = replies.find(ok);
    assert.ok(found, what);
    return found;
  };
  await page.goto(`${daemon.base}/`);
  await page.getByText(`${COUNT} of ${COUNT}`).waitFor();
  // The response handler reads the body asynchronously: the rows can be on
  // screen before the reply is recorded, so wait for it rather than index it.
  const first = await waitForReply("the first, whole list", (r) => !r.since);
  assert.equal(first.order, 0, "the whole list was the first reply");
  assert.deepEqual([first.since, first.full, first.torrents.length], [false, true, COUNT]);

  // Quiet (all paused): the once-a-second asks bring nothing.
  await waitForReply("a reply after a stats tick", (r) => r.since);
  assert.ok(
    replies.filter((r) => r.since).every((r) => !r.full && r.torrents.length === 0),
    "nothing changed, nothing sent",
  );

  // One labelled: a reply with that torrent alone; its row shows the label.
  replies.length = 0;
  await call(daemon.base, "PUT", `/api/v1/torrents/${hash(3)}/labels`, {
    json: { labels: ["films"] },
  });
  const labelled = await waitForReply("the labelled torrent", (r) => r.torrents.length > 0);
  assert.deepEqual(
    labelled.torrents.map((t) => [t.name, t.labels]),
    [[name(3), ["films"]]],
  );
  await page.locator(`tr[data-name="${name(3)}"] .label`, { hasText: "films" }).waitFor();

  // One removed: its info hash in a reply; its row goes; the count follows.
  await call(daemon.base, "DELETE", `/api/v1/torrents/${hash(0)}`);
  await waitForReply("the removal", (r) => r.removed.includes(hash(0)));
  await page.getByText(`${COUNT - 1} of ${COUNT - 1}`).waitFor();
  assert.equal(await page.locator(`tr[data-name="${name(0)}"]`).count(), 0);

  assert.ok(
    replies.every((r) => r.since && !r.full),
    "after the first, only changes were asked for",
  );
  assert.deepEqual(wholeLists, [], "GET /torrents (the whole list) never asked");
  assert.deepEqual(watched.elsewhere, [], "the page asked nothing of any other host");
  assert.deepEqual(watched.errors, []);
  await page.close();
});
