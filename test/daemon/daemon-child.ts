/**
 * Shared by the daemon's crash tests: `shoal daemon` as a child process on
 * free loopback ports (its config file names the download folder), a
 * rate-limited seeder in this process for its downloads, and what of a
 * torrent verifies on disk.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Metainfo } from "../../src/metainfo/index.ts";
import { pieceSize } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import { TorrentStorage } from "../../src/storage/index.ts";
import { type Child, type Children, freePorts, NODE, SHOAL_CLI } from "../interop/helpers.ts";
import { call, type Json } from "./daemon-helpers.ts";

export interface DaemonChild {
  base: string;
  peerPort: number;
  /** Starts it and waits for its `started torrents=N` line. */
  start(name: string, torrents: number): Promise<Child>;
  /** Its torrents by name, through its API. */
  byName(): Promise<Map<string, Json>>;
}

export async function daemonChild(
  children: Children,
  root: string,
  downloads: string,
  extraArgs: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<DaemonChild> {
  const [peerPort, apiPort] = await freePorts(2);
  const config = join(root, "config.toml");
  await writeFile(config, `download-dir = "${downloads}"\n[peer]\naddress = "127.0.0.1"\n`);
  const args = [
    "daemon",
    "--config",
    config,
    "--data-dir",
    join(root, "data"),
    ...extraArgs,
    "--port",
    String(peerPort),
    "--api-port",
    String(apiPort),
  ];
  const base = `http://127.0.0.1:${apiPort}`;
  const env = { ...process.env, XDG_CONFIG_HOME: join(root, "cfg"), ...extraEnv };
  return {
    base,
    peerPort: peerPort!,
    async start(name, torrents) {
      const d = children.start(NODE, [SHOAL_CLI, ...args], { name, env, timeoutMs: 120_000 });
      await d.waitForLine(new RegExp(`started torrents=${torrents}\\b`), 60_000);
      return d;
    },
    async byName() {
      const list = (await call(base, "GET", "/api/v1/torrents")).body as Json[];
      return new Map(list.map((s) => [s.name, s]));
    },
  };
}

/** A seeder of `metas` (their data in `content`) on loopback, slow enough for a kill mid-download. */
export async function rateLimitedSeeder(
  root: string,
  content: string,
  metas: Metainfo[],
  uploadLimit: number,
): Promise<Client> {
  const seeder = await Client.start({
    dataDir: join(root, "seeder"),
    downloadDir: content,
    host: "127.0.0.1",
    uploadLimit,
    torrentDefaults: { trackers: false, chokeIntervalMs: 1000 },
  });
  for (const meta of metas) await seeder.add(meta);
  return seeder;
}

/** The pieces of `meta` that verify in `dir`, and the bytes of the others. */
export async function verifiedOnDisk(
  meta: Metainfo,
  dir: string,
): Promise<{ count: number; missingBytes: number }> {
  const check = await TorrentStorage.open(meta, dir, { verify: true });
  let missingBytes = 0;
  for (let i = 0; i < meta.pieceCount; i++) {
    if (!check.have.has(i)) missingBytes += pieceSize(meta, i);
  }
  const count = check.have.count();
  await check.files.close();
  return { count, missingBytes };
}
