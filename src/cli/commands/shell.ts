/** `shoal shell`: an interactive session — one client, many torrents, a tracker's index. */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ShoalApi } from "../../api/index.ts";
import { Client, DataDirLockedError } from "../../session/index.ts";
import { isShoalError, printable } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { DaemonClient } from "../daemon-client.ts";
import { DHT_OPTIONS, dhtClientOption } from "../dht-options.ts";
import { displayPeerId, formatLimit } from "../format.ts";
import { type CliIO, UsageError } from "../io.ts";
import { ipFilterOption } from "../ip-filter-option.ts";
import { encryptionOption, rateOption } from "../options.ts";
import { historyPath, Shell } from "../shell.ts";
import { trackerCaOption } from "../tracker-ca-option.ts";
import {
  AUTO_TRACKER,
  discoverTracker,
  discoveryAllowed,
  isAutoTracker,
  useDiscovered,
} from "../tracker-discovery.ts";
import { defaultDataDir, LSD_UNAVAILABLE } from "../transfer.ts";
import { runAttachedShell } from "./shell-attach.ts";
import { trackerBaseUrl } from "./tracker-client.ts";

const HELP = `Usage: shoal shell [--data-dir <dir>] [--port <n>] [--tracker <url>] [options]

An interactive session: create, publish, list and download torrents through
a shoal tracker, watch swarms and peers, pause, resume, limit rates. Downloads
go to <data-dir>/downloads, .torrent files are kept in <data-dir>/torrents,
and the torrents come back when the shell starts again. Several shells on one
host work together when each has its own --data-dir and --port.

On a terminal: a prompt with the port, history (<data-dir>/shell-history) and
Tab completion; type 'help'. Otherwise commands are read line by line from
stdin (a script), only their output is printed, and the shell exits at the
end of input (status 1 if a command failed).

Options:
      --data-dir <dir>         session folder (default ~/.local/share/shoal)
      --port <n>               TCP port for peers (default 6881; 0 picks one)
      --host <addr>            address to listen on (default all interfaces)
      --tracker <url>          the shoal tracker for create/publish/list/download;
                               without it the shell looks for one on the local
                               network ('auto:NAME' picks one by name)
      --token <token>          the tracker's publish token (or SHOAL_PUBLISH_TOKEN)
      --upload-limit <rate>    most bytes/s to upload (2MB, 512KiB; default none)
      --download-limit <rate>  most bytes/s to download
      --lsd, --no-lsd          local peer discovery (BEP 14) on or off: torrents
                               that are not private are announced on the LAN by
                               multicast; kept with the session (default off)
      --no-pex                 no peer exchange (BEP 11): ut_pex neither offered
                               nor used (default on; off for private torrents)
      --encryption <policy>    encrypted peer connections (MSE): disabled, enabled
                               (default), prefer or required
      --ip-filter <file|url>   refuse peers on this block list (eMule .dat or
                               PeerGuardian .p2p, gzipped or not), both ways
      --tracker-ca <file>      trust these certificates (PEM) for https trackers
      --dht-bootstrap <host:port>
                               join the DHT through this node (may repeat; none
                               is built in: name your own, e.g. a \`shoal dht\`)
      --no-dht                 no DHT (default on for public torrents; it contacts
                               only nodes named here, in torrents or by peers)
      --dht-enforce-node-id    BEP 42: keep out of the table DHT nodes whose id
                               does not fit their public address
      --dht-read-only          BEP 43: look up and announce, answer no DHT queries
      --remote <url>           attach to a running daemon (e.g. http://127.0.0.1:9091)
                               instead of running torrents here: the same commands
                               over its HTTP API; quit leaves it running. Without
                               --remote, a --data-dir a daemon holds attaches to the
                               local daemon (SHOAL_REMOTE, or http://127.0.0.1:9091)
      --auth <user:password>   the daemon's credentials (or SHOAL_AUTH)
      --remote-token <token>   a bearer token for the daemon instead (or SHOAL_TOKEN)

Example:
  shoal shell --data-dir ~/shoal-a --port 6881 --tracker http://127.0.0.1:6969/announce
  shoal:6881> create ~/Videos/talk.mp4
  shoal:6881> publish 1
`;

/** The URL to put in created torrents: as given when it names the announce path. */
function announceUrl(text: string): string {
  if (text.startsWith("udp://") || /\/announce(\.php)?$/.test(new URL(text).pathname)) return text;
  return `${trackerBaseUrl(text)}/announce`;
}

/**
 * The tracker given, or the one found on the local network. Asked for
 * (`auto[:NAME]`), not finding it is an error; with no --tracker the shell
 * starts without one and says why. A shell listening on loopback only has
 * no LAN to look on, and SHOAL_DISCOVERY=off says not to look.
 */
async function shellTracker(
  text: string | undefined,
  host: string | undefined,
  io: CliIO,
): Promise<{ base: string; announce: string } | undefined> {
  if (text !== undefined && !isAutoTracker(text)) {
    return { base: trackerBaseUrl(text), announce: announceUrl(text) };
  }
  const loopbackOnly = host !== undefined && /^(127\.|::1$|localhost$)/i.test(host);
  if (text === undefined && (loopbackOnly || !discoveryAllowed(io))) return undefined;
  try {
    return useDiscovered(await discoverTracker(text ?? AUTO_TRACKER, io), io, "shell");
  } catch (err) {
    if (text !== undefined || !isShoalError(err)) throw err;
    io.stderr.write(`shoal shell: ${printable(err.message)}\n`);
    return undefined;
  }
}

export const shellCommand: Command = {
  name: "shell",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        "data-dir": { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        tracker: { type: "string" },
        token: { type: "string" },
        "upload-limit": { type: "string" },
        "download-limit": { type: "string" },
        lsd: { type: "boolean" },
        "no-lsd": { type: "boolean" },
        "no-pex": { type: "boolean" },
        encryption: { type: "string" },
        "ip-filter": { type: "string" },
        "tracker-ca": { type: "string" },
        remote: { type: "string" },
        auth: { type: "string" },
        "remote-token": { type: "string" },
        ...DHT_OPTIONS,
      },
    });
    const publishToken = values.token ?? io.env.SHOAL_PUBLISH_TOKEN;
    const daemonOf = () =>
      new DaemonClient(
        {
          ...(values.remote !== undefined ? { remote: values.remote } : {}),
          ...(values.auth !== undefined ? { auth: values.auth } : {}),
          ...(values["remote-token"] !== undefined ? { token: values["remote-token"] } : {}),
        },
        io.env,
      );
    if (values.remote !== undefined) {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      const daemon = daemonOf();
      const tracker = await shellTracker(values.tracker, "127.0.0.1", io);
      const dataDir = resolve(io.cwd, values["data-dir"] ?? defaultDataDir(io.env));
      await mkdir(dataDir, { recursive: true });
      return runAttachedShell({
        daemon,
        io,
        tracker,
        publishToken,
        historyFile: historyPath(dataDir),
        reason: "--remote",
      });
    }
    if (values.lsd && values["no-lsd"]) throw new UsageError("--lsd and --no-lsd contradict");
    const lsd = values.lsd ? true : values["no-lsd"] ? false : undefined;
    const encryption = encryptionOption(values.encryption);
    const ipFilter = await ipFilterOption(values["ip-filter"], io);
    const ca = await trackerCaOption(values["tracker-ca"], io);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const port = Number(values.port ?? 6881);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port: '${values.port}' is not a port from 0 to 65535`);
    }
    const uploadLimit =
      values["upload-limit"] === undefined
        ? undefined
        : rateOption("--upload-limit", values["upload-limit"]);
    const downloadLimit =
      values["download-limit"] === undefined
        ? undefined
        : rateOption("--download-limit", values["download-limit"]);
    const dht = dhtClientOption(values);
    const tracker = await shellTracker(values.tracker, values.host, io);
    const dataDir = resolve(io.cwd, values["data-dir"] ?? defaultDataDir(io.env));
    const downloadDir = join(dataDir, "downloads");
    await mkdir(downloadDir, { recursive: true });
    // One shoal per data dir (the lock is taken first); the session's
    // torrents and limits are kept in it and come back on the next start.
    const started = Client.start({
      dataDir,
      downloadDir,
      port,
      ...(values.host ? { host: values.host } : {}),
      // Limits given now win over the ones saved, and are saved in their turn.
      ...(uploadLimit !== undefined ? { uploadLimit } : {}),
      ...(downloadLimit !== undefined ? { downloadLimit } : {}),
      // Said once, kept with the session like the limits.
      ...(lsd !== undefined ? { lsd } : {}),
      ...(dht ? { dht } : {}),
      ...(encryption ? { encryption } : {}),
      ...(ipFilter ? { ipFilter } : {}),
      torrentDefaults: {
        ...(ca ? { announcer: { ca } } : {}),
        ...(values["no-pex"] ? { pex: false } : {}),
      },
      persist: true,
      lock: true,
    });
    // A daemon holds this data dir: attach to it (the local one, as `shoal ls` finds it).
    const client = await started.catch(async (err) => {
      if (!(err instanceof DataDirLockedError)) throw err;
      const daemon = daemonOf();
      try {
        await daemon.request("GET", "/session");
      } catch (e) {
        // No daemon answers: the lock's holder is another shell or a get.
        const code = (e as { code?: string }).code;
        throw code === "no_daemon" || code === "unreachable" ? err : e;
      }
      return daemon;
    });
    if (client instanceof DaemonClient) {
      return runAttachedShell({
        daemon: client,
        io,
        tracker,
        publishToken,
        historyFile: historyPath(dataDir),
        reason: `${dataDir} is the daemon's`,
      });
    }
    if (lsd && !client.localDiscovery) io.stderr.write(`${LSD_UNAVAILABLE}\n`);
    let shell: Shell;
    try {
      const api = new ShoalApi(client, {
        ...(tracker ? { tracker: tracker.announce } : {}),
        ...((values.token ?? io.env.SHOAL_PUBLISH_TOKEN)
          ? { publishToken: values.token ?? io.env.SHOAL_PUBLISH_TOKEN }
          : {}),
      });
      const input = io.stdin ?? process.stdin;
      const interactive = Boolean(input.isTTY && io.stdout.isTTY);
      shell = new Shell({
        ctx: { api, cwd: io.cwd, downloadDir, tracker, index: [] },
        input,
        output: io.stdout,
        errors: io.stderr,
        interactive,
        listenHost: values.host,
        historyFile: historyPath(dataDir),
        close: () => client.close(),
      });
      const { restored, warnings } = await client.restore();
      for (const w of warnings) io.stderr.write(`warning: ${printable(w)}\n`);
      if (interactive) {
        const view = api.client();
        io.stdout.write(
          `shoal shell — peer ${displayPeerId(client.peerId)}, listening on port ${view.port}\n` +
            `tracker: ${tracker?.announce ?? "(none: pass --tracker)"}; ` +
            `limits ↑ ${formatLimit(view.limits.upload)} ↓ ${formatLimit(view.limits.download)}\n` +
            (restored.length > 0
              ? `${restored.length} torrent${restored.length === 1 ? "" : "s"} from the last session (see 'show progress')\n`
              : "") +
            `type 'help' for the commands, 'quit' to leave\n`,
        );
      }
    } catch (err) {
      await client.close();
      throw err;
    }
    return shell.run();
  },
};
