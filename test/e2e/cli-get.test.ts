/**
 * `shoal get` as a new user runs it: the tracker hears `completed` before the
 * process exits; a multi-file torrent's zero-length files are there after a
 * download and after a resumed one; a resumed download's summary counts only
 * this run's bytes. `shoal get` is a child process; the seeder and the
 * tracker run in this one, on loopback.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { createTorrent } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import { CliProcess } from "./shell-helpers.ts";
import { startTracker } from "./tracker-helpers.ts";

const work = await mkdtemp(join(tmpdir(), "shoal-e2e-get-"));
const clients: Client[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

/** Every file under `dir` (relative path → bytes), empty ones included. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

async function seeder(content: string, torrent: Buffer): Promise<Client> {
  const client = await Client.start({
    dataDir: join(work, `seeder-${clients.length}`),
    downloadDir: content,
    host: "127.0.0.1",
    torrentDefaults: { trackers: false },
  });
  clients.push(client);
  await client.add(torrent);
  return client;
}

function get(torrentFile: string, name: string, extra: string[]): CliProcess {
  return new CliProcess([
    "get",
    torrentFile,
    "-o",
    join(work, name, "download"),
    "--data-dir",
    join(work, name, "data"),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...extra,
  ]);
}

test("shoal get without --seed: the tracker counts each completed download", async () => {
  const { tracker, base } = await startTracker();
  try {
    const content = join(work, "single");
    await mkdir(content);
    await writeFile(join(content, "talk.bin"), randomBytes(512 * 1024));
    const { torrent, metainfo } = await createTorrent(join(content, "talk.bin"), {
      trackers: [[`${base}/announce`]],
      pieceLength: 32 * 1024,
    });
    const torrentFile = join(work, "talk.torrent");
    await writeFile(torrentFile, torrent);
    // Published, as a user shares it: the index keeps the swarm's counts.
    const publish = new CliProcess(["publish", torrentFile, "--tracker", base]);
    assert.equal(await publish.exited, 0, publish.stderr);
    const seed = await seeder(content, torrent);
    for (const name of ["first", "second"]) {
      const p = get(torrentFile, name, ["--peer", `127.0.0.1:${seed.port}`, "--quiet"]);
      assert.equal(await p.exited, 0, p.stderr);
    }
    const counts = tracker.store.counts(Buffer.from(metainfo.infoHash).toString("latin1"));
    assert.ok(counts, "the tracker knows the swarm");
    assert.equal(counts.completed, 2, "both downloads' `completed` reached the tracker");
    assert.equal(counts.seeders + counts.leechers, 0, "and then their `stopped`");
    const listing = new CliProcess(["list", "--tracker", base, "--json"]);
    assert.equal(await listing.exited, 0, listing.stderr);
    const [entry] = JSON.parse(listing.stdout) as { completed: number }[];
    assert.equal(entry?.completed, 2, "the index says so too");
  } finally {
    await tracker.stop();
  }
});

test("zero-length files are made; a resumed download's summary counts this run's bytes", async () => {
  const content = join(work, "multi");
  const album = join(content, "album");
  await mkdir(join(album, "notes"), { recursive: true });
  await writeFile(join(album, "a.bin"), randomBytes(300_000));
  await writeFile(join(album, "empty.txt"), "");
  await writeFile(join(album, "notes", "none"), "");
  await writeFile(join(album, "z.bin"), randomBytes(200_000));
  const { torrent, metainfo } = await createTorrent(album, { pieceLength: 16 * 1024 });
  assert.ok(metainfo.files.some((f) => f.length === 0));
  const torrentFile = join(work, "album.torrent");
  await writeFile(torrentFile, torrent);
  const seed = await seeder(content, torrent);
  const want = tree(album);
  const peer = ["--peer", `127.0.0.1:${seed.port}`, "--no-trackers", "--quiet"];

  const fresh = get(torrentFile, "fresh", peer);
  assert.equal(await fresh.exited, 0, fresh.stderr);
  assert.deepEqual(tree(join(work, "fresh", "download", "album")), want);
  assert.match(fresh.stdout, /^album: complete, 488\.3 KiB in \d+\.\d s → /m);

  // Half here already (a.bin, as a stopped download leaves it): resumed.
  const partial = join(work, "resumed", "download", "album");
  await mkdir(partial, { recursive: true });
  await writeFile(join(partial, "a.bin"), want.get("a.bin")!);
  const resumed = get(torrentFile, "resumed", peer);
  assert.equal(await resumed.exited, 0, resumed.stderr);
  assert.deepEqual(tree(partial), want);
  const m =
    /^album: complete, (\d+\.\d+ KiB) in \d+\.\d s \((\d+\.\d+ KiB) of 488\.3 KiB was here already\) → /m.exec(
      resumed.stdout,
    );
  assert.ok(m, resumed.stdout);
  // The pieces wholly inside a.bin were here; the one it shares with z.bin was not.
  assert.equal(m[2], "288.0 KiB");
  assert.equal(m[1], "200.3 KiB");
  assert.equal(existsSync(join(partial, "notes", "none")), true);
});
