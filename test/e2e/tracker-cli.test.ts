/**
 * `shoal tracker`, `shoal tracker swarms|peers`, `shoal publish` and `shoal list`
 * as a user runs them: the tracker as a child process (stopped with SIGTERM),
 * the client commands in-process with captured output.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { TRACKER_NODE_FLAGS } from "../../src/cli/commands/tracker.ts";
import { run } from "../../src/cli/index.ts";
import { parseAnnounceReply } from "../../src/tracker-proto/index.ts";
import { announce, hash20, makeTorrent, peerId } from "./tracker-helpers.ts";

const REPO = resolve(import.meta.dirname, "../..");
const MAIN = join(REPO, "src/cli/main.ts");
const work = mkdtempSync(join(tmpdir(), "shoal-e2e-tracker-"));
after(() => rmSync(work, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  base: string;
  stderr: () => string;
}

/** Starts `shoal tracker` and waits for its "listening" line. */
function startCli(args: string[]): Promise<Running> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(
      process.execPath,
      [MAIN, "tracker", "--host", "127.0.0.1", "--port", "0", ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tracker did not start: ${err}`));
    }, 60_000);
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m =
        /tracker listening on http:\/\/(127\.0\.0\.1:\d+)\/announce and udp:\/\/127\.0\.0\.1:\d+/.exec(
          out,
        );
      if (m) {
        clearTimeout(timer);
        resolveStart({ child, base: `http://${m[1]}`, stderr: () => err });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tracker exited with ${code}: ${err}`));
    });
  });
}

function stop(r: Running): Promise<number | null> {
  return new Promise((done) => {
    r.child.removeAllListeners("exit");
    r.child.on("exit", (code) => done(code));
    r.child.kill("SIGTERM");
  });
}

async function shoal(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  // SHOAL_DISCOVERY=off: a command given no tracker sends nothing on the LAN looking for one.
  const code = await run(args, { stdout, stderr, cwd: work, env: { SHOAL_DISCOVERY: "off" } });
  return { code, stdout: out, stderr: err };
}

describe("shoal tracker (CLI)", () => {
  test("publish, list, swarms, peers; then SIGTERM and a restart keep everything", async () => {
    const dataDir = join(work, "data");
    const torrent = makeTorrent("cli-demo.iso", 50_000);
    const file = join(work, "cli-demo.torrent");
    writeFileSync(file, torrent.bytes);
    const hex = torrent.infoHash.toString("hex");

    let tracker = await startCli([
      "--data-dir",
      dataDir,
      "--registered-only",
      "--publish-token",
      "t0ken",
    ]);
    try {
      const announceUrl = `${tracker.base}/announce`;
      let r = await shoal(["publish", file, "--tracker", announceUrl]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /refused the upload.*--token/);
      r = await shoal(["publish", file, "--tracker", announceUrl, "--token", "t0ken"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `published: cli-demo.iso\\ninfo hash: ${hex}\\nmagnet:    magnet:\\?xt=urn:btih:${hex}`,
        ),
      );
      r = await shoal(["publish", file, "--tracker", tracker.base, "--token", "t0ken"]);
      assert.match(r.stdout, /already published/);

      // Registered-only: the published torrent is tracked, others are refused.
      const refused = parseAnnounceReply(
        await announce(tracker.base, { infoHash: hash20(3), peerId: peerId(1), port: 1 }),
      );
      assert.match(refused.failureReason ?? "", /unregistered/);
      await announce(tracker.base, {
        infoHash: torrent.infoHash,
        peerId: peerId(1),
        port: 7001,
        left: 0,
      });
      await announce(tracker.base, {
        infoHash: torrent.infoHash,
        peerId: peerId(2),
        port: 7002,
        left: 10,
      });

      r = await shoal(["list", "--tracker", announceUrl]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+SIZE\s+FILES\s+SEEDERS\s+LEECHERS\s+COMPLETED\s+INFO HASH\n/);
      assert.match(
        r.stdout,
        new RegExp(`cli-demo\\.iso\\s+48\\.8 KiB\\s+1\\s+1\\s+1\\s+0\\s+${hex}`),
      );

      r = await shoal(["tracker", "swarms", "--url", announceUrl]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`${hex}\\s+cli-demo\\.iso\\s+48\\.8 KiB\\s+4\\s+1\\s+1\\s+0`),
      );
      assert.match(r.stdout, /seeders:\s+127\.0\.0\.1:7001\n\s+leechers: 127\.0\.0\.1:7002/);

      r = await shoal(["tracker", "peers", hex, "--url", tracker.base]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /127\.0\.0\.1:7001\s+seeder/);
      assert.match(r.stdout, /127\.0\.0\.1:7002\s+leecher\s+10 B/);
      assert.match(r.stdout, /-SH0100-000000000001/);
      r = await shoal(["tracker", "peers", hash20(9).toString("hex"), "--url", tracker.base]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no swarm/);
    } finally {
      assert.equal(await stop(tracker), 0);
    }
    assert.match(tracker.stderr(), /"msg":"saved peers for the next start".*"peers":2/);

    tracker = await startCli(["--data-dir", dataDir, "--registered-only"]);
    try {
      const r = await shoal(["list", "--tracker", tracker.base, "--json"]);
      const list = JSON.parse(r.stdout) as { infoHash: string }[];
      assert.deepEqual(
        list.map((t) => t.infoHash),
        [hex],
      );
      const peers = parseAnnounceReply(
        await announce(tracker.base, {
          infoHash: torrent.infoHash,
          peerId: peerId(3),
          port: 7003,
          left: 1,
        }),
      );
      assert.deepEqual(peers.peers.map((p) => p.port).sort(), [7001, 7002]);
    } finally {
      assert.equal(await stop(tracker), 0);
    }
  });

  test("a short interval expires silent peers in real time; config file and flags", async () => {
    const config = join(work, "tracker.json");
    writeFileSync(
      config,
      JSON.stringify({ interval: 1, peerExpiry: 1, fullScrape: true, logLevel: "warn" }),
    );
    const tracker = await startCli(["--config", config]);
    try {
      await announce(tracker.base, { infoHash: hash20(1), peerId: peerId(1), port: 7001, left: 1 });
      const before = parseAnnounceReply(
        await announce(tracker.base, {
          infoHash: hash20(1),
          peerId: peerId(2),
          port: 7002,
          left: 1,
        }),
      );
      assert.equal(before.interval, 1);
      assert.equal(before.peers.length, 1);
      const full = await (await fetch(`${tracker.base}/scrape`)).arrayBuffer();
      assert.match(
        Buffer.from(full).toString("latin1"),
        /^d5:filesd20:/,
        "full scrape switched on by the file",
      );
      // Expiry 1 s, swept every 62 ms: polled (up to 10 s) rather than read once after a
      // fixed 1.6 s, which a loaded machine's late timers in the tracker process could miss.
      const peersNow = async () =>
        ((await (await fetch(`${tracker.base}/stats`)).json()) as { peers: number }).peers;
      const deadline = Date.now() + 10_000;
      let peers = await peersNow();
      while (peers !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        peers = await peersNow();
      }
      assert.equal(peers, 0);
    } finally {
      assert.equal(await stop(tracker), 0);
    }
    assert.equal(tracker.stderr(), "", "log level warn: nothing logged on a clean run");
  });

  test("the tracker process replaces itself with one running its Node flags (same PID)", async (t) => {
    if (process.platform !== "linux" || typeof process.execve !== "function") {
      t.skip("needs Linux (/proc) and process.execve");
      return;
    }
    const tracker = await startCli([]);
    try {
      const argv = readFileSync(`/proc/${tracker.child.pid}/cmdline`, "utf8").split("\0");
      for (const flag of TRACKER_NODE_FLAGS) assert.ok(argv.includes(flag), argv.join(" "));
      assert.equal(argv.filter((a) => a === TRACKER_NODE_FLAGS[0]).length, 1);
      const status = await fetch(`${tracker.base}/stats`);
      assert.equal(status.status, 200);
      await status.arrayBuffer();
    } finally {
      assert.equal(await stop(tracker), 0);
    }
  });

  test("usage mistakes and an unreachable tracker are one clear line", async () => {
    let r = await shoal(["tracker", "--port", "notaport"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /port.*whole number/);
    r = await shoal(["tracker", "--bogus"]);
    assert.equal(r.code, 2);
    r = await shoal(["list"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing --tracker/);
    r = await shoal(["list", "--tracker", "http://127.0.0.1:1/announce"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach the tracker at http:\/\/127\.0\.0\.1:1/);
    r = await shoal(["tracker", "peers", "xyz", "--url", "http://127.0.0.1:1"]);
    assert.equal(r.code, 2);
    const cfg = join(work, "bad.json");
    writeFileSync(cfg, '{"prot": 1}');
    r = await shoal(["tracker", "--config", cfg]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown setting 'prot'/);
  });
});
