/**
 * `shoal create` and `shoal info` as a user runs them: a child process of
 * src/cli/main.ts, judged by its output and exit code.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { encode } from "../../src/bencode/index.ts";
import { createProgressBar, renderProgress } from "../../src/cli/progress.ts";
import { runShoal, type ShoalRun } from "../interop/helpers.ts";

const REPO = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "shoal-e2e-create-"));
after(() => rmSync(work, { recursive: true, force: true }));

type Result = ShoalRun;

function shoal(args: string[], cwd = REPO): Promise<Result> {
  return runShoal(args, { cwd });
}

/** A user error: the given exit code, one line on stderr, no stack trace, nothing on stdout. */
function assertUserError(r: Result, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(r.stderr, pattern);
}

let n = 0;
function dir(): string {
  const d = join(work, `d${n++}`);
  mkdirSync(d);
  return d;
}

describe("shoal create", () => {
  test("a single file with tiers, --private, comment, web seed and --no-date", async () => {
    const d = dir();
    const data = randomBytes(300_000);
    writeFileSync(join(d, "movie.mkv"), data);
    const out = join(d, "out.torrent");
    const r = await shoal([
      "create",
      join(d, "movie.mkv"),
      "-t",
      "http://127.0.0.1:6969/announce,udp://127.0.0.1:6969",
      "-t",
      "http://127.0.0.1:7000/announce",
      "--private",
      "--comment",
      "made in a test",
      "--web-seed",
      "http://127.0.0.1:8080/movie.mkv",
      "--piece-size",
      "64KiB",
      "--no-date",
      "-o",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "no progress bar when stderr is not a terminal");
    const [line, ...rest] = r.stdout.trimEnd().split("\n");
    assert.deepEqual(rest, []);
    assert.match(line!, /^movie\.mkv {2}[0-9a-f]{40} {2}293\.0 KiB {2}5 × 64\.0 KiB {2}→ /);
    assert.ok(line!.endsWith(out));

    const info = await shoal(["info", out, "--json"]);
    assert.equal(info.code, 0, info.stderr);
    const json = JSON.parse(info.stdout);
    assert.equal(line!.split("  ")[1], json.infoHash);
    // The info hash is the sha1 of the bencoded info dictionary in the file.
    const bytes = readFileSync(out);
    const start = bytes.indexOf("4:infod") + 6;
    const end = bytes.lastIndexOf("8:url-list");
    assert.equal(
      createHash("sha1").update(bytes.subarray(start, end)).digest("hex"),
      json.infoHash,
    );
    assert.equal(json.name, "movie.mkv");
    assert.equal(json.totalLength, 300_000);
    assert.equal(json.pieceLength, 65536);
    assert.equal(json.pieceCount, 5);
    assert.equal(json.private, true);
    assert.deepEqual(json.trackers, [
      ["http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969"],
      ["http://127.0.0.1:7000/announce"],
    ]);
    assert.deepEqual(json.webSeeds, ["http://127.0.0.1:8080/movie.mkv"]);
    assert.equal(json.comment, "made in a test");
    assert.equal(json.createdBy, "shoal/0.1.0");
    assert.equal(json.creationDate, null);
    assert.deepEqual(json.files, [{ path: "movie.mkv", length: 300_000, offset: 0 }]);
    assert.match(json.magnet, new RegExp(`^magnet:\\?xt=urn:btih:${json.infoHash}&dn=movie\\.mkv`));
  });

  test("a folder, default output name in the cwd, refusing to overwrite without --force", async () => {
    const d = dir();
    mkdirSync(join(d, "photos", "2024"), { recursive: true });
    writeFileSync(join(d, "photos", "2024", "b.jpg"), randomBytes(40_000));
    writeFileSync(join(d, "photos", "a.jpg"), randomBytes(50_000));
    const first = await shoal(["create", "photos", "-t", "http://127.0.0.1:1/announce"], d);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /^photos {2}[0-9a-f]{40} {2}87\.9 KiB {2}6 × 16\.0 KiB {2}→ photos\.torrent\n$/,
    );
    assert.ok(existsSync(join(d, "photos.torrent")));
    const before = readFileSync(join(d, "photos.torrent"));

    const again = await shoal(["create", "photos"], d);
    assertUserError(again, 1, /^shoal create: 'photos\.torrent' already exists \(use --force/);
    assert.deepEqual(readFileSync(join(d, "photos.torrent")), before);

    const forced = await shoal(["create", "photos", "--force", "--no-date"], d);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /note: no tracker given/);

    const text = await shoal(["info", "photos.torrent"], d);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Name: {9}photos$/m);
    assert.match(text.stdout, /^Size: {9}87\.9 KiB \(90000 bytes\)$/m);
    assert.match(
      text.stdout,
      /^Files \(2\):\n {2}39\.1 KiB {2}photos\/2024\/b\.jpg\n {2}48\.8 KiB {2}photos\/a\.jpg$/m,
    );
    assert.match(text.stdout, /^Trackers: {5}none/m);
    assert.doesNotMatch(text.stdout, /Created on/);
  });

  test("user errors: one line, non-zero exit, no stack trace", async () => {
    const d = dir();
    writeFileSync(join(d, "f"), "x");
    mkdirSync(join(d, "empty"));
    writeFileSync(join(d, "zero"), "");
    assertUserError(await shoal(["create", join(d, "missing")]), 1, /no such file or directory/);
    assertUserError(await shoal(["create"]), 2, /missing file or folder to share/);
    assertUserError(await shoal(["create", "a", "b"]), 2, /expected one file or folder/);
    assertUserError(
      await shoal(["create", join(d, "f"), "--piece-size", "1000"]),
      2,
      /--piece-size: 1000 is not a power of two/,
    );
    assertUserError(
      await shoal(["create", join(d, "f"), "--piece-size", "big"]),
      2,
      /--piece-size: 'big' is not a size/,
    );
    assertUserError(
      await shoal(["create", join(d, "f"), "--bogus"]),
      2,
      /Unknown option '--bogus'/,
    );
    assertUserError(
      await shoal(["create", join(d, "f"), "-t", "not a url", "-o", join(d, "o.torrent")]),
      1,
      /tracker URL 'not a url' is not a valid URL/,
    );
    assertUserError(await shoal(["create", join(d, "empty")]), 1, /holds no files to share/);
    assertUserError(await shoal(["create", join(d, "zero")]), 1, /is empty \(0 bytes\)/);
    assert.equal(existsSync(join(REPO, "zero.torrent")), false);
  });
});

describe("shoal info", () => {
  test("cuts long file lists unless --files", async () => {
    const d = dir();
    mkdirSync(join(d, "many"));
    for (let i = 0; i < 25; i++)
      writeFileSync(join(d, "many", `f${String(i).padStart(2, "0")}`), `${i}`);
    const out = join(d, "many.torrent");
    assert.equal((await shoal(["create", join(d, "many"), "-o", out])).code, 0);
    const short = await shoal(["info", out]);
    assert.equal(short.code, 0, short.stderr);
    assert.match(short.stdout, /^Files \(25\):$/m);
    assert.match(short.stdout, /many\/f19\n {2}… and 5 more files \(use --files to list all\)\n/);
    assert.doesNotMatch(short.stdout, /many\/f20/);
    const full = await shoal(["info", out, "--files"]);
    assert.match(full.stdout, /many\/f24\n/);
    assert.doesNotMatch(full.stdout, /more files/);
    const json = JSON.parse((await shoal(["info", out, "--json"])).stdout);
    assert.equal(json.files.length, 25);
  });

  test("a magnet link: what it holds, as text and as JSON", async () => {
    const hash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
    const magnet = `magnet:?xt=urn:btih:${hash}&dn=Some%20Name&tr=udp%3A%2F%2F127.0.0.1%3A6969&xl=1234567&x.pe=127.0.0.1:6881`;
    const text = await shoal(["info", magnet]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Name: {9}Some Name$/m);
    assert.match(text.stdout, new RegExp(`^Info hash: {4}${hash}$`, "m"));
    assert.match(text.stdout, /^Size: {9}1\.18 MiB \(1234567 bytes\)$/m);
    assert.match(text.stdout, /^ {2}udp:\/\/127\.0\.0\.1:6969$/m);
    assert.match(text.stdout, /^Peers: {8}127\.0\.0\.1:6881$/m);
    const json = JSON.parse((await shoal(["info", magnet, "--json"])).stdout);
    assert.equal(json.infoHash, hash);
    assert.equal(json.name, "Some Name");
    assert.equal(json.totalLength, 1234567);
    assert.deepEqual(json.trackers, ["udp://127.0.0.1:6969"]);
    assert.deepEqual(json.peers, ["127.0.0.1:6881"]);
  });

  test("user errors: missing file, not a torrent, unsafe path, bad magnet, bad option", async () => {
    const d = dir();
    writeFileSync(join(d, "notes.txt"), "hello, not bencode");
    const unsafe = encode({
      info: {
        name: "x",
        "piece length": 16384,
        pieces: Buffer.alloc(20),
        files: [{ length: 5, path: ["..", "etc", "passwd"] }],
      },
    });
    writeFileSync(join(d, "evil.torrent"), unsafe);
    assertUserError(await shoal(["info", join(d, "nope.torrent")]), 1, /no such file or directory/);
    assertUserError(
      await shoal(["info", join(d, "notes.txt")]),
      1,
      /notes\.txt: not a torrent file/,
    );
    assertUserError(await shoal(["info", join(d, "evil.torrent")]), 1, /unsafe|'\.\.'/);
    assertUserError(
      await shoal(["info", "magnet:?dn=nohash"]),
      1,
      /^shoal info: .*(xt|info hash)/i,
    );
    assertUserError(await shoal(["info"]), 2, /missing \.torrent file or magnet link/);
    assertUserError(await shoal(["info", join(d, "x"), "--jsn"]), 2, /Unknown option '--jsn'/);
  });

  const hybrid = join(
    REPO,
    "../shared/corpus/torrents/transmission/utils/bittorrent-v2-hybrid-test.torrent",
  );
  test("a hybrid torrent shows its v2 hash (corpus: Transmission's test asset)", {
    skip: !existsSync(hybrid) && "../shared/corpus is absent",
  }, async () => {
    const text = await shoal(["info", hybrid]);
    assert.equal(text.code, 0, text.stderr);
    // The hashes Transmission's own golden output (.show) gives for this file.
    assert.match(text.stdout, /^Info hash: {4}631a31dd0a46257d5078c0dee4e66e26f73e42ac$/m);
    assert.match(
      text.stdout,
      /^Info hash v2: d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb /m,
    );
    assert.match(text.stdout, /^Pieces: {7}1715 × 512\.0 KiB/m);
    assert.match(text.stdout, /^Files \(9, plus 8 padding files not shown\):$/m);
    const json = JSON.parse((await shoal(["info", hybrid, "--json"])).stdout);
    assert.equal(
      json.infoHashV2,
      "d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb",
    );
    assert.equal(json.version, "hybrid");
    assert.equal(json.files.length, 9);
    assert.match(json.magnet, /xt=urn:btmh:1220d8dd32ac/);
  });

  test("help lists both commands", async () => {
    const r = await shoal(["help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^ {2}create +make a \.torrent/m);
    assert.match(r.stdout, /^ {2}info +show what a \.torrent/m);
    const h = await shoal(["help", "create"]);
    assert.match(h.stdout, /^Usage: shoal create <file\|folder>/);
  });
});

describe("progress bar", () => {
  test("renders percent, rate and time left, fitted to the terminal", () => {
    const line = renderProgress("hashing x", 512 * 1024 * 1024, 1024 * 1024 * 1024, 0.5, 100);
    assert.equal(
      line,
      "hashing x [####################--------------------]  50%  1.00 GiB/s  ETA 1s",
    );
    const full = renderProgress("hashing x", 10, 10, 1, 100);
    assert.match(full, /^hashing x \[#{40}\] 100% {2}10 B\/s$/);
    assert.ok(renderProgress("a-long-label", 1, 2, 1, 30).length <= 29);
    assert.ok(renderProgress("x", 1, 2, 1, 0).length <= 79, "0 columns draws for 80");
  });

  test("draws only on a terminal (or when forced), at most every interval, and clears", () => {
    const writes: string[] = [];
    const pipe = { write: (t: string) => writes.push(t), isTTY: false };
    const quiet = createProgressBar(pipe, { label: "x", total: 100 });
    quiet.update(50);
    quiet.done();
    assert.equal(writes.length, 0);
    let now = 0;
    const tty = { write: (t: string) => writes.push(t), isTTY: true, columns: 80 };
    const bar = createProgressBar(tty, { label: "x", total: 100, now: () => now, intervalMs: 100 });
    bar.update(10);
    now = 50;
    bar.update(20); // too soon: skipped
    now = 150;
    bar.update(30);
    bar.update(100); // the end is always drawn
    bar.done();
    assert.equal(writes.length, 4);
    assert.match(writes[0]!, /^\rx .* 10% /);
    assert.match(writes[1]!, /^\rx .* 30% /);
    assert.match(writes[2]!, /^\rx .*100% /);
    assert.equal(writes[3], "\r\x1b[K");
  });
});
