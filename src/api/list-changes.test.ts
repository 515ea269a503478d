import assert from "node:assert/strict";
import { test } from "node:test";
import { LIST_CHANGES_LIMITS, ListVersions } from "./list-changes.ts";
import type { TorrentSummary } from "./types.ts";

const torrent = (n: number, state = "seeding") =>
  ({ infoHash: n.toString(16).padStart(40, "0"), name: `t${n}`, state }) as TorrentSummary;
const names = (list: Partial<TorrentSummary>[]) => list.map((t) => t.name);
const whole = (s: TorrentSummary) => s;

test("list changes: the whole list first, then only what changed, was added or removed after a version", () => {
  const v = new ListVersions();
  let all = [torrent(1), torrent(2), torrent(3)];
  const first = v.changes(all, undefined, whole);
  assert.deepEqual([first.full, names(first.torrents)], [true, ["t1", "t2", "t3"]]);
  const quiet = v.changes(all, first.version, whole);
  assert.deepEqual([quiet.full, quiet.torrents, quiet.removed], [false, [], []]);
  assert.equal(quiet.version, first.version, "nothing changed: the same version");

  // One paused, one removed and one added in the same interval (the count stays 3).
  all = [torrent(1), torrent(2, "paused"), torrent(4)];
  const next = v.changes(all, quiet.version, (s) => ({ name: s.name, state: s.state }));
  assert.deepEqual(next.torrents, [
    { name: "t2", state: "paused" },
    { name: "t4", state: "seeding" },
  ]);
  assert.deepEqual(next.removed, [torrent(3).infoHash]);
  // A caller still at the first version hears of both intervals; one at the latest of none.
  assert.deepEqual(names(v.changes(all, first.version, whole).torrents), ["t2", "t4"]);
  assert.deepEqual(v.changes(all, next.version, whole).torrents, []);

  // Versions of another run (another ListVersions), from the future or garbled: the whole list.
  const other = new ListVersions().changes(all, undefined, whole).version;
  for (const since of [other, `${next.version}0`, "x", "", next.version.replace(/\d+$/, "-1")]) {
    assert.equal(v.changes(all, since, whole).full, true, since);
  }
});

test("list changes: a caller behind more removals than are kept gets the whole list", () => {
  const v = new ListVersions();
  const start = v.changes([], undefined, whole).version;
  let all: TorrentSummary[] = [];
  const count = LIST_CHANGES_LIMITS.maxRemovedKept + 2;
  for (let i = 0; i < count; i++) all.push(torrent(i));
  const added = v.changes(all, start, whole);
  assert.equal(added.torrents.length, count);
  all = [];
  const gone = v.changes(all, added.version, whole);
  assert.equal(gone.full, true, "removals past the bound are forgotten: the whole (empty) list");
  assert.equal(v.changes(all, gone.version, whole).full, false);
  // One more removal: a caller at the previous version hears it.
  const one = [torrent(1)];
  const back = v.changes(one, gone.version, whole);
  assert.equal(v.changes([], back.version, whole).removed.length, 1);
});

test("list changes: a new label, other limits or a field that appears is a change; fresh copies of the same values are not", () => {
  const v = new ListVersions();
  const make = (labels: string[], upload: number, eta?: number) =>
    ({
      ...torrent(1),
      labels,
      limits: { upload, download: 0 },
      ...(eta === undefined ? {} : { eta }),
    }) as TorrentSummary;
  let version = v.changes([make(["a"], 0)], undefined, whole).version;
  const step = (t: TorrentSummary) => {
    const r = v.changes([t], version, whole);
    version = r.version;
    return r.torrents.length;
  };
  assert.equal(step(make(["a"], 0)), 0, "the same values, new objects");
  assert.equal(step(make(["a", "b"], 0)), 1, "a label added");
  assert.equal(step(make(["b", "a"], 0)), 1, "labels reordered");
  assert.equal(step(make(["b", "a"], 1024)), 1, "its limits");
  assert.equal(step(make(["b", "a"], 1024, 30)), 1, "an ETA appears");
  assert.equal(step(make(["b", "a"], 1024)), 1, "and goes");
  assert.equal(step(make(["b", "a"], 1024)), 0);
});
