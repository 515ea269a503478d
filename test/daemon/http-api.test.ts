/**
 * The daemon's HTTP API, route by route, as a front end drives it: each
 * operation's effect checked through the API itself (and on disk where it
 * touches files), and every kind of bad input answered with the code and
 * status of the error table, with nothing changed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { HTTP_STATUS, MAX_TORRENT_FILE_BYTES, ROUTES } from "../../src/api/index.ts";
import { call, makeSeededTorrent, startTestDaemon, type TestDaemon } from "./daemon-helpers.ts";

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(() => d.stop());

const api = (method: string, path: string, opts?: Parameters<typeof call>[3]) =>
  call(d.base, method, `/api/v1${path}`, opts);

/** The torrents as the API lists them, to prove a refused request changed nothing. */
const snapshot = async () =>
  (await api("GET", "/torrents?fields=infoHash,state,downloadDir,limits,piecesHave")).body;

test("add by upload and by JSON, list with chosen fields, one in detail", async () => {
  const one = await makeSeededTorrent(d.downloadDir, "uploaded");
  const two = await makeSeededTorrent(d.downloadDir, "as-json");
  const up = await api("POST", "/torrents", {
    body: one.torrent,
    headers: { "content-type": "application/x-bittorrent" },
  });
  assert.equal(up.status, 201);
  assert.equal(up.body.infoHash, one.infoHash);
  assert.equal(up.body.state, "seeding", "its data was there: checked and seeding");
  const js = await api("POST", "/torrents", {
    json: { torrent: two.torrent.toString("base64"), paused: true, uploadLimit: 5000 },
  });
  assert.equal(js.status, 201);
  assert.equal(js.body.state, "paused");
  assert.deepEqual(js.body.limits, { upload: 5000, download: 0 });

  const list = await api("GET", "/torrents?fields=id,name,state");
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, [
    { id: up.body.id, name: "uploaded", state: "seeding" },
    { id: js.body.id, name: "as-json", state: "paused" },
  ]);
  const detail = await api("GET", `/torrents/${one.infoHash.slice(0, 8)}`);
  assert.equal(detail.status, 200);
  assert.equal(detail.body.infoHash, one.infoHash);
  assert.match(detail.body.magnet, /^magnet:\?xt=urn:btih:/);

  const dup = await api("POST", "/torrents", { json: { torrent: one.torrent.toString("base64") } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, "duplicate");
});

test("pause, resume, recheck, reannounce, limits, move, remove with data", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "ops");
  const added = (
    await api("POST", "/torrents", { json: { torrent: t.torrent.toString("base64") } })
  ).body;
  const ref = String(added.id);
  assert.equal((await api("POST", `/torrents/${ref}/pause`)).body.state, "paused");
  assert.equal((await api("GET", `/torrents/${ref}`)).body.state, "paused");
  assert.equal((await api("POST", `/torrents/${ref}/resume`)).body.state, "seeding");
  const rechecked = await api("POST", `/torrents/${ref}/recheck`);
  assert.equal(rechecked.status, 200);
  assert.equal((await api("POST", `/torrents/${ref}/reannounce`)).status, 200);
  const limited = await api("PUT", `/torrents/${ref}/limits`, {
    json: { upload: 1000, download: 2000 },
  });
  assert.deepEqual(limited.body.limits, { upload: 1000, download: 2000 });

  const files = (await api("GET", `/torrents/${ref}/files`)).body;
  assert.deepEqual(
    files.map((f: { path: string; progress: number }) => [f.path, f.progress]),
    [
      ["ops/a.bin", 1],
      ["ops/b.bin", 1],
    ],
  );
  const selected = await api("PUT", `/torrents/${ref}/files`, {
    json: { indices: [1], priority: "high" },
  });
  assert.deepEqual(
    selected.body.map((f: { priority: string; wanted: boolean }) => [f.priority, f.wanted]),
    [
      ["normal", true],
      ["high", true],
    ],
  );
  assert.equal((await api("GET", `/torrents/${ref}/files`)).body[1].priority, "high");
  const order = await api("PUT", `/torrents/${ref}/piece-order`, { json: { sequential: true } });
  assert.equal(order.status, 200);
  assert.deepEqual((await api("GET", `/torrents/${ref}/peers`)).body, []);
  assert.deepEqual((await api("GET", `/torrents/${ref}/trackers`)).body, []);
  const pieces = (await api("GET", `/torrents/${ref}/pieces`)).body;
  assert.equal(pieces.pieceCount, 3);
  assert.equal(pieces.piecesHave, 3);
  assert.equal(Buffer.from(pieces.bitfield, "base64")[0], 0b1110_0000);
  const file = (await api("GET", `/torrents/${ref}/torrent-file`)).body;
  assert.deepEqual(Buffer.from(file.torrent, "base64"), t.torrent);

  const elsewhere = join(d.dir, "moved");
  const moved = await api("POST", `/torrents/${ref}/move`, { json: { downloadDir: elsewhere } });
  assert.equal(moved.status, 200);
  assert.equal(moved.body.downloadDir, elsewhere);
  assert.ok(existsSync(join(elsewhere, "ops", "a.bin")));
  assert.ok(!existsSync(join(d.downloadDir, "ops")), "the old folder is gone");
  await waitState(ref, "seeding");

  const removed = await api("DELETE", `/torrents/${ref}?deleteData=true`);
  assert.equal(removed.status, 200);
  assert.equal((await api("GET", `/torrents/${ref}`)).status, 404);
  assert.ok(!existsSync(join(elsewhere, "ops")), "its data went with it");
});

async function waitState(ref: string, state: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await api("GET", `/torrents/${ref}`)).body.state === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`torrent ${ref} never reached ${state}`);
}

test("session stats and settings", async () => {
  const s = await api("GET", "/session");
  assert.equal(s.status, 200);
  assert.equal(typeof s.body.torrents, "number");
  assert.equal(typeof s.body.secondsActive, "number");
  const set = await api("PUT", "/session/settings", { json: { limits: { upload: 123_000 } } });
  assert.deepEqual(set.body.limits, { upload: 123_000, download: 0 });
  assert.deepEqual((await api("GET", "/session/settings")).body.limits, {
    upload: 123_000,
    download: 0,
  });
  await api("PUT", "/session/settings", { json: { limits: { upload: 0 } } });
});

test("queues, seeding goals and labels", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "managed");
  const added = (
    await api("POST", "/torrents", { json: { torrent: t.torrent.toString("base64") } })
  ).body;
  const ref = String(added.id);
  const manage = await api("PUT", "/session/manage", {
    json: { maxActiveSeeds: 7, ratioLimit: 1.5 },
  });
  assert.equal(manage.body.maxActiveSeeds, 7);
  assert.equal((await api("GET", "/session/manage")).body.ratioLimit, 1.5);
  const labelled = await api("PUT", `/torrents/${ref}/labels`, {
    json: { labels: ["music", "flac"] },
  });
  assert.deepEqual(labelled.body.labels, ["music", "flac"]);
  assert.deepEqual((await api("GET", "/labels")).body.sort(), ["flac", "music"]);
  const goals = await api("PUT", `/torrents/${ref}/seeding-goals`, { json: { ratioLimit: null } });
  assert.equal(goals.body.ratioLimit, null);
  const queued = await api("POST", `/torrents/${ref}/queue`, { json: { to: "top" } });
  assert.equal(queued.body.queuePosition, 0);
  await api("PUT", "/session/manage", { json: { maxActiveSeeds: 0, ratioLimit: 0 } });
  await api("DELETE", `/torrents/${ref}`);
});

test("bad input: the documented code and status, and nothing changed", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "victim");
  await api("POST", "/torrents", { json: { torrent: t.torrent.toString("base64") } });
  const before = await snapshot();
  const cases: [string, string, Parameters<typeof call>[3], string][] = [
    ["GET", "/torrents/9999", undefined, "not_found"],
    ["POST", "/torrents/9999/pause", undefined, "not_found"],
    ["DELETE", "/torrents/ffffffffff", undefined, "not_found"],
    ["GET", "/torrents?fields=id,nonsense", undefined, "invalid_input"],
    [
      "POST",
      "/torrents",
      { body: "{not json", headers: { "content-type": "application/json" } },
      "invalid_input",
    ],
    ["POST", "/torrents", { json: [1, 2] }, "invalid_input"],
    ["POST", "/torrents", { json: {} }, "invalid_input"],
    ["POST", "/torrents", { json: { torrent: "!!!not base64" } }, "invalid_input"],
    [
      "POST",
      "/torrents",
      { json: { torrent: Buffer.from("d4:spam4:eggse").toString("base64") } },
      "invalid_input",
    ],
    ["POST", "/torrents", { json: { magnet: "http://x" } }, "invalid_input"],
    ["POST", "/torrents", { json: { path: "/etc/passwd" } }, "invalid_input"],
    ["POST", "/torrents", { json: { url: "ftp://127.0.0.1/x.torrent" } }, "invalid_input"],
    [
      "POST",
      "/torrents",
      { body: "x=1", headers: { "content-type": "application/x-www-form-urlencoded" } },
      "unsupported_media_type",
    ],
    [
      "POST",
      "/torrents",
      {
        body: Buffer.alloc(MAX_TORRENT_FILE_BYTES + 1),
        headers: { "content-type": "application/x-bittorrent" },
      },
      "payload_too_large",
    ],
    ["PUT", "/torrents/1/limits", { json: { upload: -1 } }, "invalid_input"],
    ["PUT", "/torrents/1/limits", { json: { upload: "fast" } }, "invalid_input"],
    ["POST", "/torrents/1/move", { json: { downloadDir: "relative/dir" } }, "invalid_input"],
    ["PUT", "/torrents/1/files", { json: { indices: [7], wanted: false } }, "invalid_input"],
    ["PUT", "/torrents/1/files", { json: { priority: "urgent" } }, "invalid_input"],
    ["PUT", "/torrents/1/piece-order", { json: { sequential: "yes" } }, "invalid_input"],
    ["PUT", "/session/settings", { json: { port: 1 } }, "invalid_input"],
    ["PUT", "/session/manage", { json: { maxActiveSeeds: -1 } }, "invalid_input"],
    ["PUT", "/torrents/1/labels", { json: { labels: "music" } }, "invalid_input"],
    ["PUT", "/torrents/1/seeding-goals", { json: { ratioLimit: "lots" } }, "invalid_input"],
    ["POST", "/torrents/1/queue", { json: { to: "sideways" } }, "invalid_input"],
    ["DELETE", "/torrents/1?deleteData=maybe", undefined, "invalid_input"],
    ["GET", "/nowhere", undefined, "route_not_found"],
    ["PATCH", "/torrents", undefined, "method_not_allowed"],
    ["GET", "/torrents/%E0%A4%A", undefined, "invalid_input"],
  ];
  for (const [method, path, opts, code] of cases) {
    const r = await api(method, path, opts);
    assert.equal(r.body?.error?.code, code, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.status, HTTP_STATUS[code as keyof typeof HTTP_STATUS], `${method} ${path}`);
    assert.equal(typeof r.body.error.message, "string");
  }
  assert.deepEqual(await snapshot(), before, "nothing changed");
});

test("the OpenAPI document lists every route", async () => {
  const doc = (await call(d.base, "GET", "/api/v1/openapi.json")).body;
  assert.equal(doc.openapi, "3.1.0");
  for (const r of ROUTES) {
    const path = `/api/v1${r.path.replace(/:(\w+)/g, "{$1}")}`;
    assert.ok(doc.paths[path]?.[r.method.toLowerCase()]?.summary, `${r.method} ${path}`);
  }
  assert.ok(doc.paths["/api/v1/events"]);
});
