/** `shoal get`: downloads a torrent, then exits (or keeps seeding with --seed). */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatBytes, printable } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { onePositional } from "../options.ts";
import {
  runTransfer,
  startTransfer,
  stoppedError,
  TRANSFER_HELP,
  TRANSFER_OPTIONS,
  transferUi,
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
    const transfer = await startTransfer(values, torrentPath, downloadDir, io);
    const { api, infoHash } = transfer;
    const quiet = ui.quiet;
    const started = performance.now();
    const atStart = api.get(infoHash);
    // What this run has to fetch: a resumed download already has the rest.
    const missingAtStart = atStart.left;
    if (!quiet) {
      io.stderr.write(
        `${printable(atStart.name)}: ${formatBytes(atStart.size)}, ${atStart.pieceCount} pieces; ` +
          `listening on port ${api.client().port}\n`,
      );
    }
    const until = values.seed
      ? new Promise<void>(() => {})
      : api.whenComplete(infoHash).then(() => {});
    // Said as soon as every piece is verified and written; closing (the
    // stopped announce, flushing the files for the resume data) follows.
    const completeLine = () =>
      `${printable(atStart.name)}: complete, ` +
      completeSummary(atStart.size, missingAtStart, (performance.now() - started) / 1000) +
      ` → ${printable(resolve(downloadDir, atStart.name))}`;
    const { outcome, last } = await runTransfer(transfer, io, ui, until, completeLine);
    if (outcome === "failed") throw stoppedError(last);
    if (outcome === "interrupted") return last.hasMetadata && last.left === 0 ? 0 : 130;
    return 0;
  },
};

/**
 * What this run did: `1.00 MiB in 3.2 s`; for a resumed download only the
 * bytes fetched now count, and what was here already is said apart.
 */
export function completeSummary(total: number, missingAtStart: number, seconds: number): string {
  if (missingAtStart === 0) return `all ${formatBytes(total)} was here already`;
  const fetched = `${formatBytes(missingAtStart)} in ${seconds.toFixed(1)} s`;
  if (missingAtStart >= total) return fetched;
  return `${fetched} (${formatBytes(total - missingAtStart)} of ${formatBytes(total)} was here already)`;
}
