/**
 * The interactive shell's commands. Each takes the shell's context and its
 * words; what it prints goes through `ctx.print`, and a mistake is thrown as
 * a ShellError (printed as one `error:` line, and the shell goes on).
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createTorrent, parseMetainfo } from "../metainfo/index.ts";
import type { Client } from "../session/index.ts";
import { formatBytes, parseSize } from "../util/index.ts";
import {
  fetchIndex,
  fetchTorrentFile,
  publishTorrent,
  type TorrentListing,
} from "./commands/tracker-client.ts";
import { formatLimit } from "./format.ts";
import { ShellError, type ShellTorrent, type TorrentRegistry } from "./shell-registry.ts";
import {
  showDirectory,
  showIndex,
  showPeers,
  showProgress,
  showSwarms,
  stateWord,
} from "./shell-views.ts";

export interface ShellContext {
  client: Client;
  registry: TorrentRegistry;
  /** Prints text (ending in a newline) to the shell's output. */
  print(text: string): void;
  cwd: string;
  dataDir: string;
  /** <data-dir>/downloads: where `download` puts files. */
  downloadDir: string;
  /** <data-dir>/torrents: where .torrent files are kept. */
  torrentsDir: string;
  /** The tracker's base URL and announce URL (from --tracker). */
  tracker: { base: string; announce: string } | undefined;
  publishToken: string | undefined;
  /** The tracker's index as the last `list` or `update` saw it. */
  index: TorrentListing[];
  /** Shows the live console until a key is pressed (one frame when not interactive). */
  showConsole(): Promise<void>;
}

export interface ShellCommand {
  name: string;
  aliases?: string[];
  usage: string;
  summary: string;
  /** What its arguments complete to. */
  completes?: "path" | "id" | "show" | "limit";
  run(ctx: ShellContext, args: string[]): Promise<void>;
}

function needTracker(ctx: ShellContext): { base: string; announce: string } {
  if (!ctx.tracker) {
    throw new ShellError("no_tracker", "no tracker: start the shell with --tracker <url>");
  }
  return ctx.tracker;
}

function oneArg(args: string[], usage: string): string {
  if (args.length !== 1) throw new ShellError("usage", `usage: ${usage}`);
  return args[0]!;
}

/** Keeps a copy of the .torrent in <data-dir>/torrents (named after the torrent). */
async function keepTorrentFile(ctx: ShellContext, name: string, hash: string, bytes: Buffer) {
  await mkdir(ctx.torrentsDir, { recursive: true });
  const safe = name.replace(/[^\w.-]+/g, "_").slice(0, 100) || "torrent";
  let file = join(ctx.torrentsDir, `${safe}.torrent`);
  const existing = await readFile(file).catch(() => undefined);
  if (existing && !existing.equals(bytes))
    file = join(ctx.torrentsDir, `${safe}.${hash.slice(0, 8)}.torrent`);
  await writeFile(file, bytes);
  return file;
}

async function addTorrent(
  ctx: ShellContext,
  bytes: Buffer,
  downloadDir: string,
): Promise<ShellTorrent> {
  const meta = parseMetainfo(bytes);
  const have = ctx.registry.byInfoHash(meta.infoHashHex);
  if (have) throw new ShellError("duplicate", `'${meta.name}' is already here as [${have.id}]`);
  const file = await keepTorrentFile(ctx, meta.name, meta.infoHashHex, bytes);
  const torrent = await ctx.client.add(meta, { downloadDir });
  const entry = ctx.registry.add(torrent, bytes, file, downloadDir);
  await ctx.registry.save();
  return entry;
}

/** `download`'s argument as .torrent bytes: a file, or an info hash (prefix) from the index. */
async function torrentBytes(ctx: ShellContext, what: string): Promise<Buffer> {
  const path = resolve(ctx.cwd, what);
  const st = await stat(path).catch(() => undefined);
  if (st?.isFile()) return readFile(path);
  if (!/^[0-9a-f]{2,40}$/i.test(what)) {
    throw new ShellError("not_found", `'${what}' is neither a .torrent file nor an info hash`);
  }
  const tracker = needTracker(ctx);
  const prefix = what.toLowerCase();
  let hash = prefix.length === 40 ? prefix : undefined;
  if (!hash) {
    if (!ctx.index.some((t) => t.infoHash.startsWith(prefix)))
      ctx.index = await fetchIndex(tracker.base);
    const found = ctx.index.filter((t) => t.infoHash.startsWith(prefix));
    if (found.length === 0)
      throw new ShellError("not_in_index", `no torrent ${what} in the index (see 'list')`);
    if (found.length > 1) {
      throw new ShellError(
        "ambiguous",
        `'${what}' matches ${found.length} torrents: type more of the hash`,
      );
    }
    hash = found[0]!.infoHash;
  }
  return fetchTorrentFile(tracker.base, hash);
}

function rateArg(text: string | undefined): number {
  if (text === undefined) throw new ShellError("usage", "usage: limit up|down <rate>");
  if (/^(0|none|off|unlimited)$/i.test(text)) return 0;
  const n = parseSize(text);
  if (n === undefined)
    throw new ShellError("bad_rate", `'${text}' is not a rate (try 2MB, 512KiB or 0)`);
  return n;
}

export const SHELL_COMMANDS: ShellCommand[] = [
  {
    name: "create",
    usage: "create <path>",
    summary: "make a .torrent (for --tracker) and seed it",
    completes: "path",
    async run(ctx, args) {
      const path = resolve(ctx.cwd, oneArg(args, this.usage));
      const trackers = ctx.tracker ? [[ctx.tracker.announce]] : [];
      const { torrent: bytes, metainfo } = await createTorrent(path, { trackers });
      const entry = await addTorrent(ctx, bytes, dirname(path));
      ctx.print(
        `[${entry.id}] created ${entry.file}\n    ${metainfo.name}: ${formatBytes(metainfo.totalLength)}, ` +
          `${metainfo.pieceCount} pieces, info hash ${metainfo.infoHashHex}; ${stateWord(entry.torrent.stats())}\n`,
      );
    },
  },
  {
    name: "publish",
    usage: "publish <file.torrent|id>",
    summary: "upload a .torrent to the tracker's index",
    completes: "path",
    async run(ctx, args) {
      const what = oneArg(args, this.usage);
      const tracker = needTracker(ctx);
      let bytes: Buffer;
      const path = resolve(ctx.cwd, what);
      if ((await stat(path).catch(() => undefined))?.isFile()) bytes = await readFile(path);
      else bytes = ctx.registry.resolve(what).bytes;
      parseMetainfo(bytes);
      const reply = await publishTorrent(tracker.base, bytes, ctx.publishToken);
      ctx.print(
        `${reply.created ? "published" : "already published"}: ${reply.name} (${reply.infoHash})\n`,
      );
    },
  },
  {
    name: "download",
    usage: "download <file.torrent|info hash>",
    summary: "add a torrent: a file, or a hash from 'list'",
    completes: "path",
    async run(ctx, args) {
      const bytes = await torrentBytes(ctx, oneArg(args, this.usage));
      const entry = await addTorrent(ctx, bytes, ctx.downloadDir);
      const s = entry.torrent.stats();
      ctx.print(
        `[${entry.id}] ${s.name}: ${formatBytes(s.totalLength)}, ${s.pieceCount} pieces → ${ctx.downloadDir}; ${stateWord(s)}\n`,
      );
    },
  },
  {
    name: "list",
    usage: "list",
    summary: "what the tracker's index offers (* = have it)",
    async run(ctx) {
      ctx.index = await fetchIndex(needTracker(ctx).base);
      ctx.print(showIndex(ctx.index, (h) => ctx.registry.byInfoHash(h) !== undefined));
    },
  },
  {
    name: "show",
    usage: "show swarms|progress|peers [id]|directory",
    summary: "swarms, progress, peers, or the downloads folder",
    completes: "show",
    async run(ctx, args) {
      const [what, id, ...rest] = args;
      if (rest.length > 0 || (id !== undefined && what !== "peers")) {
        throw new ShellError("usage", `usage: ${this.usage}`);
      }
      switch (what) {
        case "swarms":
          return ctx.print(showSwarms(ctx.registry.entries()));
        case "progress":
          return ctx.print(showProgress(ctx.registry.entries()));
        case "peers":
          return ctx.print(
            showPeers(id === undefined ? ctx.registry.entries() : [ctx.registry.resolve(id)]),
          );
        case "directory":
          return ctx.print(await showDirectory(ctx.downloadDir));
        default:
          throw new ShellError("usage", `usage: ${this.usage}`);
      }
    },
  },
  {
    name: "pause",
    aliases: ["skip"],
    usage: "pause <id>",
    summary: "stop a torrent (resume data saved)",
    completes: "id",
    async run(ctx, args) {
      const e = ctx.registry.resolve(oneArg(args, this.usage));
      await e.torrent.pause();
      await ctx.registry.save();
      ctx.print(`[${e.id}] ${e.torrent.meta.name}: ${stateWord(e.torrent.stats())}\n`);
    },
  },
  {
    name: "resume",
    usage: "resume <id>",
    summary: "start a paused torrent again",
    completes: "id",
    async run(ctx, args) {
      const e = ctx.registry.resolve(oneArg(args, this.usage));
      e.torrent.start();
      await ctx.registry.save();
      ctx.print(`[${e.id}] ${e.torrent.meta.name}: ${stateWord(e.torrent.stats())}\n`);
    },
  },
  {
    name: "remove",
    usage: "remove <id>",
    summary: "leave a torrent's swarm (files stay)",
    completes: "id",
    async run(ctx, args) {
      const e = ctx.registry.resolve(oneArg(args, this.usage));
      await ctx.client.remove(e.torrent.infoHashHex);
      ctx.registry.delete(e.id);
      await ctx.registry.save();
      ctx.print(`[${e.id}] ${e.torrent.meta.name}: removed (files kept in ${e.downloadDir})\n`);
    },
  },
  {
    name: "update",
    usage: "update",
    summary: "announce now and refresh the index list",
    async run(ctx) {
      for (const e of ctx.registry.entries()) e.torrent.announceNow();
      const n = ctx.registry.entries().filter((e) => e.torrent.state !== "paused").length;
      ctx.print(`announcing ${n} torrent${n === 1 ? "" : "s"}\n`);
      if (ctx.tracker) {
        ctx.index = await fetchIndex(ctx.tracker.base);
        ctx.print(showIndex(ctx.index, (h) => ctx.registry.byInfoHash(h) !== undefined));
      }
    },
  },
  {
    name: "limit",
    usage: "limit [up|down <rate>]",
    summary: "show or set the up/down limit (0 = none)",
    completes: "limit",
    async run(ctx, args) {
      if (args.length === 0) {
        ctx.print(
          `upload limit: ${formatLimit(ctx.client.limits().upload)}, ` +
            `download limit: ${formatLimit(ctx.client.limits().download)}\n`,
        );
        return;
      }
      const [dir, text, ...rest] = args;
      if ((dir !== "up" && dir !== "down") || rest.length > 0) {
        throw new ShellError("usage", `usage: ${this.usage}`);
      }
      const rate = rateArg(text);
      ctx.client.setLimits(dir === "up" ? { upload: rate } : { download: rate });
      // Kept with the session: the next start applies it again.
      if (dir === "up") ctx.registry.settings.uploadLimit = rate;
      else ctx.registry.settings.downloadLimit = rate;
      await ctx.registry.save();
      ctx.print(`${dir === "up" ? "upload" : "download"} limit: ${formatLimit(rate)}\n`);
    },
  },
  {
    name: "stop",
    usage: "stop",
    summary: "pause every torrent",
    async run(ctx) {
      const entries = ctx.registry.entries();
      await Promise.all(entries.map((e) => e.torrent.pause()));
      await ctx.registry.save();
      ctx.print(`paused ${entries.length} torrent${entries.length === 1 ? "" : "s"}\n`);
    },
  },
  {
    name: "wait",
    usage: "wait [id] [seconds]",
    summary: "wait for a torrent (or all) to complete",
    completes: "id",
    async run(ctx, args) {
      const [id, secondsText, ...rest] = args;
      const seconds = secondsText === undefined ? 600 : Number(secondsText);
      if (rest.length > 0 || !(seconds > 0)) throw new ShellError("usage", `usage: ${this.usage}`);
      const entries = id === undefined ? ctx.registry.entries() : [ctx.registry.resolve(id)];
      const waiting = entries.filter((e) => !e.torrent.complete);
      await Promise.all(
        waiting.map(
          (e) =>
            new Promise<void>((done, fail) => {
              const timer = setTimeout(() => {
                e.torrent.off("complete", finish);
                const s = e.torrent.stats();
                fail(
                  new ShellError(
                    "timeout",
                    `[${e.id}] ${s.name} is not complete after ${seconds} s (${(s.progress * 100).toFixed(1)}%)`,
                  ),
                );
              }, seconds * 1000);
              function finish() {
                clearTimeout(timer);
                done();
              }
              e.torrent.once("complete", finish);
            }),
        ),
      );
      for (const e of entries) ctx.print(`[${e.id}] ${e.torrent.meta.name}: complete\n`);
    },
  },
  {
    name: "console",
    usage: "console",
    summary: "the live console, until a key is pressed",
    async run(ctx) {
      await ctx.showConsole();
    },
  },
];

/** A command by name or alias. */
export function findShellCommand(name: string): ShellCommand | undefined {
  return SHELL_COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}

export function shellHelp(topic?: string): string {
  if (topic) {
    const c = findShellCommand(topic);
    if (!c) throw new ShellError("unknown_command", `no command '${topic}' (try 'help')`);
    const aka = c.aliases ? ` (also: ${c.aliases.join(", ")})` : "";
    return `${c.usage}${aka}\n  ${c.summary}\n`;
  }
  const rows = [
    ...SHELL_COMMANDS.map((c) => [c.usage, c.summary]),
    ["help [command]", "this list, or one command's usage"],
    ["quit", "leave: trackers told, resume data saved"],
  ];
  // Usage left, summary right; a long usage puts its summary on the next line (80 columns).
  const width = 26;
  const lines = rows.map(([u, s]) =>
    u!.length <= width ? `  ${u!.padEnd(width)}  ${s}` : `  ${u}\n  ${"".padEnd(width)}  ${s}`,
  );
  return `${lines.join("\n")}\n`;
}
