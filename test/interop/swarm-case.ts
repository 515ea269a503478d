/**
 * What the interop suites that move one file between shoal and a real peer
 * share: a shoal tracker on loopback, a fresh private torrent over random
 * data, a shoal client for it, and waits that name the other peer's last output when they fail.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTorrent, type Metainfo } from "../../src/metainfo/index.ts";
import { Client, type ClientOptions } from "../../src/session/index.ts";
import type { Torrent } from "../../src/torrent/index.ts";
import {
  type Child,
  type Children,
  freePort,
  NODE,
  SHOAL_CLI,
  type TempDirs,
  waitFor,
} from "./helpers.ts";

export interface SwarmCase {
  dir: string;
  dataFile: string;
  data: Buffer;
  torrentPath: string;
  meta: Metainfo;
}

/** `shoal tracker` on 127.0.0.1 (announces every 2 s, at least 1 s apart); resolves to its announce URL. */
export async function startShoalTracker(children: Children, temps: TempDirs): Promise<string> {
  const port = await freePort();
  const tracker = children.start(
    NODE,
    [
      SHOAL_CLI,
      "tracker",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--data-dir",
      await temps.make("tracker"),
      "--interval",
      "2",
      "--min-interval",
      "1",
    ],
    { name: "shoal tracker", timeoutMs: 10 * 60_000 },
  );
  await tracker.waitForLine(/listening/, 60_000);
  return `http://127.0.0.1:${port}/announce`;
}

/** A fresh private torrent (made by shoal, 64 KiB pieces) over `size` random bytes in `<dir>/seed`. */
export async function makeSwarmCase(
  temps: TempDirs,
  name: string,
  announce: string,
  size: number,
): Promise<SwarmCase> {
  const dir = await temps.make(name);
  const seedDir = join(dir, "seed");
  await mkdir(seedDir, { recursive: true });
  const data = randomBytes(size);
  const dataFile = join(seedDir, `${name}.bin`);
  await writeFile(dataFile, data);
  const { torrent, metainfo } = await createTorrent(dataFile, {
    trackers: [[announce]],
    private: true,
    pieceLength: 64 * 1024,
  });
  const torrentPath = join(dir, `${name}.torrent`);
  await writeFile(torrentPath, torrent);
  return { dir, dataFile, data, torrentPath, meta: metainfo };
}

/**
 * A shoal client on 127.0.0.1 for a case (its state in `<dir>/shoal-<role>`),
 * re-announcing every second or two so peers that join later are found at once.
 */
export function startCaseClient(
  c: SwarmCase,
  role: string,
  downloadDir: string,
  extra: Partial<ClientOptions> = {},
): Promise<Client> {
  return Client.start({
    dataDir: join(c.dir, `shoal-${role}`),
    downloadDir,
    host: "127.0.0.1",
    torrentDefaults: { announcer: { minIntervalMs: 1000 }, chokeIntervalMs: 2000 },
    ...extra,
  });
}

/** Resolves once shoal's torrent is complete; the failure shows its stats and `other`'s output. */
export function completeWithin(t: Torrent, ms: number, other: Child): Promise<void> {
  if (t.complete) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `shoal did not complete: ${JSON.stringify(t.stats())}\n${other.name}:\n${other.tail()}`,
          ),
        ),
      ms,
    );
    t.once("complete", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once `path` holds exactly `expected`; the failure shows `who`'s output. */
export async function sameFileWithin(
  path: string,
  expected: Buffer,
  ms: number,
  who: Child,
): Promise<void> {
  await waitFor(
    `${path} to hold the whole file`,
    async () => (existsSync(path) && (await readFile(path)).equals(expected) ? true : undefined),
    ms,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${who.name}:\n${who.tail()}`);
  });
}
