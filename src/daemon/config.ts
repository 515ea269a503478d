/**
 * The daemon's settings: built-in defaults, then the config file (TOML, so
 * it can carry comments), then command-line flags, each overriding the one
 * before. Every value is checked here, and a mistake is a ConfigError naming
 * the file and the key, one line for the user.
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { ENCRYPTION_POLICIES, type EncryptionPolicy } from "../peer/index.ts";
import { type LogLevel, parseSize, ShoalError } from "../util/index.ts";

export class ConfigError extends ShoalError {}

export interface ApiSettings {
  /** Address the HTTP API listens on (127.0.0.1 unless credentials are set). */
  host: string;
  port: number;
  /** HTTP basic auth: a user name and a password hash (`scrypt$…`, see credentials.ts). */
  username?: string;
  passwordHash?: string;
  /** Bearer tokens accepted besides the password. */
  tokens: string[];
  /** Host header values accepted besides the loopback names and the listen address. */
  allowedHosts: string[];
  /** HTTPS: the certificate chain and its private key (PEM files), both or neither. */
  tlsCert?: string;
  tlsKey?: string;
}

export interface DaemonConfig {
  /** Where the session (session.json, .torrent copies, resume data) lives. */
  dataDir: string;
  downloadDir: string;
  /** Torrents download here and move to downloadDir when complete (absent: none). */
  incompleteDir?: string;
  /** Peer listen port and address (absent address: all interfaces). */
  port: number;
  host?: string;
  maxConnections: number;
  maxPeersPerTorrent: number;
  /** Global limits, bytes/s; 0 = none; absent: as the session last kept them. */
  uploadLimit?: number;
  downloadLimit?: number;
  /** Peer sources: BEP 5 (with its bootstrap nodes), BEP 11, BEP 14 (absent: as the session kept it). */
  dht: boolean;
  dhtBootstrap: string[];
  /** BEP 42: refuse DHT nodes whose id does not fit their public address. */
  dhtEnforceNodeId: boolean;
  /** BEP 43: look up and announce, answer no queries. */
  dhtReadOnly: boolean;
  pex: boolean;
  lsd?: boolean;
  /** MSE on peer connections (peer/negotiate.ts); default "enabled". */
  encryption: EncryptionPolicy;
  /** A block list (eMule DAT or PeerGuardian P2P, gzipped or not) whose addresses are refused. */
  ipFilter?: string;
  /**
   * Queues and seeding goals (0: none); absent: as the session keeps them
   * (they can change live over the API).
   */
  maxActiveDownloads?: number;
  maxActiveSeeds?: number;
  stalledMinutes?: number;
  ratioLimit?: number;
  idleLimitMinutes?: number;
  /** A folder whose .torrent files are added (then renamed .added, or deleted). */
  watchDir?: string;
  watchDeleteAdded: boolean;
  /** A program and its arguments run when a torrent completes (no shell). */
  onComplete?: string[];
  api: ApiSettings;
  log: { format: "json" | "text"; level: LogLevel };
  /** The config file read, if any. */
  configFile?: string;
  /** How loadConfig made it: the settings page writes that file and resolves it again. */
  source?: ConfigSource;
}

/** The file loadConfig reads (it may not exist yet) and what went over it. */
export interface ConfigSource {
  path: string;
  flags: ConfigFlags;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** What the command line gave; absent keys leave the file's value. */
export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  downloadDir?: string;
  incompleteDir?: string;
  port?: number;
  apiPort?: number;
  apiHost?: string;
  logFormat?: "json" | "text";
  /** BEP 5: on or off, and the nodes to join through (they replace the file's). */
  dht?: boolean;
  dhtBootstrap?: string[];
  dhtEnforceNodeId?: boolean;
  dhtReadOnly?: boolean;
  lsd?: boolean;
  /** BEP 11 peer exchange (only ever turned off by a flag: --no-pex). */
  pex?: boolean;
  encryption?: EncryptionPolicy;
  ipFilter?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** `$XDG_CONFIG_HOME/shoal/config.toml` (~/.config when unset). */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "shoal", "config.toml");
}

/** `$XDG_DATA_HOME/shoal/daemon` (a folder of its own: the shell keeps `shoal/`). */
export function defaultDaemonDataDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "shoal", "daemon");
}

export const DEFAULT_API_PORT = 9091;
export const DEFAULT_PEER_PORT = 51413;

/** The file's keys, by table; anything else is a mistake (a typo would be silently ignored). */
const KEYS: Record<string, readonly string[]> = {
  "": ["data-dir", "download-dir", "incomplete-dir", "watch-dir", "on-complete"],
  peer: [
    "port",
    "address",
    "max-connections",
    "max-peers-per-torrent",
    "dht",
    "dht-bootstrap",
    "dht-enforce-node-id",
    "dht-read-only",
    "pex",
    "lsd",
    "encryption",
    "ip-filter",
  ],
  limits: ["upload", "download"],
  queue: ["max-active-downloads", "max-active-seeds", "stalled-minutes"],
  seeding: ["ratio-limit", "idle-limit-minutes"],
  watch: ["delete-added"],
  api: [
    "address",
    "port",
    "username",
    "password-hash",
    "tokens",
    "allowed-hosts",
    "tls-cert",
    "tls-key",
  ],
  log: ["format", "level"],
};

type Table = Record<string, unknown>;

/**
 * The effective settings: defaults, the file (the given one must exist; the
 * default one may not), the flags. Relative paths are from `cwd`.
 */
export async function loadConfig(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  readText: (path: string) => Promise<string>,
): Promise<DaemonConfig> {
  const path = flags.config ? resolve(cwd, flags.config) : defaultConfigPath(env);
  let text: string | undefined;
  try {
    text = await readText(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(code === "ENOENT" && !flags.config)) {
      throw new ConfigError(
        "unreadable",
        `cannot read config file ${path}: ${code ?? (err as Error).message}`,
      );
    }
  }
  const file = text === undefined ? {} : parseConfigText(text, path);
  const config = resolveConfig(file, flags, env, cwd, text === undefined ? undefined : path);
  config.source = { path, flags, env, cwd };
  return config;
}

/** The TOML text as tables, with every key known (ConfigError otherwise). */
export function parseConfigText(text: string, path: string): Table {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (err) {
    const where = err instanceof TomlError ? ` line ${err.line}` : "";
    const first = (err as Error).message.split("\n")[0];
    throw new ConfigError("bad_toml", `${path}${where}: ${first}`);
  }
  for (const [key, value] of Object.entries(doc)) {
    if (KEYS[key] && typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const sub of Object.keys(value)) {
        if (!KEYS[key]!.includes(sub))
          throw new ConfigError("unknown_key", `${path}: unknown key [${key}] ${sub}`);
      }
    } else if (!KEYS[""]!.includes(key)) {
      throw new ConfigError("unknown_key", `${path}: unknown key '${key}'`);
    }
  }
  return doc;
}

export function resolveConfig(
  doc: Table,
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  configFile?: string,
): DaemonConfig {
  const where = configFile ?? "config";
  const v = new Values(doc, where, env, cwd);
  const dataDir = flags.dataDir
    ? resolve(cwd, flags.dataDir)
    : (v.path("", "data-dir") ?? defaultDaemonDataDir(env));
  const api: ApiSettings = {
    host: flags.apiHost ?? v.string("api", "address") ?? "127.0.0.1",
    port: flags.apiPort ?? v.port("api", "port") ?? DEFAULT_API_PORT,
    tokens: v.strings("api", "tokens") ?? [],
    allowedHosts: v.strings("api", "allowed-hosts") ?? [],
  };
  const username = v.string("api", "username");
  const passwordHash = v.string("api", "password-hash");
  if ((username === undefined) !== (passwordHash === undefined)) {
    throw new ConfigError("bad_value", `${where}: [api] username and password-hash go together`);
  }
  if (username !== undefined) api.username = username;
  if (passwordHash !== undefined) {
    if (!passwordHash.startsWith("scrypt$")) {
      throw new ConfigError(
        "bad_value",
        `${where}: [api] password-hash: make one with 'shoal config --hash-password'`,
      );
    }
    api.passwordHash = passwordHash;
  }
  const format = flags.logFormat ?? v.oneOf("log", "format", ["json", "text"] as const) ?? "text";
  const level =
    v.oneOf("log", "level", ["debug", "info", "warn", "error", "silent"] as const) ?? "info";
  const config: DaemonConfig = {
    dataDir,
    downloadDir: flags.downloadDir
      ? resolve(cwd, flags.downloadDir)
      : (v.path("", "download-dir") ?? join(dataDir, "downloads")),
    port: flags.port ?? v.port("peer", "port") ?? DEFAULT_PEER_PORT,
    maxConnections: v.count("peer", "max-connections") ?? 200,
    maxPeersPerTorrent: v.count("peer", "max-peers-per-torrent") ?? 50,
    watchDeleteAdded: v.flag("watch", "delete-added") ?? false,
    // BEP 5 on by default, as in get, seed and shell: with no node named it sends nothing.
    dht: flags.dht ?? v.flag("peer", "dht") ?? true,
    dhtBootstrap: flags.dhtBootstrap ?? v.strings("peer", "dht-bootstrap") ?? [],
    dhtEnforceNodeId: flags.dhtEnforceNodeId ?? v.flag("peer", "dht-enforce-node-id") ?? false,
    dhtReadOnly: flags.dhtReadOnly ?? v.flag("peer", "dht-read-only") ?? false,
    pex: flags.pex ?? v.flag("peer", "pex") ?? true,
    encryption: flags.encryption ?? v.oneOf("peer", "encryption", ENCRYPTION_POLICIES) ?? "enabled",
    api,
    log: { format, level },
  };
  const upload = v.rate("limits", "upload");
  const download = v.rate("limits", "download");
  const lsd = flags.lsd ?? v.flag("peer", "lsd");
  const ipFilter = flags.ipFilter ? resolve(cwd, flags.ipFilter) : v.path("peer", "ip-filter");
  if (ipFilter !== undefined) config.ipFilter = ipFilter;
  const tlsCert = flags.tlsCert ? resolve(cwd, flags.tlsCert) : v.path("api", "tls-cert");
  const tlsKey = flags.tlsKey ? resolve(cwd, flags.tlsKey) : v.path("api", "tls-key");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError("bad_value", `${where}: HTTPS needs both tls-cert and tls-key`);
  }
  if (tlsCert !== undefined) api.tlsCert = tlsCert;
  if (tlsKey !== undefined) api.tlsKey = tlsKey;
  if (upload !== undefined) config.uploadLimit = upload;
  if (download !== undefined) config.downloadLimit = download;
  if (lsd !== undefined) config.lsd = lsd;
  const host = v.string("peer", "address");
  if (host !== undefined) config.host = host;
  const counts = [
    ["maxActiveDownloads", "queue", "max-active-downloads"],
    ["maxActiveSeeds", "queue", "max-active-seeds"],
    ["stalledMinutes", "queue", "stalled-minutes"],
    ["idleLimitMinutes", "seeding", "idle-limit-minutes"],
  ] as const;
  for (const [field, table, key] of counts) {
    const n = v.whole(table, key);
    if (n !== undefined) config[field] = n;
  }
  const ratio = v.ratio("seeding", "ratio-limit");
  if (ratio !== undefined) config.ratioLimit = ratio;
  const incompleteDir = flags.incompleteDir
    ? resolve(cwd, flags.incompleteDir)
    : v.path("", "incomplete-dir");
  if (incompleteDir !== undefined) config.incompleteDir = incompleteDir;
  const watchDir = v.path("", "watch-dir");
  if (watchDir !== undefined) config.watchDir = watchDir;
  const onComplete = v.strings("", "on-complete");
  if (onComplete !== undefined) {
    if (onComplete.length === 0)
      throw new ConfigError(
        "bad_value",
        `${where}: on-complete: give the program and its arguments`,
      );
    config.onComplete = onComplete;
  }
  if (configFile) config.configFile = configFile;
  return config;
}

/** Reads one typed value of the document, or undefined when absent. */
class Values {
  readonly #doc: Table;
  readonly #where: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #cwd: string;

  constructor(doc: Table, where: string, env: NodeJS.ProcessEnv, cwd: string) {
    this.#doc = doc;
    this.#where = where;
    this.#env = env;
    this.#cwd = cwd;
  }

  #get(table: string, key: string): unknown {
    const t = table === "" ? this.#doc : (this.#doc[table] as Table | undefined);
    return t?.[key];
  }

  #bad(table: string, key: string, what: string): never {
    const name = table === "" ? key : `[${table}] ${key}`;
    throw new ConfigError("bad_value", `${this.#where}: ${name}: ${what}`);
  }

  string(table: string, key: string): string | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "")
      this.#bad(table, key, "give it as a non-empty string");
    return value;
  }

  strings(table: string, key: string): string[] | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((s) => typeof s === "string" && s !== "")) {
      this.#bad(table, key, "give a list of strings");
    }
    return value as string[];
  }

  /** A folder: `~/` is the home folder, relative paths are from where shoal runs. */
  path(table: string, key: string): string | undefined {
    const text = this.string(table, key);
    if (text === undefined) return undefined;
    if (text === "~" || text.startsWith("~/"))
      return join(this.#env.HOME || homedir(), text.slice(1));
    return isAbsolute(text) ? text : resolve(this.#cwd, text);
  }

  /** A whole number from 0 (0: none). */
  whole(table: string, key: string): number | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 1_000_000) {
      this.#bad(table, key, "give a whole number from 0 (0 for none)");
    }
    return value;
  }

  ratio(table: string, key: string): number | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      this.#bad(table, key, "give a ratio from 0 (0 for none)");
    }
    return value;
  }

  flag(table: string, key: string): boolean | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") this.#bad(table, key, "give true or false");
    return value;
  }

  port(table: string, key: string): number | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
      this.#bad(table, key, "give a port from 0 to 65535");
    }
    return value;
  }

  count(table: string, key: string): number | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1_000_000) {
      this.#bad(table, key, "give a whole number from 1");
    }
    return value;
  }

  /** Bytes/s: a number, or a size text (`10MB`, `512KiB`); 0 or "unlimited" for none. */
  rate(table: string, key: string): number | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
    if (typeof value === "string") {
      if (/^(none|off|unlimited)$/i.test(value)) return 0;
      const bytes = parseSize(value.replace(/\/s$/i, ""));
      if (bytes !== undefined && Number.isSafeInteger(bytes)) return bytes;
    }
    return this.#bad(table, key, 'give bytes/s (a number, or text like "10MB"; 0 for none)');
  }

  oneOf<T extends string>(table: string, key: string, choices: readonly T[]): T | undefined {
    const value = this.#get(table, key);
    if (value === undefined) return undefined;
    if (!choices.includes(value as T)) this.#bad(table, key, `give one of ${choices.join(", ")}`);
    return value as T;
  }
}

/** The settings as TOML text (`shoal config`), secrets hidden. */
export function formatConfig(c: DaemonConfig): string {
  const q = (s: string) => JSON.stringify(s);
  const list = (l: string[]) => `[${l.map(q).join(", ")}]`;
  const optional = (key: string, n: number | undefined) =>
    n === undefined ? [`# ${key}: as the session keeps it`] : [`${key} = ${n}`];
  const lines = [
    `# effective settings${c.configFile ? ` (from ${c.configFile} and the command line)` : " (defaults and the command line)"}`,
    `data-dir = ${q(c.dataDir)}`,
    `download-dir = ${q(c.downloadDir)}`,
    c.incompleteDir === undefined
      ? "# incomplete-dir: none (torrents download into download-dir)"
      : `incomplete-dir = ${q(c.incompleteDir)}`,
    c.watchDir === undefined ? "# watch-dir: none" : `watch-dir = ${q(c.watchDir)}`,
    c.onComplete === undefined ? "# on-complete: none" : `on-complete = ${list(c.onComplete)}`,
    "",
    "[peer]",
    `port = ${c.port}`,
    ...(c.host ? [`address = ${q(c.host)}`] : ["# address: all interfaces"]),
    `max-connections = ${c.maxConnections}`,
    `max-peers-per-torrent = ${c.maxPeersPerTorrent}`,
    `dht = ${c.dht}`,
    `dht-bootstrap = ${list(c.dhtBootstrap)}`,
    `dht-enforce-node-id = ${c.dhtEnforceNodeId}`,
    `dht-read-only = ${c.dhtReadOnly}`,
    `pex = ${c.pex}`,
    c.lsd === undefined ? "# lsd: as the session keeps it (off until set)" : `lsd = ${c.lsd}`,
    `encryption = ${q(c.encryption)}`,
    c.ipFilter === undefined ? "# ip-filter: none" : `ip-filter = ${q(c.ipFilter)}`,
    "",
    "[limits]",
    c.uploadLimit === undefined ? "# upload: as the session keeps it" : `upload = ${c.uploadLimit}`,
    c.downloadLimit === undefined
      ? "# download: as the session keeps it"
      : `download = ${c.downloadLimit}`,
    "",
    "[queue]",
    ...optional("max-active-downloads", c.maxActiveDownloads),
    ...optional("max-active-seeds", c.maxActiveSeeds),
    ...optional("stalled-minutes", c.stalledMinutes),
    "",
    "[seeding]",
    ...optional("ratio-limit", c.ratioLimit),
    ...optional("idle-limit-minutes", c.idleLimitMinutes),
    "",
    "[watch]",
    `delete-added = ${c.watchDeleteAdded}`,
    "",
    "[api]",
    `address = ${q(c.api.host)}`,
    `port = ${c.api.port}`,
    ...(c.api.username ? [`username = ${q(c.api.username)}`, `password-hash = "(set)"`] : []),
    c.api.tokens.length === 0 ? "tokens = []" : `# tokens: ${c.api.tokens.length} set`,
    `allowed-hosts = ${list(c.api.allowedHosts)}`,
    ...(c.api.tlsCert
      ? [`tls-cert = ${q(c.api.tlsCert)}`, `tls-key = ${q(c.api.tlsKey ?? "")}`]
      : ["# tls-cert, tls-key: none (plain HTTP)"]),
    "",
    "[log]",
    `format = ${q(c.log.format)}`,
    `level = ${q(c.log.level)}`,
  ];
  return `${lines.join("\n")}\n`;
}
