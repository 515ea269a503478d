/**
 * The DHT's switches on `get`, `seed` and `shell` (BEP 5): on by default,
 * contacting only the nodes the user names with --dht-bootstrap (none is
 * built in, DESIGN.md), those a torrent lists and those peers tell of;
 * --no-dht turns it off; --dht-enforce-node-id turns on BEP 42's check,
 * --dht-read-only BEP 43's read-only mode.
 */
import type { ClientDhtOptions } from "../session/index.ts";
import { UsageError } from "./io.ts";

export const DHT_OPTIONS = {
  "dht-bootstrap": { type: "string", multiple: true },
  "no-dht": { type: "boolean" },
  "dht-enforce-node-id": { type: "boolean" },
  "dht-read-only": { type: "boolean" },
} as const;

export const DHT_HELP = `      --dht-bootstrap <host:port>
                              join the DHT through this node (may repeat; none
                              is built in: name your own, e.g. a \`shoal dht\`)
      --no-dht                no DHT (default on for public torrents; it contacts
                              only nodes named here, in the torrent or by peers)
      --dht-enforce-node-id   BEP 42: keep out of the table DHT nodes whose id
                              does not fit their public address
      --dht-read-only         BEP 43: look up and announce, answer no DHT queries
                              (behind a restrictive network)
`;

/** host:port or [v6]:port, as a `flag` value. */
export function endpointOption(flag: string, text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${flag}: '${text}' is not host:port`);
  }
  return { host: m[1]!, port };
}

/** The Client's `dht` option from the flags; undefined with --no-dht. */
export function dhtClientOption(values: {
  "dht-bootstrap"?: string[];
  "no-dht"?: boolean;
  "dht-enforce-node-id"?: boolean;
  "dht-read-only"?: boolean;
}): ClientDhtOptions | undefined {
  const bootstrap = (values["dht-bootstrap"] ?? []).map((t) =>
    endpointOption("--dht-bootstrap", t),
  );
  if (values["no-dht"]) {
    if (bootstrap.length) throw new UsageError("--dht-bootstrap and --no-dht contradict");
    for (const flag of ["dht-enforce-node-id", "dht-read-only"] as const) {
      if (values[flag]) throw new UsageError(`--${flag} and --no-dht contradict`);
    }
    return undefined;
  }
  return {
    bootstrap,
    ...(values["dht-enforce-node-id"] ? { enforceNodeId: true } : {}),
    ...(values["dht-read-only"] ? { readOnly: true } : {}),
  };
}
