/**
 * Issue 13, item 5: a torrent of more files than the process may open.
 * `shoal get` runs under `ulimit -n 256` (a child of bash) and downloads a
 * torrent of 1,500 small files from a seeder in this process, on loopback:
 * it must complete, every file intact; a second run, slowed down, is stopped
 * with Ctrl-C (SIGINT) mid-download and must still write its resume data.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTorrent } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import { MAIN } from "./shell-helpers.ts";

const FILES = 1500;
const FILE_SIZE = 2000;
const LIMIT = 256;

const work = await mkdtemp(join(tmpdir(), "shoal-e2e-many-"));
const clients: Client[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await Promise.all(clients.map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

/** `shoal get …` under `ulimit -n LIMIT`; resolves to its exit code and stderr. */
function limitedGet(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stderr: string }>;
} {
  const quoted = [process.execPath, MAIN, "get", ...args].map(
    (a) => `'${a.replaceAll("'", "'\\''")}'`,
  );
  const child = spawn("bash", ["-c", `ulimit -n ${LIMIT} && exec ${quoted.join(" ")}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout!.resume();
  // 'close', not 'exit': stderr is read to its end first.
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stderr })),
  );
  return { child, done };
}

test(`${FILES} files under ulimit -n ${LIMIT}: the download completes, and Ctrl-C saves resume data`, async () => {
  const content = join(work, "seed", "many");
  const data = randomBytes(FILES * FILE_SIZE);
  const paths: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const path = join(`d${i % 20}`, `f${i}.bin`);
    paths.push(path);
    await mkdir(join(content, `d${i % 20}`), { recursive: true });
    await writeFile(join(content, path), data.subarray(i * FILE_SIZE, (i + 1) * FILE_SIZE));
  }
  const { torrent, metainfo } = await createTorrent(content, { pieceLength: 32 * 1024 });
  const torrentFile = join(work, "many.torrent");
  await writeFile(torrentFile, torrent);
  const seeder = await Client.start({
    dataDir: join(work, "seeder"),
    downloadDir: join(work, "seed"),
    host: "127.0.0.1",
    torrentDefaults: { trackers: false },
  });
  clients.push(seeder);
  const seeding = await seeder.add(torrent);
  const common = (name: string) => [
    torrentFile,
    "-o",
    join(work, name),
    "--data-dir",
    join(work, `${name}-data`),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-trackers",
    "--peer",
    `127.0.0.1:${seeder.port}`,
    "--quiet",
  ];

  const full = limitedGet(common("full"));
  const timer = setTimeout(() => full.child.kill("SIGKILL"), 90_000);
  const { code, stderr } = await full.done;
  clearTimeout(timer);
  assert.equal(code, 0, `get did not complete under ulimit -n ${LIMIT}:\n${stderr.slice(-2000)}`);
  assert.doesNotMatch(stderr, /EMFILE/);
  for (const i of [0, 1, 777, FILES - 1]) {
    const got = readFileSync(join(work, "full", "many", paths[i]!));
    assert.ok(got.equals(data.subarray(i * FILE_SIZE, (i + 1) * FILE_SIZE)), paths[i]);
  }

  // Slowed down so Ctrl-C lands mid-download: the resume data must be written all the same.
  // Ctrl-C once the seeder has sent ten pieces (about 1 s at the limit), not a fixed 1 s after
  // the folder appears: the folder can come before any data, and on a loaded machine
  // connecting took long enough that no piece was saved.
  const sentBefore = seeding.stats().uploaded;
  const slow = limitedGet([...common("slow"), "--download-limit", "300KB"]);
  const resume = join(work, "slow-data", "resume", `${metainfo.infoHashHex}.json`);
  const deadline = Date.now() + 60_000;
  while (
    Date.now() < deadline &&
    seeding.stats().uploaded - sentBefore < 10 * metainfo.pieceLength &&
    slow.child.exitCode === null
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  slow.child.kill("SIGINT");
  const stopped = await slow.done;
  assert.equal(stopped.code, 130, `interrupted mid-download:\n${stopped.stderr.slice(-2000)}`);
  assert.doesNotMatch(stopped.stderr, /EMFILE|cannot/);
  const saved = JSON.parse(readFileSync(resume, "utf8"));
  const have = Buffer.from(saved.pieces, "base64").reduce(
    (n: number, byte: number) => n + byte.toString(2).replaceAll("0", "").length,
    0,
  );
  assert.ok(
    have > 0 && have < metainfo.pieceCount,
    `${have} of ${metainfo.pieceCount} pieces saved`,
  );
});
