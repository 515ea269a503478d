/**
 * The shell's `show …` and `list` tables, as text that fits 80 columns.
 */
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { IndexEntry, PeerView, TorrentDetail, TorrentSummary } from "../api/index.ts";
import { formatBytes } from "../util/index.ts";
import {
  cell,
  etaText,
  fetchingMetadataText,
  fit,
  formatPercent,
  formatRate,
  formatRatio,
  haveOfTotal,
  pieceBar,
  plural,
  shortPeerId,
} from "./format.ts";

/** A torrent and its peers, for `show swarms` and `show peers`. */
export interface TorrentPeers {
  id: number;
  name: string;
  peers: PeerView[];
}

/**
 * What `show progress` calls a torrent's state. A paused torrent says so,
 * complete or not: "complete" alone read as if it were still seeding.
 */
export function stateWord(s: Pick<TorrentSummary, "state" | "left">): string {
  if (s.state === "paused") return s.left === 0 ? "complete (paused)" : "paused";
  return s.state;
}

/** Each torrent on two lines: the table's row, then its bytes, ETA, ratio and peers. */
export function showProgress(torrents: TorrentSummary[]): string {
  if (torrents.length === 0) return "no torrents (try 'download' or 'create')\n";
  const lines = [
    `${cell("ID", 4, true)}  ${cell("NAME", 22)} ${cell("DONE", 6, true)}  ${cell("STATE", 17)} ` +
      `${cell("DOWN", 12, true)} ${cell("UP", 12, true)}`,
  ];
  for (const s of torrents) {
    const moving = s.state === "downloading" || s.state === "seeding";
    lines.push(
      `${cell(String(s.id), 4, true)}  ${cell(s.name, 22)} ${cell(formatPercent(s.progress), 6, true)}  ` +
        `${cell(stateWord(s), 17)} ${cell(moving ? formatRate(s.downloadRate) : "", 12, true)} ` +
        `${cell(moving ? formatRate(s.uploadRate) : "", 12, true)}`,
    );
    const eta = s.state === "downloading" ? `  ${etaText(s)}` : "";
    if (s.state === "metadata") {
      lines.push(`      ${fetchingMetadataText(s)}  (${plural(s.peers, "peer")} connected)`);
      continue;
    }
    lines.push(
      `      ${haveOfTotal(s)}${eta}  ratio ${formatRatio(s)}` +
        (moving ? `  ${plural(s.peers, "peer")}` : ""),
    );
  }
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}

/** `show swarms`: each torrent's state, peers, what its tracker says, and its pieces. */
export function showSwarms(torrents: (TorrentPeers & { detail: TorrentDetail })[]): string {
  if (torrents.length === 0) return "not in any swarm\n";
  const out: string[] = [];
  for (const { detail: s, peers } of torrents) {
    const seeds = peers.filter((p) => p.seed).length;
    const tracker = s.trackers.find((x) => x.state === "working") ?? s.trackers[0];
    const swarm =
      tracker?.seeders !== undefined
        ? `tracker: ${tracker.seeders} seeders, ${tracker.leechers ?? 0} leechers`
        : tracker
          ? `tracker: ${tracker.state}${tracker.lastError ? ` (${fit(tracker.lastError, 30)})` : ""}`
          : "no tracker";
    out.push(`[${s.id}] ${fit(s.name, 50)}  ${s.infoHash.slice(0, 16)}`);
    out.push(
      `    ${stateWord(s)}, ${plural(peers.length, "peer")} (${plural(seeds, "seed")}), ${swarm}`.slice(
        0,
        79,
      ),
    );
    // The verified pieces, a BEP 3 bitfield: the first piece in the high bit.
    const have = Buffer.from(s.pieces, "base64");
    const bar = pieceBar((i) => ((have[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0, s.pieceCount, 60);
    out.push(`    [${bar}] ${formatPercent(s.progress)}`);
  }
  return `${out.join("\n")}\n`;
}

/** Flags of a peer: D/d we download / want to (choked), U/u we upload / it wants to (choked). */
function peerFlags(p: {
  amInterested: boolean;
  peerChoking: boolean;
  peerInterested: boolean;
  amChoking: boolean;
  optimistic: boolean;
  outgoing: boolean;
  encrypted: boolean;
}): string {
  let f = "";
  if (p.amInterested) f += p.peerChoking ? "d" : "D";
  if (p.peerInterested) f += p.amChoking ? "u" : "U";
  if (p.optimistic) f += "O";
  // qBittorrent's letter for an encrypted (MSE) connection.
  if (p.encrypted) f += "E";
  f += p.outgoing ? ">" : "<";
  return f;
}

export function showPeers(torrents: TorrentPeers[]): string {
  if (torrents.length === 0) return "no torrents\n";
  const out: string[] = [];
  for (const { id, name, peers } of torrents) {
    out.push(`[${id}] ${fit(name, 60)}: ${plural(peers.length, "peer")}`);
    if (peers.length === 0) continue;
    out.push(
      `    ${cell("ADDRESS", 22)} ${cell("ID", 13)} ${cell("HAS", 6, true)} ` +
        `${cell("DOWN", 12, true)} ${cell("UP", 12, true)} ${cell("FLAGS", 5)} SOURCE`,
    );
    for (const p of peers) {
      out.push(
        `    ${cell(p.address, 22)} ${cell(shortPeerId(p.peerId), 13)} ${cell(formatPercent(p.progress, 0), 6, true)} ` +
          `${cell(formatRate(p.downloadRate), 12, true)} ${cell(formatRate(p.uploadRate), 12, true)} ${cell(peerFlags(p), 5)} ${p.source}`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}

/** Every file under the downloads folder, with its size. */
export async function showDirectory(dir: string): Promise<string> {
  const files: { path: string; size: number }[] = [];
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(d)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const name of names) {
      const full = join(d, name);
      const st = await stat(full);
      if (st.isDirectory()) await walk(full);
      else if (st.isFile()) files.push({ path: relative(dir, full), size: st.size });
    }
  };
  await walk(dir);
  if (files.length === 0) return `${dir} is empty\n`;
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const lines = [`${dir}:`];
  for (const f of files) lines.push(`  ${cell(formatBytes(f.size), 10, true)}  ${f.path}`);
  lines.push(`  ${files.length} files, ${formatBytes(total)}`);
  return `${lines.join("\n")}\n`;
}

/** `list`: the index, with the torrents we already have marked `*`. */
export function showIndex(list: IndexEntry[]): string {
  if (list.length === 0) return "the tracker offers no torrents\n";
  const lines = [
    `  ${cell("INFO HASH", 12)}  ${cell("NAME", 30)} ${cell("SIZE", 10, true)} ${cell("SEEDS", 5, true)} ` +
      `${cell("LEECH", 5, true)} ${cell("DONE", 5, true)}`,
  ];
  for (const t of list) {
    lines.push(
      `${t.have ? "*" : " "} ${cell(t.infoHash.slice(0, 12), 12)}  ${cell(t.name, 30)} ` +
        `${cell(formatBytes(t.size), 10, true)} ${cell(String(t.seeders), 5, true)} ` +
        `${cell(String(t.leechers), 5, true)} ${cell(String(t.completed), 5, true)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
