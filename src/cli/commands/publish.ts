/** `shoal publish`: uploads a .torrent to a shoal tracker's index. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseMetainfo } from "../../metainfo/index.ts";
import { printable } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { onePositional } from "../options.ts";
import { trustTrackerCa } from "../tracker-ca-option.ts";
import { resolveTracker } from "../tracker-discovery.ts";
import { publishTorrent, trackerPasskey } from "./tracker-client.ts";

const HELP = `Usage: shoal publish <file.torrent> [--tracker <url> | auto[:NAME]] [--token <token>] [--passkey <key>] [--tracker-ca <file>] [--json]

Uploads a .torrent file to a shoal tracker's torrent index (POST /torrents),
so the tracker lists it and, in --registered-only mode, tracks it. The file is
checked here first; the tracker keeps its exact bytes, so the info hash never
changes. Prints the info hash and a magnet link.

Options:
  --tracker <url>   the tracker's announce URL or base URL; 'auto' (or no
                    --tracker) finds it on the local network, 'auto:NAME' the
                    one of that name (see 'shoal tracker find')
  --token <token>   the tracker's publish token (or set SHOAL_PUBLISH_TOKEN)
  --passkey <key>   on a private tracker (--private), publish as the member of
                    this passkey, who needs the publish right; a member's own
                    announce URL (…/announce/<passkey>) as --tracker carries it
  --tracker-ca <file>
                    trust these certificates (PEM) for an https tracker
  --json            print the tracker's JSON answer

Examples:
  shoal publish ubuntu.iso.torrent --tracker http://127.0.0.1:6969/announce --token s3cret
  shoal publish notes.torrent --tracker http://127.0.0.1:6969/announce/<your passkey>
`;

export const publishCommand: Command = {
  name: "publish",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        tracker: { type: "string" },
        url: { type: "string" },
        token: { type: "string" },
        passkey: { type: "string" },
        "tracker-ca": { type: "string" },
        json: { type: "boolean" },
      },
    });
    const file = resolve(io.cwd, onePositional(positionals, ".torrent file"));
    const bytes = await readFile(file);
    parseMetainfo(bytes); // a clear local error beats a round trip
    await trustTrackerCa(values["tracker-ca"], io);
    const { base, announce } = await resolveTracker(values.tracker ?? values.url, io, "publish");
    const token = values.token ?? io.env.SHOAL_PUBLISH_TOKEN;
    const t = await publishTorrent(base, bytes, token, values.passkey ?? trackerPasskey(announce));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(`${t.created ? "published" : "already published"}: ${printable(t.name)}\n`);
    io.stdout.write(`info hash: ${printable(t.infoHash)}\n`);
    io.stdout.write(`magnet:    ${printable(t.magnet)}\n`);
    return 0;
  },
};
