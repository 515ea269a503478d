/**
 * A daemon's seeds come back with no peer connected: none of the peer
 * connection's modules load then (peer/connection-loader.ts). Then a libtorrent leecher finds the daemon through shoal's tracker and
 * downloads the whole torrent from it: the first connection waits for the
 * connection's modules to load, and is served.
 *
 * The daemon runs as users run it (bin/shoal.js, with Node's compile cache
 * on and let go of before the restore). SHOAL_SKIP_INTEROP=1 skips (instead of failing) when
 * libtorrent is missing.
 */
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { call } from "../daemon/daemon-helpers.ts";
import {
  assertTools,
  Children,
  freePorts,
  LIBTORRENT_TOOLS,
  NODE,
  REPO_ROOT,
  skipReason,
  startLibtorrent,
  TempDirs,
  waitFor,
} from "./helpers.ts";
import { makeSwarmCase, startShoalTracker } from "./swarm-case.ts";

const TOOLS = LIBTORRENT_TOOLS;
const CASE_MS = 180_000;
const CLIENT_MS = 150_000;
const SHOAL_BIN = join(REPO_ROOT, "bin", "shoal.js");

describe("interop: a daemon's idle seed serves the first peer that comes", {
  skip: skipReason(TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  let announce = "";

  before(async () => {
    assertTools(TOOLS);
    announce = await startShoalTracker(children, temps);
  });

  after(async () => {
    await children.stopAll();
    await temps.removeAll();
  });

  it("restored with no peers, then libtorrent downloads it", { timeout: CASE_MS }, async () => {
    const c = await makeSwarmCase(temps, "daemon-idle", announce, 2 * 1024 * 1024 + 777);
    const [peerPort, apiPort, leecherPort] = await freePorts(3);
    const base = `http://127.0.0.1:${apiPort}`;
    const args = [
      SHOAL_BIN,
      "daemon",
      "--data-dir",
      join(c.dir, "daemon-data"),
      "--download-dir",
      join(c.dir, "seed"),
      "--port",
      String(peerPort),
      "--api-port",
      String(apiPort),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(c.dir, "cfg") };
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const start = (extra: NodeJS.ProcessEnv = {}) =>
      children.start(NODE, args, {
        name: "shoal daemon",
        env: { ...env, ...extra },
        timeoutMs: CASE_MS,
      });

    // Added once (checked against the data), then the daemon stops.
    let daemon = start();
    await daemon.waitForLine(/ info +started torrents=0 /, 60_000);
    const torrent = (await readFile(c.torrentPath)).toString("base64");
    assert.equal((await call(base, "POST", "/api/v1/torrents", { json: { torrent } })).status, 201);
    await waitFor(
      "the torrent to seed",
      async () =>
        (await call(base, "GET", "/api/v1/torrents?fields=state")).body[0]?.state === "seeding" ||
        undefined,
      60_000,
    );
    daemon.kill("SIGTERM");
    assert.deepEqual(await daemon.exited, { code: 0, signal: null });

    // Back from the session as an idle seed: no peer yet.
    daemon = start();
    await daemon.waitForLine(/ info +started torrents=1 /, 60_000);
    const [seed] = (await call(base, "GET", "/api/v1/torrents?fields=state,peers")).body;
    assert.equal(seed.state, "seeding");

    const dir = join(c.dir, "libtorrent");
    await mkdir(dir, { recursive: true });
    const leecher = startLibtorrent(
      children,
      { torrent: c.torrentPath, savePath: dir, port: leecherPort!, mode: "leech" },
      CLIENT_MS,
    );
    await leecher.waitForLine(/^DONE$/, CLIENT_MS).catch((err: Error) => {
      throw new Error(`${err.message}\nshoal daemon:\n${daemon.tail()}`);
    });
    assert.ok((await readFile(join(dir, c.meta.name))).equals(c.data));
    const [served] = (await call(base, "GET", "/api/v1/torrents?fields=uploaded")).body;
    assert.ok(served.uploaded >= c.data.length, `uploaded ${served.uploaded}`);
    daemon.kill("SIGTERM");
    assert.deepEqual(await daemon.exited, { code: 0, signal: null });
  });
});
