/**
 * One shoal peer of bench/swarm.ts, in its own process: seeds or downloads a
 * torrent with an upload limit, connects to the given peers, prints
 * "DONE <ms> <payload bytes uploaded>" when it has the whole file and keeps
 * seeding until killed.
 *
 * With `go` in the config it dials the peers only once "GO" comes on stdin.
 *
 * Usage: node bench/lib/swarm-peer.ts <config json>
 */
import { writeFileSync } from "node:fs";
import { enableCompileCache, flushCompileCache } from "node:module";

// As bin/shoal.js does for every CLI run: the modules' compiled code is cached
// (the seeder, started first, fills the cache), so eight leechers starting at
// once do not each strip and compile the TypeScript again. bench/swarm.ts
// also sets NODE_COMPILE_CACHE, so that this file itself comes from the cache.
enableCompileCache();
// And as bin/shoal.js does: the engine's own imports resolved directly.
const { resolveOwnModulesDirectly } = await import("../../bin/resolve-hook.js");
resolveOwnModulesDirectly();
const { Client } = await import("../../src/session/index.ts");
type PeerInfo = import("../../src/torrent/index.ts").PeerInfo;

interface PeerConfig {
  torrent: string;
  dir: string;
  dataDir: string;
  port: number;
  uploadLimit: number;
  /** Upload nothing: no upload slots (bench/swarm.ts --free-rider). */
  freeRider?: boolean;
  peers: number[];
  /** Dial the peers only once a line "GO" comes on stdin (every peer is ready by then). */
  go?: boolean;
  /** Print "UP <epoch ms> <payload bytes uploaded> …" this often (bench/swarm.ts --trace). */
  traceMs?: number;
  /** Print our peer id and every connection made and closed (bench/swarm.ts --trace-dir). */
  traceConnections?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? "{}") as PeerConfig;
const client = await Client.start({
  dataDir: cfg.dataDir,
  downloadDir: cfg.dir,
  port: cfg.port,
  host: "127.0.0.1",
  uploadLimit: cfg.uploadLimit,
  torrentDefaults: { trackers: false, ...(cfg.freeRider ? { uploadSlots: 0 } : {}) },
});
const started = performance.now();
const torrent = await client.add(cfg.torrent);
// Node writes the compile cache only when a process exits: the seeder, which
// bench/swarm.ts starts first, would fill it only when the run ends, so after
// any change to the code the eight leechers of the first run each stripped
// and compiled every module again (about 0.5 CPU-seconds each instead of 0.17
// here). Written now, before the leechers are spawned.
flushCompileCache();
process.stdout.write(`READY ${torrent.complete ? "seed" : "leech"}\n`);
if (cfg.traceConnections) {
  // Who is connected to whom, and why connections end: "ID <our peer id>",
  // "CONNECTED|CLOSED <epoch ms> <their peer id> <address> <we dialled> [reason]".
  process.stdout.write(`ID ${Buffer.from(client.peerId).toString("hex")} ${cfg.port}\n`);
  const line = (what: string, info: PeerInfo, reason = "") =>
    process.stdout.write(
      `${what} ${Date.now()} ${info.peerId} ${info.address} ${info.outgoing} ${reason}\n`,
    );
  torrent.on("peer-connected", (info) => line("CONNECTED", info));
  torrent.on("peer-closed", (_id, reason, info) => line("CLOSED", info, reason));
}
if (cfg.go) await new Promise<void>((go) => process.stdin.once("data", () => go()));
if (cfg.traceMs) {
  // Then, for a look at one run: bytes downloaded, connections, how many we
  // unchoke, how many are interested in us, how many unchoke us, bytes
  // received that were not wanted (endgame copies, answers to cancels).
  const up = () => {
    const peers = torrent.peers();
    const count = (f: (p: (typeof peers)[number]) => boolean) => peers.filter(f).length;
    const { uploaded, downloaded, wasted } = torrent.stats();
    process.stdout.write(
      `UP ${Date.now()} ${uploaded} ${downloaded} ${peers.length} ${count((p) => !p.amChoking)} ` +
        `${count((p) => p.peerInterested)} ${count((p) => !p.peerChoking)} ${wasted}\n`,
    );
  };
  up();
  setInterval(up, cfg.traceMs).unref();
}
torrent.addPeers(cfg.peers.map((port) => ({ ip: "127.0.0.1", port })));
const done = () =>
  process.stdout.write(
    `DONE ${Math.round(performance.now() - started)} ${torrent.stats().uploaded}\n`,
  );
if (torrent.complete) done();
else torrent.once("complete", done);
process.once("SIGTERM", () => void client.close().then(() => process.exit(0)));
// A stuck run can be inspected: kill -USR2 <pid> prints what this peer sees.
process.on("SIGUSR2", () => {
  const lines = [`STATS ${JSON.stringify({ ...torrent.stats(), trackers: undefined })}`];
  for (const p of torrent.peers()) lines.push(`PEER ${JSON.stringify(p)}`);
  writeFileSync(`${cfg.dataDir}/debug.txt`, `${lines.join("\n")}\n`);
});
