/** `shoal daemon`: many torrents in one long-running process, driven over HTTP. */
import {
  createTextLogger,
  Daemon,
  pauseMaglev,
  releaseCompileCache,
  turnOffTurbofan,
} from "../../daemon/index.ts";
import { createJsonLogger, type Logger } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../io.ts";
import { DAEMON_FLAG_HELP, DAEMON_FLAG_OPTIONS, effectiveConfig } from "./daemon-flags.ts";

// Taken with getBuiltinModule: an ESM import of node:util reads every export
// of it, which loads its diff and colour helpers too (about 1 ms of CPU and
// 0.9 MiB of Node's binary paged in at every start; issue 16).
const { parseArgs } = process.getBuiltinModule("node:util");

const HELP = `Usage: shoal daemon [--data-dir <dir>] [--download-dir <dir>] [--port <n>] [--api-port <n>] [options]

Runs in the foreground with every torrent of its data dir: they are kept
(session.json, the .torrent files, resume data) and come back, without
rechecking, on the next start. Drive it over HTTP: the API at /api/v1 (see
/api/v1/openapi.json), live events at /api/v1/events, Transmission's RPC at
/transmission/rpc (transmission-remote and its GUIs work), or with
'shoal add', 'shoal ls', 'shoal pause' and the other client commands.

Logs go to stderr. SIGTERM or Ctrl-C stops it cleanly (trackers told,
everything written); SIGHUP reads the config file again (limits,
credentials; what needs a restart is logged).

Options:
${DAEMON_FLAG_HELP}
Example:
  shoal daemon --download-dir ~/Downloads --port 51413 --api-port 9091
  transmission-remote 9091 -l
`;

export const daemonCommand: Command = {
  name: "daemon",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: DAEMON_FLAG_OPTIONS,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const config = await effectiveConfig(values, io);
    const write = (line: string) => io.stderr.write(line);
    const logger: Logger =
      config.log.format === "json"
        ? createJsonLogger(config.log.level, write)
        : createTextLogger(config.log.level, write);
    // Signals are handled from before the start: a SIGTERM while a thousand
    // torrents come back (the API answers meanwhile) stops the daemon once
    // it is up, cleanly, rather than killing it in the middle of a write.
    let daemon: Daemon | undefined;
    let stopping = false;
    let finish: (code: number) => void = () => {};
    const finished = new Promise<number>((resolve) => {
      finish = resolve;
    });
    const stopStarted = (d: Daemon) => {
      d.stop().then(
        () => finish(0),
        (err) => {
          logger.error("stop failed", { error: (err as Error).message });
          finish(1);
        },
      );
    };
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn("stopping at once", { signal });
        process.exit(130);
      }
      stopping = true;
      logger.info("stopping", { signal });
      if (daemon) stopStarted(daemon);
    };
    const reload = () => {
      if (!daemon) return;
      const d = daemon;
      effectiveConfig(values, io)
        .then((next) => d.reload(next))
        .catch((err) => logger.error("config not reloaded", { error: (err as Error).message }));
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    process.on("SIGHUP", reload);
    try {
      // SHOAL_TURBOFAN=1 keeps V8's optimising compiler (README: its trade).
      const keepTurbofan = process.env.SHOAL_TURBOFAN === "1";
      // Maglev paused while the torrents come back (restore-tiering.ts).
      let resumeMaglev = () => {};
      const beforeRestore = () => {
        releaseCompileCache();
        if (!keepTurbofan) turnOffTurbofan();
        resumeMaglev = pauseMaglev();
      };
      try {
        daemon = await Daemon.start(config, logger, { beforeRestore });
      } finally {
        resumeMaglev();
      }
      if (stopping) stopStarted(daemon);
      return await finished;
    } finally {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      process.off("SIGHUP", reload);
    }
  },
};
