/** `shoal info`: shows what a .torrent file or a magnet link holds. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  formatMagnet,
  loadTorrentFile,
  type MagnetLink,
  type Metainfo,
  magnetFromMetainfo,
  parseMagnet,
} from "../../metainfo/index.ts";
import { formatBytes, formatEndpoint, printable, toHex } from "../../util/index.ts";
import type { Command } from "../command.ts";
import type { CliIO } from "../io.ts";
import { onePositional } from "../options.ts";

const HELP = `Usage: shoal info <file.torrent | magnet:?…> [--json] [--files]

Shows a torrent's name, info hash, size, pieces, trackers by tier, web seeds,
comment, creator, files and magnet link; for a magnet link, what it holds.

Options:
      --files   list every file (by default long lists are cut after ${"{limit}"})
      --json    print one JSON object instead (hex hashes, sizes in bytes,
                every file)

Example:
  shoal info ubuntu.iso.torrent
  shoal info 'magnet:?xt=urn:btih:…' --json
`;

/** Files listed before the list is cut short (unless --files). */
const FILE_LIST_LIMIT = 20;

export const infoCommand: Command = {
  name: "info",
  help: HELP.replace("{limit}", String(FILE_LIST_LIMIT)),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { json: { type: "boolean" }, files: { type: "boolean" } },
    });
    const source = onePositional(positionals, ".torrent file or magnet link");
    if (source.toLowerCase().startsWith("magnet:")) {
      const link = parseMagnet(source);
      if (values.json) io.stdout.write(`${JSON.stringify(magnetJson(link))}\n`);
      else printMagnet(io, link);
      return 0;
    }
    const meta = await loadTorrentFile(resolve(io.cwd, source));
    if (values.json) io.stdout.write(`${JSON.stringify(torrentJson(meta))}\n`);
    else printTorrent(io, meta, values.files ?? false);
    return 0;
  },
};

function torrentJson(meta: Metainfo) {
  return {
    name: meta.name,
    infoHash: meta.infoHashHex,
    ...(meta.infoHashV2 && { infoHashV2: toHex(meta.infoHashV2) }),
    version: meta.version,
    totalLength: meta.totalLength,
    pieceLength: meta.pieceLength,
    pieceCount: meta.pieceCount,
    private: meta.private,
    trackers: meta.announceList,
    webSeeds: meta.urlList,
    comment: meta.comment ?? null,
    createdBy: meta.createdBy ?? null,
    creationDate: meta.creationDate ?? null,
    ...(meta.source !== undefined && { source: meta.source }),
    multiFile: meta.multiFile,
    files: meta.files
      .filter((f) => !f.pad)
      .map((f) => ({ path: f.path.join("/"), length: f.length, offset: f.offset })),
    magnet: formatMagnet(magnetFromMetainfo(meta)),
  };
}

function magnetJson(link: MagnetLink) {
  return {
    infoHash: toHex(link.infoHash),
    ...(link.infoHashV2 && { infoHashV2: toHex(link.infoHashV2) }),
    name: link.displayName ?? null,
    totalLength: link.exactLength ?? null,
    trackers: link.trackers,
    webSeeds: link.webSeeds,
    peers: link.peers.map(peerText),
    ...(link.selectOnly !== undefined && { selectOnly: link.selectOnly }),
    magnet: formatMagnet(link),
  };
}

/**
 * `label:` padded so the values line up. Values come from the torrent (or
 * the magnet link): control characters are made visible (util/printable.ts)
 * so they cannot drive the terminal.
 */
function row(io: CliIO, label: string, value: string): void {
  io.stdout.write(`${`${label}:`.padEnd(14)}${printable(value)}\n`);
}

function printTorrent(io: CliIO, meta: Metainfo, allFiles: boolean): void {
  row(io, "Name", meta.name);
  row(io, "Info hash", meta.infoHashHex);
  if (meta.infoHashV2) row(io, "Info hash v2", `${toHex(meta.infoHashV2)} (hybrid v1+v2)`);
  row(io, "Size", sizeText(meta.totalLength));
  const last = meta.totalLength - (meta.pieceCount - 1) * meta.pieceLength;
  row(
    io,
    "Pieces",
    `${meta.pieceCount} × ${formatBytes(meta.pieceLength)}` +
      (last !== meta.pieceLength ? ` (last ${formatBytes(last)})` : ""),
  );
  row(io, "Private", meta.private ? "yes (peers only from its trackers, BEP 27)" : "no");
  if (meta.announceList.length === 0)
    row(io, "Trackers", "none (peers only from --peer addresses and the LAN with --lsd)");
  else {
    io.stdout.write("Trackers:\n");
    meta.announceList.forEach((tier, i) => {
      tier.forEach((url, j) => {
        io.stdout.write(`  ${j === 0 ? `tier ${i + 1}:` : ""}`.padEnd(11) + `${printable(url)}\n`);
      });
    });
  }
  if (meta.urlList.length > 0) {
    io.stdout.write("Web seeds:\n");
    for (const url of meta.urlList) io.stdout.write(`  ${printable(url)}\n`);
  }
  if (meta.comment !== undefined) row(io, "Comment", meta.comment);
  if (meta.createdBy !== undefined) row(io, "Created by", meta.createdBy);
  if (meta.creationDate !== undefined) row(io, "Created on", formatDate(meta.creationDate));
  if (meta.source !== undefined) row(io, "Source", meta.source);

  const files = meta.files.filter((f) => !f.pad);
  const padding = meta.files.length - files.length;
  io.stdout.write(
    `Files (${files.length}${padding > 0 ? `, plus ${padding} padding files not shown` : ""}):\n`,
  );
  const shownFiles = allFiles ? files : files.slice(0, FILE_LIST_LIMIT);
  const sizes = shownFiles.map((f) => formatBytes(f.length));
  const width = Math.max(0, ...sizes.map((s) => s.length));
  shownFiles.forEach((f, i) => {
    io.stdout.write(`  ${sizes[i]!.padStart(width)}  ${f.path.map(printable).join("/")}\n`);
  });
  if (shownFiles.length < files.length) {
    io.stdout.write(
      `  … and ${files.length - shownFiles.length} more files (use --files to list all)\n`,
    );
  }
  row(io, "Magnet", formatMagnet(magnetFromMetainfo(meta)));
}

function printMagnet(io: CliIO, link: MagnetLink): void {
  row(io, "Name", link.displayName ?? "(not given)");
  row(io, "Info hash", toHex(link.infoHash));
  if (link.infoHashV2) row(io, "Info hash v2", toHex(link.infoHashV2));
  if (link.exactLength !== undefined) {
    row(io, "Size", sizeText(link.exactLength));
  }
  if (link.trackers.length === 0) row(io, "Trackers", "none");
  else {
    io.stdout.write("Trackers:\n");
    for (const url of link.trackers) io.stdout.write(`  ${printable(url)}\n`);
  }
  if (link.webSeeds.length > 0) {
    io.stdout.write("Web seeds:\n");
    for (const url of link.webSeeds) io.stdout.write(`  ${printable(url)}\n`);
  }
  if (link.peers.length > 0) row(io, "Peers", link.peers.map(peerText).join(", "));
  if (link.selectOnly !== undefined) row(io, "Select only", JSON.stringify(link.selectOnly));
  io.stdout.write("Files:        not in a magnet link; they come with the metadata from peers\n");
  row(io, "Magnet", formatMagnet(link));
}

function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${formatBytes(bytes)} (${bytes} bytes)`;
}

function peerText(peer: { host: string; port: number }): string {
  return formatEndpoint(peer.host, peer.port);
}

function formatDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} (not a valid date)` : date.toISOString();
}
