/**
 * The CLI as a client of the daemon: `shoal add`, `ls`, `pause`, `resume`,
 * `rm`, `files`, `peers`, `limit`. Each is a few lines over the daemon's
 * HTTP API (daemon-client.ts); `--json` prints what the daemon answered.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import type { FileView, PeerView, TorrentSummary } from "../../api/index.ts";
import { formatBytes, printable } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { DaemonClient, REMOTE_HELP, REMOTE_OPTIONS } from "../daemon-client.ts";
import { formatLimit, formatPercent, formatRate } from "../format.ts";
import type { CliIO } from "../io.ts";
import { UsageError } from "../io.ts";
import { commaList, rateOption } from "../options.ts";
import { formatTable } from "./tracker-client.ts";

function parse<O extends ParseArgsOptionsConfig>(args: string[], extra: O) {
  const options = { ...REMOTE_OPTIONS, ...extra } as typeof REMOTE_OPTIONS & O;
  return parseArgs({ args, allowPositionals: true, strict: true, options });
}

function print(io: CliIO, json: boolean | undefined, value: unknown, text: () => string): number {
  io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text());
  return 0;
}

const enc = encodeURIComponent;

export const addCommand: Command = {
  name: "add",
  help: `Usage: shoal add <file.torrent | magnet:?… | http(s)://…/x.torrent>… [options]

Adds torrents to the daemon: a .torrent file here is uploaded, a magnet link
or a URL is passed on (the daemon fetches the URL).

Options:
      --paused                add without starting
      --pause-after-metadata  a magnet link: fetch its metadata, then pause
                              (choose its files, then resume); kept by the
                              daemon across restarts
      --download-dir <dir>    where its files go on the daemon's machine
${REMOTE_HELP}
Example:
  shoal add album.torrent 'magnet:?xt=urn:btih:…' --download-dir /srv/music
  shoal add 'magnet:?xt=urn:btih:…' --pause-after-metadata
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      paused: { type: "boolean" },
      "pause-after-metadata": { type: "boolean" },
      "download-dir": { type: "string" },
    } as const);
    if (positionals.length === 0)
      throw new UsageError("missing a .torrent file, magnet link or URL");
    const client = new DaemonClient(values, io.env);
    const added: TorrentSummary[] = [];
    for (const source of positionals) {
      const opts: Record<string, unknown> = {};
      if (values.paused) opts.paused = true;
      if (values["pause-after-metadata"]) opts.pauseAfterMetadata = true;
      if (values["download-dir"]) opts.downloadDir = values["download-dir"];
      let s: TorrentSummary;
      if (source.startsWith("magnet:")) {
        s = await client.request("POST", "/torrents", { json: { magnet: source, ...opts } });
      } else if (/^https?:\/\//i.test(source)) {
        s = await client.request("POST", "/torrents", { json: { url: source, ...opts } });
      } else {
        const bytes = await readFile(resolve(io.cwd, source));
        s = await client.request("POST", "/torrents", {
          json: { torrent: bytes.toString("base64"), ...opts },
        });
      }
      added.push(s);
    }
    return print(io, values.json, added, () =>
      added
        .map(
          (s) => `added [${s.id}] ${printable(s.name)} (${s.infoHash.slice(0, 12)}…, ${s.state})\n`,
        )
        .join(""),
    );
  },
};

export const lsCommand: Command = {
  name: "ls",
  help: `Usage: shoal ls [options]

Lists the daemon's torrents: id, state, progress, size, rates, peers, name.

Options:
${REMOTE_HELP}
Example:
  shoal ls --remote http://127.0.0.1:9091
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const list = await new DaemonClient(values, io.env).request<TorrentSummary[]>(
      "GET",
      "/torrents",
    );
    return print(io, values.json, list, () =>
      list.length === 0
        ? "the daemon has no torrents\n"
        : formatTable(
            ["ID", "STATE", "DONE", "SIZE", "DOWN", "UP", "PEERS", "NAME"],
            list.map((s) => [
              String(s.id),
              s.state,
              formatPercent(s.progress),
              formatBytes(s.size),
              formatRate(s.downloadRate),
              formatRate(s.uploadRate),
              String(s.peers),
              printable(s.name),
            ]),
          ),
    );
  },
};

/** pause, resume, rm: one operation on each torrent named. */
function torrentOperation(
  name: string,
  summary: string,
  verb: string,
  call: (c: DaemonClient, ref: string, deleteData: boolean) => Promise<TorrentSummary>,
): Command {
  const rm = name === "rm";
  return {
    name,
    help: `Usage: shoal ${name} <id | info-hash prefix>… [options]

${summary}

Options:
${rm ? "      --delete-data           delete its files too\n" : ""}${REMOTE_HELP}
Example:
  shoal ${name} 1 3fa2
`,
    async run(args, io) {
      const { values, positionals } = parse(args, {
        "delete-data": { type: "boolean" },
      } as const);
      if (!rm && values["delete-data"]) throw new UsageError("--delete-data is for rm");
      if (positionals.length === 0) throw new UsageError("missing a torrent's id");
      const client = new DaemonClient(values, io.env);
      const done: TorrentSummary[] = [];
      for (const ref of positionals)
        done.push(await call(client, ref, values["delete-data"] === true));
      return print(io, values.json, done, () =>
        done.map((s) => `${verb} [${s.id}] ${printable(s.name)}\n`).join(""),
      );
    },
  };
}

export const pauseCommand = torrentOperation(
  "pause",
  "Pauses torrents of the daemon (they stay paused across restarts).",
  "paused",
  (c, ref) => c.request("POST", `/torrents/${enc(ref)}/pause`),
);
export const resumeCommand = torrentOperation(
  "resume",
  "Resumes paused torrents of the daemon.",
  "resumed",
  (c, ref) => c.request("POST", `/torrents/${enc(ref)}/resume`),
);
export const rmCommand = torrentOperation(
  "rm",
  "Removes torrents from the daemon; their files stay unless --delete-data.",
  "removed",
  (c, ref, deleteData) =>
    c.request("DELETE", `/torrents/${enc(ref)}${deleteData ? "?deleteData=true" : ""}`),
);

export const filesCommand: Command = {
  name: "files",
  help: `Usage: shoal files <id> [--skip i,j] [--want i,j] [options]

Lists a torrent's files (index, priority, progress, size, path); selects
which to download with --skip and --want (file indices).

Options:
      --skip <i,j>            do not download these files
      --want <i,j>            download these files again
${REMOTE_HELP}
Example:
  shoal files 2 --skip 0,3
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      skip: { type: "string", multiple: true },
      want: { type: "string", multiple: true },
    } as const);
    if (positionals.length !== 1) throw new UsageError("give one torrent's id");
    const client = new DaemonClient(values, io.env);
    const ref = enc(positionals[0]!);
    const indices = (list: string[] | undefined) =>
      commaList(list).map((t) => {
        const n = Number(t);
        if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`'${t}' is not a file index`);
        return n;
      });
    const skip = indices(values.skip as string[] | undefined);
    const want = indices(values.want as string[] | undefined);
    if (skip.length > 0)
      await client.request("PUT", `/torrents/${ref}/files`, {
        json: { indices: skip, wanted: false },
      });
    if (want.length > 0)
      await client.request("PUT", `/torrents/${ref}/files`, {
        json: { indices: want, wanted: true },
      });
    const files = await client.request<FileView[]>("GET", `/torrents/${ref}/files`);
    return print(io, values.json, files, () =>
      formatTable(
        ["#", "PRIORITY", "DONE", "SIZE", "PATH"],
        files.map((f) => [
          String(f.index),
          f.priority,
          formatPercent(f.progress),
          formatBytes(f.length),
          printable(f.path),
        ]),
      ),
    );
  },
};

export const peersCommand: Command = {
  name: "peers",
  help: `Usage: shoal peers <id> [options]

Lists a torrent's connected peers: address, client, progress, rates, source.

Options:
${REMOTE_HELP}
Example:
  shoal peers 1
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError("give one torrent's id");
    const peers = await new DaemonClient(values, io.env).request<PeerView[]>(
      "GET",
      `/torrents/${enc(positionals[0]!)}/peers`,
    );
    return print(io, values.json, peers, () =>
      peers.length === 0
        ? "no peers connected\n"
        : formatTable(
            ["ADDRESS", "CLIENT", "HAS", "DOWN", "UP", "SOURCE"],
            peers.map((p) => [
              p.address,
              printable(p.client ?? "?"),
              formatPercent(p.progress),
              formatRate(p.downloadRate),
              formatRate(p.uploadRate),
              p.source,
            ]),
          ),
    );
  },
};

export const limitCommand: Command = {
  name: "limit",
  help: `Usage: shoal limit [<id>] [--upload <rate>] [--download <rate>] [options]

Shows or sets the daemon's global rate limits, or one torrent's own with its
id. Rates in bytes/s: 2MB, 512KiB; 0 for none.

Options:
      --upload <rate>         most bytes/s to upload
      --download <rate>       most bytes/s to download
${REMOTE_HELP}
Example:
  shoal limit --upload 1MB --download 0
  shoal limit 3 --download 200KiB
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      upload: { type: "string" },
      download: { type: "string" },
    } as const);
    if (positionals.length > 1) throw new UsageError("give at most one torrent's id");
    const limits: { upload?: number; download?: number } = {};
    if (values.upload !== undefined)
      limits.upload = rateOption("--upload", values.upload as string);
    if (values.download !== undefined)
      limits.download = rateOption("--download", values.download as string);
    const client = new DaemonClient(values, io.env);
    const ref = positionals[0];
    let now: { upload: number; download: number };
    if (ref !== undefined) {
      const path = `/torrents/${enc(ref)}`;
      const s =
        Object.keys(limits).length > 0
          ? await client.request<TorrentSummary>("PUT", `${path}/limits`, { json: limits })
          : await client.request<TorrentSummary>("GET", path);
      now = s.limits;
    } else {
      const settings =
        Object.keys(limits).length > 0
          ? await client.request<{ limits: typeof now }>("PUT", "/session/settings", {
              json: { limits },
            })
          : await client.request<{ limits: typeof now }>("GET", "/session/settings");
      now = settings.limits;
    }
    return print(
      io,
      values.json,
      now,
      () =>
        `${ref === undefined ? "global" : `torrent ${ref}`}: ↑ ${formatLimit(now.upload)} ↓ ${formatLimit(now.download)}\n`,
    );
  },
};
