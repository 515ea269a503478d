/**
 * What `shoal daemon` leaves unloaded at start, and that each such module
 * loads and works on its first use (issue 16: every module loaded is part
 * of the start-up time). A daemon restoring a seed, with no watch folder,
 * completion command or DHT, loads none of the web UI, the metrics, a file's
 * bytes, the settings page (and its TOML editor), the managing checks, the
 * tracker edits, an add by URL, the data move and removal, the older session format, the
 * saved DHT table, or torrent creation; then the requests that need them
 * are answered as before, and they are loaded.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "../../src/session/index.ts";
import { Children, TempDirs, waitFor } from "../interop/helpers.ts";
import { daemonChild } from "./daemon-child.ts";
import { call, makeSeededTorrent } from "./daemon-helpers.ts";

const RECORDER = fileURLToPath(new URL("./module-recorder.ts", import.meta.url));

const children = new Children();
const temp = new TempDirs();
after(async () => {
  await children.stopAll();
  await temp.removeAll();
});

/** Loaded by a request or a configured feature, never by a plain start. */
const ON_FIRST_USE = [
  "src/api/web-ui.ts",
  "src/api/metrics.ts",
  "src/api/file-route.ts",
  "src/api/byte-range.ts",
  "src/api/media-types.ts",
  "src/api/settings-routes.ts",
  "src/daemon/settings-file.ts",
  "src/daemon/toml-edit.ts",
  "src/api/manage-validation.ts",
  "src/api/tracker-edits.ts",
  "src/api/torrent-url.ts",
  "src/session/data-move.ts",
  "src/session/data-removal.ts",
  // A seed's swarm side and piece memory (the file's bytes), the tracker
  // clients (the tracker added, the add by URL).
  "src/torrent/swarm.ts",
  "src/storage/piece-io.ts",
  "src/torrent/announcing.ts",
  "src/tracker-client/index.ts",
];
/**
 * Loaded only when configured, when there is no session, or with a peer's
 * first connection (none of which this test does).
 */
const NOT_HERE = [
  "src/peer/negotiate.ts",
  "src/wire/index.ts",
  "src/session/watch-folder.ts",
  "src/session/completion-command.ts",
  "src/session/legacy-session.ts",
  "src/session/dht-state-file.ts",
  "src/metainfo/create.ts",
  "src/metainfo/piece-hasher.ts",
  "src/metainfo/hash-worker.ts",
];

async function loadedModules(log: string): Promise<Set<string>> {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const urls = (await readFile(log, "utf8")).split("\n").filter(Boolean);
  return new Set(
    urls.map((u) => (u.startsWith("file:") ? fileURLToPath(u).slice(root.length) : u)),
  );
}

test("a daemon's start leaves the rarely used modules unloaded; each loads and answers on first use", async () => {
  const root = await temp.make("lazy-modules");
  const downloads = join(root, "downloads");
  const dataDir = join(root, "data");
  const seed = await makeSeededTorrent(downloads, "lazy-seed");
  // The session a daemon restores: one seed, kept as `shoal daemon` keeps it.
  const client = await Client.start({
    dataDir,
    downloadDir: downloads,
    host: "127.0.0.1",
    port: 0,
    persist: true,
  });
  await client.add(seed.torrent);
  await client.close();

  const log = join(root, "modules.txt");
  const child = await daemonChild(children, root, downloads, ["--no-dht"], {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${JSON.stringify(RECORDER)}`,
    SHOAL_TEST_MODULE_LOG: log,
  });
  const daemon = await child.start("daemon", 1);
  const { base } = child;
  await waitFor(
    "the seed restored",
    async () =>
      (await call(base, "GET", "/api/v1/torrents/1")).body.state === "seeding" ? true : undefined,
    30_000,
  );

  const atStart = await loadedModules(log);
  assert.ok(atStart.has("src/api/control-plane.ts"), "the recorder sees the daemon's modules");
  for (const m of [...ON_FIRST_USE, ...NOT_HERE])
    assert.ok(!atStart.has(m), `${m} not loaded at start`);

  const page = await call(base, "GET", "/", { headers: { accept: "text/html" } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  assert.equal(
    (await call(base, "GET", "/")).body.name,
    "shoal",
    "JSON for a client not asking for HTML",
  );
  const metrics = await call(base, "GET", "/metrics");
  assert.equal(metrics.status, 200);
  assert.match(String(metrics.body), /^shoal_torrents\{/m);
  const settings = await call(base, "GET", "/api/v1/settings");
  assert.equal(settings.status, 200);
  assert.equal(settings.body.file, join(root, "config.toml"));
  const bytes = await call(base, "GET", "/api/v1/torrents/1/files/0", {
    headers: { range: "bytes=0-9" },
  });
  assert.equal(bytes.status, 206);
  const order = await call(base, "PUT", "/api/v1/torrents/1/piece-order", {
    json: { sequential: true },
  });
  assert.equal(order.status, 200, JSON.stringify(order.body));
  const trackers = await call(base, "POST", "/api/v1/torrents/1/trackers", {
    json: { url: "http://127.0.0.1:9/announce" },
  });
  assert.equal(trackers.status, 200, JSON.stringify(trackers.body));
  assert.deepEqual(
    trackers.body.map((t: { url: string }) => t.url),
    ["http://127.0.0.1:9/announce"],
  );
  const moved = await call(base, "POST", "/api/v1/torrents/1/move", {
    json: { downloadDir: join(root, "moved") },
  });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  assert.equal(
    (await readFile(join(root, "moved", "lazy-seed", "a.bin"))).length,
    20_000,
    "the data moved",
  );

  // An add by URL: the .torrent served by a loopback server here.
  const other = await makeSeededTorrent(downloads, "by-url");
  const server = createServer((_req, res) => res.end(other.torrent));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const added = await call(base, "POST", "/api/v1/torrents", {
      json: { url: `http://127.0.0.1:${port}/by-url.torrent` },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.infoHash, other.infoHash);
  } finally {
    server.close();
  }

  const afterUse = await loadedModules(log);
  for (const m of ON_FIRST_USE) assert.ok(afterUse.has(m), `${m} loaded by its first use`);
  await daemon.stop();
});
