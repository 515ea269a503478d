import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { JOURNAL_FILE } from "./session-journal.ts";
import { type PersistedTorrent, SessionStore } from "./session-store.ts";
import { MemoryClients, smallTorrent, waitUntil } from "./test-clients.ts";

const clients = new MemoryClients();
const dirs: string[] = [];
after(async () => {
  await clients.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Bytes this process has written so far, through any file or pipe (Linux's /proc/self/io). */
function bytesWritten(): number {
  const io = readFileSync("/proc/self/io", "latin1");
  return Number(/^wchar: (\d+)$/m.exec(io)![1]);
}

test("adding torrents one by one: each add writes as much with 600 torrents as with 60 (no whole-session rewrite per add)", {
  skip: !existsSync("/proc/self/io") && "needs Linux's /proc/self/io",
}, async () => {
  const { client } = await clients.open("10.7.0.1", [], { persist: true });
  await client.restore();
  const torrents = Array.from({ length: 600 }, (_, i) => smallTorrent(1000 + i, `t${i}.bin`));
  const start = bytesWritten();
  let first60 = 0;
  for (const [i, t] of torrents.entries()) {
    await client.add(t.bytes, { paused: true });
    if (i === 59) first60 = bytesWritten() - start;
  }
  const all = bytesWritten() - start;
  // Rewriting session.json on every add makes the total grow with the
  // square of the count (~100x for 10x the torrents); the journal keeps it
  // linear, its folding into session.json included (~10x).
  const growth = all / first60;
  assert.ok(growth < 25, `600 adds wrote ${growth.toFixed(1)}x what 60 did (${all} bytes)`);
  assert.equal(client.summaries().length, 600);
});

test("changes kept only in the journal come back after a crash; a clean close folds it into session.json", async () => {
  const a = smallTorrent(30_000, "a.bin");
  const b = smallTorrent(31_000, "b.bin");
  const first = await clients.open("10.7.0.2", [], { persist: true });
  await first.client.restore();
  await first.client.add(a.bytes);
  await first.client.add(b.bytes, { labels: ["x"] });
  await first.client.pause(a.meta.infoHashHex);
  first.client.setTorrentLimits(b.meta.infoHashHex, { upload: 3000 });
  // Its requested write merges for 200 ms; then the client is dropped without close(), as after kill -9.
  // Waited for: the journal holds the last change (not a fixed 400 ms, which a loaded
  // machine's late timer and synced append can outlast).
  const data = join(first.dir, "data");
  const journal = join(data, JOURNAL_FILE);
  await waitUntil(
    () => existsSync(journal) && readFileSync(journal, "utf8").includes('"uploadLimit":3000'),
    "the limit's journal line",
    30_000,
  );
  const listed = JSON.parse(readFileSync(join(data, "session.json"), "utf8"));
  assert.deepEqual(listed.torrents, [], "session.json was not rewritten for these");

  const second = await clients.open("10.7.0.3", [], { persist: true }, first);
  const { restored, warnings } = await second.client.restore();
  assert.deepEqual(warnings, []);
  assert.deepEqual(restored, [a.meta.infoHashHex, b.meta.infoHashHex]);
  assert.deepEqual(
    second.client.summaries().map((s) => [s.name, s.state, s.limits.upload, s.labels]),
    [
      ["a.bin", "paused", 0, []],
      ["b.bin", "downloading", 3000, ["x"]],
    ],
  );
  await second.client.close();
  assert.equal(existsSync(join(data, JOURNAL_FILE)), false, "folded in on close");
  const saved = JSON.parse(readFileSync(join(data, "session.json"), "utf8"));
  assert.deepEqual(
    saved.torrents.map((t: PersistedTorrent) => [t.name, t.paused]),
    [
      ["a.bin", true],
      ["b.bin", false],
    ],
  );
});

function entry(hex: string, paused = false): PersistedTorrent {
  return {
    infoHash: hex.repeat(40),
    name: `${hex}.bin`,
    downloadDir: "/data",
    paused,
    addedAt: 1,
    uploadLimit: 0,
    downloadLimit: 0,
  };
}

test("the journal: replaces or adds entries in order; a damaged line is skipped with a warning; an older generation's is ignored", async () => {
  const d = await mkdtemp(join(tmpdir(), "shoal-journal-"));
  dirs.push(d);
  const store = new SessionStore(d);
  await store.save({ settings: { uploadLimit: 0, downloadLimit: 0 }, torrents: [entry("a")] });
  await store.append([{ put: entry("b") }]);
  // A record cut short by a crash, then more appended after it.
  writeFileSync(
    join(d, JOURNAL_FILE),
    `${readFileSync(join(d, JOURNAL_FILE), "utf8")}\n{"put":{"inf`,
  );
  await store.append([{ put: entry("a", true) }, { put: entry("c") }]);
  const loaded = await new SessionStore(d).load();
  assert.deepEqual(
    loaded.session?.torrents.map((t) => [t.name, t.paused]),
    [
      ["a.bin", true],
      ["b.bin", false],
      ["c.bin", false],
    ],
  );
  assert.equal(loaded.warnings.length, 1);
  assert.match(loaded.warnings[0]!, /session\.journal: 1 damaged entry skipped/);

  // A journal left beside a newer session.json (a crash before it was removed) is not applied.
  const stale = readFileSync(join(d, JOURNAL_FILE));
  await store.save({ settings: { uploadLimit: 0, downloadLimit: 0 }, torrents: [entry("d")] });
  assert.equal(existsSync(join(d, JOURNAL_FILE)), false);
  writeFileSync(join(d, JOURNAL_FILE), stale);
  const again = await new SessionStore(d).load();
  assert.deepEqual(
    again.session?.torrents.map((t) => t.name),
    ["d.bin"],
  );
  assert.deepEqual(again.warnings, []);
});

test("a restart that brings every torrent back as listed writes nothing; a change made then is journaled", async () => {
  const a = smallTorrent(30_000, "a.bin");
  const b = smallTorrent(31_000, "b.bin");
  const first = await clients.open("10.7.0.4", [a.content, b.content], { persist: true });
  await first.client.restore();
  await first.client.add(a.bytes);
  await first.client.add(b.bytes, { labels: ["x"] });
  await first.client.close();
  const data = join(first.dir, "data");
  const before = readFileSync(join(data, "session.json"), "utf8");

  const second = await clients.open("10.7.0.5", [a.content, b.content], { persist: true }, first);
  const { restored, warnings } = await second.client.restore();
  assert.deepEqual([restored.length, warnings], [2, []]);
  await waitUntil(
    () => second.client.summaries().every((s) => s.state === "seeding"),
    "both seeding",
    30_000,
  );
  // Longer than a requested write waits to merge (200 ms): coming back
  // (checking, then seeding) is nothing session.json keeps.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(readFileSync(join(data, "session.json"), "utf8"), before, "session.json untouched");
  assert.equal(existsSync(join(data, JOURNAL_FILE)), false, "no journal");
  second.client.setTorrentLimits(a.meta.infoHashHex, { upload: 5000 });
  await waitUntil(
    () =>
      existsSync(join(data, JOURNAL_FILE)) &&
      readFileSync(join(data, JOURNAL_FILE), "utf8").includes('"uploadLimit":5000'),
    "the limit's journal line",
    30_000,
  );
  // Its first line names the session.json it follows; then that change alone.
  const lines = readFileSync(join(data, JOURNAL_FILE), "utf8").trim().split("\n");
  assert.equal(lines.length, 2, "that change alone");
});
