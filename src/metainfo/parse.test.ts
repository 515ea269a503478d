import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { sha1 } from "../util/index.ts";
import { MetainfoError } from "./errors.ts";
import { parseMetainfo } from "./parse.ts";

const PIECE = 16384;

function hashes(n: number): Buffer {
  return Buffer.alloc(20 * n, 0xab);
}

function torrent(info: Record<string, unknown>, extra: Record<string, unknown> = {}): Buffer {
  return encode({ announce: "http://127.0.0.1:6969/announce", ...extra, info } as never);
}

const single = { name: "a.bin", "piece length": PIECE, length: PIECE * 2 + 1, pieces: hashes(3) };

function refused(bytes: Buffer, code: string, message?: RegExp): void {
  assert.throws(
    () => parseMetainfo(bytes),
    (err: unknown) => {
      assert.ok(err instanceof MetainfoError, String(err));
      assert.equal(err.code, code, err.message);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe("parseMetainfo", () => {
  test("keeps copies, not views of the bytes it parsed: the piece hashes a view of its info dictionary's copy", () => {
    const big = { ...single, length: PIECE * 300, pieces: hashes(300) }; // over the slab's 4 KiB
    for (const info of [single, big]) {
      const bytes = torrent(info);
      const meta = parseMetainfo(bytes);
      const infoHash = Buffer.from(meta.infoHash);
      const infoBytes = Buffer.from(meta.infoBytes);
      assert.notEqual(meta.infoBytes.buffer, bytes.buffer);
      assert.notEqual(meta.infoHash.buffer, bytes.buffer);
      assert.equal(meta.pieces.buffer, meta.infoBytes.buffer);
      assert.deepEqual(meta.pieces, info.pieces);
      bytes.fill(0); // the caller's buffer reused: what was parsed stays
      assert.deepEqual(meta.infoBytes, infoBytes);
      assert.deepEqual(meta.infoHash, infoHash);
      assert.deepEqual(meta.infoHash, sha1(infoBytes));
      assert.deepEqual(meta.pieces, info.pieces);
    }
  });

  test("a single-file torrent: fields, info hash over the original bytes", () => {
    const bytes = torrent(single, {
      comment: "hello",
      "created by": "test",
      "creation date": 1700000000,
      "url-list": ["http://127.0.0.1/a.bin", " http://127.0.0.1/a.bin "],
    });
    const meta = parseMetainfo(bytes);
    assert.equal(meta.name, "a.bin");
    assert.equal(meta.totalLength, PIECE * 2 + 1);
    assert.equal(meta.pieceCount, 3);
    assert.equal(meta.multiFile, false);
    assert.deepEqual(meta.files, [
      { path: ["a.bin"], length: PIECE * 2 + 1, offset: 0, pad: false, attr: "" },
    ]);
    assert.deepEqual(meta.announceList, [["http://127.0.0.1:6969/announce"]]);
    assert.deepEqual(meta.urlList, ["http://127.0.0.1/a.bin"]);
    assert.equal(meta.comment, "hello");
    assert.equal(meta.createdBy, "test");
    assert.equal(meta.creationDate, 1700000000);
    assert.equal(meta.private, false);
    assert.equal(meta.infoHashHex, sha1(encode(single as never)).toString("hex"));
  });

  test("unsorted info keys are accepted, reported, and hashed as written", () => {
    // Keys deliberately out of order: a re-encoding would sort them and change the hash.
    const info = Buffer.from(
      `d6:lengthi5e4:name1:x6:pieces20:${"a".repeat(20)}12:piece lengthi16384ee`,
    );
    const bytes = Buffer.concat([Buffer.from("d4:info"), info, Buffer.from("e")]);
    const meta = parseMetainfo(bytes);
    assert.equal(meta.infoHashHex, sha1(info).toString("hex"));
    assert.ok(meta.warnings.some((w) => w.startsWith("unsorted keys")));
  });

  test("trailing bytes after the torrent are accepted with a warning", () => {
    const meta = parseMetainfo(Buffer.concat([torrent(single), Buffer.from("\n")]));
    assert.ok(meta.warnings.some((w) => w.startsWith("trailing data")));
  });

  test("multi-file: offsets, tiers, private, BEP 47 padding", () => {
    const info = {
      name: "dir",
      "piece length": PIECE,
      private: 1,
      files: [
        { length: 10, path: ["sub", "one.txt"] },
        { length: PIECE - 10, path: [".pad", "16374"], attr: "p" },
        { length: 5, path: ["two.txt"] },
      ],
      pieces: hashes(2),
    };
    const meta = parseMetainfo(
      torrent(info, {
        "announce-list": [
          ["http://127.0.0.1:1/a", "http://127.0.0.1:1/a"],
          [],
          ["udp://127.0.0.1:2"],
        ],
      }),
    );
    assert.equal(meta.multiFile, true);
    assert.equal(meta.private, true);
    assert.deepEqual(
      meta.files.map((f) => [f.path.join("/"), f.offset, f.pad]),
      [
        ["dir/sub/one.txt", 0, false],
        ["dir/.pad/16374", 10, true],
        ["dir/two.txt", PIECE, false],
      ],
    );
    assert.deepEqual(meta.announceList, [["http://127.0.0.1:1/a"], ["udp://127.0.0.1:2"]]);
  });

  test("malformed torrents are refused with a code", () => {
    refused(Buffer.from("i1e"), "not_a_dictionary");
    refused(Buffer.from("d4:infoi1ee"), "missing_info");
    refused(Buffer.from("d4:info"), "invalid_bencoding", /byte/);
    refused(torrent({ ...single, name: undefined }), "missing_name");
    refused(torrent({ ...single, "piece length": 0 }), "missing_piece_length");
    refused(torrent({ ...single, "piece length": 3 * PIECE }), "invalid_piece_length");
    refused(
      torrent({ ...single, "piece length": 8192, pieces: hashes(5) }),
      "invalid_piece_length",
    );
    refused(torrent({ ...single, pieces: undefined }), "missing_pieces");
    refused(torrent({ ...single, pieces: Buffer.alloc(59) }), "invalid_pieces");
    refused(torrent({ ...single, pieces: hashes(2) }), "piece_count_mismatch", /need 3/);
    refused(torrent({ ...single, length: -1 }), "invalid_length");
    refused(torrent({ ...single, length: 0, pieces: hashes(1) }), "invalid_length");
    refused(
      torrent({ name: "d", "piece length": PIECE, files: [], pieces: hashes(1) }),
      "no_files",
    );
  });

  test("unsafe names and paths are refused, saying which file and why", () => {
    const multi = (path: string[]) =>
      torrent({
        name: "d",
        "piece length": PIECE,
        files: [{ length: 1, path }],
        pieces: hashes(1),
      });
    refused(multi(["..", "etc", "passwd"]), "unsafe_path", /file 0.*'\.\.'/);
    refused(multi(["a", ""]), "unsafe_path", /empty name/);
    refused(multi(["/etc"]), "unsafe_path", /'\/'/);
    refused(multi(["a\\..\\b"]), "unsafe_path", /Windows/);
    refused(multi(["C:evil"]), "unsafe_path", /drive/);
    refused(multi(["a\0b"]), "unsafe_path", /NUL/);
    refused(multi([".. "]), "unsafe_path", /folder/);
    refused(multi([]), "invalid_files");
    refused(torrent({ ...single, name: ".." }), "unsafe_path", /name/);
    refused(torrent({ ...single, name: "a/b" }), "unsafe_path");
  });

  test("two files at one path, or a file used as a folder, are refused", () => {
    const files = (paths: string[][]) =>
      torrent({
        name: "d",
        "piece length": PIECE,
        files: paths.map((path) => ({ length: 1, path })),
        pieces: hashes(1),
      });
    refused(files([["a"], ["a"]]), "duplicate_path");
    refused(files([["a"], ["a", "b"]]), "duplicate_path");
    refused(files([["a", "b"], ["a"]]), "duplicate_path");
    assert.equal(
      parseMetainfo(
        files([
          ["a", "b"],
          ["a", "c"],
        ]),
      ).files.length,
      2,
    );
  });

  test("a duplicate key inside info is refused; elsewhere it is only reported", () => {
    const info = `d6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:${"a".repeat(20)}6:pieces20:${"b".repeat(20)}e`;
    refused(Buffer.from(`d4:info${info}e`), "duplicate_key", /pieces/);
    const ok = `d7:comment1:a7:comment1:b4:infod6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:${"a".repeat(20)}ee`;
    const meta = parseMetainfo(Buffer.from(ok));
    assert.equal(meta.comment, "a");
    assert.ok(meta.warnings.some((w) => w.startsWith("duplicate key")));
  });

  test("v2-only torrents are recognised and refused", () => {
    const v2 = torrent({ name: "x", "piece length": PIECE, "meta version": 2, "file tree": {} });
    refused(v2, "v2_not_supported", /v2/);
  });

  test("name.utf-8 and path.utf-8 win over the legacy fields", () => {
    const meta = parseMetainfo(
      torrent({
        name: "legacy",
        "name.utf-8": "новый",
        "piece length": PIECE,
        files: [{ length: 3, path: ["x"], "path.utf-8": ["файл"] }],
        pieces: hashes(1),
      }),
    );
    assert.equal(meta.name, "новый");
    assert.deepEqual(meta.files[0]?.path, ["новый", "файл"]);
  });
});
