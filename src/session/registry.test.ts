import assert from "node:assert/strict";
import { test } from "node:test";
import type { Torrent } from "../torrent/index.ts";
import { realClock } from "../util/index.ts";
import { RateShares } from "./rate-shares.ts";
import { TorrentRegistry } from "./registry.ts";

const shares = new RateShares(realClock, 0, 0);

function entry(infoHashHex: string) {
  return {
    infoHashHex,
    torrent: { infoHashHex } as unknown as Torrent,
    addedAt: 0,
    downloadDir: "/tmp",
    paused: false,
    limits: shares.torrentLimits(),
    manage: {
      position: 0,
      queued: false,
      labels: [],
      goals: {},
      uploadedBefore: 0,
      downloadedBefore: 0,
      activeAt: 0,
      seedingSince: undefined,
    },
  };
}

test("ids in order, info-hash prefixes, ambiguity; ids are never reused", () => {
  const r = new TorrentRegistry();
  const a = r.add(entry(`ab12${"0".repeat(36)}`));
  const b = r.add(entry(`ab34${"0".repeat(36)}`));
  assert.deepEqual([a.id, b.id], [1, 2]);
  assert.equal(r.resolve("2"), b);
  assert.equal(r.resolve(2), b);
  assert.equal(r.resolve("AB1"), a);
  assert.equal(r.resolve(a.infoHashHex.toUpperCase()), a);
  assert.throws(() => r.resolve("ab"), { code: "ambiguous", message: /matches 2 torrents: 1, 2/ });
  assert.throws(() => r.resolve("9"), { code: "not_found", message: /no torrent '9'/ });
  assert.throws(() => r.resolve("zz"), { code: "not_found" });
  assert.throws(() => r.resolve("a"), { code: "not_found" }, "one hex digit is no prefix");
  assert.throws(() => r.resolve(undefined), { code: "missing_ref", message: /which torrent/ });
  r.delete(a.infoHashHex);
  assert.equal(r.get(a.infoHashHex), undefined);
  const c = r.add(entry(`cd${"0".repeat(38)}`));
  assert.equal(c.id, 3, "ids are never reused");
  assert.deepEqual(
    r.entries().map((e) => e.id),
    [2, 3],
  );
});

test("an id wins over an info-hash prefix of the same digits", () => {
  const r = new TorrentRegistry();
  const first = r.add(entry(`11${"f".repeat(38)}`));
  const second = r.add(entry(`22${"f".repeat(38)}`));
  assert.equal(r.resolve("2"), second);
  assert.equal(r.resolve("11"), first, "no torrent 11: the prefix");
  assert.equal(r.resolve("22"), second);
});
