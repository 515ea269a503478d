/**
 * Live events (SSE with Last-Event-ID resumption), Transmission's RPC
 * exchange as its clients do it, and the config file: TOML read with its
 * mistakes named, flags over it.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { SESSION_ID_HEADER } from "../../src/api/index.ts";
import { ConfigError, parseConfigText, resolveConfig } from "../../src/daemon/index.ts";
import {
  call,
  type Json,
  makeSeededTorrent,
  startTestDaemon,
  type TestDaemon,
} from "./daemon-helpers.ts";

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(() => d.stop());

interface SseEvent {
  event: string;
  id?: string;
  data: Json;
}

/** Opens the stream and collects events until `until` says so (bounded in time). */
function readEvents(
  headers: Record<string, string>,
  until: (events: SseEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<SseEvent[]> {
  const url = new URL(d.base);
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = request(
      { host: "127.0.0.1", port: Number(url.port), path: "/api/v1/events", headers },
      (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers["content-type"]), /^text\/event-stream/);
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
            const e: Partial<SseEvent> = {};
            for (const line of block.split("\n")) {
              const [k, ...rest] = line.split(": ");
              const v = rest.join(": ");
              if (k === "event") e.event = v;
              if (k === "id") e.id = v;
              if (k === "data") e.data = JSON.parse(v);
            }
            if (e.event) events.push(e as SseEvent);
          }
          if (until(events)) {
            clearTimeout(timer);
            req.destroy();
            resolve(events);
          }
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`events: gave up with ${JSON.stringify(events.map((e) => e.event))}`));
    }, timeoutMs);
    req.on("error", (err) => {
      if (!timer.hasRef()) return;
      reject(err);
    });
    req.end();
  });
}

test("events: stats at once and every second, state changes with ids, Last-Event-ID replays what was missed", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "evented");
  // The stream is subscribed once its first event (stats, at once) is here: add only then,
  // or a loaded machine can send the add before the stream exists and "added" is never seen.
  let subscribed = () => {};
  const opened = new Promise<void>((r) => {
    subscribed = r;
  });
  const live = readEvents({}, (ev) => {
    if (ev.length > 0) subscribed();
    return ev.some((e) => e.event === "added") && ev.filter((e) => e.event === "stats").length >= 2;
  });
  await Promise.race([opened, live]);
  const added = await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64") },
  });
  const events = await live;
  assert.equal(events[0]!.event, "stats");
  assert.equal(typeof events[0]!.data.torrents, "number");
  const addedEvent = events.find((e) => e.event === "added")!;
  assert.equal(addedEvent.data.infoHash, t.infoHash);
  assert.match(addedEvent.id!, /^\d+$/);

  // Missed while away: a pause and a resume.
  await call(d.base, "POST", `/api/v1/torrents/${added.body.id}/pause`);
  await call(d.base, "POST", `/api/v1/torrents/${added.body.id}/resume`);
  const statesOf = (ev: SseEvent[]) =>
    ev
      .filter((e) => e.event === "state" && e.data.infoHash === t.infoHash)
      .map((e) => e.data.state);
  const replay = await readEvents({ "last-event-id": addedEvent.id! }, (ev) => {
    const s = statesOf(ev);
    return s.includes("paused") && s.lastIndexOf("seeding") > s.indexOf("paused");
  });
  const states = statesOf(replay);
  assert.deepEqual(states.slice(states.indexOf("paused")), ["paused", "seeding"]);
  assert.ok(
    replay.every((e) => e.event === "stats" || Number(e.id) > Number(addedEvent.id)),
    "nothing before the id again",
  );

  const foreign = await readEvents({ "last-event-id": "999999999" }, (ev) =>
    ev.some((e) => e.event === "reset"),
  );
  assert.ok(
    foreign.some((e) => e.event === "reset"),
    "an id of another run: start over",
  );
});

test("Transmission RPC: the 409 session-id exchange, then torrent-get in Transmission's units", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "rpc");
  await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64"), uploadLimit: 5000 },
  });
  const first = await call(d.base, "POST", "/transmission/rpc", {
    json: { method: "session-get" },
  });
  assert.equal(first.status, 409);
  const id = first.headers.get(SESSION_ID_HEADER)!;
  assert.ok(id.length >= 16);
  const rpc = (body: unknown) =>
    call(d.base, "POST", "/transmission/rpc", { json: body, headers: { [SESSION_ID_HEADER]: id } });
  const got = await rpc({
    method: "torrent-get",
    arguments: {
      ids: [t.infoHash],
      fields: [
        "id",
        "hashString",
        "status",
        "percentDone",
        "totalSize",
        "uploadLimit",
        "uploadLimited",
        "wanted",
        "files",
        "unknownField",
      ],
    },
    tag: 7,
  });
  assert.equal(got.status, 200);
  assert.equal(got.body.result, "success");
  assert.equal(got.body.tag, 7);
  const [tor] = got.body.arguments.torrents;
  assert.equal(tor.hashString, t.infoHash);
  assert.equal(tor.status, 6, "seeding");
  assert.equal(tor.percentDone, 1);
  assert.equal(tor.totalSize, 40_000);
  assert.equal(tor.uploadLimit, 5, "kB/s");
  assert.equal(tor.uploadLimited, true);
  assert.deepEqual(tor.wanted, [1, 1]);
  assert.deepEqual(
    tor.files.map((f: { name: string }) => f.name),
    ["rpc/a.bin", "rpc/b.bin"],
  );
  assert.ok(!("unknownField" in tor));

  const unwant = await rpc({
    method: "torrent-set",
    arguments: { ids: [tor.id], "files-unwanted": [1] },
  });
  assert.equal(unwant.body.result, "success");
  const files = (await call(d.base, "GET", `/api/v1/torrents/${tor.id}/files`)).body;
  assert.deepEqual(
    files.map((f: { wanted: boolean }) => f.wanted),
    [true, false],
  );
  const after = await rpc({
    method: "torrent-get",
    arguments: { ids: tor.id, fields: ["wanted", "sizeWhenDone"] },
  });
  assert.deepEqual(after.body.arguments.torrents[0], { wanted: [1, 0], sizeWhenDone: 20_000 });
  const stop = await rpc({ method: "torrent-stop", arguments: { ids: tor.id } });
  assert.equal(stop.body.result, "success");
  assert.equal((await call(d.base, "GET", `/api/v1/torrents/${tor.id}`)).body.state, "paused");
  const bad = await rpc({ method: "torrent-explode" });
  assert.equal(bad.body.result, "method name not recognized");
  const junk = await call(d.base, "POST", "/transmission/rpc", {
    body: "{",
    headers: { [SESSION_ID_HEADER]: id, "content-type": "application/json" },
  });
  assert.equal(junk.status, 400);
  const set = await rpc({
    method: "session-set",
    arguments: { "speed-limit-down": 300, "speed-limit-down-enabled": true },
  });
  assert.equal(set.body.result, "success");
  assert.deepEqual((await call(d.base, "GET", "/api/v1/session/settings")).body.limits, {
    upload: 0,
    download: 300_000,
  });
  const queue = await rpc({
    method: "session-set",
    arguments: { "seed-queue-size": 4, "seed-queue-enabled": true },
  });
  assert.equal(queue.body.result, "success");
  assert.equal((await call(d.base, "GET", "/api/v1/session/manage")).body.maxActiveSeeds, 4);
  const got2 = await rpc({
    method: "session-get",
    arguments: { fields: ["seed-queue-size", "seed-queue-enabled"] },
  });
  assert.deepEqual(got2.body.arguments, { "seed-queue-size": 4, "seed-queue-enabled": true });
  await rpc({ method: "session-set", arguments: { "seed-queue-enabled": false } });
  const labels = await rpc({ method: "torrent-set", arguments: { ids: [tor.id], labels: ["tv"] } });
  assert.equal(labels.body.result, "success");
  const withLabels = await rpc({
    method: "torrent-get",
    arguments: { ids: [tor.id], fields: ["labels"] },
  });
  assert.deepEqual(withLabels.body.arguments.torrents[0].labels, ["tv"]);
  const free = await rpc({ method: "free-space", arguments: { path: d.downloadDir } });
  assert.ok(free.body.arguments["size-bytes"] > 0);
});

test("config: TOML with comments, sizes as text, flags over the file, mistakes named", () => {
  const doc = parseConfigText(
    `# my seedbox
download-dir = "~/Downloads"
[peer]
port = 6881   # the usual
pex = false
[limits]
upload = "2MB"
download = 0
[api]
port = 9091
[queue]
max-active-downloads = 3
[seeding]
ratio-limit = 2.5
`,
    "/etc/shoal.toml",
  );
  const c = resolveConfig(doc, { port: 7000 }, { HOME: "/home/u" }, "/work", "/etc/shoal.toml");
  assert.equal(c.downloadDir, "/home/u/Downloads");
  assert.equal(c.port, 7000, "the flag wins");
  assert.equal(c.pex, false);
  assert.equal(c.uploadLimit, 2_000_000);
  assert.equal(c.downloadLimit, 0);
  assert.equal(c.api.host, "127.0.0.1");
  assert.equal(c.maxActiveDownloads, 3);
  assert.equal(c.maxActiveSeeds, undefined, "absent: as the session keeps it");
  assert.equal(c.ratioLimit, 2.5);
  for (const [text, message] of [
    ["[peer]\nprot = 1\n", /unknown key \[peer\] prot/],
    ["colour = 1\n", /unknown key 'colour'/],
    ["[peer]\nport = 70000\n", /\[peer\] port: give a port/],
    ['[limits]\nupload = "fast"\n', /\[limits\] upload: give bytes\/s/],
    ['[api]\nusername = "a"\n', /username and password-hash go together/],
    ["port = = 3\n", /shoal\.toml line 1/],
    ["[queue]\nmax-active-seeds = -2\n", /\[queue\] max-active-seeds: give a whole number/],
    ["on-complete = []\n", /on-complete: give the program/],
  ] as const) {
    assert.throws(
      () => resolveConfig(parseConfigText(text, "/etc/shoal.toml"), {}, {}, "/"),
      (e: unknown) =>
        e instanceof ConfigError &&
        message.test((e as Error).message) &&
        !(e as Error).message.includes("\n"),
      text,
    );
  }
});
