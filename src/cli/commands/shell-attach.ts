/**
 * `shoal shell --remote URL`: the shell attached to a running daemon. The
 * same Shell and commands, over RemoteShellApi (the daemon's HTTP API)
 * instead of an in-process Client; quitting leaves the daemon running.
 * Files added by `download` go to the daemon's download folder.
 */
import { printable } from "../../util/index.ts";
import type { DaemonClient } from "../daemon-client.ts";
import type { CliIO } from "../io.ts";
import { RemoteShellApi } from "../remote-shell-api.ts";
import { Shell } from "../shell.ts";

export interface AttachOptions {
  daemon: DaemonClient;
  io: CliIO;
  tracker: { base: string; announce: string } | undefined;
  publishToken: string | undefined;
  historyFile: string;
  /** Said on a terminal before the prompt (why the shell attached). */
  reason: string;
}

export async function runAttachedShell(o: AttachOptions): Promise<number> {
  const { io } = o;
  const api = await RemoteShellApi.connect(o.daemon, {
    ...(o.tracker ? { tracker: o.tracker.announce } : {}),
    ...(o.publishToken ? { publishToken: o.publishToken } : {}),
  });
  // Where the daemon puts files (what `download` asks for, `show directory` lists).
  const downloadDir = api.client().downloadDir;
  const input = io.stdin ?? process.stdin;
  const interactive = Boolean(input.isTTY && io.stdout.isTTY);
  const shell = new Shell({
    ctx: { api, cwd: io.cwd, downloadDir, tracker: o.tracker, index: [] },
    input,
    output: io.stdout,
    errors: io.stderr,
    interactive,
    listenHost: undefined,
    historyFile: o.historyFile,
    close: async () => api.close(),
  });
  if (interactive) {
    const n = api.list().length;
    io.stdout.write(
      `shoal shell — attached to the daemon at ${printable(o.daemon.base)} (${o.reason}); ` +
        `${n} torrent${n === 1 ? "" : "s"}\n` +
        `type 'help' for the commands, 'quit' to leave (the daemon keeps running)\n`,
    );
  }
  return shell.run();
}
