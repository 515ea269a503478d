/**
 * Magnet links the peers' own tests assert for corpus torrents (EXPECTED.md):
 * shoal derives the same hash, trackers and web seeds from the torrent, and
 * writes back exactly the string they assert. The strings are read from
 * EXPECTED.md rather than copied here.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  formatMagnet,
  magnetFromMetainfo,
  parseMagnet,
  parseMetainfo,
} from "../../src/metainfo/index.ts";
import { CORPUS, SKIP_REASON, TORRENTS } from "./corpus.ts";

/** The first quoted magnet link on the EXPECTED.md row of `file`. */
function assertedMagnet(file: string): string {
  const row = readFileSync(join(CORPUS, "EXPECTED.md"), "utf8")
    .split("\n")
    .find((line) => line.startsWith(`| \`${file}\``));
  const link = row && /"(magnet:\?[^"]+)"/.exec(row)?.[1];
  assert.ok(link, `EXPECTED.md has no magnet link for ${file}`);
  return link;
}

describe("magnet links the corpus asserts", { skip: SKIP_REASON }, () => {
  for (const [file, torrent] of [
    // anacrolix metainfo_test.go: Magnet() of this torrent.
    [
      "metainfo/SKODAOCTAVIA336x280_archive.torrent",
      "anacrolix/metainfo/SKODAOCTAVIA336x280_archive.torrent",
    ],
    // anacrolix README: the magnet of this torrent.
    [
      "testdata/debian-10.8.0-amd64-netinst.iso.torrent",
      "anacrolix/testdata/debian-10.8.0-amd64-netinst.iso.torrent",
    ],
  ] as const) {
    test(`${file}: same link, written back byte for byte`, () => {
      const expected = assertedMagnet(file);
      const parsed = parseMagnet(expected);
      assert.equal(formatMagnet(parsed), expected);
      const ours = magnetFromMetainfo(parseMetainfo(readFileSync(join(TORRENTS, torrent))));
      assert.ok(ours.infoHash.equals(parsed.infoHash));
      assert.deepEqual(ours.trackers, parsed.trackers);
      assert.deepEqual(ours.webSeeds, parsed.webSeeds);
      if (parsed.displayName) assert.equal(ours.displayName, parsed.displayName);
    });
  }
});
