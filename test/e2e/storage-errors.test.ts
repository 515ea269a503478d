/**
 * Issue 13, item 4: storage errors that cannot heal by retrying. A torrent
 * whose paths the system cannot take is refused when it is loaded, in one
 * line with exit 1, by `get`, `seed` and the shell; a write that keeps
 * failing stops the torrent with its error shown (exit 1), never a loop of
 * re-fetching the piece and warning. The seeder runs in this process.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../../src/bencode/index.ts";
import { createTorrent } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import { sha1 } from "../../src/util/index.ts";
import { CliProcess } from "./shell-helpers.ts";

const work = await mkdtemp(join(tmpdir(), "shoal-e2e-storage-"));
const clients: Client[] = [];
const procs: CliProcess[] = [];
after(async () => {
  for (const p of procs) p.kill();
  await Promise.all(clients.map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

/** Runs `shoal …`; a run that has not ended after `ms` is killed and fails the test. */
async function shoal(args: string[], ms = 60_000, stdin?: string): Promise<CliProcess> {
  const p = new CliProcess(args);
  procs.push(p);
  if (stdin !== undefined) {
    p.child.stdin!.write(stdin);
    p.end();
  }
  const timer = setTimeout(() => p.kill(), ms);
  await p.exited;
  clearTimeout(timer);
  assert.notEqual(
    p.child.signalCode,
    "SIGKILL",
    `still running after ${ms} ms: ${p.stderr.slice(0, 2000)}`,
  );
  return p;
}

/** A .torrent over one file at `path` (under the torrent's name), built by hand: it cannot exist on disk. */
async function torrentFile(name: string, path: string[], file: string): Promise<string> {
  const data = randomBytes(32 * 1024);
  const info = {
    name,
    "piece length": 16384,
    files: [{ length: data.length, path }],
    pieces: Buffer.concat([sha1(data.subarray(0, 16384)), sha1(data.subarray(16384))]),
  };
  const out = join(work, file);
  await writeFile(out, encode({ info } as never));
  return out;
}

function transferArgs(name: string): string[] {
  return [
    "--data-dir",
    join(work, name, "data"),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-trackers",
  ];
}

/** stderr as exactly one line. */
function oneLine(p: CliProcess): string {
  const lines = p.stderr.split("\n").filter((l) => l !== "" && !/^checking/.test(l));
  assert.equal(lines.length, 1, `one line, got:\n${p.stderr.slice(0, 2000)}`);
  return lines[0]!;
}

test("20 names of 250 bytes: get, seed and the shell refuse the torrent in one line", async () => {
  const long = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, "x"));
  const file = await torrentFile("long", long, "long.torrent");
  const get = await shoal(["get", file, "-o", join(work, "out"), ...transferArgs("get-long")]);
  assert.equal(get.child.exitCode, 1);
  assert.match(oneLine(get), /^shoal get: .*a path of 5019 bytes/);

  const seed = await shoal(["seed", file, join(work, "out"), ...transferArgs("seed-long")]);
  assert.equal(seed.child.exitCode, 1);
  assert.match(oneLine(seed), /^shoal seed: .*a path of 5019 bytes/);

  const shell = await shoal(
    ["shell", "--data-dir", join(work, "shell-long"), "--host", "127.0.0.1", "--port", "0"],
    15_000,
    `download ${file}\n`,
  );
  assert.equal(shell.child.exitCode, 1);
  assert.match(oneLine(shell), /^error: .*a path of 5019 bytes/);
});

test("a path too long under the download folder: refused before anything is fetched", async () => {
  // 15 names of 250 bytes fit anywhere short (3.8 KB), not 400 bytes deep.
  const long = Array.from({ length: 15 }, (_, i) => `${i}`.padEnd(250, "y"));
  const file = await torrentFile("deep", long, "deep.torrent");
  const out = join(work, "d".repeat(200), "e".repeat(200));
  const get = await shoal(["get", file, "-o", out, ...transferArgs("get-deep")]);
  assert.equal(get.child.exitCode, 1);
  assert.match(oneLine(get), /^shoal get: 'deep' cannot be saved in .*shorter path$/);
});

test("a write that keeps failing stops the torrent with its error, exit 1, no retry loop", async () => {
  const content = join(work, "content", "t");
  await mkdir(join(content, "sub"), { recursive: true });
  await writeFile(join(content, "sub", "a.bin"), randomBytes(256 * 1024));
  const { torrent } = await createTorrent(content, { pieceLength: 16384 });
  const file = join(work, "t.torrent");
  await writeFile(file, torrent);
  const seeder = await Client.start({
    dataDir: join(work, "seeder"),
    downloadDir: join(work, "content"),
    host: "127.0.0.1",
    torrentDefaults: { trackers: false },
  });
  clients.push(seeder);
  await seeder.add(torrent);

  // A file where the torrent's folder must go: every write fails the same way.
  const out = join(work, "blocked");
  await mkdir(join(out, "t"), { recursive: true });
  await writeFile(join(out, "t", "sub"), "in the way");
  const started = performance.now();
  const get = await shoal([
    "get",
    file,
    "-o",
    out,
    ...transferArgs("get-blocked"),
    "--peer",
    `127.0.0.1:${seeder.port}`,
    "--quiet",
  ]);
  assert.equal(get.child.exitCode, 1, get.stderr);
  // The message below (to its end) says no retry ran; this only bounds the whole run,
  // loosely, as starting the CLI is slow on a loaded machine.
  assert.ok(performance.now() - started < 30_000);
  assert.match(
    oneLine(get),
    /^shoal get: 't' stopped: cannot write '.*sub\/a\.bin': (EEXIST|ENOTDIR) \(a file is in the way\)$/,
  );
});
