/**
 * `shoal dht`: a standalone DHT node (BEP 5), e.g. the bootstrap node of a
 * LAN or a lab. It prints its id and address, then its table size and
 * counters every --interval seconds, until Ctrl-C. It joins through the
 * nodes named with --bootstrap (or the config file's "bootstrap" key): no
 * node is built in (DESIGN.md).
 */
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DhtNode, type DhtStats, type Endpoint } from "../../dht/index.ts";
import { nodeUdp } from "../../net/index.ts";
import type { Command } from "../command.ts";
import { endpointOption } from "../dht-options.ts";
import { UsageError } from "../io.ts";
import { intOption } from "../options.ts";

const HELP = `Usage: shoal dht [--host <addr>] [--port <n>] [--bootstrap <host:port>]... [options]

Runs a DHT node (BEP 5) on its own: other shoal sessions (and libtorrent,
Transmission...) can join the DHT through it. Prints its id and address,
then its table and counters every --interval seconds; Ctrl-C stops it.
No bootstrap node is built in: name the nodes to join through.

Options:
      --host <addr>              IPv4 address to listen on (default all)
      --port <n>                 UDP port (default 6881; 0 picks a free one)
      --bootstrap <host:port>    join through this node (may repeat)
      --config <file.json>       {"host": ..., "port": ..., "bootstrap": ["host:port", ...],
                                 "enforce-node-id": true};
                                 flags win over the file
      --interval <seconds>       how often the counters are printed (default 10)
      --read-only                BEP 43: look nodes up, answer no queries
      --enforce-node-id          BEP 42: keep out of the table nodes whose id does
                                 not fit their public address (also spelled
                                 --dht-enforce-node-id, as on get/seed/shell/daemon)

Example:
  shoal dht --port 6881                                   # the LAN's first node
  shoal dht --port 6882 --bootstrap 192.168.1.10:6881     # another one
  shoal get file.torrent --dht-bootstrap 192.168.1.10:6881
`;

interface DhtConfig {
  host?: string;
  port?: number;
  bootstrap?: string[];
  "enforce-node-id"?: boolean;
}

const CONFIG_KEYS = ["host", "port", "bootstrap", "enforce-node-id"];

async function readConfig(path: string): Promise<DhtConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UsageError(`--config: cannot read ${path}: ${(err as Error).message}`);
  }
  const c = parsed as Record<string, unknown>;
  if (typeof c !== "object" || c === null || Array.isArray(c)) {
    throw new UsageError(`--config: ${path} is not a JSON object`);
  }
  for (const key of Object.keys(c)) {
    if (!CONFIG_KEYS.includes(key)) {
      throw new UsageError(`--config: unknown key '${key}' (keys: ${CONFIG_KEYS.join(", ")})`);
    }
  }
  if (c.host !== undefined && typeof c.host !== "string")
    throw new UsageError("--config: 'host' is not a string");
  if (c.port !== undefined && !Number.isInteger(c.port))
    throw new UsageError("--config: 'port' is not a number");
  if (
    c.bootstrap !== undefined &&
    !(Array.isArray(c.bootstrap) && c.bootstrap.every((b) => typeof b === "string"))
  ) {
    throw new UsageError("--config: 'bootstrap' is not a list of \"host:port\" strings");
  }
  if (c["enforce-node-id"] !== undefined && typeof c["enforce-node-id"] !== "boolean") {
    throw new UsageError("--config: 'enforce-node-id' is not true or false");
  }
  return c as DhtConfig;
}

export function countersLine(s: DhtStats): string {
  return (
    `nodes ${s.nodes} in ${s.buckets} buckets · peers stored ${s.storedPeers} ` +
    `(${s.storedInfoHashes} info hashes) · queries in ${s.queriesReceived} out ${s.queriesSent} · ` +
    `answers ${s.responsesReceived} · timeouts ${s.timeouts} · malformed ${s.malformed} · ` +
    `rate-limited ${s.rateLimited}`
  );
}

export const dhtCommand: Command = {
  name: "dht",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        bootstrap: { type: "string", multiple: true },
        config: { type: "string" },
        interval: { type: "string" },
        "read-only": { type: "boolean" },
        "enforce-node-id": { type: "boolean" },
        "dht-enforce-node-id": { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const config = values.config ? await readConfig(resolve(io.cwd, values.config)) : {};
    const host = values.host ?? config.host;
    if (host !== undefined && isIP(host) !== 4) {
      throw new UsageError(`--host: '${host}' is not an IPv4 address`);
    }
    const port = intOption("--port", values.port ?? config.port?.toString(), 6881, 0, 65535);
    const interval = intOption("--interval", values.interval, 10, 1, 86_400);
    const named = (values.bootstrap ?? config.bootstrap ?? []).map((t) =>
      endpointOption("--bootstrap", t),
    );
    const enforceNodeId =
      values["enforce-node-id"] || values["dht-enforce-node-id"] || config["enforce-node-id"];
    const bootstrap: Endpoint[] = [];
    for (const b of named) {
      if (isIP(b.host)) bootstrap.push({ address: b.host, port: b.port });
      else {
        const found = await lookup(b.host, { family: 4 }).catch(() => undefined);
        if (!found) throw new UsageError(`--bootstrap: cannot resolve '${b.host}'`);
        bootstrap.push({ address: found.address, port: b.port });
      }
    }
    const node = new DhtNode({
      udp: nodeUdp,
      port,
      ...(host ? { host } : {}),
      bootstrap,
      ...(values["read-only"] ? { readOnly: true } : {}),
      ...(enforceNodeId ? { enforceNodeId: true } : {}),
    });
    const bound = await node.start().catch((err: Error) => {
      throw new UsageError(`cannot listen on udp ${host ?? "0.0.0.0"}:${port}: ${err.message}`);
    });
    io.stdout.write(
      `dht node ${node.id.toString("hex")} listening on udp ${host ?? "0.0.0.0"}:${bound.port}` +
        `${enforceNodeId ? " (BEP 42 node ids enforced)" : ""}\n`,
    );
    const timer = setInterval(
      () => io.stdout.write(`${countersLine(node.stats())}\n`),
      interval * 1000,
    );
    await new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        done();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    clearInterval(timer);
    io.stdout.write(`${countersLine(node.stats())}\n`);
    await node.close();
    return 0;
  },
};
