/**
 * `shoal shell` driven as a script through stdin: two shells (own data dirs,
 * own ports) and an in-process tracker on loopback. One creates and publishes
 * a torrent; the other lists the index, downloads by info-hash prefix,
 * watches progress and peers, changes limits live, pauses and resumes, and
 * quits gracefully; a third start restores the session from disk.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CliProcess } from "./shell-helpers.ts";
import { startTracker } from "./tracker-helpers.ts";

const work = mkdtempSync(join(tmpdir(), "shoal-e2e-shell-"));
const procs: CliProcess[] = [];
after(() => {
  for (const p of procs) p.kill();
  rmSync(work, { recursive: true, force: true });
});

function shell(name: string, tracker: string, extra: string[] = []): CliProcess {
  const p = new CliProcess([
    "shell",
    "--data-dir",
    join(work, name),
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--tracker",
    tracker,
    ...extra,
  ]);
  procs.push(p);
  return p;
}

test("two shells and a tracker: create, publish, list, download, limits, pause/resume, quit", async () => {
  const { tracker, base } = await startTracker();
  try {
    const data = randomBytes(1024 * 1024 + 4321);
    writeFileSync(join(work, "talk.bin"), data);
    const announce = `${base}/announce`;

    // Shell A: makes the torrent of a file and seeds it, publishes it to the index.
    const a = shell("a", announce);
    const created = await a.ask(
      `create ${join(work, "talk.bin")}`,
      /\[1\] created (\S+)\n {4}talk\.bin: 1\.00 MiB, \d+ pieces, info hash ([0-9a-f]{40}); seeding\n/,
    );
    const infoHash = created[2]!;
    assert.ok(existsSync(created[1]!), "the .torrent is kept in the data dir");
    await a.ask("publish 1", new RegExp(`published: talk\\.bin \\(${infoHash}\\)\\n`));
    await a.ask("show progress", /\s+1 {2}talk\.bin\s+100\.0% {2}seeding\s/);
    await a.ask(
      "update",
      new RegExp(`announcing 1 torrent\n.*\n\\* ${infoHash.slice(0, 12)}  talk\\.bin`),
    );

    // Shell B: finds it in the index and downloads it by a prefix of its info hash.
    const b = shell("b", base, ["--download-limit", "256KiB"]);
    await b.ask("list", new RegExp(`  ${infoHash.slice(0, 12)}  talk\\.bin\\s+1\\.00 MiB\\s+1\\s`));
    await b.ask(
      `download ${infoHash.slice(0, 8)}`,
      /\[1\] talk\.bin: 1\.00 MiB, \d+ pieces → .*downloads; downloading\n/,
    );
    await b.ask("limit", /upload limit: unlimited, download limit: 256\.0 KiB\/s\n/);
    // The download is slowed down, so A shows up as a peer while it runs.
    let peers = "";
    for (let i = 0; i < 150 && !/127\.0\.0\.1:\d+/.test(peers); i++) {
      peers = (await b.ask("show peers 1", /\[1\] talk\.bin: \d+ peers?\n(?:( {4}.*\n)*)/))[0];
      if (!/127\.0\.0\.1:\d+/.test(peers)) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(peers, /ADDRESS\s+ID\s+HAS\s+DOWN\s+UP\s+FLAGS/);
    assert.match(peers, /127\.0\.0\.1:\d+\s+SH0100\.[0-9a-f]{6}\s+100%/, "A is a seed");
    await b.ask("show progress", /\s+1 {2}talk\.bin\s+\d+\.\d% {2}downloading\s/);

    // Pausing stops it; resuming picks it up again; the limit goes away live.
    await b.ask("pause 1", /\[1\] talk\.bin: paused\n/);
    await b.ask("show progress", /\s+1 {2}talk\.bin\s+\d+\.\d% {2}paused\s/);
    await b.ask(`resume ${infoHash.slice(0, 6)}`, /\[1\] talk\.bin: downloading\n/);
    await b.ask("limit down 0", /download limit: unlimited\n/);
    await b.ask("wait 1 60", /\[1\] talk\.bin: complete\n/, 70_000);
    await b.ask("show progress", /\s+1 {2}talk\.bin\s+100\.0% {2}seeding\s/);
    await b.ask("show swarms", /\[1\] talk\.bin {2}[0-9a-f]{16}\n.*\n {4}\[#{60}\] 100\.0%\n/);
    await b.ask("show directory", /\n\s+1\.00 MiB {2}talk\.bin\n {2}1 files, 1\.00 MiB\n/);
    assert.ok(readFileSync(join(work, "b", "downloads", "talk.bin")).equals(data));

    // Mistakes are reported on stderr and the shell goes on.
    b.send("pause 7");
    b.send("limit sideways 1MB");
    await b.ask("help", /limit \[up\|down <rate>\]/);
    await b.ask("stop", /paused 1 torrent\n/);
    b.send("quit");
    assert.equal(await b.exited, 1, "a script with failed commands exits 1");
    assert.match(b.stderr, /error: no torrent '7'/);
    assert.match(b.stderr, /error: usage: limit \[up\|down <rate>\]/);
    assert.ok(existsSync(join(work, "b", "resume", `${infoHash}.json`)), "resume data saved");

    // A leaves at the end of its input: gracefully, with a clean exit.
    a.end();
    assert.equal(await a.exited, 0, a.stderr);
    // Both told the tracker `stopped`.
    const key = Buffer.from(infoHash, "hex").toString("latin1");
    const counts = tracker.store.counts(key);
    assert.ok(counts, "the tracker knows the swarm");
    assert.equal(counts.seeders + counts.leechers, 0, JSON.stringify(counts));
    assert.equal(counts.completed, 1, "B's `completed` was counted");

    // The next start brings B's torrent back, complete and paused as it was left.
    const again = shell("b", base);
    await again.ask("show progress", /\s+1 {2}talk\.bin\s+100\.0% {2}complete\s/);
    await again.ask("resume 1", /\[1\] talk\.bin: seeding\n/);
    await again.ask("remove 1", /\[1\] talk\.bin: removed \(files kept in .*downloads\)\n/);
    await again.ask("show progress", /^no torrents/m);
    again.end();
    assert.equal(await again.exited, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /shoal:\d+>/, "no prompt when reading a script");
  } finally {
    await tracker.stop();
  }
});
