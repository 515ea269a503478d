/**
 * `shoal tracker`: runs a tracker (HTTP and UDP on one port), or with
 * `swarms` / `peers` queries a running one.
 */
import { readFile } from "node:fs/promises";
import { flushCompileCache, getCompileCacheDir } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import {
  CONFIG_FIELDS,
  coerceField,
  DEFAULT_CONFIG,
  resolveConfig,
  type SwarmView,
  Tracker,
  TrackerError,
} from "../../tracker-server/index.ts";
import { createJsonLogger, formatBytes, printable, ShoalError } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { withListenAddress } from "../errors.ts";
import { type CliIO, processIO, UsageError } from "../io.ts";
import { advertiseTracker } from "../tracker-advertising.ts";
import { resolveTracker } from "../tracker-discovery.ts";
import { ago, errorText, formatTable, hostPort, trackerRequest } from "./tracker-client.ts";
import { findCommand } from "./tracker-find.ts";
import { usersCommand } from "./tracker-users.ts";

function optionLines(): string {
  return CONFIG_FIELDS.map((f) => {
    const arg = f.type === "boolean" ? "" : f.type === "integer" ? " <n>" : " <value>";
    const def = DEFAULT_CONFIG[f.key];
    // A help text that says its own default (`interval / 2`) keeps it alone.
    const shown =
      def === undefined || def === false || /\(default/.test(f.help) ? "" : ` (default ${def})`;
    return `  --${`${f.flag}${arg}`.padEnd(26)} ${f.help}${shown}`;
  }).join("\n");
}

const HELP = `Usage: shoal tracker [options]
       shoal tracker swarms [--url <tracker url>] [--json]
       shoal tracker peers [<info hash or a prefix>] [--url <tracker url>] [--json]
       shoal tracker find [--json] [--timeout <seconds>]
       shoal tracker users add|list|disable|enable|rotate-passkey|grant-publish|revoke-publish [<name>] --data-dir <dir>

Runs a BitTorrent tracker: HTTP (BEP 3, 7, 23, 48) and UDP (BEP 15) announces
and scrapes on one port number, a torrent index (POST/GET /torrents), pages
for a browser (/ the index, /upload, /operator; /admin with --admin-token)
and operator views (/stats, /metrics, /swarms). Stops cleanly on Ctrl-C or
SIGTERM, saving the live peers so a restart serves peer lists at once.

Options:
  --config <file.json>         settings as JSON, keys as below in camelCase
                               (e.g. {"port": 6969, "registeredOnly": true});
                               flags override the file
  --advertise                  make the tracker discoverable on the local
                               network (DNS-SD over multicast DNS, service
                               _bittorrent-tracker._tcp.local); off by default
  --advertise-name <name>      the name it is found by (default <host>-<port>)
${optionLines()}
  Boolean flags can be negated: --no-registered-only.

'swarms' lists each swarm with its seeders' and leechers' addresses;
'peers' lists peers (of one swarm, or all). --url takes the announce URL or
the tracker's base URL; without it, or with --url auto[:NAME], the tracker is
found on the local network. 'find' lists the trackers advertised there.
'users' manages the members of a private tracker (--private): 'add NAME'
(--can-publish) prints the new member's passkey on its own line; members
announce to /announce/<passkey>; 'list' shows each one's reported traffic;
'grant-publish' / 'revoke-publish' change who may publish. The same through
the admin API: --admin-token, then /admin/api/members (see the README).

Examples:
  shoal tracker --port 6969 --data-dir ~/.shoal/tracker
  shoal tracker --host 127.0.0.1 --port 6969 --registered-only --publish-token s3cret
  shoal tracker --port 6969 --advertise --advertise-name lab
  shoal tracker swarms --url http://127.0.0.1:6969/announce
  shoal tracker peers 1f3a…e9 --url http://127.0.0.1:6969
  shoal tracker find
  shoal tracker --private --data-dir ~/.shoal/tracker
  shoal tracker users add alice --data-dir ~/.shoal/tracker
`;

export const trackerCommand: Command = {
  name: "tracker",
  help: HELP,
  async run(args, io) {
    if (args[0] === "swarms") return swarms(args.slice(1), io);
    if (args[0] === "peers") return peers(args.slice(1), io);
    if (args[0] === "find") return findCommand(args.slice(1), io);
    if (args[0] === "users") return usersCommand(args.slice(1), io);
    return serve(args, io);
  },
};

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new TrackerError(
      "invalid_config",
      `cannot read config file '${path}': ${(err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TrackerError(
      "invalid_config",
      `config file '${path}' is not JSON: ${(err as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TrackerError("invalid_config", `config file '${path}' must hold one JSON object`);
  }
  const obj = value as Record<string, unknown>;
  // A relative data dir in a config file is relative to the file.
  if (typeof obj.dataDir === "string") obj.dataDir = resolve(path, "..", obj.dataDir);
  return obj;
}

/**
 * V8 flags a tracker process runs with, all for memory (issue 3: under
 * 100 MiB with 100,000 peers; measured with bench/tracker.ts):
 * - a tracker allocates a little per announce and nearly all of it dies at
 *   once, yet V8 grows its young generation under such a load up to 64 MiB
 *   of semi-spaces; a growth factor of 1 keeps it at its starting size;
 * - memory saver mode grows the old generation by smaller steps and hands
 *   freed pages back sooner (about 6 MiB less at the end of the load);
 * - single-threaded: no background compiler or GC threads, whose malloc
 *   arenas kept 4–12 MiB. A tracker is one event loop on one core; the work
 *   those threads did is done on the main thread (announces per CPU-second
 *   unchanged within the benchmark's run-to-run noise).
 * `node --v8-options` lists them.
 */
export const TRACKER_NODE_FLAGS = [
  "--single-threaded",
  "--memory-saver-mode",
  "--semi-space-growth-factor=1",
];
/** How many times this tracker process has replaced itself (see relaunchLean). */
const RELAUNCH_ENV = "SHOAL_TRACKER_RELAUNCHED";
const MAX_RELAUNCHES = 2;

/** Whether Node had to load its TypeScript stripper (amaro) for a module the compile cache lacked. */
function typeStripperLoaded(): boolean {
  // Undocumented but long-standing: the internal modules this process loaded.
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList;
  return Array.isArray(list) && list.some((m) => typeof m === "string" && m.includes("amaro"));
}

/**
 * Most of those flags only take effect at start-up, and a user runs
 * `shoal tracker` with plain `node`: the process replaces itself (execve, so
 * the same PID, stdio and signals) with one started with them. It also does so
 * once more when this start had to strip TypeScript (a module changed since
 * the compile cache was written): the stripper stays in memory for the life
 * of the process (about 30 MiB), and the new image finds every module in the
 * cache just flushed. At most MAX_RELAUNCHES times; never when run in-process
 * (tests, the shell), nor where execve is missing (Windows), where the
 * run-time flags of keepYoungGenerationSmall still apply.
 */
function relaunchLean(io: CliIO): void {
  const count = Number(process.env[RELAUNCH_ENV] ?? "0");
  delete process.env[RELAUNCH_ENV];
  if (io !== processIO || typeof process.execve !== "function" || count >= MAX_RELAUNCHES) return;
  const missing = TRACKER_NODE_FLAGS.filter((f) => !process.execArgv.includes(f));
  const stripped = getCompileCacheDir() !== undefined && typeStripperLoaded();
  if (missing.length === 0 && !stripped) return;
  flushCompileCache();
  process.execve(
    process.execPath,
    [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)],
    { ...process.env, [RELAUNCH_ENV]: String(count + 1) },
  );
}

/** The run-time part of TRACKER_NODE_FLAGS, for a process that could not relaunch. */
function keepYoungGenerationSmall(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

async function serve(args: string[], io: CliIO): Promise<number> {
  const options: Record<string, { type: "string" | "boolean" }> = {
    config: { type: "string" },
    advertise: { type: "boolean" },
    "advertise-name": { type: "string" },
  };
  for (const f of CONFIG_FIELDS)
    options[f.flag] = { type: f.type === "boolean" ? "boolean" : "string" };
  const { values, positionals } = parseArgs({
    args,
    options,
    strict: true,
    allowNegative: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument '${positionals[0]}' (subcommands: swarms, peers, find)`,
    );
  }
  const file =
    typeof values.config === "string" ? await readConfigFile(resolve(io.cwd, values.config)) : {};
  const flags: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) {
    const v = values[f.flag];
    if (v === undefined) continue;
    try {
      flags[f.key] = coerceField(f, v, true);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  if (typeof flags.dataDir === "string") flags.dataDir = resolve(io.cwd, flags.dataDir);
  const config = resolveConfig(file, flags);
  const advertiseName = values["advertise-name"];
  if (typeof advertiseName === "string" && values.advertise !== true) {
    throw new UsageError("--advertise-name goes with --advertise");
  }
  relaunchLean(io);
  keepYoungGenerationSmall();
  const logger = createJsonLogger(config.logLevel, (line) => io.stderr.write(line), {
    component: "tracker",
  });
  const tracker = await Tracker.start(config, { logger }).catch((err: unknown) => {
    throw withListenAddress(err, config.host, config.port);
  });
  const { http, udp } = tracker.urls;
  const where = config.host === undefined ? " (all interfaces)" : "";
  io.stdout.write(`tracker listening on ${http} and ${udp}${where}\n`);
  const advertiser =
    values.advertise === true
      ? await advertiseTracker({
          port: tracker.port,
          listenHost: config.host,
          name: typeof advertiseName === "string" ? advertiseName : undefined,
          logger,
          ...(io.udp && { udp: io.udp }),
        }).catch(async (err: unknown) => {
          await tracker.stop();
          throw err;
        })
      : undefined;
  if (advertiser) {
    io.stdout.write(
      `advertised on the local network as '${printable(advertiser.name)}' (_bittorrent-tracker._tcp.local)\n`,
    );
  }
  logger.info("tracker started", {
    port: tracker.port,
    dataDir: config.dataDir ?? null,
    registeredOnly: config.registeredOnly,
    torrents: tracker.index.size,
  });
  const signal = await new Promise<string>((done) => {
    const onSignal = (name: string) => () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      done(name);
    };
    const onInt = onSignal("SIGINT");
    const onTerm = onSignal("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
  logger.info("stopping", { signal });
  await advertiser?.stop(); // the goodbye first, while the tracker still answers
  await tracker.stop();
  logger.info("tracker stopped");
  return 0;
}

function clientArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { url: { type: "string" }, tracker: { type: "string" }, json: { type: "boolean" } },
  });
}

async function fetchSwarms(base: string, infoHash: string | undefined): Promise<SwarmView[]> {
  const path = infoHash ? `/swarms/${infoHash.toLowerCase()}` : "/swarms";
  const { status, body } = await trackerRequest(base, path);
  if (status === 404 && infoHash)
    throw new ShoalError("unknown_swarm", `the tracker has no swarm ${infoHash}`);
  if (status !== 200)
    throw new ShoalError("tracker_refused", `${base}${path}: ${errorText(status, body)}`);
  return infoHash ? [body as SwarmView] : ((body as { swarms: SwarmView[] }).swarms ?? []);
}

/** The info hash of the one swarm whose hash starts with `prefix` (as the shell accepts ids). */
async function swarmByPrefix(base: string, prefix: string): Promise<string> {
  if (prefix.length === 40) return prefix;
  const lower = prefix.toLowerCase();
  const found = (await fetchSwarms(base, undefined)).filter((s) => s.infoHash.startsWith(lower));
  if (found.length === 0)
    throw new ShoalError("unknown_swarm", `the tracker has no swarm ${prefix}…`);
  if (found.length > 1) {
    throw new ShoalError(
      "ambiguous_swarm",
      `'${prefix}' starts ${found.length} swarms' info hashes: type more of it`,
    );
  }
  return found[0]!.infoHash;
}

/** --url/--tracker as given, or the tracker found on the local network. */
async function trackerBase(given: string | undefined, io: CliIO, command: string): Promise<string> {
  return (await resolveTracker(given, io, command)).base;
}

async function swarms(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = clientArgs(args);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const base = await trackerBase(values.url ?? values.tracker, io, "tracker swarms");
  const list = await fetchSwarms(base, undefined);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    io.stdout.write("no swarms\n");
    return 0;
  }
  const rows = list.map((s) => [
    s.infoHash,
    s.name ?? "-",
    s.size === null ? "-" : formatBytes(s.size),
    s.pieces === null ? "-" : String(s.pieces),
    String(s.seeders),
    String(s.leechers),
    String(s.completed),
  ]);
  io.stdout.write(
    formatTable(["INFO HASH", "NAME", "SIZE", "PIECES", "SEEDERS", "LEECHERS", "COMPLETED"], rows),
  );
  for (const s of list) {
    if (s.peers.length === 0) continue;
    const seeders = s.peers.filter((p) => p.seeder).map((p) => hostPort(p.ip, p.port));
    const leechers = s.peers.filter((p) => !p.seeder).map((p) => hostPort(p.ip, p.port));
    io.stdout.write(`\n${s.infoHash}${s.name ? `  ${printable(s.name)}` : ""}\n`);
    io.stdout.write(`  seeders:  ${seeders.join(", ") || "-"}\n`);
    io.stdout.write(`  leechers: ${leechers.join(", ") || "-"}\n`);
  }
  return 0;
}

async function peers(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = clientArgs(args);
  if (positionals.length > 1)
    throw new UsageError(`expected at most one info hash, got ${positionals.length}`);
  const wanted = positionals[0];
  if (wanted !== undefined && !/^[0-9a-fA-F]{2,40}$/.test(wanted)) {
    throw new UsageError(
      `'${wanted}' is not an info hash (40 hex digits) or the start of one (at least 2)`,
    );
  }
  const base = await trackerBase(values.url ?? values.tracker, io, "tracker peers");
  const list = await fetchSwarms(base, wanted && (await swarmByPrefix(base, wanted)));
  const rows: string[][] = [];
  for (const s of list) {
    for (const p of s.peers) {
      rows.push([
        s.infoHash,
        hostPort(p.ip, p.port),
        p.seeder ? "seeder" : "leecher",
        p.left < 0 ? "?" : formatBytes(p.left),
        ago(p.lastSeen),
        Buffer.from(p.peerId, "hex")
          .toString("latin1")
          .replace(/[^\x20-\x7e]/g, "."),
      ]);
    }
  }
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(
        list.flatMap((s) => s.peers.map((p) => ({ infoHash: s.infoHash, ...p }))),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  if (rows.length === 0) {
    io.stdout.write("no peers\n");
    return 0;
  }
  io.stdout.write(formatTable(["INFO HASH", "ADDRESS", "ROLE", "LEFT", "SEEN", "PEER ID"], rows));
  return 0;
}
