/**
 * `shoal demo`: a whole swarm in one process, on loopback only. A tracker
 * (SQLite in a temporary folder) indexes a generated file; one seeder and a
 * few leechers, each its own Client with its own port and folders, find each
 * other through it. Upload limits keep the seeder from feeding everyone, so
 * the leechers must trade pieces among themselves, and the console shows who
 * chokes whom. At the end a table says where every leecher's bytes came from
 * and that every copy hashes to the original. Everything is removed after.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ShoalApi } from "../api/index.ts";
import { createTorrent } from "../metainfo/index.ts";
import { Client } from "../session/index.ts";
import { resolveConfig, Tracker } from "../tracker-server/index.ts";
import { formatBytes, toHex } from "../util/index.ts";
import { fetchTorrentFile, formatTable, publishTorrent } from "./commands/tracker-client.ts";
import { consoleSnapshot, renderConsole } from "./console-frame.ts";
import { cell, formatLimit, formatPercent, formatRate, formatSeconds, plural } from "./format.ts";
import type { CliIO } from "./io.ts";
import { startLiveConsole } from "./live-console.ts";
import { showPeers } from "./shell-views.ts";
import { SourceTally } from "./source-tally.ts";

export interface DemoOptions {
  /** Bytes of the generated file. */
  size: number;
  leechers: number;
  /** Upload limits, bytes/s (0 = none). */
  seederUpload: number;
  leecherUpload: number;
  /** Give up (exit 1) after this long. */
  timeoutMs: number;
  ui: "live" | "plain";
  /** Seconds between plain prints. */
  refresh: number;
  /** Upload slots per client (the optimistic one included). */
  slots: number;
}

interface Member {
  name: string;
  client: Client;
  api: ShoalApi;
  /** The torrent's info hash. */
  infoHash: string;
  tally?: SourceTally;
  /** Resolves when a leecher's copy is complete (doneAt set). */
  done?: Promise<void>;
  doneAt?: number;
}

/** Writes `size` random bytes to `path` in chunks; resolves with their SHA-256. */
async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  const file = await open(path, "w");
  try {
    for (let at = 0; at < size; ) {
      const chunk = randomBytes(Math.min(4 * 1024 * 1024, size - at));
      hash.update(chunk);
      await file.write(chunk);
      at += chunk.length;
    }
  } finally {
    await file.close();
  }
  return hash.digest("hex");
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function memberLine(m: Member): string {
  const s = m.api.get(m.infoHash);
  return (
    `  ${cell(m.name, 9)} ${cell(formatPercent(s.progress), 6, true)}  ↓ ${cell(formatRate(s.downloadRate), 12, true)}` +
    `  ↑ ${cell(formatRate(s.uploadRate), 12, true)}  ${plural(s.peers, "peer")}`
  );
}

export async function runDemo(o: DemoOptions, io: CliIO): Promise<number> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const dir = await mkdtemp(join(tmpdir(), "shoal-demo-"));
  const members: Member[] = [];
  let tracker: Tracker | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let live: ReturnType<typeof startLiveConsole> | undefined;
  try {
    tracker = await Tracker.start(
      resolveConfig({
        port: 0,
        host: "127.0.0.1",
        dataDir: join(dir, "tracker"),
        interval: 30,
        minInterval: 5,
      }),
    );
    const base = `http://127.0.0.1:${tracker.port}`;
    const announce = `${base}/announce`;

    // The seeder's file, its torrent, published to the tracker's index.
    const seedDir = join(dir, "seeder", "files");
    await mkdir(seedDir, { recursive: true });
    const mib = 1024 * 1024;
    const name = `demo-${o.size % mib === 0 ? `${o.size / mib}MiB` : `${o.size}B`}.bin`;
    const original = await writeRandomFile(join(seedDir, name), o.size);
    const { torrent: torrentBytes, metainfo } = await createTorrent(join(seedDir, name), {
      trackers: [[announce]],
    });
    await publishTorrent(base, torrentBytes, undefined);

    const startClient = (who: string, uploadLimit: number, downloadDir: string) =>
      Client.start({
        dataDir: join(dir, who, "data"),
        downloadDir,
        host: "127.0.0.1",
        port: 0,
        uploadLimit,
        torrentDefaults: { chokeIntervalMs: 2000, uploadSlots: o.slots },
      });
    /** A member: its session, the api over it, the torrent added. */
    const member = async (name: string, client: Client, bytes: Buffer): Promise<Member> => {
      const api = new ShoalApi(client);
      const { infoHash } = await api.add({ torrent: bytes.toString("base64") });
      return { name, client, api, infoHash };
    };
    const seeder = await startClient("seeder", o.seederUpload, seedDir);
    members.push(await member("seeder", seeder, torrentBytes));

    // Leechers fetch the .torrent from the index, as a user would.
    const fetched = await fetchTorrentFile(base, metainfo.infoHashHex);
    const leechers = await Promise.all(
      Array.from({ length: o.leechers }, async (_, i) => {
        const who = `leecher${i + 1}`;
        const client = await startClient(who, o.leecherUpload, join(dir, who, "files"));
        const m = await member(who, client, fetched);
        m.tally = new SourceTally(m.api, m.infoHash);
        m.done = m.api.whenComplete(m.infoHash).then(() => {
          m.doneAt = elapsed();
        });
        return m;
      }),
    );
    members.push(...leechers);
    const transferStart = elapsed();

    // The first line stays the same, so each redraw rewrites only what changed.
    const title =
      `shoal demo: ${formatBytes(o.size)}, 1 seeder (↑ ${formatLimit(o.seederUpload)}), ` +
      `${o.leechers} leechers (↑ ${formatLimit(o.leecherUpload)})`;
    const summary = () => [
      title,
      `${formatSeconds(elapsed())}  tracker ${announce}`,
      ...members.map(memberLine),
    ];
    const watched = leechers[0]!;
    live = startLiveConsole(
      io.stdout,
      ({ columns, rows, live }) => {
        // Plain prints stay short: one line per client.
        if (!live) return summary();
        const head = [...summary(), "", `${watched.name}'s console:`];
        const view = renderConsole(consoleSnapshot(watched.api, { listenHost: "127.0.0.1" }), {
          columns,
          ...(rows ? { maxLines: Math.max(8, rows - head.length) } : {}),
        });
        return [...head, ...view];
      },
      { plainIntervalMs: o.refresh * 1000, ...(o.ui === "plain" ? { plain: true } : {}) },
    );

    const allDone = Promise.all(leechers.map((m) => m.done));
    // After a timeout the clients close under the waits: nobody listens then.
    allDone.catch(() => {});
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), o.timeoutMs);
    });
    const outcome = await Promise.race([allDone.then(() => "done" as const), timedOut]);
    // The last bytes' figures, before the finished leechers drop each other.
    const tallies = leechers.map((m) => m.tally!.totals());
    live.stop();
    live = undefined;
    if (outcome === "timeout") {
      // What the stuck leechers see of their peers says why (choked? not interested?).
      const stuck = leechers.filter((m) => m.api.get(m.infoHash).left > 0);
      const peers = stuck.map((m) => {
        const s = m.api.get(m.infoHash);
        return `${m.name}: ${showPeers([{ id: 0, name: s.name, peers: m.api.peers(m.infoHash) }])}`;
      });
      io.stderr.write(
        `shoal demo: not finished after ${formatSeconds(o.timeoutMs / 1000)}:\n${members.map(memberLine).join("\n")}\n${peers.join("")}`,
      );
      return 1;
    }

    const seederId = toHex(seeder.peerId);
    const rows: string[][] = [];
    let fromSeeder = 0;
    let fromLeechers = 0;
    let allGood = true;
    for (const [i, m] of leechers.entries()) {
      let seederBytes = 0;
      let peerBytes = 0;
      for (const [key, bytes] of tallies[i]!) {
        if (key === seederId) seederBytes += bytes;
        else peerBytes += bytes;
      }
      fromSeeder += seederBytes;
      fromLeechers += peerBytes;
      const copy = await sha256File(join(dir, m.name, "files", name));
      const good = copy === original;
      allGood &&= good;
      rows.push([
        m.name,
        formatSeconds((m.doneAt ?? elapsed()) - transferStart),
        formatBytes(seederBytes),
        formatBytes(peerBytes),
        good ? "ok" : "MISMATCH",
      ]);
    }
    io.stdout.write(
      `\n${formatTable(["LEECHER", "TIME", "FROM SEEDER", "FROM LEECHERS", "SHA-256"], rows)}`,
    );
    const total = fromSeeder + fromLeechers;
    io.stdout.write(
      `${formatBytes(total)} moved in ${formatSeconds(elapsed() - transferStart)}; ` +
        `${total > 0 ? Math.round((100 * fromLeechers) / total) : 0}% of it between leechers; ` +
        `every copy ${allGood ? "matches" : "does NOT match"} the original (sha-256 ${original.slice(0, 16)}…)\n`,
    );
    return allGood ? 0 : 1;
  } finally {
    if (timer) clearTimeout(timer);
    live?.stop();
    await Promise.all(members.map((m) => m.client.close().catch(() => {})));
    await tracker?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
