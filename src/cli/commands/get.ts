/** `shoal get`: downloads a torrent, then exits (or keeps seeding with --seed). */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatBytes, printable } from "../../util/index.ts";
import type { Command } from "../command.ts";
import { fileIndexList } from "../file-selection.ts";
import { onePositional } from "../options.ts";
import {
  runTransfer,
  startTransfer,
  stoppedError,
  TRANSFER_HELP,
  TRANSFER_OPTIONS,
  transferUi,
} from "../transfer.ts";

const HELP = `Usage: shoal get <file.torrent | magnet:?…> [-o dir] [options]

Downloads the torrent's files into a folder (the current one by default),
verifying every piece. Exits 0 when complete, or keeps seeding with --seed.
Ctrl-C stops gracefully (trackers told, resume data saved); run the same
command again to resume.

A magnet link (BEP 9; its info hash in hex or base32) needs no .torrent:
the info dictionary is fetched from the peers of its trackers (tr=, every
one), its x.pe= addresses and --peer, and checked against the info hash;
dn= is shown until the real name is known.

Options:
  -o, --output <dir>          download folder (default: current folder)
      --seed                  keep seeding after the download completes
      --only <list>           download only these files, by index as \`shoal info\`
                              lists them (0,2,5-7); the others are not created
      --sequential            fetch pieces in order (to watch or listen while
                              it downloads)
      --first-last            fetch each file's first and last piece first
${TRANSFER_HELP}
Examples:
  shoal get ubuntu.torrent -o ~/Downloads --upload-limit 1MB
  shoal get album.torrent --only 0,3-5
  shoal get 'magnet:?xt=urn:btih:…&dn=ubuntu.iso&tr=http%3A%2F%2Ftracker.lan%3A8000%2Fannounce'
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
        only: { type: "string" },
        sequential: { type: "boolean" },
        "first-last": { type: "boolean" },
      },
    });
    const torrentPath = onePositional(positionals, ".torrent file or magnet link");
    const downloadDir = resolve(io.cwd, values.output ?? ".");
    const ui = transferUi(values);
    const only = values.only === undefined ? undefined : fileIndexList("--only", values.only);
    const transfer = await startTransfer(values, torrentPath, downloadDir, io, {
      ...(only ? { only } : {}),
      ...(values.sequential ? { sequential: true } : {}),
      ...(values["first-last"] ? { firstLastPiece: true } : {}),
    });
    const { api, infoHash } = transfer;
    const quiet = ui.quiet;
    const started = performance.now();
    // What this run has to fetch: a resumed download already has the rest.
    // A magnet link's torrent learns it (and its size) with the metadata.
    let missingAtStart = 0;
    const describe = () => {
      const s = api.get(infoHash);
      missingAtStart = s.leftWanted;
      const skippedFiles = api.files(infoHash).filter((f) => !f.wanted && !f.padding).length;
      const skipped =
        skippedFiles > 0
          ? ` (${formatBytes(s.sizeWanted)} wanted, ${skippedFiles} file${skippedFiles === 1 ? "" : "s"} skipped)`
          : "";
      if (!quiet) {
        io.stderr.write(
          `${printable(s.name)}: ${formatBytes(s.size)}${skipped}, ${s.pieceCount} pieces; ` +
            `listening on port ${api.client().port}\n`,
        );
      }
    };
    const atStart = api.get(infoHash);
    let metadataSeen: Promise<void> = Promise.resolve();
    if (atStart.hasMetadata) describe();
    else {
      if (!quiet) {
        io.stderr.write(
          `${printable(atStart.name)}: fetching metadata (magnet link); ` +
            `listening on port ${api.client().port}\n`,
        );
      }
      metadataSeen = new Promise<void>((done) => {
        let seen = false;
        const seeMetadata = () => {
          if (seen) return;
          seen = true;
          stop();
          describe();
          done();
        };
        const stop = api.subscribe((e) => e.infoHash === infoHash && seeMetadata(), {
          types: ["metadata"],
        });
        // It may have come while the subscription was being made.
        if (api.get(infoHash).hasMetadata) seeMetadata();
      });
    }
    const until = values.seed
      ? new Promise<void>(() => {})
      : api.whenComplete(infoHash).then(() => metadataSeen);
    // Said as soon as every piece is verified and written; closing (the
    // stopped announce, flushing the files for the resume data) follows.
    const completeLine = () => {
      const s = api.get(infoHash);
      return (
        `${printable(s.name)}: complete, ` +
        completeSummary(s.sizeWanted, missingAtStart, (performance.now() - started) / 1000) +
        ` → ${printable(resolve(downloadDir, s.name))}`
      );
    };
    const { outcome, last } = await runTransfer(transfer, io, ui, until, completeLine);
    if (outcome === "failed") throw stoppedError(last);
    if (outcome === "interrupted") return last.hasMetadata && last.leftWanted === 0 ? 0 : 130;
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
