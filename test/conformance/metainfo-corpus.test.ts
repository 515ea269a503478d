/**
 * Conformance: every .torrent in ../shared/corpus loads or fails as the test
 * suite of the peer it came from expects (EXPECTED.md), with the same info
 * hash, name, file count and size — except where shoal decides otherwise on
 * purpose. Each such decision is listed in SHOAL_REFUSES with its reason.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { BencodeError } from "../../src/bencode/index.ts";
import { MetainfoError, parseMetainfo } from "../../src/metainfo/index.ts";
import { listCorpusTorrents, readExpectations, SKIP_REASON, TORRENTS } from "./corpus.ts";

const UNSAFE_ISSUE = "shoal refuses unsafe file names instead of rewriting them as libtorrent does";
const V2_ONLY = "BitTorrent v2-only torrents are recognised and refused until v2 is supported";

/** Files a peer's tests load but shoal refuses, and why (a decision, not an accident). */
const SHOAL_REFUSES: Record<string, { code: string; why: string }> = {
  "libtorrent/test_torrents/absolute_filename.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/backslash_path.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/empty_path.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/empty_path_multi.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/hidden_parent_path.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/invalid_directory_name.torrent": {
    code: "unsafe_path",
    why: UNSAFE_ISSUE,
  },
  "libtorrent/test_torrents/invalid_filename.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/invalid_filename2.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/invalid_name2.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/parent_path.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/slash_path.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/slash_path2.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/slash_path3.torrent": { code: "unsafe_path", why: UNSAFE_ISSUE },
  "libtorrent/test_torrents/symlink_filtered_path.torrent": {
    code: "unsafe_path",
    why: UNSAFE_ISSUE,
  },
  "libtorrent/test_torrents/long_name.torrent": {
    code: "unsafe_path",
    why: "a name over 255 bytes cannot be created on Linux or Windows; libtorrent truncates it",
  },
  "libtorrent/test_torrents/duplicate_files.torrent": {
    code: "duplicate_path",
    why: "two files at one path: Transmission refuses (dup-files), libtorrent renames; shoal refuses",
  },
  "libtorrent/test_torrents/large_piece_size.torrent": {
    code: "invalid_piece_length",
    why: "piece length must be a power of two ≥ 16 KiB (32767 × 16 KiB is not)",
  },
  "libtorrent/test_torrents/v2_only.torrent": { code: "v2_not_supported", why: V2_ONLY },
  "libtorrent/test_torrents/v2_incomplete_piece_layer.torrent": {
    code: "v2_not_supported",
    why: V2_ONLY,
  },
  "libtorrent/test_torrents/v2_invalid_filename.torrent": {
    code: "v2_not_supported",
    why: V2_ONLY,
  },
  "libtorrent/test_torrents/v2_invalid_filename2.torrent": {
    code: "v2_not_supported",
    why: V2_ONLY,
  },
  "libtorrent/test_torrents/v2_multiple_files.torrent": { code: "v2_not_supported", why: V2_ONLY },
  "libtorrent/test_torrents/v2_no_piece_layers.torrent": { code: "v2_not_supported", why: V2_ONLY },
  "libtorrent/test_torrents/v2_symlinks.torrent": { code: "v2_not_supported", why: V2_ONLY },
  "anacrolix/testdata/bittorrent-v2-test.torrent": { code: "v2_not_supported", why: V2_ONLY },
  "transmission/utils/bittorrent-v2-test.torrent": { code: "v2_not_supported", why: V2_ONLY },
  "transmission/libtransmission/gimp-2.10.32-1-arm64.dmg.torrent": {
    code: "missing_info",
    why: "a legacy Transmission ≤3.0 magnet file with no 'info': only Transmission reads it",
  },
};

/** For files every peer refuses: the code shoal refuses them with. */
const REFUSED_WITH: Record<string, string> = {
  "anacrolix/metainfo/minimal-trailing-newline.torrent": "missing_info",
  "libtorrent/test_torrents/bad_name.torrent": "duplicate_key",
  "libtorrent/test_torrents/duplicate_files2.torrent": "duplicate_path",
  "libtorrent/test_torrents/invalid_file_size.torrent": "invalid_length",
  "libtorrent/test_torrents/invalid_info.torrent": "missing_info",
  "libtorrent/test_torrents/invalid_name.torrent": "missing_name",
  "libtorrent/test_torrents/invalid_path_list.torrent": "invalid_files",
  "libtorrent/test_torrents/invalid_piece_len.torrent": "missing_piece_length",
  "libtorrent/test_torrents/invalid_pieces.torrent": "missing_pieces",
  "libtorrent/test_torrents/invalid_symlink.torrent": "invalid_files",
  "libtorrent/test_torrents/many_pieces.torrent": "too_many_pieces",
  "libtorrent/test_torrents/missing_path_list.torrent": "invalid_files",
  "libtorrent/test_torrents/missing_piece_len.torrent": "missing_piece_length",
  "libtorrent/test_torrents/negative_file_size.torrent": "invalid_length",
  "libtorrent/test_torrents/negative_piece_len.torrent": "missing_piece_length",
  "libtorrent/test_torrents/negative_size.torrent": "invalid_length",
  "libtorrent/test_torrents/no_files.torrent": "no_files",
  "libtorrent/test_torrents/no_name.torrent": "missing_name",
  "libtorrent/test_torrents/string.torrent": "not_a_dictionary",
  "libtorrent/test_torrents/unaligned_pieces.torrent": "invalid_pieces",
  "libtorrent/test_torrents/v2_bad_file_alignment.torrent": "piece_count_mismatch",
  "libtorrent/test_torrents/v2_deep_recursion.torrent": "invalid_bencoding",
  "libtorrent/test_torrents/v2_empty_filename.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_invalid_file.torrent": "inconsistent_files",
  "libtorrent/test_torrents/v2_invalid_pad_file.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_invalid_piece_layer.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_invalid_piece_layer_root.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_invalid_piece_layer_size.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_invalid_root_hash.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_large_file.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_large_offset.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_mismatching_metadata.torrent": "inconsistent_files",
  "libtorrent/test_torrents/v2_missing_file_root_invalid_symlink.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_no_power2_piece.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_non_multiple_piece_layer.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_overlong_integer.torrent": "invalid_bencoding",
  "libtorrent/test_torrents/v2_piece_layer_invalid_file_hash.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_piece_size.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_unknown_piece_layer_entry.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_unordered_files.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_zero_root.torrent": "v2_not_supported",
  "libtorrent/test_torrents/v2_zero_root_small.torrent": "v2_not_supported",
  "libtorrent/test_torrents/zero.torrent": "invalid_length",
  "libtorrent/test_torrents/zero2.torrent": "invalid_length",
  "transmission/libtransmission/bad-pieces-key.torrent": "missing_pieces",
  "transmission/libtransmission/dup-files.torrent": "duplicate_path",
  // Transmission refuses a duplicated 'pieces'; libtorrent would read the first.
  // Inside 'info' shoal refuses any duplicate: one info hash must mean one torrent.
  "transmission/libtransmission/dup-pieces-key.torrent": "duplicate_key",
  "transmission/libtransmission/empty-pieces-key.torrent": "missing_pieces",
  "transmission/libtransmission/invalid-pieces-length.torrent": "invalid_pieces",
  "transmission/libtransmission/missing-pieces-key.torrent": "missing_pieces",
  "transmission/libtransmission/too-few-pieces.torrent": "piece_count_mismatch",
  "transmission/libtransmission/too-many-pieces.torrent": "piece_count_mismatch",
  "webtorrent-fixtures/corrupt.torrent": "missing_name",
};

function load(file: string) {
  return parseMetainfo(readFileSync(join(TORRENTS, file)));
}

function refusal(file: string): MetainfoError {
  try {
    load(file);
  } catch (err) {
    assert.ok(err instanceof MetainfoError, `${file}: expected a MetainfoError, got ${err}`);
    return err;
  }
  assert.fail(`${file} loaded, but it must be refused`);
}

describe("metainfo conformance corpus", { skip: SKIP_REASON }, () => {
  const rows = SKIP_REASON ? [] : readExpectations();

  test("EXPECTED.md covers every .torrent of the corpus", () => {
    const listed = new Set(rows.map((r) => r.file));
    assert.deepEqual(
      listCorpusTorrents().filter((f) => !listed.has(f)),
      [],
    );
    assert.ok(rows.length >= 175, `only ${rows.length} rows read from EXPECTED.md`);
  });

  for (const row of rows) {
    const decision = SHOAL_REFUSES[row.file];
    if (decision) {
      test(`${row.file}: refused (${decision.why})`, () => {
        assert.equal(refusal(row.file).code, decision.code);
      });
    } else if (row.peerVerdict === "FAIL") {
      test(`${row.file}: refused, as the peer's tests expect`, () => {
        const code = REFUSED_WITH[row.file];
        assert.ok(code, `${row.file} has no expected refusal code in REFUSED_WITH`);
        assert.equal(refusal(row.file).code, code);
      });
    } else {
      test(`${row.file}: loads with the info hash and files the peer expects`, () => {
        const meta = load(row.file);
        if (row.sha1) assert.equal(meta.infoHashHex, row.sha1);
        if (row.v1Files !== undefined) assert.equal(meta.files.length, row.v1Files);
        if (row.total !== undefined) assert.equal(meta.totalLength, row.total);
        if (row.pieceLength !== undefined) assert.equal(meta.pieceLength, row.pieceLength);
        // EXPECTED.md clips long names with "…".
        if (row.name !== undefined && !row.name.endsWith("…")) assert.equal(meta.name, row.name);
        assert.equal(meta.pieceCount, Math.ceil(meta.totalLength / meta.pieceLength));
      });
    }
  }

  test("v2_deep_recursion fails on nesting depth, like libtorrent's depth_exceeded", () => {
    const err = refusal("libtorrent/test_torrents/v2_deep_recursion.torrent");
    assert.ok(err.cause instanceof BencodeError);
    assert.equal(err.cause.code, "depth_exceeded");
  });

  test("v2_overlong_integer fails on the leading zero, like libtorrent's invalid_bencoding", () => {
    const err = refusal("libtorrent/test_torrents/v2_overlong_integer.torrent");
    assert.ok(err.cause instanceof BencodeError);
    assert.equal(err.cause.code, "leading_zero");
  });

  test("the values the peers assert", () => {
    const lt = (f: string) => load(`libtorrent/test_torrents/${f}.torrent`);
    assert.equal(lt("creation_date").creationDate, 1234567);
    assert.equal(lt("no_creation_date").creationDate, undefined);
    assert.equal(lt("duplicate_web_seeds").urlList.length, 3);
    // libtorrent asserts the one web seed ".../file" of this single-file torrent, kept as given.
    assert.equal(lt("url_seed").urlList.length, 1);
    assert.match(lt("url_seed").urlList[0]!, /^http:\/\/[^/]+\/file$/);
    // The tracker URL is written with whitespace around it; libtorrent trims it.
    assert.match(lt("whitespace_url").announceList[0]?.[0] ?? "", /^udp:\/\/\S+\/announce$/);
    // Spaces in web seed URLs are escaped, and a multi-file seed names a folder.
    for (const name of ["url_seed_multi_space", "url_seed_multi_space_nolist"]) {
      const urls = lt(name).urlList;
      assert.equal(urls.length, 1, name);
      assert.match(urls[0]!, /^http:\/\/[^/\s]+\/test%20file\/foo%20bar\/$/, name);
    }
    assert.deepEqual(lt("dht_nodes").nodes, [
      { host: "127.0.0.1", port: 6881 },
      { host: "192.168.1.1", port: 6881 },
    ]);
    const pad = lt("pad_file");
    assert.deepEqual(
      pad.files.map((f) => f.pad),
      [false, true],
    );
    assert.deepEqual(lt("pad_file_no_path").files[1]?.path, ["temp", ".pad", "2124"]);
    assert.deepEqual(
      lt("sample").files.map((f) => f.path.join("/")),
      ["sample/text_file2.txt", "sample/.____padding_file/0", "sample/text_file.txt"],
    );
    assert.deepEqual(lt("symlink1").files[1]?.symlink, ["a", "b", "bar"]);
    assert.equal(lt("invalid_name3").name, "foobar ");
    const hybrid = lt("v2");
    assert.equal(hybrid.version, "hybrid");
    assert.equal(
      hybrid.infoHashV2?.toString("hex"),
      "597b180c1a170a585dfc5e85d834d69013ceda174b8f357d5bb1a0ca509faf0a",
    );
    assert.ok(lt("unordered").warnings.some((w) => w.startsWith("unsorted keys")));
  });

  test("url-list and announce-list shapes (webtorrent, anacrolix, Transmission)", () => {
    const wt = (f: string) => load(`parse-torrent/${f}.torrent`);
    // The tracker is listed twice in announce-list: kept once, and it is `announce`.
    const duplicate = wt("leaves-duplicate-tracker");
    assert.deepEqual(duplicate.announceList, [[duplicate.announce]]);
    // An empty announce-list falls back to `announce`.
    const empty = wt("leaves-empty-announce-list");
    assert.ok(empty.announce);
    assert.deepEqual(empty.announceList, [[empty.announce]]);
    assert.deepEqual(wt("leaves-empty-url-list").urlList, []);
    const bitlove = wt("bitlove-intro");
    assert.equal(bitlove.pieceLength, 1048576);
    assert.equal(bitlove.pieceCount, 19);
    assert.equal(bitlove.totalLength - 18 * bitlove.pieceLength, 337361);
    assert.equal(bitlove.pieces.subarray(0, 20).toString("hex").slice(0, 8), "90a75dcd");
    assert.equal(load("anacrolix/metainfo/flat-url-list.torrent").urlList.length, 1);
    assert.equal(load("anacrolix/metainfo/SKODAOCTAVIA336x280_archive.torrent").urlList.length, 3);
    assert.equal(load("anacrolix/metainfo/issue_65a.torrent").nodes.length, 6);
    assert.equal(load("anacrolix/metainfo/issue_65a.torrent").announceList.flat().length, 5);
    assert.equal(load("rqbit/librqbit_core/private.torrent").private, true);
    assert.equal(load("webtorrent-fixtures/bunny.torrent").private, true);
    const tr = (f: string) => load(`transmission/${f}.torrent`);
    assert.deepEqual(tr("libtransmission/webseed-getright-list").urlList, [
      "http://www.webseed-one.com/",
      "http://webseed-two.com/",
    ]);
    assert.deepEqual(tr("libtransmission/webseed-getright-string").urlList, [
      "http://www.webseed-one.com/",
    ]);
    const bitcomet = tr("utils/bitcomet.utf-8.special");
    assert.equal(bitcomet.name, "modified test-utf8");
    assert.deepEqual(
      bitcomet.files.map((f) => [f.path.at(-1), f.length]),
      [
        ["別の世界f1.txt", 6],
        ["別の世界f2.txt", 7],
      ],
    );
    // Transmission asserts the info dict of this file sits at byte 336, 26583 bytes long.
    const android = tr("libtransmission/Android-x86 8.1 r6 iso");
    const file = readFileSync(
      join(TORRENTS, "transmission/libtransmission/Android-x86 8.1 r6 iso.torrent"),
    );
    assert.equal(android.infoBytes.length, 26583);
    assert.equal(file.indexOf(android.infoBytes), 336);
    assert.equal(
      tr("utils/hybrid-single-ubuntu-20.04.3-desktop-amd64.iso")
        .infoHashV2?.toString("hex")
        .slice(0, 8),
      "e07f234e",
    );
  });
});
