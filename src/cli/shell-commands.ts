/**
 * The interactive shell's commands. Each takes the shell's context and its
 * words; what it prints goes through `ctx.print`, and a mistake is thrown as
 * a ShellError (printed as one `error:` line, and the shell goes on).
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ApiError, type IndexEntry, type TorrentSummary } from "../api/index.ts";
import { createTorrent } from "../metainfo/index.ts";
import { formatBytes, parseSize } from "../util/index.ts";
import { fetchingMetadataText, formatLimit } from "./format.ts";
import type { ShellApi } from "./shell-api.ts";
import { ShellError } from "./shell-error.ts";
import { setFilePriority, showFiles } from "./shell-files.ts";
import {
  showDirectory,
  showIndex,
  showPeers,
  showProgress,
  showSwarms,
  stateWord,
} from "./shell-views.ts";

export interface ShellContext {
  /** The session, through the one facade every front end uses (or a daemon's, shell-api.ts). */
  api: ShellApi;
  /** Prints text (ending in a newline) to the shell's output. */
  print(text: string): void;
  cwd: string;
  /** <data-dir>/downloads: where `download` puts files. */
  downloadDir: string;
  /** The tracker's base URL and announce URL (from --tracker). */
  tracker: { base: string; announce: string } | undefined;
  /** The tracker's index as the last `list` or `update` saw it. */
  index: IndexEntry[];
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

/** A torrent of the session by id (`2`) or info-hash prefix (`3fa2`). */
function torrentOf(ctx: ShellContext, ref: string | undefined): TorrentSummary {
  if (!ref) throw new ShellError("missing_id", "which torrent? give its id (see 'show progress')");
  try {
    return ctx.api.get(ref);
  } catch (err) {
    if (err instanceof ApiError && err.code === "not_found") {
      throw new ShellError("unknown_id", `no torrent '${ref}' (see 'show progress')`);
    }
    throw err;
  }
}

/** The torrents a command names: one, or all when none is named. */
function torrentsOf(ctx: ShellContext, ref: string | undefined): TorrentSummary[] {
  return ref === undefined ? ctx.api.list() : [torrentOf(ctx, ref)];
}

/** A path given to a command, as a file that exists (else undefined). */
async function existingFile(ctx: ShellContext, what: string): Promise<string | undefined> {
  const path = resolve(ctx.cwd, what);
  return (await stat(path).catch(() => undefined))?.isFile() ? path : undefined;
}

/** `download`'s argument: a magnet link, a .torrent file, or an info hash (prefix) from the index. */
async function download(ctx: ShellContext, what: string): Promise<TorrentSummary> {
  if (/^magnet:/i.test(what)) return ctx.api.add({ magnet: what, downloadDir: ctx.downloadDir });
  const file = await existingFile(ctx, what);
  if (file) return ctx.api.add({ path: file, downloadDir: ctx.downloadDir });
  if (!/^[0-9a-f]{2,40}$/i.test(what)) {
    throw new ShellError("not_found", `'${what}' is neither a .torrent file nor an info hash`);
  }
  needTracker(ctx);
  return ctx.api.addFromIndex({ infoHash: what, downloadDir: ctx.downloadDir });
}

function rateArg(text: string | undefined): number {
  if (text === undefined) throw new ShellError("usage", "usage: limit up|down <rate>");
  if (/^(0|none|off|unlimited)$/i.test(text)) return 0;
  const n = parseSize(text);
  if (n === undefined)
    throw new ShellError("bad_rate", `'${text}' is not a rate (try 2MB, 512KiB or 0)`);
  return n;
}

/** Waits for each torrent to complete, or says which one did not in time. */
async function waitFor(ctx: ShellContext, torrents: TorrentSummary[], seconds: number) {
  await Promise.all(
    torrents.map((t) =>
      ctx.api.whenComplete(t.infoHash, { timeoutMs: seconds * 1000 }).catch((err) => {
        if (!(err instanceof ApiError && err.code === "timeout")) throw err;
        const s = ctx.api.get(t.infoHash);
        throw new ShellError(
          "timeout",
          `[${s.id}] ${s.name} is not complete after ${seconds} s (${(s.progress * 100).toFixed(1)}%)`,
        );
      }),
    ),
  );
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
      const added = await ctx.api.add({
        torrent: bytes.toString("base64"),
        downloadDir: dirname(path),
      });
      const s = ctx.api.get(added.id);
      ctx.print(
        `[${s.id}] created ${s.torrentFile ?? "(not kept)"}\n    ${metainfo.name}: ${formatBytes(metainfo.totalLength)}, ` +
          `${metainfo.pieceCount} pieces, info hash ${metainfo.infoHashHex}; ${stateWord(s)}\n`,
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
      needTracker(ctx);
      const file = await existingFile(ctx, what);
      const reply = file
        ? await ctx.api.publish({ torrent: (await readFile(file)).toString("base64") })
        : await ctx.api.publish({ ref: torrentOf(ctx, what).infoHash });
      ctx.print(
        `${reply.created ? "published" : "already published"}: ${reply.name} (${reply.infoHash})\n`,
      );
    },
  },
  {
    name: "download",
    usage: "download <file.torrent|magnet link|info hash>",
    summary: "add a .torrent, magnet link or hash from 'list'",
    completes: "path",
    async run(ctx, args) {
      const s = await download(ctx, oneArg(args, this.usage));
      const what = s.hasMetadata
        ? `${formatBytes(s.size)}, ${s.pieceCount} pieces`
        : "a magnet link";
      const state = s.state === "metadata" ? fetchingMetadataText(s) : stateWord(s);
      ctx.print(`[${s.id}] ${s.name}: ${what} → ${ctx.downloadDir}; ${state}\n`);
    },
  },
  {
    name: "list",
    usage: "list",
    summary: "what the tracker's index offers (* = have it)",
    async run(ctx) {
      needTracker(ctx);
      ctx.index = await ctx.api.index();
      ctx.print(showIndex(ctx.index));
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
      const withPeers = (s: TorrentSummary) => ({
        id: s.id,
        name: s.name,
        peers: ctx.api.peers(s.infoHash),
      });
      switch (what) {
        case "swarms":
          return ctx.print(
            showSwarms(
              ctx.api.list().map((s) => ({ ...withPeers(s), detail: ctx.api.get(s.infoHash) })),
            ),
          );
        case "progress":
          return ctx.print(showProgress(ctx.api.list()));
        case "peers":
          return ctx.print(showPeers(torrentsOf(ctx, id).map(withPeers)));
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
      const t = torrentOf(ctx, oneArg(args, this.usage));
      const s = await ctx.api.pause(t.infoHash);
      ctx.print(`[${s.id}] ${s.name}: ${stateWord(s)}\n`);
    },
  },
  {
    name: "resume",
    usage: "resume <id>",
    summary: "start a paused torrent again",
    completes: "id",
    async run(ctx, args) {
      const t = torrentOf(ctx, oneArg(args, this.usage));
      const s = await ctx.api.resume(t.infoHash);
      ctx.print(`[${s.id}] ${s.name}: ${stateWord(s)}\n`);
    },
  },
  {
    name: "remove",
    usage: "remove <id> [--data]",
    summary: "leave a torrent's swarm (--data: delete its files)",
    completes: "id",
    async run(ctx, args) {
      const [ref, flag, ...rest] = args;
      if (ref === undefined || rest.length > 0 || (flag !== undefined && flag !== "--data")) {
        throw new ShellError("usage", `usage: ${this.usage}`);
      }
      const t = torrentOf(ctx, ref);
      const deleteData = flag === "--data";
      const s = await ctx.api.remove(t.infoHash, { deleteData });
      ctx.print(
        `[${s.id}] ${s.name}: removed ` +
          `(${deleteData ? `its files deleted from ${s.downloadDir}` : `files kept in ${s.downloadDir}`})\n`,
      );
    },
  },
  {
    name: "recheck",
    usage: "recheck <id>",
    summary: "hash every piece on disk again",
    completes: "id",
    async run(ctx, args) {
      const t = torrentOf(ctx, oneArg(args, this.usage));
      const s = await ctx.api.recheck(t.infoHash);
      ctx.print(`[${s.id}] ${s.name}: ${stateWord(s)}\n`);
    },
  },
  {
    name: "update",
    usage: "update",
    summary: "announce now and refresh the index list",
    async run(ctx) {
      const torrents = ctx.api.list();
      await Promise.all(torrents.map((t) => ctx.api.reannounce(t.infoHash)));
      const n = torrents.filter((t) => t.state !== "paused").length;
      ctx.print(`announcing ${n} torrent${n === 1 ? "" : "s"}\n`);
      if (ctx.tracker) {
        ctx.index = await ctx.api.index();
        ctx.print(showIndex(ctx.index));
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
        const { limits } = ctx.api.client();
        ctx.print(
          `upload limit: ${formatLimit(limits.upload)}, ` +
            `download limit: ${formatLimit(limits.download)}\n`,
        );
        return;
      }
      const [dir, text, ...rest] = args;
      if ((dir !== "up" && dir !== "down") || rest.length > 0) {
        throw new ShellError("usage", `usage: ${this.usage}`);
      }
      const rate = rateArg(text);
      // Kept with the session: the next start applies it again.
      await ctx.api.setLimits(dir === "up" ? { upload: rate } : { download: rate });
      ctx.print(`${dir === "up" ? "upload" : "download"} limit: ${formatLimit(rate)}\n`);
    },
  },
  {
    name: "files",
    usage: "files <id> [<prio> <list>]",
    summary: "files; set skip/low/normal/high (0,2,5-7)",
    completes: "id",
    async run(ctx, args) {
      const [ref, word, list, ...rest] = args;
      if (rest.length > 0 || (word !== undefined && list === undefined)) {
        throw new ShellError("usage", `usage: ${this.usage}`);
      }
      const t = torrentOf(ctx, ref);
      if (word !== undefined) await setFilePriority(ctx.api, t, word, list!);
      ctx.print(showFiles(ctx.api.get(t.infoHash), ctx.api.files(t.infoHash)));
    },
  },
  {
    name: "stop",
    usage: "stop",
    summary: "pause every torrent",
    async run(ctx) {
      const paused = await ctx.api.pauseAll();
      ctx.print(`paused ${paused.length} torrent${paused.length === 1 ? "" : "s"}\n`);
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
      const torrents = torrentsOf(ctx, id);
      await waitFor(ctx, torrents, seconds);
      for (const t of torrents) ctx.print(`[${t.id}] ${t.name}: complete\n`);
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
