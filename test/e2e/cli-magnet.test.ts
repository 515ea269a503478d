/**
 * Magnet links from the command line (issue 14): `shoal get 'magnet:?…'`
 * with the info hash in hex or base32 fetches the metadata (BEP 9) from the
 * link's `x.pe` peers or from the peers of its trackers (every `tr`, the
 * first one dead), shows `dn` until the name is known, says "fetching
 * metadata from N peers" while it waits, and downloads byte for byte; the
 * shell's `download <magnet>` does the same. Everything on loopback.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTorrent, formatMagnet, magnetFromMetainfo } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import { toBase32 } from "../../src/util/index.ts";
import { CliProcess } from "./shell-helpers.ts";
import { startTracker } from "./tracker-helpers.ts";

const work = await mkdtemp(join(tmpdir(), "shoal-e2e-magnet-"));
const clients: Client[] = [];
const procs: CliProcess[] = [];
after(async () => {
  for (const p of procs) p.kill();
  await Promise.all(clients.map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

async function content(name: string, trackers: string[][] = []) {
  const dir = join(work, `${name}-seed`);
  await mkdir(dir, { recursive: true });
  const data = randomBytes(700_000);
  await writeFile(join(dir, `${name}.bin`), data);
  const made = await createTorrent(join(dir, `${name}.bin`), { trackers, pieceLength: 32 * 1024 });
  return { dir, data, ...made };
}

async function seeder(dir: string, torrent: Buffer, trackers: boolean): Promise<Client> {
  const client = await Client.start({
    dataDir: join(dir, "..", `${dir}-state`),
    downloadDir: dir,
    host: "127.0.0.1",
    torrentDefaults: { trackers, announcer: { minIntervalMs: 1000 } },
  });
  clients.push(client);
  await client.add(torrent);
  return client;
}

function cli(args: string[]): CliProcess {
  const p = new CliProcess(args);
  procs.push(p);
  return p;
}

function get(link: string, name: string, extra: string[] = []): CliProcess {
  return cli([
    "get",
    link,
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

test("shoal get 'magnet:?xt=urn:btih:<hex>&dn=…&x.pe=…': metadata from the peer, then the file", async () => {
  const c = await content("hexlink");
  const seed = await seeder(c.dir, c.torrent, false);
  const link =
    `magnet:?xt=urn:btih:${c.metainfo.infoHashHex}&dn=shown+first` + `&x.pe=127.0.0.1:${seed.port}`;
  const p = get(link, "hex", ["--no-trackers"]);
  assert.equal(await p.exited, 0, p.stderr);
  assert.match(p.stderr, /^shown first: fetching metadata \(magnet link\)/m);
  assert.match(p.stderr, /^hexlink\.bin: 683\.6 KiB, 22 pieces;/m);
  assert.match(p.stdout, /^hexlink\.bin: complete, 683\.6 KiB in /m);
  assert.ok(readFileSync(join(work, "hex", "download", "hexlink.bin")).equals(c.data));
});

test("shoal get with a base32 info hash: peers from the link's trackers, every tier", async () => {
  const { tracker, base } = await startTracker();
  try {
    const announce = `${base}/announce`;
    const c = await content("b32link", [[announce]]);
    await seeder(c.dir, c.torrent, true);
    // The first tracker is dead: the second one's peers are used.
    const link = formatMagnet(
      {
        ...magnetFromMetainfo(c.metainfo),
        displayName: "by base32",
        trackers: ["http://127.0.0.1:1/announce", announce],
      },
      { base32: true },
    );
    assert.ok(link.includes(`urn:btih:${toBase32(c.metainfo.infoHash)}`));
    const p = get(link, "b32", ["--quiet"]);
    assert.equal(await p.exited, 0, p.stderr);
    assert.ok(readFileSync(join(work, "b32", "download", "b32link.bin")).equals(c.data));
  } finally {
    await tracker.stop();
  }
});

test("while the metadata is missing the progress line says whom it is fetched from", async () => {
  const c = await content("nobody");
  // Nobody has it: the line keeps saying so until Ctrl-C.
  const p = get(`magnet:?xt=urn:btih:${c.metainfo.infoHashHex}`, "nobody", ["--no-trackers"]);
  const deadline = Date.now() + 60_000;
  while (!/fetching metadata from 0 peers/.test(p.stderr) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(p.stderr, / 0\.0% {2}fetching metadata from 0 peers {2}0 peers {2}\[metadata\]/);
  p.child.kill("SIGINT");
  assert.equal(await p.exited, 130);
});

test("the shell's download <magnet>: fetching metadata, then complete", async () => {
  const c = await content("shelllink");
  const seed = await seeder(c.dir, c.torrent, false);
  const sh = cli([
    "shell",
    "--data-dir",
    join(work, "shell", "data"),
    "--port",
    "0",
    "--host",
    "127.0.0.1",
  ]);
  const link = `magnet:?xt=urn:btih:${c.metainfo.infoHashHex}&dn=from+the+shell&x.pe=127.0.0.1:${seed.port}`;
  // A magnet link nobody has: it waits, and says so.
  await sh.ask(
    `download magnet:?xt=urn:btih:${"ab".repeat(20)}&dn=nobody+has+it`,
    /\[1\] nobody has it: a magnet link → .*; fetching metadata from 0 peers\n/,
  );
  await sh.ask(
    "show progress",
    /1 {2}nobody has it\s+0\.0% {2}metadata\s*\n\s+fetching metadata from 0 peers {2}\(0 peers connected\)\n/,
  );
  // On loopback the metadata may be here before the answer is printed.
  await sh.ask(
    `download ${link}`,
    /\[2\] (from the shell: a magnet link → .*; fetching metadata from \d+ peers?|shelllink\.bin: 683\.6 KiB, 22 pieces → .*)\n/,
  );
  await sh.ask("wait 2 30", /\n/);
  await sh.ask("show progress", /shelllink\.bin\s+100\.0% {2}seeding/);
  sh.send("quit");
  sh.end();
  assert.equal(await sh.exited, 0, sh.stderr);
  assert.ok(readFileSync(join(work, "shell", "data", "downloads", "shelllink.bin")).equals(c.data));
});

test("BEP 53: so= downloads only the files it selects", async () => {
  const dir = join(work, "album-seed");
  const album = join(dir, "album");
  await mkdir(album, { recursive: true });
  const files = ["a.bin", "b.bin", "c.bin"].map((name, i) => ({
    name,
    data: randomBytes(150_000 + i * 1000),
  }));
  for (const f of files) await writeFile(join(album, f.name), f.data);
  const made = await createTorrent(album, { pieceLength: 16 * 1024 });
  const seed = await seeder(dir, made.torrent, false);
  const link = `magnet:?xt=urn:btih:${made.metainfo.infoHashHex}&so=0,2&x.pe=127.0.0.1:${seed.port}`;
  const p = get(link, "so", ["--no-trackers"]);
  assert.equal(await p.exited, 0, p.stderr);
  const out = join(work, "so", "download", "album");
  assert.ok(readFileSync(join(out, "a.bin")).equals(files[0]!.data));
  assert.ok(readFileSync(join(out, "c.bin")).equals(files[2]!.data));
  assert.equal(existsSync(join(out, "b.bin")), false, "the file so= leaves out is not made");
});
