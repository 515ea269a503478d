/**
 * Publishing to and reading a private tracker's index as a member (issue 18):
 * `shoal tracker --private` runs as a user starts it; `shoal publish` and
 * `shoal list` take the member's passkey (--passkey, or the member's own
 * announce URL …/announce/<passkey> as --tracker). A member with the publish
 * right publishes; one without gets one clear line; a member's fetched
 * .torrent carries their own announce URL and the same info hash.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import { fetchTorrentFile } from "../../src/tracker-client/index.ts";
import { Children, NODE, runShoal, SHOAL_CLI } from "../interop/helpers.ts";
import { makeTorrent } from "./tracker-helpers.ts";

function users(dataDir: string, ...args: string[]): string {
  const r = spawnSync(NODE, [SHOAL_CLI, "tracker", "users", ...args, "--data-dir", dataDir], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** A shoal command as a user runs it, with no discovery on the LAN. */
function shoal(args: string[]) {
  return runShoal(args, { env: { ...process.env, SHOAL_DISCOVERY: "off" } });
}

describe("shoal publish and shoal list as a private tracker's member", () => {
  const children = new Children();
  let dir = "";
  let base = "";
  let alice = "";
  let bob = "";
  let torrentFile = "";
  const torrent = makeTorrent("members-notes");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shoal-private-publish-"));
    const dataDir = join(dir, "tracker");
    alice = users(dataDir, "add", "alice", "--can-publish");
    bob = users(dataDir, "add", "bob");
    const tracker = children.start(
      NODE,
      [
        SHOAL_CLI,
        "tracker",
        "--private",
        "--data-dir",
        dataDir,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-level",
        "warn",
      ],
      { name: "shoal tracker --private", timeoutMs: 120_000 },
    );
    const m = await tracker.waitForLine(
      /tracker listening on http:\/\/(127\.0\.0\.1:\d+)\//,
      20_000,
    );
    base = `http://${m[1]}`;
    torrentFile = join(dir, "notes.torrent");
    await writeFile(torrentFile, torrent.bytes);
  });

  after(async () => {
    await children.stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  it("a member without the publish right gets one line saying so; nothing is published", async () => {
    const r = await shoal(["publish", torrentFile, "--tracker", `${base}/announce/${bob}`]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /bob may not publish to this tracker/);
    assert.ok(!r.stderr.includes(bob), "the passkey is not echoed");
    const stranger = await shoal(["publish", torrentFile, "--tracker", `${base}/announce`]);
    assert.notEqual(stranger.code, 0);
    assert.equal(stranger.stderr.trim().split("\n").length, 1, stranger.stderr);
    assert.match(stranger.stderr, /needs a member's passkey/);
    const listed = await shoal(["list", "--tracker", `${base}/announce`, "--passkey", alice]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /offers no torrents/);
  });

  it("a member with the right publishes by --passkey; another member lists it by their announce URL", async () => {
    const r = await shoal([
      "publish",
      torrentFile,
      "--tracker",
      `${base}/announce`,
      "--passkey",
      alice,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^published: members-notes$/m);
    assert.match(r.stdout, new RegExp(`info hash: ${torrent.infoHash.toString("hex")}`));
    const again = await shoal(["publish", torrentFile, "--tracker", `${base}/announce/${alice}`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^already published: members-notes$/m);
    const listed = await shoal(["list", "--tracker", `${base}/announce/${bob}`]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /members-notes/);
    assert.match(listed.stdout, new RegExp(torrent.infoHash.toString("hex")));
    const json = await shoal(["list", "--json", "--tracker", `${base}/announce/${bob}`]);
    assert.equal(json.code, 0, json.stderr);
    const [entry] = JSON.parse(json.stdout) as { magnet: string }[];
    // The member's magnet link announces with their own passkey.
    assert.ok(
      entry!.magnet.includes(`tr=${encodeURIComponent(`${base}/announce/${bob}`)}`),
      entry!.magnet,
    );
  });

  it("without a passkey, or with a wrong one, the index answers one line and nothing of it", async () => {
    const none = await shoal(["list", "--tracker", `${base}/announce`]);
    assert.notEqual(none.code, 0);
    assert.equal(none.stderr.trim().split("\n").length, 1, none.stderr);
    assert.match(none.stderr, /unknown passkey/);
    const wrong = await shoal(["list", "--tracker", base, "--passkey", "0".repeat(32)]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /unknown passkey/);
    assert.ok(!wrong.stdout.includes("members-notes"));
  });

  it("a member's fetched .torrent carries their own announce URL and the same info hash", async () => {
    const hex = torrent.infoHash.toString("hex");
    const meta = parseMetainfo(await fetchTorrentFile(base, hex, bob));
    assert.equal(meta.infoHashHex, hex);
    assert.equal(meta.announce, `${base}/announce/${bob}`);
    await assert.rejects(fetchTorrentFile(base, hex, "f".repeat(32)), /unknown passkey/);
    await assert.rejects(fetchTorrentFile(base, hex), /unknown passkey/);
  });
});
