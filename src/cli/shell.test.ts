import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import type { Client } from "../session/index.ts";
import type { Torrent } from "../torrent/index.ts";
import { Shell, splitWords } from "./shell.ts";
import { shellHelp } from "./shell-commands.ts";
import { ShellError, TorrentRegistry } from "./shell-registry.ts";

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
