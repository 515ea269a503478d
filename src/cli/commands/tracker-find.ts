/** `shoal tracker find`: the trackers advertised on the local network (DNS-SD over mDNS). */
import { parseArgs } from "node:util";
import { type CliIO, UsageError } from "../io.ts";
import { intOption } from "../options.ts";
import { findTrackers } from "../tracker-discovery.ts";
import { formatTable } from "./tracker-client.ts";

/** Seconds a find may be asked to wait (the browser caps it at 30 s too). */
const MAX_FIND_SECONDS = 30;

export async function findCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { json: { type: "boolean" }, timeout: { type: "string" } },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const seconds =
    values.timeout === undefined
      ? undefined
      : intOption("--timeout", values.timeout, 2, 1, MAX_FIND_SECONDS);
  const found = await findTrackers(io, seconds === undefined ? undefined : seconds * 1000);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    return found.length > 0 ? 0 : 1;
  }
  if (found.length === 0) {
    io.stdout.write(
      "no tracker answered on the local network (is one running with --advertise?)\n",
    );
    return 1;
  }
  const rows = found.map((t) => [t.name, t.announce, t.udp ?? "-", t.index ?? "-"]);
  io.stdout.write(formatTable(["NAME", "ANNOUNCE", "UDP", "INDEX"], rows));
  return 0;
}
