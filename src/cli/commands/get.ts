/** `shoal get`: downloads a torrent, then exits (or keeps seeding with --seed). */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatBytes } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { onePositional } from "../options.ts";
import {
  runTransfer,
  startTransfer,
  TRANSFER_HELP,
  TRANSFER_OPTIONS,
  transferUi,
  whenComplete,
} from "../transfer.ts";

const HELP = `Usage: shoal get <file.torrent> [-o dir] [options]

Downloads the torrent's files into a folder (the current one by default),
verifying every piece. Exits 0 when complete, or keeps seeding with --seed.
Ctrl-C stops gracefully (trackers told, resume data saved); run the same
command again to resume.

Options:
  -o, --output <dir>          download folder (default: current folder)
      --seed                  keep seeding after the download completes
${TRANSFER_HELP}
Example:
  shoal get ubuntu.torrent -o ~/Downloads --upload-limit 1MB
`;

export const getCommand: Command = {
  name: "get",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...TRANSFER_OPTIONS,
        output: { type: "string", short: "o" },
        seed: { type: "boolean" },
      },
    });
    const torrentPath = onePositional(positionals, ".torrent file");
    const downloadDir = resolve(io.cwd, values.output ?? ".");
    const ui = transferUi(values);
    const { client, torrent } = await startTransfer(values, torrentPath, downloadDir, io);
    const quiet = ui.quiet;
    const started = performance.now();
    if (!quiet) {
      io.stderr.write(
        `${torrent.meta.name}: ${formatBytes(torrent.meta.totalLength)}, ${torrent.meta.pieceCount} pieces; ` +
          `listening on port ${client.port}\n`,
      );
    }
    const until = values.seed ? new Promise<void>(() => {}) : whenComplete(torrent);
    // Said as soon as every piece is verified and written; closing (the
    // stopped announce, flushing the files for the resume data) follows.
    const completeLine = () =>
      `${torrent.meta.name}: complete, ${formatBytes(torrent.meta.totalLength)} in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s → ${resolve(downloadDir, torrent.meta.name)}`;
    const outcome = await runTransfer(client, torrent, io, ui, until, completeLine);
    if (outcome === "interrupted") return torrent.complete ? 0 : 130;
    return 0;
  },
};
