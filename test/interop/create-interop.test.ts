/**
 * Torrents made by `shoal create` load in Transmission and libtorrent with
 * the same info hash, files, pieces and trackers (and libtorrent, checking
 * the data against them, finds every piece good); torrents made by mktorrent
 * and transmission-create load in shoal with the info hash those tools give.
 *
 * Needs transmission-show, transmission-create, mktorrent and python3-libtorrent
 * (/usr/bin/python3). Missing tools fail the test unless SHOAL_SKIP_INTEROP=1.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { loadTorrentFile, type Metainfo } from "../../src/metainfo/index.ts";

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");
const MAIN = join(REPO, "src/cli/main.ts");
const PYTHON = "/usr/bin/python3";

function missingTools(): string[] {
  const missing: string[] = [];
  for (const [tool, args] of [
    ["transmission-show", ["--version"]],
    ["transmission-create", ["--version"]],
    ["mktorrent", ["-h"]],
  ] as const) {
    if (spawnSync(tool, [...args], { stdio: "ignore" }).error) missing.push(tool);
  }
  if (spawnSync(PYTHON, ["-c", "import libtorrent"], { stdio: "ignore" }).status !== 0) {
    missing.push(`${PYTHON} with libtorrent (python3-libtorrent)`);
  }
  return missing;
}

const missing = missingTools();
const skip = missing.length > 0 && process.env.SHOAL_SKIP_INTEROP === "1";

/** What libtorrent sees in a .torrent; with `dataDir`, also whether its check finds every piece. */
const LIBTORRENT_SCRIPT = `
import json, sys, time
import libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
fs = ti.files()
out = {
  "info_hash": str(ti.info_hashes().v1),
  "name": ti.name(),
  "files": [[fs.file_path(i), fs.file_size(i)] for i in range(fs.num_files())],
  "num_pieces": ti.num_pieces(),
  "piece_length": ti.piece_length(),
  "trackers": [[t.url, t.tier] for t in ti.trackers()],
  "private": ti.priv(),
  "web_seeds": [w["url"] for w in ti.web_seeds()],
}
if len(sys.argv) > 2:
  # Let libtorrent check the data in save_path against the piece hashes.
  ses = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
                    "enable_upnp": False, "enable_natpmp": False})
  h = ses.add_torrent({"ti": ti, "save_path": sys.argv[2]})
  checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
  deadline = time.time() + 30
  while time.time() < deadline:
    s = h.status()
    if s.has_metadata and s.state not in checking and s.state != lt.torrent_status.downloading_metadata:
      break
    time.sleep(0.05)
  out["state"] = str(h.status().state)
  out["pieces_have"] = h.status().num_pieces
print(json.dumps(out))
`;

interface LibtorrentView {
  info_hash: string;
  name: string;
  files: [string, number][];
  num_pieces: number;
  piece_length: number;
  trackers: [string, number][];
  private: boolean;
  web_seeds: string[];
  pieces_have?: number;
}

async function libtorrent(torrent: string, dataDir?: string): Promise<LibtorrentView> {
  const args = ["-c", LIBTORRENT_SCRIPT, torrent, ...(dataDir ? [dataDir] : [])];
  const { stdout } = await run(PYTHON, args, { timeout: 60_000 });
  return JSON.parse(stdout) as LibtorrentView;
}

interface TransmissionView {
  hash: string;
  private: boolean;
  pieceCount: number;
  tiers: string[][];
  files: string[];
}

/** transmission-show's report, read field by field (it lists files sorted, sizes rounded). */
async function transmissionShow(torrent: string): Promise<TransmissionView> {
  const { stdout } = await run("transmission-show", [torrent], { timeout: 30_000 });
  const field = (name: string) => new RegExp(`^  ${name}: (.*)$`, "m").exec(stdout)?.[1];
  const sections = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of stdout.split("\n")) {
    if (/^[A-Z]+$/.test(line)) {
      current = [];
      sections.set(line, current);
    } else current.push(line);
  }
  const section = (name: string) => (sections.get(name) ?? []).join("\n");
  const tiers: string[][] = [];
  for (const line of section("TRACKERS").split("\n")) {
    if (/^ {2}Tier #\d+$/.test(line)) tiers.push([]);
    else if (line.trim() !== "") tiers.at(-1)?.push(line.trim());
  }
  return {
    hash: field("Hash") ?? "",
    private: field("Privacy") === "Private torrent",
    pieceCount: Number(field("Piece Count")),
    tiers,
    files: section("FILES")
      .split("\n")
      .map((l) => l.trim().replace(/ \([^)]*\)$/, ""))
      .filter((l) => l !== ""),
  };
}

async function shoalCreate(args: string[]): Promise<void> {
  await run(process.execPath, [MAIN, "create", ...args], { cwd: REPO, timeout: 60_000 });
}

// Port 9 (discard): libtorrent announces while it checks, and nothing there
// must mistake that for a test of its own.
const trackers = [
  ["http://127.0.0.1:9/announce", "udp://127.0.0.1:9/announce"],
  ["http://127.0.0.1:9/backup"],
];
const trackerArgs = trackers.flatMap((tier) => ["-t", tier.join(",")]);

/** Sorted by path string (transmission-show's order); shoal writes byte order of components. */
function sortedPaths(meta: Metainfo): string[] {
  return meta.files.map((f) => f.path.join("/")).sort();
}

describe("create interop", {
  skip: skip && `SHOAL_SKIP_INTEROP=1 and missing: ${missing.join(", ")}`,
}, () => {
  let work = "";
  let single = "";
  let folder = "";
  before(() => {
    if (missing.length > 0) {
      assert.fail(
        `interop tools missing: ${missing.join(", ")} (install transmission-cli, mktorrent and ` +
          "python3-libtorrent, or set SHOAL_SKIP_INTEROP=1 to skip)",
      );
    }
    work = mkdtempSync(join(tmpdir(), "shoal-create-interop-"));
    single = join(work, "single.bin");
    writeFileSync(single, randomBytes(1_000_003));
    // Names chosen so every tool lists them in the same order (no '.' or '-'
    // against '/' in one folder), and no hidden files (transmission-create skips them).
    folder = join(work, "Folder");
    mkdirSync(join(folder, "sub", "deeper"), { recursive: true });
    writeFileSync(join(folder, "a.txt"), randomBytes(33_333));
    writeFileSync(join(folder, "sub", "b.dat"), randomBytes(70_000));
    writeFileSync(join(folder, "sub", "deeper", "c"), randomBytes(5));
    writeFileSync(join(folder, "sub", "empty"), "");
    writeFileSync(join(folder, "zz"), randomBytes(131_072));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const kind of ["single", "multi"] as const) {
    test(`a ${kind}-file torrent from shoal loads in libtorrent and Transmission`, async () => {
      const target = kind === "single" ? single : folder;
      const out = join(work, `shoal-${kind}.torrent`);
      await shoalCreate([target, ...trackerArgs, "--private", "--piece-size", "32KiB", "-o", out]);
      const ours = await loadTorrentFile(out);
      const lt = await libtorrent(out, work);
      assert.equal(lt.info_hash, ours.infoHashHex);
      assert.equal(lt.name, ours.name);
      assert.deepEqual(
        lt.files,
        ours.files.map((f) => [f.path.join("/"), f.length]),
      );
      assert.equal(lt.num_pieces, ours.pieceCount);
      assert.equal(lt.piece_length, 32768);
      assert.equal(lt.private, true);
      // BEP 12: clients shuffle URLs within a tier, so compare each tier as a set.
      const ltTiers: string[][] = [];
      for (const [url, tier] of lt.trackers) {
        ltTiers[tier] ??= [];
        ltTiers[tier].push(url);
      }
      assert.deepEqual(
        ltTiers.map((t) => t.sort()),
        trackers.map((t) => [...t].sort()),
      );
      // libtorrent hashed the data itself and agrees with every piece.
      assert.equal(lt.pieces_have, ours.pieceCount);

      const tr = await transmissionShow(out);
      assert.equal(tr.hash, ours.infoHashHex);
      assert.equal(tr.private, true);
      assert.equal(tr.pieceCount, ours.pieceCount);
      assert.deepEqual(tr.tiers, trackers);
      assert.deepEqual(tr.files, sortedPaths(ours));
    });
  }

  test("mktorrent and shoal make the same info hash from the same folder and piece size", async () => {
    for (const target of [single, folder]) {
      const mk = join(work, `mk-${Date.now()}.torrent`);
      await run("mktorrent", ["-l", "15", "-p", "-a", trackers[0]![0]!, "-o", mk, target]);
      const theirs = await loadTorrentFile(mk);
      const tr = await transmissionShow(mk);
      const lt = await libtorrent(mk);
      assert.equal(theirs.infoHashHex, tr.hash);
      assert.equal(theirs.infoHashHex, lt.info_hash);
      assert.deepEqual(
        theirs.files.map((f) => [f.path.join("/"), f.length]),
        lt.files,
      );
      assert.equal(theirs.pieceCount, lt.num_pieces);

      const ours = join(work, `shoal-vs-mk-${Date.now()}.torrent`);
      await shoalCreate([
        target,
        "-t",
        trackers[0]![0]!,
        "--private",
        "--piece-size",
        "32KiB",
        "-o",
        ours,
      ]);
      assert.equal((await loadTorrentFile(ours)).infoHashHex, theirs.infoHashHex);
    }
  });

  test("transmission-create's torrents load in shoal with the hash Transmission and libtorrent give", async () => {
    for (const target of [single, folder]) {
      const tc = join(work, `tc-${Date.now()}.torrent`);
      await run(
        "transmission-create",
        ["-p", "-t", trackers[1]![0]!, "-s", "64", "-o", tc, target],
        {
          timeout: 60_000,
        },
      );
      const theirs = await loadTorrentFile(tc);
      const tr = await transmissionShow(tc);
      const lt = await libtorrent(tc, work);
      assert.equal(theirs.infoHashHex, tr.hash);
      assert.equal(theirs.infoHashHex, lt.info_hash);
      assert.equal(theirs.private, true);
      assert.equal(theirs.pieceLength, 65536);
      assert.deepEqual(
        theirs.files.map((f) => [f.path.join("/"), f.length]),
        lt.files,
      );
      assert.equal(lt.pieces_have, theirs.pieceCount);
      // And shoal lists the same files, except that transmission-create leaves
      // out empty files where shoal (like libtorrent and mktorrent) keeps them.
      const ours = join(work, `shoal-vs-tc-${Date.now()}.torrent`);
      await shoalCreate([target, "--private", "--piece-size", "64KiB", "-o", ours]);
      const oursLoaded = await loadTorrentFile(ours);
      assert.deepEqual(
        sortedPaths({ ...oursLoaded, files: oursLoaded.files.filter((f) => f.length > 0) }),
        sortedPaths(theirs),
      );
    }
  });
});
