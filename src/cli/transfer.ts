/**
 * What `shoal get` and `shoal seed` share: options, starting a Client with one
 * torrent, the progress line, and a graceful Ctrl-C (stopped announces,
 * resume data saved; a second Ctrl-C exits at once).
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { ApiError, ShoalApi, type TorrentSummary } from "../api/index.ts";
import { Client } from "../session/index.ts";
import { formatBytes, printable, ShoalError } from "../util/index.ts";
import { consoleSnapshot, renderConsole } from "./console-frame.ts";
import { DHT_HELP, DHT_OPTIONS, dhtClientOption } from "./dht-options.ts";
import {
  etaText,
  fetchingMetadataText,
  formatRate,
  formatRatio,
  haveOfTotal,
  plural,
} from "./format.ts";
import type { CliIO } from "./io.ts";
import { UsageError } from "./io.ts";
import { IP_FILTER_HELP, ipFilterOption } from "./ip-filter-option.ts";
import type { startLiveConsole as StartLiveConsole } from "./live-console.ts";
import { ENCRYPTION_HELP, encryptionOption, intOption, rateOption } from "./options.ts";
import { createProgressBar, piecesPerSecond } from "./progress.ts";
import { TRACKER_CA_HELP, trackerCaOption } from "./tracker-ca-option.ts";

export const TRANSFER_OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  "max-peers": { type: "string" },
  "data-dir": { type: "string" },
  peer: { type: "string", multiple: true },
  "no-trackers": { type: "boolean" },
  lsd: { type: "boolean" },
  "no-pex": { type: "boolean" },
  encryption: { type: "string" },
  "ip-filter": { type: "string" },
  "tracker-ca": { type: "string" },
  "upload-limit": { type: "string" },
  "download-limit": { type: "string" },
  verify: { type: "boolean" },
  "no-direct-io": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  ui: { type: "string" },
  refresh: { type: "string" },
  ...DHT_OPTIONS,
} as const satisfies ParseArgsConfig["options"];

export const TRANSFER_HELP = `      --port <n>              TCP port for peers (default 6881; 0 picks a free one)
      --host <addr>           address to listen on (default all interfaces)
      --max-peers <n>         most connections for this torrent (default 50)
      --peer <host:port>      also connect to this peer (may repeat)
      --no-trackers           do not announce (use with --peer)
${DHT_HELP}      --lsd                   local peer discovery (BEP 14): announce this torrent
                              on the LAN by multicast and take the peers heard
                              there (never for a private torrent; default off)
      --no-pex                no peer exchange (BEP 11): neither offer ut_pex nor
                              take peers from it (default on; off for private torrents)
${ENCRYPTION_HELP}${IP_FILTER_HELP}${TRACKER_CA_HELP}      --upload-limit <rate>   most bytes/s to upload (10MB, 512KiB; default no limit)
      --download-limit <rate> most bytes/s to download
      --verify                recheck every piece on disk, ignoring resume data
      --no-direct-io          write downloaded pieces through the page cache
                              (default: direct I/O where the file system allows)
      --data-dir <dir>        where resume data is kept (default ~/.local/share/shoal)
  -q, --quiet                 no progress line
      --ui plain|live         plain: one status line (default); live: a console
                              of every peer, redrawn each second (plain text
                              every --refresh seconds when stdout is not a terminal)
      --refresh <seconds>     how often the live console prints when stdout is
                              not a terminal (default 5)
`;

type TransferValues = {
  [K in keyof typeof TRANSFER_OPTIONS]?: (typeof TRANSFER_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof TRANSFER_OPTIONS)[K] extends { type: "boolean" }
      ? boolean
      : string;
};

export function parsePeer(text: string): { ip: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--peer: '${text}' is not host:port`);
  }
  return { ip: m[1]!, port };
}

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "shoal");
}

export type UiMode = "plain" | "live";

/** `--ui`: plain (the status line) or live (the console). */
export function uiOption(text: string | undefined): UiMode {
  if (text === undefined || text === "plain") return "plain";
  if (text === "live") return "live";
  throw new UsageError(`--ui: '${text}' is not plain or live`);
}

/** `--refresh`: seconds between plain console prints. */
export function refreshOption(text: string | undefined): number {
  if (text === undefined) return 5;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600) {
    throw new UsageError(`--refresh: '${text}' is not a number of seconds from 0.1 to 3600`);
  }
  return n;
}

export interface TransferUi {
  quiet: boolean;
  ui: UiMode;
  /** Seconds between plain console prints. */
  refresh: number;
  /** The address we listen on, for the console's header. */
  listenHost: string | undefined;
}

export function transferUi(values: TransferValues): TransferUi {
  return {
    quiet: Boolean(values.quiet),
    ui: uiOption(values.ui),
    refresh: refreshOption(values.refresh),
    listenHost: values.host,
  };
}

/** A running `get` or `seed`: the session, its one torrent, and the api over them. */
export interface Transfer {
  api: ShoalApi;
  /** The torrent's info hash. */
  infoHash: string;
  /** Closes the session gracefully (trackers told, resume data saved), freeing the data dir. */
  close(): Promise<void>;
}

/** Said when --lsd was asked for but the LAN's multicast groups could not be joined. */
export const LSD_UNAVAILABLE =
  "warning: --lsd: local peer discovery is off (UDP port 6771 or its multicast groups are not available here)";

/** What of the torrent to fetch, and in what order (`shoal get --only`, `--sequential`). */
export interface TransferSelection {
  /** Only these files (indices); the others are skipped. */
  only?: readonly number[];
  sequential?: boolean;
  firstLastPiece?: boolean;
}

/** Starts a session for one torrent as the options say. */
export async function startTransfer(
  values: TransferValues,
  torrentPath: string,
  downloadDir: string,
  io: CliIO,
  selection: TransferSelection = {},
): Promise<Transfer> {
  const peers = (values.peer ?? []).map(parsePeer);
  transferUi(values); // usage mistakes before any port is opened
  const port = intOption("--port", values.port, 6881, 0, 65535);
  const maxPeers = intOption("--max-peers", values["max-peers"], 50, 1, 10_000);
  const uploadLimit = values["upload-limit"]
    ? rateOption("--upload-limit", values["upload-limit"])
    : 0;
  const downloadLimit = values["download-limit"]
    ? rateOption("--download-limit", values["download-limit"])
    : 0;
  const dht = dhtClientOption(values);
  const encryption = encryptionOption(values.encryption);
  const ipFilter = await ipFilterOption(values["ip-filter"], io);
  const ca = await trackerCaOption(values["tracker-ca"], io);
  const dataDir = resolve(io.cwd, values["data-dir"] ?? defaultDataDir(io.env));
  // One shoal per data dir: the lock is taken before anything is read.
  const client = await Client.start({
    dataDir,
    downloadDir,
    port,
    ...(values.host ? { host: values.host } : {}),
    maxPeersPerTorrent: maxPeers,
    uploadLimit,
    downloadLimit,
    lock: true,
    ...(values.lsd ? { lsd: true } : {}),
    ...(dht ? { dht } : {}),
    ...(encryption ? { encryption } : {}),
    ...(ipFilter ? { ipFilter } : {}),
    torrentDefaults: {
      ...(ca ? { announcer: { ca } } : {}),
      trackers: !values["no-trackers"],
      ...(values["no-pex"] ? { pex: false } : {}),
      ...(values["no-direct-io"] ? { directIo: false } : {}),
    },
  });
  try {
    if (values.lsd && !client.localDiscovery) io.stderr.write(`${LSD_UNAVAILABLE}\n`);
    // Checking counts pieces, not bytes: its rate reads in pieces per second.
    const bar = values.quiet
      ? undefined
      : createProgressBar(io.stderr, { label: "checking", total: 1, rate: piecesPerSecond });
    // Added through the session itself: checking reports its progress as it goes.
    // A magnet link (BEP 9) is added as it is; anything else is a .torrent's path.
    const source = /^magnet:/i.test(torrentPath) ? torrentPath : resolve(io.cwd, torrentPath);
    const torrent = await client.add(source, {
      ...(values.verify ? { verify: true } : {}),
      ...selectionOptions(selection),
      peers: peers.map((p) => ({ host: p.ip, port: p.port })),
      ...(bar ? { onCheckProgress: (done: number, total: number) => bar.update(done, total) } : {}),
    });
    bar?.done();
    const fileCount = torrent.metadata?.files.length;
    const beyond = selection.only?.find((i) => fileCount !== undefined && i >= fileCount);
    if (beyond !== undefined) {
      throw new UsageError(
        `--only: '${torrent.name}' has ${fileCount} file${fileCount === 1 ? "" : "s"} (0 to ${fileCount! - 1}); ${beyond} is not one`,
      );
    }
    return {
      api: new ShoalApi(client),
      infoHash: torrent.infoHashHex,
      close: () => client.close(),
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}

function selectionOptions(selection: TransferSelection) {
  const o: {
    filePriorities?: "normal"[];
    unlistedFilePriority?: "skip";
    sequential?: boolean;
    firstLastPiecePriority?: boolean;
  } = {};
  if (selection.only) {
    const priorities: "normal"[] = [];
    for (const i of selection.only) priorities[i] = "normal";
    o.filePriorities = priorities;
    o.unlistedFilePriority = "skip";
  }
  if (selection.sequential) o.sequential = true;
  if (selection.firstLastPiece) o.firstLastPiecePriority = true;
  return o;
}

/** One status line: percent, bytes, rates, peers, then the ETA (or the ratio when seeding). */
export function statusLine(s: TorrentSummary): string {
  const pct = `${(s.progress * 100).toFixed(1)}%`.padStart(6);
  const rates = `↓ ${formatRate(s.downloadRate)}  ↑ ${formatRate(s.uploadRate)}`;
  const peers = plural(s.peers, "peer");
  if (s.state === "downloading") {
    return `${pct}  ${haveOfTotal(s)}  ${rates}  ${peers}  ${etaText(s)}`;
  }
  if (s.state === "metadata") return `${pct}  ${fetchingMetadataText(s)}  ${peers}  [metadata]`;
  if (s.state === "seeding") {
    return `${pct}  ${formatBytes(s.size)}  ${rates}  ${peers}  ratio ${formatRatio(s)}  [seeding]`;
  }
  return `${pct}  ${haveOfTotal(s)}  ${peers}  [${s.state}]`;
}

/**
 * Why a torrent stopped on its own (its `error` state: a full disk, a path
 * the system refuses), as the one line `get` and `seed` end with (exit 1).
 */
export function stoppedError(s: TorrentSummary): ShoalError {
  return new ShoalError(
    "torrent_error",
    `'${s.name}' stopped: ${s.error ?? "an error with its data"}`,
  );
}

/**
 * Shows progress until `until` resolves, the torrent stops with an error,
 * or the user presses Ctrl-C; then closes the client gracefully. With `--ui plain` the status line is redrawn
 * in place on a terminal, or printed every few seconds otherwise; with
 * `--ui live` the live console takes stdout. "failed": the torrent is in its
 * `error` state (see stoppedError). `last`: its summary as the transfer ended.
 */
export async function runTransfer(
  transfer: Transfer,
  io: CliIO,
  ui: TransferUi,
  until: Promise<void>,
  /** The line for stdout when the torrent completes (printed at once, before closing). */
  completeLine?: () => string,
): Promise<{ outcome: "done" | "interrupted" | "failed"; last: TorrentSummary }> {
  const { api, infoHash } = transfer;
  const { quiet } = ui;
  const tty = Boolean(io.stderr.isTTY);
  // The live console (and the terminal libraries under it) loads only when asked for.
  const startLiveConsole: typeof StartLiveConsole | undefined =
    ui.ui === "live" && !quiet ? (await import("./live-console.ts")).startLiveConsole : undefined;
  const live = startLiveConsole
    ? startLiveConsole(
        io.stdout,
        ({ columns, rows }) =>
          renderConsole(consoleSnapshot(api, { listenHost: ui.listenHost }), {
            columns,
            ...(rows ? { maxLines: rows } : {}),
          }),
        { plainIntervalMs: ui.refresh * 1000 },
      )
    : undefined;
  let lastPlain = 0;
  const draw = () => {
    if (quiet || live) return;
    if (tty) io.stderr.write(`\r${statusLine(api.get(infoHash))}\x1b[K`);
    else if (Date.now() - lastPlain >= 5000) {
      lastPlain = Date.now();
      io.stderr.write(`${statusLine(api.get(infoHash))}\n`);
    }
  };
  const timer = setInterval(draw, 1000);
  let onFailed: () => void = () => {};
  const failed = new Promise<"failed">((done) => {
    onFailed = () => done("failed");
    if (api.get(infoHash).state === "error") done("failed");
  });
  const unsubscribe = api.subscribe(
    (e) => {
      if (e.infoHash !== infoHash) return;
      if (e.type === "error") onFailed();
      if (e.type !== "warning" || quiet) return;
      // Warnings quote trackers, peers and the torrent's own paths.
      const message = printable(e.message);
      if (live) live.log(`warning: ${message}`);
      else io.stderr.write(`${tty ? "\r\x1b[K" : ""}warning: ${message}\n`);
    },
    { types: ["warning", "error"] },
  );
  let said = false;
  const sayComplete = () => {
    if (said || !completeLine) return;
    said = true;
    const line = completeLine();
    if (live) live.log(line);
    else {
      if (tty && !quiet) io.stderr.write("\r\x1b[K");
      io.stdout.write(`${line}\n`);
    }
  };
  if (completeLine) api.whenComplete(infoHash).then(sayComplete, () => {});
  let interrupts = 0;
  let onSignal: () => void = () => {};
  const interrupted = new Promise<"interrupted">((done) => {
    onSignal = () => {
      if (++interrupts > 1) process.exit(130);
      live?.stop();
      io.stderr.write(
        `${tty && !live ? "\r\x1b[K" : ""}stopping (Ctrl-C again to quit at once)…\n`,
      );
      done("interrupted");
    };
  });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const outcome = await Promise.race([
      until.then(
        () => "done" as const,
        (err) => {
          // A torrent that stopped on an error says so as `failed`.
          if (err instanceof ApiError && err.code === "torrent_error") return "failed" as const;
          throw err;
        },
      ),
      interrupted,
      failed,
    ]);
    if (outcome === "done") sayComplete();
    draw();
    live?.stop();
    if (!quiet && !live && tty) io.stderr.write("\n");
    return { outcome, last: api.get(infoHash) };
  } finally {
    clearInterval(timer);
    live?.stop();
    // Waits for the trackers: a `completed` in flight, then `stopped`.
    await transfer.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    unsubscribe();
  }
}
