/** `shoal create`: makes a .torrent from a file or a folder. */
import { access, writeFile } from "node:fs/promises";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createTorrent, MAX_CREATE_PIECE_LENGTH } from "../../metainfo/index.ts";
import { savedDhtNodes } from "../../session/index.ts";
import { formatBytes, printable, ShoalError } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { endpointOption } from "../dht-options.ts";
import { type CliIO, UsageError } from "../io.ts";
import { commaList, onePositional, sizeOption } from "../options.ts";
import { createProgressBar } from "../progress.ts";
import { discoverTracker, isAutoTracker, useDiscovered } from "../tracker-discovery.ts";
import { defaultDataDir } from "../transfer.ts";

const HELP = `Usage: shoal create <file|folder> -t <url> [options]

Makes a .torrent of a file (single-file torrent) or a folder (multi-file,
every file below it in byte order of the path, hidden files included).

Options:
  -t, --tracker <url[,url…]>  a tracker tier; repeat -t for backup tiers, and
                              join URLs with commas to share one tier (BEP 12);
                              'auto' writes the announce URL of the tracker
                              found on the local network ('auto:NAME': by name)
      --piece-size <size>     piece length, a power of two from 16KiB to 64MiB
                              (default: chosen for 1000–2000 pieces, ≤ 16MiB)
  -p, --private               private torrent: peers only from its trackers (BEP 27)
  -c, --comment <text>        a comment stored in the torrent
  -w, --web-seed <url[,url…]> an HTTP/FTP web seed (BEP 19); may repeat
  -s, --source <text>         a 'source' tag inside info (changes the info hash)
      --dht-node <host:port>  a DHT node for a trackerless torrent's \`nodes\` (BEP 5;
                              may repeat); without -t, up to 8 nodes of the
                              table saved in --data-dir are written too
      --data-dir <dir>        the session whose DHT table gives nodes
                              (default ~/.local/share/shoal)
      --no-date               leave out the creation date (reproducible output)
  -o, --output <file>         where to write (default: <name>.torrent here)
  -f, --force                 overwrite the output file if it exists

Examples:
  shoal create ./album -t udp://tracker.example:6969/announce -t https://backup.example/announce --private
  shoal create ./talk.mp4 -t auto
`;

export const createCommand: Command = {
  name: "create",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        tracker: { type: "string", short: "t", multiple: true },
        "piece-size": { type: "string" },
        private: { type: "boolean", short: "p" },
        comment: { type: "string", short: "c" },
        "web-seed": { type: "string", short: "w", multiple: true },
        source: { type: "string", short: "s" },
        "no-date": { type: "boolean" },
        "dht-node": { type: "string", multiple: true },
        "data-dir": { type: "string" },
        output: { type: "string", short: "o" },
        force: { type: "boolean", short: "f" },
      },
    });
    const target = resolve(io.cwd, onePositional(positionals, "file or folder to share"));
    const pieceLength =
      values["piece-size"] === undefined
        ? undefined
        : sizeOption("--piece-size", values["piece-size"]);
    if (
      pieceLength !== undefined &&
      (pieceLength < 16384 ||
        pieceLength > MAX_CREATE_PIECE_LENGTH ||
        (pieceLength & (pieceLength - 1)) !== 0)
    ) {
      throw new UsageError(
        `--piece-size: ${values["piece-size"]} is not a power of two from 16KiB to 64MiB (try 256KiB or 1MiB)`,
      );
    }
    // BEP 12: each -t is a tier, tried in order; URLs within a tier are peers.
    const tiers = (values.tracker ?? []).map((t) => commaList([t])).filter((t) => t.length > 0);
    const trackers = await withDiscoveredTrackers(tiers, io);
    // BEP 5: a trackerless torrent names DHT nodes to join through; a private one never (BEP 27).
    const named = (values["dht-node"] ?? []).map((t) => endpointOption("--dht-node", t));
    const fromTable =
      trackers.length === 0 && !values.private
        ? await savedDhtNodes(resolve(io.cwd, values["data-dir"] ?? defaultDataDir(io.env)))
        : [];
    const nodes = values.private ? [] : [...named, ...fromTable];
    const output = resolve(io.cwd, values.output ?? `${basename(target)}.torrent`);
    if (!values.force && (await exists(output))) {
      throw new ShoalError(
        "output_exists",
        `'${shown(io.cwd, output)}' already exists (use --force to overwrite it)`,
      );
    }

    const bar = createProgressBar(io.stderr, { label: `hashing ${basename(target)}`, total: 0 });
    let created: Awaited<ReturnType<typeof createTorrent>>;
    try {
      created = await createTorrent(target, {
        trackers,
        ...(pieceLength !== undefined && { pieceLength }),
        private: values.private ?? false,
        ...(values.comment !== undefined && { comment: values.comment }),
        ...(values.source !== undefined && { source: values.source }),
        webSeeds: commaList(values["web-seed"]),
        nodes,
        ...(values["no-date"] && { creationDate: null }),
        onProgress: (done, total) => bar.update(done, total),
      });
    } finally {
      bar.done();
    }
    const { torrent, metainfo, skipped } = created;
    // "wx" refuses a file that appeared while hashing, unless --force.
    try {
      await writeFile(output, torrent, { flag: values.force ? "w" : "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") {
        throw new ShoalError(
          "output_exists",
          `'${shown(io.cwd, output)}' appeared while hashing; not overwritten (use --force)`,
        );
      }
      throw err;
    }
    for (const s of skipped) io.stderr.write(`shoal create: skipped ${printable(s)}\n`);
    if (trackers.length === 0 && metainfo.nodes.length > 0) {
      io.stderr.write(
        "shoal create: note: no tracker given (-t); peers will come from the DHT through the " +
          `${metainfo.nodes.length} node(s) written in the torrent, the LAN (--lsd) and --peer addresses\n`,
      );
    } else if (trackers.length === 0) {
      io.stderr.write(
        "shoal create: note: no tracker given (-t); peers will come only from --peer addresses, " +
          "the LAN (--lsd), the nodes get and seed are given with --dht-bootstrap, " +
          "or a tracker added later (create it again with -t: the info hash stays the same)\n",
      );
    }
    io.stdout.write(
      `${printable(metainfo.name)}  ${metainfo.infoHashHex}  ${formatBytes(metainfo.totalLength)}  ` +
        `${metainfo.pieceCount} × ${formatBytes(metainfo.pieceLength)}  → ${shown(io.cwd, output)}\n`,
    );
    return 0;
  },
};

/** `auto[:NAME]` in a tier is the announce URL of the tracker found on the local network. */
async function withDiscoveredTrackers(tiers: string[][], io: CliIO): Promise<string[][]> {
  const found = new Map<string, string>();
  const out: string[][] = [];
  for (const tier of tiers) {
    const urls: string[] = [];
    for (const url of tier) {
      if (!isAutoTracker(url)) {
        urls.push(url);
        continue;
      }
      let announce = found.get(url);
      if (announce === undefined) {
        announce = useDiscovered(await discoverTracker(url, io), io, "create").announce;
        found.set(url, announce);
      }
      urls.push(announce);
    }
    out.push(urls);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A path as the user would type it: relative to where they are, when below it. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
