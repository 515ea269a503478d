/** Helpers for in-process swarms on loopback: torrents over random data, clients, waiting. */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTorrent, type Metainfo } from "../../src/metainfo/index.ts";
import { Client, type ClientOptions } from "../../src/session/index.ts";
import type { Torrent } from "../../src/torrent/index.ts";

export interface Fixture {
  dir: string;
  /** The folder holding the content (the seeder's download folder). */
  seedDir: string;
  meta: Metainfo;
  torrentFile: Buffer;
  data: Buffer;
}

export async function makeFixture(
  size: number,
  pieceLength: number,
  trackers: string[][] = [],
): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-swarm-"));
  const seedDir = join(dir, "seed");
  const data = randomBytes(size);
  await mkdir(seedDir, { recursive: true });
  await writeFile(join(seedDir, "payload.bin"), data);
  const { torrent, metainfo } = await createTorrent(join(seedDir, "payload.bin"), {
    pieceLength,
    trackers,
    creationDate: null,
  });
  return { dir, seedDir, meta: metainfo, torrentFile: torrent, data };
}

export async function removeFixture(f: Fixture): Promise<void> {
  await rm(f.dir, { recursive: true, force: true });
}

export async function startClient(
  f: Fixture,
  name: string,
  extra: Partial<ClientOptions> = {},
): Promise<Client> {
  return Client.start({
    dataDir: join(f.dir, name, "data"),
    downloadDir: join(f.dir, name, "download"),
    host: "127.0.0.1",
    torrentDefaults: { trackers: false, chokeIntervalMs: 1000 },
    ...extra,
  });
}

/** Resolves when the torrent is complete; rejects after `ms` (a bound for liveness, not for speed). */
export function completed(t: Torrent, ms = 120_000): Promise<void> {
  if (t.complete) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not complete after ${ms} ms: ${JSON.stringify(t.stats())}`)),
      ms,
    );
    t.once("complete", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
