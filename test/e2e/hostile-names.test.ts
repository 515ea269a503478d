/**
 * Issue 13, item 6: a torrent's name is chosen by whoever made it. One whose
 * name holds `ESC]0;…BEL` (sets the terminal's title), `ESC[2J` (clears the
 * screen), a C1 CSI and a right-to-left override must reach the user's
 * terminal as visible text from every command that prints it: `get`, `info`
 * and the shell. The seeder runs in this process, on loopback.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTorrent } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import { CliProcess } from "./shell-helpers.ts";

const EVIL = "evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202egpj.exe";
/** Anything a terminal acts on, other than the line feeds of the output. */
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const work = await mkdtemp(join(tmpdir(), "shoal-e2e-names-"));
const clients: Client[] = [];
const procs: CliProcess[] = [];
after(async () => {
  for (const p of procs) p.kill();
  await Promise.all(clients.map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

async function evilTorrent(): Promise<{ content: string; file: string; torrent: Buffer }> {
  const content = join(work, "content");
  await mkdir(content, { recursive: true });
  await writeFile(join(content, EVIL), randomBytes(96 * 1024));
  const { torrent } = await createTorrent(join(content, EVIL), {
    pieceLength: 16 * 1024,
    comment: "see \x1b[5mblink",
  });
  const file = join(work, "evil.torrent");
  await writeFile(file, torrent);
  return { content, file, torrent };
}

function assertInert(output: string, what: string): void {
  const m = ACTIVE.exec(output);
  assert.equal(m, null, `${what} printed a raw control 0x${m?.[0].charCodeAt(0).toString(16)}`);
  assert.match(output, /evil\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b31m\\u\{202e\}gpj\.exe/, what);
}

function run(args: string[]): CliProcess {
  const p = new CliProcess(args);
  procs.push(p);
  return p;
}

test("get, info and the shell print a hostile torrent name as visible text", async () => {
  const { content, file, torrent } = await evilTorrent();
  const seeder = await Client.start({
    dataDir: join(work, "seeder"),
    downloadDir: content,
    host: "127.0.0.1",
    torrentDefaults: { trackers: false },
  });
  clients.push(seeder);
  await seeder.add(torrent);

  const get = run([
    "get",
    file,
    "-o",
    join(work, "get"),
    "--data-dir",
    join(work, "get-data"),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-trackers",
    "--peer",
    `127.0.0.1:${seeder.port}`,
  ]);
  assert.equal(await get.exited, 0, get.stderr);
  assertInert(get.stdout, "get's stdout");
  assertInert(get.stderr, "get's stderr");

  const info = run(["info", file]);
  assert.equal(await info.exited, 0, info.stderr);
  assertInert(info.stdout, "info");
  assert.match(info.stdout, /Comment: +see \\x1b\[5mblink/);

  const shell = run([
    "shell",
    "--data-dir",
    join(work, "shell-data"),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
  ]);
  await shell.ask(`download ${file}`, /\[1\] .*→/);
  await shell.ask("show progress", /ratio/);
  await shell.ask("show swarms", /\[1\] /);
  await shell.ask("show peers", /\[1\] .*peers?\n/);
  shell.send("quit");
  shell.end();
  assert.equal(await shell.exited, 0, shell.stderr);
  assertInert(shell.stdout, "the shell's output");
  assert.doesNotMatch(shell.stderr, ACTIVE);
});
