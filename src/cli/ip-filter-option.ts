/**
 * `--ip-filter <file|url>`: a block list (eMule DAT or PeerGuardian P2P, plain
 * or gzipped) read from a file or fetched from an http(s) URL the user named,
 * every failure one line.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { IpFilter, MAX_FILTER_BYTES } from "../net/index.ts";
import type { CliIO } from "./io.ts";
import { UsageError } from "./io.ts";

const FETCH_TIMEOUT_MS = 60_000;

export const IP_FILTER_HELP = `      --ip-filter <file|url>  refuse peers on this block list (eMule .dat or
                              PeerGuardian .p2p, gzipped or not), both ways
`;

export async function ipFilterOption(
  source: string | undefined,
  io: CliIO,
): Promise<IpFilter | undefined> {
  if (source === undefined) return undefined;
  let bytes: Uint8Array;
  try {
    if (/^https?:\/\//i.test(source)) {
      const reply = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
      const length = Number(reply.headers.get("content-length") ?? 0);
      if (length > MAX_FILTER_BYTES) throw new Error("the list is too large");
      bytes = new Uint8Array(await reply.arrayBuffer());
    } else {
      bytes = await readFile(resolve(io.cwd, source));
    }
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`--ip-filter: cannot read ${source} (${why})`);
  }
  try {
    const { filter, ranges, invalid } = IpFilter.parse(bytes);
    if (ranges === 0) throw new UsageError(`--ip-filter: ${source} holds no address range`);
    if (invalid > 0) {
      io.stderr.write(`ip filter: ${invalid} line(s) of ${source} are not ranges, skipped\n`);
    }
    return filter;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--ip-filter: ${(err as Error).message}`);
  }
}
