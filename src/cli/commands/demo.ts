/** `shoal demo` (what `npm start` runs): a tracker, a seeder and leechers on loopback. */
import { parseArgs } from "node:util";
import type { Command } from "../command.ts";
import { runDemo } from "../demo.ts";
import { UsageError } from "../io.ts";
import { intOption, rateOption, sizeOption } from "../options.ts";
import { refreshOption, uiOption } from "../transfer.ts";

const HELP = `Usage: shoal demo [--size <bytes>] [--leechers <n>] [options]

Runs a whole swarm in this process, on 127.0.0.1 only: a tracker with its
torrent index (in a temporary folder), one seeder of a generated file, and
leechers that fetch the .torrent from the index and download it. Upload
limits make the leechers trade pieces among themselves. A live console shows
the swarm (plain lines when stdout is not a terminal); a closing table shows
each leecher's time, the bytes it got from the seeder and from other
leechers, and that its copy hashes to the original. Everything is removed at
the end. Exits 0 when every copy matches, 1 otherwise or on --timeout.

Options:
      --size <bytes>            size of the generated file (default 64MiB)
      --leechers <n>            how many leechers (default 4, at most 16)
      --seeder-upload <rate>    the seeder's upload limit (default 4MB; 0 = none)
      --leecher-upload <rate>   each leecher's upload limit (default 2MB)
      --slots <n>               upload slots per client (default 3: one of four is choked)
      --timeout <seconds>       give up after this long (default 300)
      --ui live|plain           live console (default on a terminal) or plain lines
      --refresh <seconds>       seconds between plain lines (default 5)

Example:
  shoal demo --size 16MiB --leechers 3
`;

export const demoCommand: Command = {
  name: "demo",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        size: { type: "string" },
        leechers: { type: "string" },
        "seeder-upload": { type: "string" },
        "leecher-upload": { type: "string" },
        slots: { type: "string" },
        timeout: { type: "string" },
        ui: { type: "string" },
        refresh: { type: "string" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const size = sizeOption("--size", values.size ?? "64MiB");
    if (size < 1 || size > 4 * 1024 ** 3) {
      throw new UsageError(`--size: '${values.size}' must be from 1 byte to 4 GiB`);
    }
    return runDemo(
      {
        size,
        leechers: intOption("--leechers", values.leechers, 4, 1, 16),
        seederUpload: rateOption("--seeder-upload", values["seeder-upload"] ?? "4MB"),
        leecherUpload: rateOption("--leecher-upload", values["leecher-upload"] ?? "2MB"),
        slots: intOption("--slots", values.slots, 3, 1, 50),
        timeoutMs: intOption("--timeout", values.timeout, 300, 1, 86_400) * 1000,
        ui: values.ui === undefined ? "live" : uiOption(values.ui),
        refresh: refreshOption(values.refresh),
      },
      io,
    );
  },
};
