import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import type { Client } from "../session/index.ts";
import type { Torrent, TorrentStats } from "../torrent/index.ts";
import { completeSummary } from "./commands/get.ts";
import { Shell, splitWords } from "./shell.ts";
import { shellHelp } from "./shell-commands.ts";
import { ShellError, TorrentRegistry } from "./shell-registry.ts";
import { showProgress, stateWord } from "./shell-views.ts";
import { statusLine } from "./transfer.ts";

const dir = mkdtempSync(join(tmpdir(), "shoal-shell-unit-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("splitWords: spaces, quotes, escapes", () => {
  assert.deepEqual(splitWords("  show   peers 2 "), ["show", "peers", "2"]);
  assert.deepEqual(splitWords(`create "my file.bin"`), ["create", "my file.bin"]);
  assert.deepEqual(splitWords(`create 'a b'c`), ["create", "a bc"]);
  assert.deepEqual(splitWords("create a\\ b"), ["create", "a b"]);
  assert.deepEqual(splitWords(`x ""`), ["x", ""]);
  assert.throws(() => splitWords(`create "open`), ShellError);
});

function fakeTorrent(hash: string): Torrent {
  return {
    infoHashHex: hash,
    meta: { name: hash.slice(0, 4) },
    state: "downloading",
  } as unknown as Torrent;
}

test("TorrentRegistry: ids in order, info-hash prefixes, ambiguity", () => {
  const r = new TorrentRegistry(dir);
  const a = r.add(fakeTorrent(`ab12${"0".repeat(36)}`), Buffer.alloc(0), "a", dir);
  const b = r.add(fakeTorrent(`ab34${"0".repeat(36)}`), Buffer.alloc(0), "b", dir);
  assert.deepEqual([a.id, b.id], [1, 2]);
  assert.equal(r.resolve("2"), b);
  assert.equal(r.resolve("AB1"), a);
  assert.throws(() => r.resolve("ab"), /matches 2 torrents/);
  assert.throws(() => r.resolve("9"), /no torrent '9'/);
  assert.throws(() => r.resolve(undefined), /which torrent/);
  r.delete(1);
  const c = r.add(fakeTorrent(`cd${"0".repeat(38)}`), Buffer.alloc(0), "c", dir);
  assert.equal(c.id, 3, "ids are never reused");
});

test("Shell.complete: commands, show words, ids, paths", () => {
  mkdirSync(join(dir, "media"), { recursive: true });
  writeFileSync(join(dir, "media", "talk.mp4"), "x");
  const registry = new TorrentRegistry(dir);
  registry.add(fakeTorrent("ef".repeat(20)), Buffer.alloc(0), "e", dir);
  const shell = new Shell({
    ctx: {
      client: { port: 6881 } as unknown as Client,
      registry,
      cwd: dir,
      dataDir: dir,
      downloadDir: dir,
      torrentsDir: dir,
      tracker: undefined,
      publishToken: undefined,
      index: [],
    },
    input: new PassThrough(),
    output: new PassThrough(),
    errors: new PassThrough(),
    interactive: false,
    listenHost: undefined,
  });
  assert.equal(shell.prompt, "shoal:6881> ");
  assert.deepEqual(shell.complete("sh")[0], ["show"]);
  assert.deepEqual(shell.complete("s")[0], ["show", "skip", "stop"]);
  assert.deepEqual(shell.complete("show p")[0], ["progress", "peers"]);
  assert.deepEqual(shell.complete("show peers ")[0], ["1"]);
  assert.deepEqual(shell.complete("limit d")[0], ["down"]);
  assert.deepEqual(shell.complete("pause ")[0], ["1"]);
  assert.deepEqual(shell.complete("create me")[0], ["media/"]);
  assert.deepEqual(shell.complete("create media/t")[0], ["media/talk.mp4"]);
});

test("help fits 80 columns and knows every command", () => {
  const help = shellHelp();
  for (const line of help.trimEnd().split("\n")) assert.ok(line.length <= 80, line);
  for (const name of [
    "create",
    "publish",
    "download",
    "list",
    "show",
    "pause",
    "resume",
    "remove",
  ]) {
    assert.match(help, new RegExp(`^  ${name}\\b`, "m"));
  }
  assert.match(shellHelp("skip"), /^pause <id> \(also: skip\)\n/);
  assert.throws(() => shellHelp("nope"), /no command 'nope'/);
});

function statsTorrent(hash: string, over: Partial<TorrentStats>): Torrent {
  const stats: TorrentStats = {
    infoHash: hash,
    name: "talk.bin",
    state: "downloading",
    totalLength: 4 << 20,
    left: 1 << 20,
    progress: 0.75,
    piecesHave: 12,
    pieceCount: 16,
    downloaded: 3 << 20,
    uploaded: 6 << 20,
    wasted: 0,
    hashFailures: 0,
    downloadRate: 512 * 1024,
    uploadRate: 0,
    peers: 1,
    banned: 0,
    trackers: [],
    ...over,
  };
  return {
    infoHashHex: hash,
    meta: { name: stats.name },
    state: stats.state,
    stats: () => stats,
  } as unknown as Torrent;
}

test("show progress: bytes of the whole, ETA, ratio; a paused torrent says paused", () => {
  const r = new TorrentRegistry(dir);
  r.add(statsTorrent("a".repeat(40), {}), Buffer.alloc(0), "a", dir);
  r.add(
    statsTorrent("b".repeat(40), { state: "paused", left: 0, progress: 1, peers: 0 }),
    Buffer.alloc(0),
    "b",
    dir,
  );
  r.add(
    statsTorrent("c".repeat(40), { state: "seeding", left: 0, progress: 1, peers: 2 }),
    Buffer.alloc(0),
    "c",
    dir,
  );
  const text = showProgress(r.entries());
  for (const line of text.trimEnd().split("\n")) assert.ok(line.length <= 80, line);
  const lines = text.split("\n");
  assert.match(lines[1]!, /^ {3}1 {2}talk\.bin +75\.0% {2}downloading +512\.0 KiB\/s +0 B\/s$/);
  // 6 MiB sent for 3 MiB downloaded this session.
  assert.equal(lines[2], "      3.00 MiB of 4.00 MiB  ETA 2s  ratio 2.00  1 peer");
  assert.match(lines[3]!, /^ {3}2 {2}talk\.bin +100\.0% {2}complete \(paused\)$/);
  assert.equal(lines[4], "      4.00 MiB of 4.00 MiB  ratio 1.50");
  assert.match(lines[5]!, /^ {3}3 {2}talk\.bin +100\.0% {2}seeding /);
  assert.equal(lines[6], "      4.00 MiB of 4.00 MiB  ratio 1.50  2 peers");
  assert.equal(
    stateWord(statsTorrent("d".repeat(40), { state: "paused" }).stats()),
    "paused",
    "an incomplete paused torrent",
  );
});

test("the session file keeps the limits with the torrents, written atomically", async () => {
  const d = mkdtempSync(join(dir, "session-"));
  const r = new TorrentRegistry(d);
  r.settings = { uploadLimit: 1_000_000, downloadLimit: 256 * 1024 };
  r.add(statsTorrent("e".repeat(40), { state: "paused" }), Buffer.alloc(0), join(d, "t"), d);
  await Promise.all([r.save(), r.save()]);
  assert.deepEqual(readdirSync(d), ["shell-session.json"], "no temporary file left");
  const saved = JSON.parse(readFileSync(join(d, "shell-session.json"), "utf8"));
  assert.deepEqual(saved.torrents, [{ file: join(d, "t"), downloadDir: d, paused: true }]);
  const next = new TorrentRegistry(d);
  await next.load();
  assert.deepEqual(next.settings, { uploadLimit: 1_000_000, downloadLimit: 256 * 1024 });
  // The first format, a bare list of torrents, still loads (no limits in it).
  writeFileSync(join(d, "shell-session.json"), "[]\n");
  const old = new TorrentRegistry(d);
  await old.load();
  assert.deepEqual(old.settings, { uploadLimit: 0, downloadLimit: 0 });
});

test("status line and the complete line: plurals, bytes, this run's bytes only", () => {
  const t = statsTorrent("f".repeat(40), {});
  assert.equal(
    statusLine(t),
    " 75.0%  3.00 MiB of 4.00 MiB  ↓ 512.0 KiB/s  ↑ 0 B/s  1 peer  ETA 2s",
  );
  const seeding = statsTorrent("f".repeat(40), { state: "seeding", left: 0, progress: 1 });
  assert.equal(
    statusLine(seeding),
    "100.0%  4.00 MiB  ↓ 512.0 KiB/s  ↑ 0 B/s  1 peer  ratio 1.50  [seeding]",
  );
  assert.equal(completeSummary(4 << 20, 4 << 20, 2), "4.00 MiB in 2.0 s");
  assert.equal(
    completeSummary(4 << 20, 1 << 20, 0.5),
    "1.00 MiB in 0.5 s (3.00 MiB of 4.00 MiB was here already)",
  );
  assert.equal(completeSummary(4 << 20, 0, 0), "all 4.00 MiB was here already");
});
