/** The flags `shoal daemon` and `shoal config` share: they override the config file. */
import { readFile } from "node:fs/promises";
import type { ParseArgsConfig } from "node:util";
import { type ConfigFlags, type DaemonConfig, loadConfig } from "../../daemon/index.ts";
import { endpointOption } from "../dht-options.ts";
import type { CliIO } from "../io.ts";
import { UsageError } from "../io.ts";
import { encryptionOption, intOption } from "../options.ts";

export const DAEMON_FLAG_OPTIONS = {
  config: { type: "string" },
  "data-dir": { type: "string" },
  "download-dir": { type: "string" },
  "incomplete-dir": { type: "string" },
  port: { type: "string" },
  "api-port": { type: "string" },
  "api-address": { type: "string" },
  log: { type: "string" },
  "dht-bootstrap": { type: "string", multiple: true },
  "no-dht": { type: "boolean" },
  "dht-enforce-node-id": { type: "boolean" },
  "dht-read-only": { type: "boolean" },
  lsd: { type: "boolean" },
  "no-lsd": { type: "boolean" },
  "no-pex": { type: "boolean" },
  encryption: { type: "string" },
  "ip-filter": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

export const DAEMON_FLAG_HELP = `      --config <file>         the config file (default $XDG_CONFIG_HOME/shoal/config.toml)
      --data-dir <dir>        session folder (default $XDG_DATA_HOME/shoal/daemon)
      --download-dir <dir>    where torrents' files go (default <data-dir>/downloads)
      --incomplete-dir <dir>  download here, move to the download dir when complete
                              (incomplete-dir; default none)
      --port <n>              TCP port for peers (default 51413; 0 picks one)
      --api-port <n>          port of the HTTP API and Transmission RPC (default 9091)
      --api-address <addr>    address of the API (default 127.0.0.1; any other
                              needs credentials in the config file)
      --log <json|text>       log lines on stderr as JSON or plain text (default text)
      --dht-bootstrap <host:port>
                              join the DHT (BEP 5, on by default) through this
                              node (may repeat; none is built in; [peer] dht-bootstrap)
      --no-dht                no DHT, whatever the config file says ([peer] dht)
      --dht-enforce-node-id   BEP 42: keep out DHT nodes whose id does not fit
                              their public address ([peer] dht-enforce-node-id)
      --dht-read-only         BEP 43: answer no DHT queries ([peer] dht-read-only)
      --lsd, --no-lsd         local peer discovery (BEP 14) on or off ([peer] lsd)
      --no-pex                no peer exchange (BEP 11; [peer] pex = false)
      --encryption <policy>   MSE: disabled, enabled (default), prefer or required
                              ([peer] encryption)
      --ip-filter <file>      refuse the peers of this block list ([peer] ip-filter)
      --tls-cert <file>, --tls-key <file>
                              serve the API over HTTPS ([api] tls-cert, tls-key)
`;

type FlagValues = {
  [K in keyof typeof DAEMON_FLAG_OPTIONS]?: (typeof DAEMON_FLAG_OPTIONS)[K] extends {
    multiple: true;
  }
    ? string[]
    : (typeof DAEMON_FLAG_OPTIONS)[K] extends { type: "boolean" }
      ? boolean
      : string;
};

export async function effectiveConfig(values: FlagValues, io: CliIO): Promise<DaemonConfig> {
  const flags: ConfigFlags = {};
  if (values.config) flags.config = values.config;
  if (values["data-dir"]) flags.dataDir = values["data-dir"];
  if (values["download-dir"]) flags.downloadDir = values["download-dir"];
  if (values["incomplete-dir"]) flags.incompleteDir = values["incomplete-dir"];
  if (values.port !== undefined) flags.port = intOption("--port", values.port, 0, 0, 65535);
  if (values["api-port"] !== undefined) {
    flags.apiPort = intOption("--api-port", values["api-port"], 0, 0, 65535);
  }
  if (values["api-address"]) flags.apiHost = values["api-address"];
  if (values.log !== undefined) {
    if (values.log !== "json" && values.log !== "text") {
      throw new UsageError(`--log: '${values.log}' is not json or text`);
    }
    flags.logFormat = values.log;
  }
  // BEP 5: naming a bootstrap node turns the DHT on; --no-dht turns it off.
  const bootstrap = values["dht-bootstrap"] ?? [];
  if (bootstrap.length > 0 && values["no-dht"]) {
    throw new UsageError("--dht-bootstrap and --no-dht contradict");
  }
  for (const b of bootstrap) endpointOption("--dht-bootstrap", b);
  if (bootstrap.length > 0) {
    flags.dht = true;
    flags.dhtBootstrap = bootstrap;
  }
  if (values["no-dht"]) flags.dht = false;
  if (values["dht-enforce-node-id"]) flags.dhtEnforceNodeId = true;
  if (values["dht-read-only"]) flags.dhtReadOnly = true;
  if (values.lsd && values["no-lsd"]) throw new UsageError("--lsd and --no-lsd contradict");
  if (values.lsd) flags.lsd = true;
  if (values["no-lsd"]) flags.lsd = false;
  if (values["no-pex"]) flags.pex = false;
  const encryption = encryptionOption(values.encryption);
  if (encryption) flags.encryption = encryption;
  if (values["ip-filter"]) flags.ipFilter = values["ip-filter"];
  if (values["tls-cert"]) flags.tlsCert = values["tls-cert"];
  if (values["tls-key"]) flags.tlsKey = values["tls-key"];
  return loadConfig(flags, io.env, io.cwd, (p) => readFile(p, "utf8"));
}
