import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import type { ShoalApi, TorrentSummary } from "../api/index.ts";
import { shareRatio } from "../session/index.ts";
import { completeSummary } from "./commands/get.ts";
import { Shell, splitWords } from "./shell.ts";
import { shellHelp } from "./shell-commands.ts";
import { ShellError } from "./shell-error.ts";
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

// The registry's ids and info-hash prefixes: src/session/registry.test.ts.

test("Shell.complete: commands, show words, ids, paths", () => {
  mkdirSync(join(dir, "media"), { recursive: true });
  writeFileSync(join(dir, "media", "talk.mp4"), "x");
  // A session with one torrent, [1].
  const api = {
    client: () => ({ port: 6881 }),
    list: () => [{ id: 1, infoHash: "ef".repeat(20) }],
    subscribe: () => () => {},
  } as unknown as ShoalApi;
  const shell = new Shell({
    ctx: { api, cwd: dir, downloadDir: dir, tracker: undefined, index: [] },
    input: new PassThrough(),
    output: new PassThrough(),
    errors: new PassThrough(),
    interactive: false,
    listenHost: undefined,
    close: async () => {},
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

/** A torrent's summary; its ratio as the session computes it from the figures given. */
function summary(id: number, over: Partial<TorrentSummary>): TorrentSummary {
  const s: TorrentSummary = {
    id,
    infoHash: String(id).repeat(40).slice(0, 40),
    name: "talk.bin",
    state: "downloading",
    hasMetadata: true,
    size: 4 << 20,
    pieceCount: 16,
    pieceLength: 256 * 1024,
    piecesHave: 12,
    progress: 0.75,
    left: 1 << 20,
    downloaded: 3 << 20,
    uploaded: 6 << 20,
    wasted: 0,
    hashFailures: 0,
    ratio: 0,
    downloadRate: 512 * 1024,
    uploadRate: 0,
    peers: 1,
    seeds: 0,
    banned: 0,
    addedAt: 0,
    downloadDir: dir,
    limits: { upload: 0, download: 0 },
    sizeWanted: over.size ?? 1 << 20,
    leftWanted: over.left ?? 0,
    sequential: false,
    firstLastPiecePriority: false,
    queuePosition: 0,
    queued: false,
    labels: [],
    uploadedEver: over.uploaded ?? 0,
    downloadedEver: over.downloaded ?? 0,
    ...over,
  };
  return { ...s, ratio: over.ratio ?? shareRatio(s) };
}

test("show progress: bytes of the whole, ETA, ratio; a paused torrent says paused", () => {
  const text = showProgress([
    summary(1, {}),
    summary(2, { state: "paused", left: 0, progress: 1, peers: 0 }),
    summary(3, { state: "seeding", left: 0, progress: 1, peers: 2 }),
  ]);
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
    stateWord(summary(4, { state: "paused" })),
    "paused",
    "an incomplete paused torrent",
  );
});

// The session file (limits kept with the torrents, written atomically, the
// shell's older formats read): src/session/session-store.test.ts and client.test.ts.

test("status line and the complete line: plurals, bytes, this run's bytes only", () => {
  const t = summary(6, {});
  assert.equal(
    statusLine(t),
    " 75.0%  3.00 MiB of 4.00 MiB  ↓ 512.0 KiB/s  ↑ 0 B/s  1 peer  ETA 2s",
  );
  const seeding = summary(6, { state: "seeding", left: 0, progress: 1 });
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
