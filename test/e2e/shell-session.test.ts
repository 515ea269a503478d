/**
 * The shell's session as a new user meets it: one shoal per data dir (a
 * second shell, or a `get`, is refused in one line naming the holder; a lock
 * left by a killed shell is taken over); `limit` settings survive a restart;
 * a paused seeding torrent says it is paused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CliProcess } from "./shell-helpers.ts";

const work = mkdtempSync(join(tmpdir(), "shoal-e2e-session-"));
const procs: CliProcess[] = [];
after(() => {
  for (const p of procs) p.kill();
  rmSync(work, { recursive: true, force: true });
});

function shell(dataDir: string, extra: string[] = []): CliProcess {
  const p = new CliProcess([
    "shell",
    "--data-dir",
    dataDir,
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    ...extra,
  ]);
  procs.push(p);
  return p;
}

test("one shoal per data dir: the second is refused with one line; a dead holder's lock is taken over", async () => {
  const dataDir = join(work, "shared");
  const first = shell(dataDir);
  await first.ask("show progress", /^no torrents/m);
  const pid = first.child.pid!;
  assert.equal(readFileSync(join(dataDir, "lock"), "utf8"), `${pid}\n`);

  const second = shell(dataDir);
  assert.equal(await second.exited, 1);
  assert.equal(
    second.stderr,
    `shoal shell: the data dir ${dataDir} is in use by another shoal (PID ${pid}); ` +
      "stop that one, or give this one its own --data-dir\n",
  );
  writeFileSync(join(work, "x.torrent"), "not read: refused before");
  const get = new CliProcess(["get", join(work, "x.torrent"), "--data-dir", dataDir]);
  procs.push(get);
  assert.equal(await get.exited, 1);
  assert.match(get.stderr, new RegExp(`^shoal get: the data dir .* \\(PID ${pid}\\);.*\\n$`));

  // Killed without a chance to clean up: its lock names a PID that is gone.
  first.kill();
  await first.exited;
  assert.ok(existsSync(join(dataDir, "lock")));
  const third = shell(dataDir);
  await third.ask("show progress", /^no torrents/m);
  third.end();
  assert.equal(await third.exited, 0, third.stderr);
  assert.equal(existsSync(join(dataDir, "lock")), false, "a clean exit removes the lock");
});

test("limits survive a restart; flags given at the start win and are kept", async () => {
  const dataDir = join(work, "limits");
  const a = shell(dataDir);
  await a.ask("limit up 1MB", /upload limit: 976\.6 KiB\/s\n/);
  await a.ask("limit down 512KiB", /download limit: 512\.0 KiB\/s\n/);
  a.end();
  assert.equal(await a.exited, 0, a.stderr);

  const b = shell(dataDir);
  await b.ask("limit", /upload limit: 976\.6 KiB\/s, download limit: 512\.0 KiB\/s\n/);
  b.end();
  assert.equal(await b.exited, 0, b.stderr);

  const c = shell(dataDir, ["--download-limit", "0"]);
  await c.ask("limit", /upload limit: 976\.6 KiB\/s, download limit: unlimited\n/);
  c.end();
  assert.equal(await c.exited, 0, c.stderr);
  const d = shell(dataDir);
  await d.ask("limit", /download limit: unlimited\n/);
  d.end();
  assert.equal(await d.exited, 0, d.stderr);
});

test("pause and stop of a seeding torrent: show progress says paused, with its progress", async () => {
  const dataDir = join(work, "pausing");
  writeFileSync(join(work, "clip.bin"), randomBytes(100_000));
  const s = shell(dataDir);
  await s.ask(`create ${join(work, "clip.bin")}`, /\[1\] created [\s\S]*?; seeding\n/);
  await s.ask("show progress", /\s+1 {2}clip\.bin\s+100\.0% {2}seeding\s/);
  await s.ask("pause 1", /\[1\] clip\.bin: complete \(paused\)\n/);
  await s.ask("show progress", /\s+1 {2}clip\.bin\s+100\.0% {2}complete \(paused\)\n/);
  await s.ask("resume 1", /\[1\] clip\.bin: seeding\n/);
  await s.ask("stop", /paused 1 torrent\n/);
  await s.ask("show progress", /\s+1 {2}clip\.bin\s+100\.0% {2}complete \(paused\)\n/);
  s.end();
  assert.equal(await s.exited, 0, s.stderr);
});

test("kill -9: the next shell has the same torrents, states and limits; remove --data deletes the files", async () => {
  const dataDir = join(work, "killed");
  const content = join(work, "content");
  mkdirSync(content, { recursive: true });
  writeFileSync(join(content, "a.bin"), randomBytes(70_000));
  writeFileSync(join(content, "b.bin"), randomBytes(80_000));
  const s = shell(dataDir);
  await s.ask(`create ${join(content, "a.bin")}`, /\[1\] created .*\n.*; seeding\n/);
  await s.ask(`create ${join(content, "b.bin")}`, /\[2\] created .*\n.*; seeding\n/);
  await s.ask("pause 1", /\[1\] a\.bin: complete \(paused\)\n/);
  await s.ask("limit up 1MB", /upload limit: 976\.6 KiB\/s\n/);
  // Killed without a chance to save anything more: each command saved its part.
  s.kill();
  await s.exited;
  const saved = JSON.parse(readFileSync(join(dataDir, "session.json"), "utf8"));
  assert.deepEqual(
    saved.torrents.map((t: { name: string; paused: boolean }) => [t.name, t.paused]),
    [
      ["a.bin", true],
      ["b.bin", false],
    ],
  );

  const again = shell(dataDir);
  await again.ask("show progress", /\s+1 {2}a\.bin\s+100\.0% {2}complete \(paused\)\n/);
  await again.ask("show progress", /\s+2 {2}b\.bin\s+100\.0% {2}seeding\s/);
  await again.ask("limit", /upload limit: 976\.6 KiB\/s, download limit: unlimited\n/);
  await again.ask("recheck 2", /\[2\] b\.bin: checking\n|\[2\] b\.bin: seeding\n/);
  await again.ask("wait 2 10", /\[2\] b\.bin: complete\n/);
  await again.ask(
    "remove 2 --data",
    /\[2\] b\.bin: removed \(its files deleted from .*content\)\n/,
  );
  assert.equal(existsSync(join(content, "b.bin")), false, "its file is gone");
  assert.ok(existsSync(join(content, "a.bin")), "the other torrent's file stays");
  await again.ask("remove 1", /\[1\] a\.bin: removed \(files kept in .*content\)\n/);
  again.end();
  assert.equal(await again.exited, 0, again.stderr);
  assert.ok(existsSync(join(content, "a.bin")));
  assert.deepEqual(JSON.parse(readFileSync(join(dataDir, "session.json"), "utf8")).torrents, []);
});
