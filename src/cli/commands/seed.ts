/** `shoal seed`: verifies a torrent's data in a folder and seeds it until Ctrl-C. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { printable, ShoalError } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../io.ts";
import {
  runTransfer,
  startTransfer,
  stoppedError,
  TRANSFER_HELP,
  TRANSFER_OPTIONS,
  transferUi,
} from "../transfer.ts";

const HELP = `Usage: shoal seed <file.torrent> <dir> [options]

Seeds a torrent whose content is in <dir>, as a download folder holds it:
<dir>/<name> is the file of a single-file torrent, or the torrent's folder.
The data is verified first (or trusted from resume data when unchanged).
Runs until Ctrl-C.

Options:
${TRANSFER_HELP}
Example:
  shoal seed album.torrent ~/Music --port 51413
`;

export const seedCommand: Command = {
  name: "seed",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: TRANSFER_OPTIONS,
    });
    if (positionals.length !== 2) {
      throw new UsageError("expected a .torrent file and the folder that holds its content");
    }
    const [torrentPath, dir] = positionals as [string, string];
    const ui = transferUi(values);
    const transfer = await startTransfer(values, torrentPath, resolve(io.cwd, dir), io);
    const { api, infoHash } = transfer;
    const s = api.get(infoHash);
    if (s.piecesHave === 0) {
      await transfer.close();
      throw new ShoalError(
        "no_data",
        `none of '${s.name}' is in ${resolve(io.cwd, dir)} (expected ${resolve(io.cwd, dir, s.name)})`,
      );
    }
    if (s.left > 0) {
      io.stderr.write(
        `warning: only ${s.piecesHave} of ${s.pieceCount} pieces verified; seeding those and downloading the rest\n`,
      );
    }
    io.stdout.write(`seeding ${printable(s.name)} (${s.infoHash}) on port ${api.client().port}\n`);
    const { outcome, last } = await runTransfer(transfer, io, ui, new Promise<void>(() => {}));
    if (outcome === "failed") throw stoppedError(last);
    return 0;
  },
};
