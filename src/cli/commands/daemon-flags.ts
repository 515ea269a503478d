/** The flags `shoal daemon` and `shoal config` share: they override the config file. */
import { readFile } from "node:fs/promises";
import type { ParseArgsConfig } from "node:util";
import { type ConfigFlags, type DaemonConfig, loadConfig } from "../../daemon/index.ts";
import type { CliIO } from "../io.ts";
import { UsageError } from "../io.ts";
import { intOption } from "../options.ts";

export const DAEMON_FLAG_OPTIONS = {
  config: { type: "string" },
  "data-dir": { type: "string" },
  "download-dir": { type: "string" },
  port: { type: "string" },
  "api-port": { type: "string" },
  "api-address": { type: "string" },
  log: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

export const DAEMON_FLAG_HELP = `      --config <file>         the config file (default $XDG_CONFIG_HOME/shoal/config.toml)
      --data-dir <dir>        session folder (default $XDG_DATA_HOME/shoal/daemon)
      --download-dir <dir>    where torrents' files go (default <data-dir>/downloads)
      --port <n>              TCP port for peers (default 51413; 0 picks one)
      --api-port <n>          port of the HTTP API and Transmission RPC (default 9091)
      --api-address <addr>    address of the API (default 127.0.0.1; any other
                              needs credentials in the config file)
      --log <json|text>       log lines on stderr as JSON or plain text (default text)
`;

type FlagValues = { [K in keyof typeof DAEMON_FLAG_OPTIONS]?: string };

export async function effectiveConfig(values: FlagValues, io: CliIO): Promise<DaemonConfig> {
  const flags: ConfigFlags = {};
  if (values.config) flags.config = values.config;
  if (values["data-dir"]) flags.dataDir = values["data-dir"];
  if (values["download-dir"]) flags.downloadDir = values["download-dir"];
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
  return loadConfig(flags, io.env, io.cwd, (p) => readFile(p, "utf8"));
}
