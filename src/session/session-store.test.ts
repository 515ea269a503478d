import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type PersistedSession, SESSION_VERSION, SessionStore } from "./session-store.ts";

const dir = mkdtempSync(join(tmpdir(), "shoal-session-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const session: PersistedSession = {
  settings: { uploadLimit: 1_000_000, downloadLimit: 256 * 1024 },
  torrents: [
    {
      infoHash: "e".repeat(40),
      name: "e.bin",
      downloadDir: "/data/downloads",
      paused: true,
      addedAt: 1_700_000_000_000,
      uploadLimit: 0,
      downloadLimit: 4096,
    },
    {
      infoHash: "f".repeat(40),
      name: "from a magnet",
      downloadDir: "/data/downloads",
      paused: false,
      addedAt: 1_700_000_000_001,
      uploadLimit: 0,
      downloadLimit: 0,
      trackers: [["http://127.0.0.1:6969/announce"]],
      peers: [{ host: "127.0.0.1", port: 6881 }],
    },
  ],
};

test("the session keeps the limits with the torrents, written atomically", async () => {
  const d = mkdtempSync(join(dir, "atomic-"));
  const store = new SessionStore(d);
  await Promise.all([store.save(session), store.save(session)]);
  assert.deepEqual(readdirSync(d), ["session.json"], "no temporary file left");
  const saved = JSON.parse(readFileSync(join(d, "session.json"), "utf8"));
  assert.equal(saved.version, SESSION_VERSION);
  assert.deepEqual(saved.torrents, session.torrents);
  const loaded = await new SessionStore(d).load();
  assert.deepEqual(loaded, { session, warnings: [] });
});

test("no file: no session, no warning", async () => {
  const d = mkdtempSync(join(dir, "none-"));
  assert.deepEqual(await new SessionStore(d).load(), { session: undefined, warnings: [] });
});

test("a damaged file: one warning, an empty start, the damaged copy kept as session.json.bad", async () => {
  for (const [name, text, why] of [
    ["cut", '{"version":1,"settings":{},"torr', /not JSON/],
    ["shape", '{"version":1}', /no list of torrents/],
    ["newer", '{"version":99,"torrents":[]}', /version is 99/],
  ] as const) {
    const d = mkdtempSync(join(dir, `${name}-`));
    writeFileSync(join(d, "session.json"), text);
    const loaded = await new SessionStore(d).load();
    assert.equal(loaded.session, undefined, name);
    assert.equal(loaded.warnings.length, 1, name);
    assert.match(loaded.warnings[0]!, why);
    assert.match(loaded.warnings[0]!, /session\.json\.bad/);
    assert.equal(readFileSync(join(d, "session.json.bad"), "utf8"), text);
  }
});

test("damaged entries are skipped with one warning; the rest loads", async () => {
  const d = mkdtempSync(join(dir, "entries-"));
  const file = {
    version: SESSION_VERSION,
    settings: { uploadLimit: -5, downloadLimit: "fast" },
    torrents: [session.torrents[0], { infoHash: "nope" }, null, { infoHash: "a".repeat(40) }],
  };
  writeFileSync(join(d, "session.json"), JSON.stringify(file));
  const loaded = await new SessionStore(d).load();
  assert.deepEqual(loaded.session?.settings, { uploadLimit: 0, downloadLimit: 0 });
  assert.deepEqual(loaded.session?.torrents, [session.torrents[0]]);
  assert.deepEqual(loaded.warnings, [
    `${join(d, "session.json")}: 3 damaged torrent entries skipped`,
  ]);
  assert.equal(existsSync(join(d, "session.json.bad")), false);
});

test("keepLastGood: a damaged or missing session.json comes back from its last good copy, said in one warning", async () => {
  const d = mkdtempSync(join(dir, "last-good-"));
  const store = new SessionStore(d, { keepLastGood: true });
  const first: PersistedSession = { ...session, torrents: [session.torrents[0]!] };
  await store.save(first);
  assert.equal(existsSync(join(d, "session.json.prev")), false, "nothing good to keep yet");
  await store.save(session);
  const prev = JSON.parse(readFileSync(join(d, "session.json.prev"), "utf8"));
  assert.deepEqual(prev.torrents, first.torrents, "the replaced file is the last good copy");

  // Cut short by a disk error: the last good copy is loaded, the damaged file kept.
  writeFileSync(join(d, "session.json"), '{"version":1,"torr');
  const loaded = await new SessionStore(d, { keepLastGood: true }).load();
  assert.deepEqual(loaded.session, first);
  assert.equal(loaded.warnings.length, 1);
  assert.match(
    loaded.warnings[0]!,
    /is damaged \(it is not JSON.*recovered 1 torrent from its last good copy .*session\.json\.prev; the damaged file is kept as .*session\.json\.bad/,
  );
  assert.equal(readFileSync(join(d, "session.json.bad"), "utf8"), '{"version":1,"torr');
  assert.deepEqual(
    JSON.parse(readFileSync(join(d, "session.json"), "utf8")).torrents,
    first.torrents,
  );

  // Gone (deleted, or left so by a shoal that moved it aside before writing).
  rmSync(join(d, "session.json"));
  const again = await new SessionStore(d, { keepLastGood: true }).load();
  assert.deepEqual(again.session, first);
  assert.match(again.warnings[0]!, /it is missing.*recovered 1 torrent/);

  // Without the option nothing changes: the damaged file costs the session.
  writeFileSync(join(d, "session.json"), "garbage");
  const plain = await new SessionStore(d).load();
  assert.equal(plain.session, undefined);
});

test("keepLastGood: a write that fails midway leaves session.json whole, as it was", async () => {
  const d = mkdtempSync(join(dir, "midway-"));
  const store = new SessionStore(d, { keepLastGood: true });
  const first: PersistedSession = { ...session, torrents: [session.torrents[0]!] };
  await store.save(first);
  await store.save(session);
  // The next write's temporary file cannot be made (as a kill at that point
  // would leave it): the session.json it was replacing is still there.
  mkdirSync(join(d, "session.json.tmp"));
  await assert.rejects(store.save(first));
  const loaded = await new SessionStore(d, { keepLastGood: true }).load();
  assert.deepEqual(loaded, { session, warnings: [] });
  const prev = JSON.parse(readFileSync(join(d, "session.json.prev"), "utf8"));
  assert.deepEqual(prev.torrents, session.torrents, "the last good copy is the one in place");
  // Once writes work again, the one they replace becomes the last good copy.
  rmSync(join(d, "session.json.tmp"), { recursive: true });
  await store.save(first);
  assert.deepEqual(
    JSON.parse(readFileSync(join(d, "session.json"), "utf8")).torrents,
    first.torrents,
  );
  assert.deepEqual(
    JSON.parse(readFileSync(join(d, "session.json.prev"), "utf8")).torrents,
    session.torrents,
  );
  assert.equal(existsSync(join(d, "session.json.prev.tmp")), false);
});
