/**
 * The CLI's words for what a new user runs into: a closed pipe, a mistyped
 * option, a rate that is not one, a port in use, a missing file in the shell,
 * `tracker peers` with a hash prefix, the tracker's help, `create` without a
 * tracker. Child processes of src/cli/main.ts, judged by their output.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { announce, makeTorrent, peerId, startTracker } from "./tracker-helpers.ts";

const MAIN = resolve(import.meta.dirname, "../../src/cli/main.ts");
const work = mkdtempSync(join(tmpdir(), "shoal-e2e-errors-"));
after(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function shoal(args: string[], opts: { input?: string; closeStdout?: boolean } = {}) {
  return new Promise<Result>((done, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: work,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    // The reader goes away before the command writes (`| head -0`).
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.end(opts.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

function oneLine(r: Result, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(r.stderr, pattern);
}

const torrent = makeTorrent("small.iso", 50_000);
const torrentFile = join(work, "small.torrent");
writeFileSync(torrentFile, torrent.bytes);

test("a reader that goes away (shoal info x | head -0): a quiet exit, no EPIPE trace", async () => {
  const r = await shoal(["info", torrentFile], { closeStdout: true });
  assert.equal(r.stderr, "");
  assert.equal(r.code, 141, "as a writer killed by SIGPIPE");
});

test("an unknown option: one line, balanced quotes, the option meant", async () => {
  const r = await shoal(["info", torrentFile, "--jsn"]);
  oneLine(
    r,
    2,
    /^shoal info: Unknown option '--jsn' \(did you mean --json\?\) \(see 'shoal help info'\)\n$/,
  );
  oneLine(await shoal(["get", torrentFile, "--port"]), 2, /^shoal get: --port needs a value/);
});

test("a rate that is not one says so, with examples", async () => {
  oneLine(
    await shoal(["get", torrentFile, "--upload-limit", "fast", "--data-dir", join(work, "d1")]),
    2,
    /^shoal get: --upload-limit: 'fast' is not a rate \(bytes per second: try 10MB or 512KiB; 0 for no limit\)/,
  );
  oneLine(
    await shoal(["shell", "--download-limit", "quick", "--data-dir", join(work, "d2")]),
    2,
    /--download-limit: 'quick' is not a rate/,
  );
});

test("a port in use is named, with --port as the way out", async () => {
  const taken: Server = createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
  const port = String((taken.address() as { port: number }).port);
  try {
    const inUse = new RegExp(
      `port ${port} is already in use on 127\\.0\\.0\\.1 \\(another shoal\\?\\); choose another with --port`,
    );
    const common = ["--host", "127.0.0.1", "--port", port];
    oneLine(await shoal(["get", torrentFile, ...common, "--data-dir", join(work, "d3")]), 1, inUse);
    oneLine(await shoal(["shell", ...common, "--data-dir", join(work, "d4")]), 1, inUse);
    oneLine(await shoal(["tracker", ...common]), 1, inUse);
  } finally {
    taken.close();
  }
});

test("the shell names a missing file in one line", async () => {
  const missing = join(work, "no-such-file.bin");
  const r = await shoal(
    ["shell", "--port", "0", "--host", "127.0.0.1", "--data-dir", join(work, "d5")],
    {
      input: `create ${missing}\n`,
    },
  );
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `error: no such file or directory '${missing}'\n`);
});

test("shoal help tracker gives each option one default", async () => {
  const r = await shoal(["help", "tracker"]);
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    /--min-interval <n> +seconds a client must wait at least \(default: interval \/ 2\)\n/,
  );
  for (const line of r.stdout.split("\n")) {
    assert.ok((line.match(/\(default/g) ?? []).length <= 1, line);
  }
});

test("shoal tracker peers takes a unique prefix of an info hash, as the shell does", async () => {
  const { tracker, base } = await startTracker();
  try {
    const other = makeTorrent("other.iso", 40_000);
    await announce(base, { infoHash: torrent.infoHash, peerId: peerId(1), port: 7001, left: 0 });
    await announce(base, { infoHash: other.infoHash, peerId: peerId(2), port: 7002, left: 5 });
    const hex = torrent.infoHash.toString("hex");
    const r = await shoal(["tracker", "peers", hex.slice(0, 8), "--url", base]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${hex}\\s+127\\.0\\.0\\.1:7001\\s+seeder`));
    assert.doesNotMatch(r.stdout, /7002/);
    const otherHex = other.infoHash.toString("hex");
    let common = 0;
    while (hex[common] === otherHex[common]) common++;
    if (common >= 2) {
      oneLine(
        await shoal(["tracker", "peers", hex.slice(0, common), "--url", base]),
        1,
        /starts 2 swarms' info hashes: type more of it/,
      );
    }
    const absent = hex[0] === "f" ? "00" : "ff";
    if (!otherHex.startsWith(absent) && !hex.startsWith(absent)) {
      oneLine(
        await shoal(["tracker", "peers", absent, "--url", base]),
        1,
        /no swarm ff|no swarm 00/,
      );
    }
  } finally {
    await tracker.stop();
  }
});

test("shoal create without -t says truthfully where peers can come from", async () => {
  const dir = join(work, "share");
  writeFileSync(join(work, "share.bin"), "some content");
  const r = await shoal(["create", join(work, "share.bin"), "-o", join(dir + ".torrent")]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /note: no tracker given \(-t\); peers will come only from --peer addresses/,
  );
  assert.doesNotMatch(r.stderr, /DHT|PEX/);
});
