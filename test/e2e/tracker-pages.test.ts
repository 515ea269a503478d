/**
 * The tracker's pages (issue 17) over HTTP: the index at / searches, sorts
 * and pages; a torrent's details list its files, counts and links; the upload
 * form refuses a wrong or missing token with a message and publishes nothing,
 * takes the right one, and throttles guessing; the operator's view shows the
 * counters and swarms. In a private tracker (issue 18) the pages are for
 * members (every link carries the passkey) and the operator's token.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import type { Tracker } from "../../src/tracker-server/index.ts";
import { MAX_SORTED } from "../../src/tracker-server/index-pages.ts";
import {
  announce,
  makeFolderTorrent,
  makeTorrent,
  peerId,
  publishWithToken,
  startTracker,
} from "./tracker-helpers.ts";

const TOKEN = "publish-token-for-pages";

function form(fields: Record<string, string>, file?: { name: string; bytes: Buffer }): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  if (file) fd.set("file", new Blob([file.bytes]), file.name);
  return fd;
}

async function page(url: string, init?: RequestInit) {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** The names in the list's rows, in order. */
function rowNames(html: string): string[] {
  return [...html.matchAll(/<td class="name"><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]!);
}

describe("the tracker's pages on an open tracker with a publish token", () => {
  let tracker: Tracker;
  let base = "";
  const folder = makeFolderTorrent("Holiday photos", { "a.txt": 1000, "sub/b.bin": 30_000 });

  before(async () => {
    ({ tracker, base } = await startTracker({ publishToken: TOKEN }));
    const publish = async (bytes: Buffer) =>
      assert.equal(await publishWithToken(base, bytes, TOKEN), 201);
    await publish(folder.bytes);
    // 54 more: past one page of 50.
    for (let i = 0; i < 54; i++)
      await publish(makeTorrent(`filler-${String(i).padStart(2, "0")}`).bytes);
    await publish(makeTorrent("<img src=x onerror=alert(1)>&'\"").bytes);
    await announce(base, { infoHash: folder.infoHash, peerId: peerId(1), port: 7001, left: 0 });
    await announce(base, { infoHash: folder.infoHash, peerId: peerId(2), port: 7002, left: 5 });
  });

  after(() => tracker?.stop());

  test("the index lists a page of 50, newest first, and pages on; names are escaped", async () => {
    const first = await page(`${base}/`);
    assert.equal(first.status, 200);
    assert.match(first.headers.get("content-type")!, /^text\/html/);
    assert.equal(rowNames(first.html).length, 50);
    assert.match(first.html, /56 torrents/);
    assert.match(first.html, /Page 1 of 2/);
    assert.ok(!first.html.includes("<img"), "nothing from a torrent becomes markup");
    assert.ok(first.html.includes("&lt;img src=x onerror=alert(1)&gt;&amp;&#39;&quot;"));
    const second = await page(`${base}/?sort=added&order=desc&page=2`);
    assert.equal(rowNames(second.html).length, 6);
    assert.ok(rowNames(second.html).includes("Holiday photos"), "the oldest is on the last page");
  });

  test("search finds by words of the name (any case) and by info hash; sort by a column", async () => {
    const found = await page(`${base}/?q=HOLIDAY`);
    assert.deepEqual(rowNames(found.html), ["Holiday photos"]);
    assert.match(found.html, /1 of 56 torrents match/);
    const byHash = await page(`${base}/?q=${folder.infoHash.toString("hex").slice(0, 12)}`);
    assert.deepEqual(rowNames(byHash.html), ["Holiday photos"]);
    assert.match((await page(`${base}/?q=nothing-like-it`)).html, /No torrent matches/);
    const byName = await page(`${base}/?q=filler&sort=name&order=asc`);
    assert.deepEqual(rowNames(byName.html).slice(0, 3), ["filler-00", "filler-01", "filler-02"]);
    assert.match(byName.html, /aria-sort="ascending"/);
    const bySeeders = await page(`${base}/?sort=seeders&order=desc`);
    assert.equal(rowNames(bySeeders.html)[0], "Holiday photos");
  });

  test("a torrent's details: its files, counts, and working .torrent and magnet links", async () => {
    const hex = folder.infoHash.toString("hex");
    const details = await page(`${base}/details/${hex}`);
    assert.equal(details.status, 200);
    assert.match(details.html, /<h2>Holiday photos<\/h2>/);
    assert.match(details.html, /Files \(2\)/);
    assert.match(details.html, /a\.txt/);
    assert.match(details.html, /sub\/b\.bin/);
    assert.match(details.html, /<dt>Seeders<\/dt><dd>1<\/dd><dt>Leechers<\/dt><dd>1<\/dd>/);
    const torrentHref = /href="([^"]+\.torrent)" download/.exec(details.html)![1]!;
    const file = await fetch(`${base}${torrentHref}`);
    assert.ok(
      parseMetainfo(Buffer.from(await file.arrayBuffer())).infoHash.equals(folder.infoHash),
    );
    assert.match(details.html, new RegExp(`href="magnet:\\?xt=urn:btih:${hex}`));
    assert.equal((await page(`${base}/details/${"0".repeat(40)}`)).status, 404);
    assert.equal((await page(`${base}/details/not-a-hash`)).status, 404);
  });

  test("the upload form refuses a wrong or missing token with a message, and publishes with the right one", async () => {
    const blank = await page(`${base}/upload`);
    assert.match(blank.html, /<input type="password" name="token"/);
    assert.match(blank.html, /enctype="multipart\/form-data"/);
    const fresh = makeTorrent("uploaded by form");
    const before = tracker.index.size;
    const wrong = await page(`${base}/upload`, {
      method: "POST",
      body: form({ token: "not-it" }, { name: "x.torrent", bytes: fresh.bytes }),
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /role="alert"[^>]*>Wrong publish token: nothing was published\./);
    const missing = await page(`${base}/upload`, {
      method: "POST",
      body: form({}, { name: "x.torrent", bytes: fresh.bytes }),
    });
    assert.equal(missing.status, 401);
    assert.equal(tracker.index.size, before, "nothing was published");
    const notTorrent = await page(`${base}/upload`, {
      method: "POST",
      body: form({ token: TOKEN }, { name: "x.torrent", bytes: Buffer.from("hello") }),
    });
    assert.equal(notTorrent.status, 422);
    assert.match(notTorrent.html, /Not a usable torrent/);
    const right = await page(`${base}/upload`, {
      method: "POST",
      body: form({ token: TOKEN }, { name: "x.torrent", bytes: fresh.bytes }),
    });
    assert.equal(right.status, 303);
    const hex = fresh.infoHash.toString("hex");
    assert.equal(right.headers.get("location"), `/details/${hex}?published=new`);
    assert.equal(tracker.index.size, before + 1);
    assert.match((await page(`${base}/details/${hex}?published=new`)).html, /Published\./);
  });

  test("the upload form and the index take GET, HEAD and POST only, and say so (405 with Allow)", async () => {
    for (const path of ["/upload", "/torrents"]) {
      for (const [method, body] of [
        ["PUT", "x"],
        ["DELETE", undefined],
        ["PATCH", "x"],
      ]) {
        const res = await page(`${base}${path}`, { method, body });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get("allow"), "GET, HEAD, POST", `${method} ${path}`);
      }
    }
  });

  test("the operator's view: counters, swarms busiest first, a swarm's peers", async () => {
    const op = await page(`${base}/operator`);
    assert.equal(op.status, 200);
    assert.match(op.html, /<dt>Published torrents<\/dt><dd>\d+<\/dd>/);
    assert.match(op.html, /2 \(1 seeders, 1 leechers\)/);
    const hex = folder.infoHash.toString("hex");
    assert.match(op.html, new RegExp(`href="/operator/swarms/${hex}">Holiday photos`));
    const swarm = await page(`${base}/operator/swarms/${hex}`);
    assert.match(swarm.html, /127\.0\.0\.1:7001<\/td><td>seeder/);
    assert.match(swarm.html, /127\.0\.0\.1:7002<\/td><td>leecher/);
    // Odd queries get a page, never an error.
    for (const odd of [
      `/operator/swarms/${hex}?offset=-5`,
      `/operator/swarms/${hex}?offset=1e99`,
      "/operator?page=-3",
      "/?page=-1&sort=evil&order=x&q=%ZZ",
      `/?q=${"x".repeat(5000)}`,
    ]) {
      assert.equal((await page(`${base}${odd}`)).status, 200, odd);
    }
    const css = await fetch(`${base}/static/tracker.css`);
    assert.match(css.headers.get("content-type")!, /^text\/css/);
    assert.match(await css.text(), /prefers-color-scheme: dark/);
  });

  test("wrong tokens from one address are throttled, the right one too until the window ends", async () => {
    const fresh = makeTorrent("throttled");
    let last = 0;
    for (let i = 0; i < 6; i++) {
      last = (
        await page(`${base}/upload`, {
          method: "POST",
          body: form({ token: `guess-${i}` }, { name: "t.torrent", bytes: fresh.bytes }),
        })
      ).status;
    }
    assert.equal(last, 429);
    const right = await page(`${base}/upload`, {
      method: "POST",
      body: form({ token: TOKEN }, { name: "t.torrent", bytes: fresh.bytes }),
    });
    assert.equal(right.status, 429);
    assert.match(right.html, /Too many wrong publish tokens/);
  });
});

test("a search that matches more than MAX_SORTED torrents sorts the newest of them, and says so", async () => {
  const { tracker, base } = await startTracker();
  try {
    const n = MAX_SORTED + 5;
    for (let i = 0; i < n; i++) {
      tracker.index.publish(makeTorrent(`bulk ${String(i).padStart(6, "0")}`).bytes);
    }
    const res = await page(`${base}/?q=bulk&sort=name&order=asc`);
    assert.match(res.html, new RegExp(`${n} of ${n} torrents match`));
    assert.match(res.html, new RegExp(`Sorted among the newest ${MAX_SORTED} of ${n} matches`));
    // The five oldest are beyond the sort: the first row is the sixth published.
    assert.equal(rowNames(res.html)[0], "bulk 000005");
    // Without a search, the newest first is a page of the index: every torrent is reached.
    const last = await page(`${base}/?page=${Math.ceil(n / 50)}`);
    assert.equal(rowNames(last.html).at(-1), "bulk 000000");
  } finally {
    await tracker.stop();
  }
});

describe("the tracker's pages on a private tracker", () => {
  let tracker: Tracker;
  let base = "";
  let dataDir = "";
  const t = makeTorrent("members only film");

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "shoal-pages-private-"));
    ({ tracker, base } = await startTracker({ private: true, dataDir, publishToken: TOKEN }));
    assert.equal(await publishWithToken(base, t.bytes, TOKEN), 201);
  });

  after(async () => {
    await tracker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("the index is for members and the operator; a member's links carry the passkey", async () => {
    const members = tracker.access!.members;
    const ann = members.add("ann");
    assert.equal((await page(`${base}/`)).status, 403);
    assert.equal((await page(`${base}/?passkey=${"0".repeat(32)}`)).status, 401);
    assert.equal((await page(`${base}/details/${t.infoHash.toString("hex")}`)).status, 403);
    const list = await page(`${base}/?passkey=${ann.passkey}`);
    assert.equal(list.status, 200);
    assert.deepEqual(rowNames(list.html), ["members only film"]);
    const hex = t.infoHash.toString("hex");
    assert.ok(list.html.includes(`href="/details/${hex}?passkey=${ann.passkey}"`));
    assert.ok(!list.html.includes('href="/upload'), "ann may not publish: no upload link");
    const details = await page(`${base}/details/${hex}?passkey=${ann.passkey}`);
    const torrentHref = /href="([^"]+)" download/.exec(details.html)![1]!.replace(/&amp;/g, "&");
    const file = await fetch(`${base}${torrentHref}`);
    const meta = parseMetainfo(Buffer.from(await file.arrayBuffer()));
    assert.equal(meta.announce, `${base}/announce/${ann.passkey}`);
    assert.match(
      details.html,
      new RegExp(`tr=${encodeURIComponent(`${base}/announce/${ann.passkey}`)}`),
    );
    members.setDisabled("ann", true);
    assert.equal((await page(`${base}/?passkey=${ann.passkey}`)).status, 401, "disabled");
    const basic = `Basic ${Buffer.from(`op:${TOKEN}`).toString("base64")}`;
    assert.equal((await page(`${base}/`, { headers: { authorization: basic } })).status, 200);
    // The operator's details link the published .torrent itself, which the token opens.
    const asOperator = await page(`${base}/details/${hex}`, { headers: { authorization: basic } });
    const published = /href="([^"]+)" download/.exec(asOperator.html)![1]!;
    assert.equal(published, `/torrents/${hex}.torrent`);
    assert.equal((await fetch(`${base}${published}`)).status, 401, "not without the token");
    const original = await fetch(`${base}${published}`, { headers: { authorization: basic } });
    assert.ok(Buffer.from(await original.arrayBuffer()).equals(t.bytes));
  });

  test("only a member with the publish right gets the form, without a token field", async () => {
    const members = tracker.access!.members;
    const bo = members.add("bo");
    const cy = members.add("cy", { canPublish: true });
    assert.equal((await page(`${base}/upload?passkey=${bo.passkey}`)).status, 403);
    const refused = await page(`${base}/upload?passkey=${bo.passkey}`, {
      method: "POST",
      body: form({}, { name: "x.torrent", bytes: makeTorrent("by bo").bytes }),
    });
    assert.equal(refused.status, 403);
    assert.match(refused.html, /bo may not publish/);
    const blank = await page(`${base}/upload?passkey=${cy.passkey}`);
    assert.equal(blank.status, 200);
    assert.ok(!blank.html.includes('name="token"'));
    const mine = makeTorrent("by cy");
    const done = await page(`${base}/upload?passkey=${cy.passkey}`, {
      method: "POST",
      body: form({}, { name: "x.torrent", bytes: mine.bytes }),
    });
    assert.equal(done.status, 303);
    assert.equal(
      done.headers.get("location"),
      `/details/${mine.infoHash.toString("hex")}?published=new&passkey=${cy.passkey}`,
    );
  });

  test("the operator's view asks a browser for the token (Basic) and opens with it", async () => {
    const refused = await page(`${base}/operator`);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate")!, /^Basic realm=/);
    const wrong = `Basic ${Buffer.from("op:nope").toString("base64")}`;
    assert.equal(
      (await page(`${base}/operator`, { headers: { authorization: wrong } })).status,
      401,
    );
    const basic = `Basic ${Buffer.from(`op:${TOKEN}`).toString("base64")}`;
    const op = await page(`${base}/operator`, { headers: { authorization: basic } });
    assert.equal(op.status, 200);
    assert.match(op.html, /Refused passkeys/);
  });
});
