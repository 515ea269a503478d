/**
 * Editing a torrent's trackers through the daemon (issue 16): add, replace
 * and remove over `/api/v1` and Transmission's `torrent-set`
 * (trackerAdd / trackerRemove / trackerReplace); bad input answered with
 * its documented code and nothing changed; an added tracker really
 * announced to (a shoal tracker on loopback); the list kept across a
 * restart.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Tracker } from "../../src/tracker-server/index.ts";
import { startTracker } from "../e2e/tracker-helpers.ts";
import {
  call,
  type Json,
  makeSeededTorrent,
  rpc,
  startTestDaemon,
  type TestDaemon,
} from "./daemon-helpers.ts";

const root = await mkdtemp(join(tmpdir(), "shoal-tracker-edits-"));
let d: TestDaemon | undefined;
let tracker: Tracker | undefined;
after(async () => {
  await d?.stop();
  await tracker?.stop();
  await rm(root, { recursive: true, force: true });
});

const urls = (list: Json[]) => list.map((t) => [t.id, t.tier, t.url]);

async function working(base: string, ref: string, url: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const list = (await call(base, "GET", `/api/v1/torrents/${ref}/trackers`)).body as Json[];
    if (list.some((t) => t.url === url && t.state === "working")) return;
    if (Date.now() > until) throw new Error(`${url} never answered: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("trackers added, replaced and removed over the API and RPC; bad input changes nothing; kept across a restart", async () => {
  const started = await startTracker();
  tracker = started.tracker;
  const announce = `${started.base}/announce`;
  d = await startTestDaemon({}, {}, root);
  const t = await makeSeededTorrent(d.downloadDir, "edited");
  const added = await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64") },
  });
  assert.equal(added.status, 201);
  const ref = String(added.body.id);
  const path = `/api/v1/torrents/${ref}/trackers`;
  assert.deepEqual((await call(d.base, "GET", path)).body, []);

  // Added: announced to at once (the torrent seeds, so the tracker counts a seeder).
  const one = await call(d.base, "POST", path, { json: { url: announce } });
  assert.equal(one.status, 200);
  assert.deepEqual(urls(one.body), [[0, 0, announce]]);
  await working(d.base, ref, announce);

  // A new tier by default; into an existing tier when asked.
  await call(d.base, "POST", path, { json: { url: "udp://127.0.0.1:9/announce" } });
  const three = await call(d.base, "POST", path, {
    json: { url: "http://127.0.0.1:9/b", tier: 0 },
  });
  assert.deepEqual(urls(three.body), [
    [0, 0, announce],
    [1, 0, "http://127.0.0.1:9/b"],
    [2, 1, "udp://127.0.0.1:9/announce"],
  ]);

  // Bad input: the documented code, and the list as it was.
  const refusals: [string, string, Json, number, string][] = [
    ["POST", path, { url: "ftp://127.0.0.1/x" }, 400, "invalid_input"],
    ["POST", path, { url: "udp://127.0.0.1/no-port" }, 400, "invalid_input"],
    ["POST", path, { url: "not a url" }, 400, "invalid_input"],
    ["POST", path, {}, 400, "invalid_input"],
    ["POST", path, { url: announce }, 409, "duplicate"],
    ["POST", path, { url: "http://127.0.0.1:9/c", extra: 1 }, 400, "invalid_input"],
    ["PUT", `${path}/3`, { url: "http://127.0.0.1:9/c" }, 404, "not_found"],
    ["PUT", `${path}/x`, { url: "http://127.0.0.1:9/c" }, 400, "invalid_input"],
    ["PUT", `${path}/1`, { url: "gopher://127.0.0.1/" }, 400, "invalid_input"],
    ["PUT", `${path}/1`, { url: announce }, 409, "duplicate"],
    ["DELETE", `${path}/7`, undefined, 404, "not_found"],
    ["POST", "/api/v1/torrents/99/trackers", { url: "http://127.0.0.1:9/c" }, 404, "not_found"],
  ];
  for (const [method, p, json, status, code] of refusals) {
    const r = await call(d.base, method, p, json === undefined ? {} : { json });
    assert.equal(r.status, status, `${method} ${p} ${JSON.stringify(json)}: ${r.status}`);
    assert.equal(r.body.error.code, code);
  }
  assert.deepEqual(urls((await call(d.base, "GET", path)).body), urls(three.body));

  const replaced = await call(d.base, "PUT", `${path}/1`, {
    json: { url: "http://127.0.0.1:9/replaced" },
  });
  assert.deepEqual(urls(replaced.body)[1], [1, 0, "http://127.0.0.1:9/replaced"]);
  const removed = await call(d.base, "DELETE", `${path}/2`);
  assert.deepEqual(urls(removed.body), [
    [0, 0, announce],
    [1, 0, "http://127.0.0.1:9/replaced"],
  ]);

  // Transmission's torrent-set, with the ids torrent-get gives.
  const id = added.body.id;
  const ok = await rpc(d.base, "torrent-set", {
    ids: [id],
    trackerAdd: ["http://127.0.0.1:9/from-rpc"],
    trackerReplace: [1, "http://127.0.0.1:9/replaced-by-rpc"],
  });
  assert.equal(ok.result, "success");
  const got = await rpc(d.base, "torrent-get", { ids: [id], fields: ["trackers"] });
  assert.deepEqual(
    got.arguments.torrents[0].trackers.map((x: Json) => [x.id, x.tier, x.announce]),
    [
      [0, 0, announce],
      [1, 0, "http://127.0.0.1:9/replaced-by-rpc"],
      [2, 1, "http://127.0.0.1:9/from-rpc"],
    ],
  );
  for (const bad of [
    { trackerRemove: [9] },
    { trackerAdd: ["nope"] },
    { trackerReplace: [0] },
    { trackerAdd: ["http://127.0.0.1:9/fine"], trackerRemove: [42] },
  ]) {
    const r = await rpc(d.base, "torrent-set", { ids: [id], ...bad });
    assert.notEqual(r.result, "success", JSON.stringify(bad));
  }
  assert.equal((await call(d.base, "GET", path)).body.length, 3, "nothing changed");
  assert.equal(
    (await rpc(d.base, "torrent-set", { ids: [id], trackerRemove: [2] })).result,
    "success",
  );
  const before = urls((await call(d.base, "GET", path)).body);
  assert.equal(before.length, 2);

  // Restart on the same data dir: the edited list is back, and announced to.
  await d.stop();
  d = await startTestDaemon({}, {}, root);
  assert.deepEqual(urls((await call(d.base, "GET", path)).body), before);
  await working(d.base, ref, announce);
});
