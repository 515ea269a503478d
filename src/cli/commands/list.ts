/** `shoal list`: what a shoal tracker's index offers. */
import { parseArgs } from "node:util";
import { formatBytes } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../io.ts";
import { trustTrackerCa } from "../tracker-ca-option.ts";
import { resolveTracker } from "../tracker-discovery.ts";
import { fetchIndex, formatTable, trackerPasskey } from "./tracker-client.ts";

const HELP = `Usage: shoal list [--tracker <url> | auto[:NAME]] [--passkey <key>] [--tracker-ca <file>] [--json]

Lists the torrents published to a shoal tracker's index (GET /torrents): name,
size, files, seeders, leechers, completed downloads and info hash.

Options:
  --tracker <url>   the tracker's announce URL or base URL; 'auto' (or no
                    --tracker) finds it on the local network, 'auto:NAME' the
                    one of that name (see 'shoal tracker find')
  --passkey <key>   on a private tracker (--private), list as the member of
                    this passkey; a member's own announce URL
                    (…/announce/<passkey>) as --tracker carries it
  --tracker-ca <file>
                    trust these certificates (PEM) for an https tracker
  --json            print the tracker's JSON (with magnet links)

Example:
  shoal list --tracker http://127.0.0.1:6969/announce
  shoal list --tracker auto:lab
`;

export const listCommand: Command = {
  name: "list",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        tracker: { type: "string" },
        url: { type: "string" },
        passkey: { type: "string" },
        "tracker-ca": { type: "string" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    await trustTrackerCa(values["tracker-ca"], io);
    const { base, announce } = await resolveTracker(values.tracker ?? values.url, io, "list");
    const list = await fetchIndex(base, values.passkey ?? trackerPasskey(announce));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    if (list.length === 0) {
      io.stdout.write("the tracker offers no torrents\n");
      return 0;
    }
    const rows = list.map((t) => [
      t.name,
      formatBytes(t.size),
      String(t.files),
      String(t.seeders),
      String(t.leechers),
      String(t.completed),
      t.infoHash,
    ]);
    io.stdout.write(
      formatTable(["NAME", "SIZE", "FILES", "SEEDERS", "LEECHERS", "COMPLETED", "INFO HASH"], rows),
    );
    return 0;
  },
};
