/**
 * Tracker settings: one table (CONFIG_FIELDS) gives each setting its JSON key,
 * command-line flag, type, default and help, so the config file, the flags and
 * `shoal help tracker` cannot drift apart.
 */
import type { LogLevel } from "../util/index.ts";
import { checkAdminToken } from "./admin-token.ts";
import { TrackerError } from "./errors.ts";

export interface TrackerConfig {
  port: number;
  /** undefined = all interfaces (IPv6 and IPv4). */
  host: string | undefined;
  /** undefined = nothing persisted. */
  dataDir: string | undefined;
  interval: number;
  minInterval: number;
  peerExpiry: number;
  registeredOnly: boolean;
  publishToken: string | undefined;
  fullScrape: boolean;
  numwant: number;
  maxNumwant: number;
  maxSwarms: number;
  maxPeersPerSwarm: number;
  maxScrapeHashes: number;
  maxHeaderBytes: number;
  maxBodyBytes: number;
  maxBodyBytesTotal: number;
  maxUdpPacket: number;
  maxConnections: number;
  idleTimeout: number;
  requestTimeout: number;
  flushInterval: number;
  trustIpParam: boolean;
  logLevel: LogLevel;
  /** "memory", or redis://host:port/db: swarms shared by every instance on that Redis. */
  store: string;
  /** Prefix of every key in the shared store. */
  storePrefix: string;
  /**
   * Secrets every instance on one shared store knows (comma-separated; the
   * first issues UDP connection ids, every one is accepted, so a new one can
   * be rolled in): UDP connection ids and peer owners agree between instances.
   */
  sharedSecret: string | undefined;
  /** Members only (members.ts): announces and scrapes need a member's passkey. */
  private: boolean;
  /** A block list file (eMule DAT or PeerGuardian P2P, gzipped or not): its addresses' announces are refused. */
  ipFilter: string | undefined;
  /** HTTPS: the certificate chain and private key (PEM files); both or neither. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** The admin API's bearer token (admin-routes.ts); a private tracker only. */
  adminToken: string | undefined;
  /** Serve the admin API over plain HTTP on a non-loopback address (the token crosses the network in clear). */
  adminOverPlainHttp: boolean;
}

export type ConfigKey = keyof TrackerConfig;

export interface ConfigField {
  key: ConfigKey;
  flag: string;
  type: "integer" | "string" | "boolean" | "loglevel";
  /** Shown in help; the value is DEFAULT_CONFIG's. */
  help: string;
  min?: number;
  max?: number;
}

export const DEFAULT_CONFIG: TrackerConfig = {
  port: 6969,
  host: undefined,
  dataDir: undefined,
  interval: 1800,
  minInterval: 900,
  peerExpiry: 2,
  registeredOnly: false,
  publishToken: undefined,
  fullScrape: false,
  numwant: 50,
  maxNumwant: 200,
  maxSwarms: 1_000_000,
  maxPeersPerSwarm: 100_000,
  maxScrapeHashes: 256,
  maxHeaderBytes: 8192,
  maxBodyBytes: 10_000_000,
  maxBodyBytesTotal: 40_000_000,
  maxUdpPacket: 2048,
  maxConnections: 10_000,
  idleTimeout: 30,
  requestTimeout: 10,
  flushInterval: 5,
  trustIpParam: false,
  logLevel: "info",
  store: "memory",
  storePrefix: "shoal:",
  sharedSecret: undefined,
  private: false,
  ipFilter: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  adminToken: undefined,
  adminOverPlainHttp: false,
};

export const CONFIG_FIELDS: ConfigField[] = [
  {
    key: "port",
    flag: "port",
    type: "integer",
    min: 0,
    max: 65535,
    help: "HTTP and UDP port (0 = any free port)",
  },
  {
    key: "host",
    flag: "host",
    type: "string",
    help: "address to listen on (default: all interfaces)",
  },
  {
    key: "dataDir",
    flag: "data-dir",
    type: "string",
    help: "folder for the database (default: keep nothing)",
  },
  {
    key: "interval",
    flag: "interval",
    type: "integer",
    min: 1,
    max: 86400,
    help: "seconds between announces",
  },
  {
    key: "minInterval",
    flag: "min-interval",
    type: "integer",
    min: 1,
    max: 86400,
    help: "seconds a client must wait at least (default: interval / 2)",
  },
  {
    key: "peerExpiry",
    flag: "peer-expiry",
    type: "integer",
    min: 1,
    max: 100,
    help: "a peer silent for this many intervals is dropped",
  },
  {
    key: "registeredOnly",
    flag: "registered-only",
    type: "boolean",
    help: "only track torrents published to the index",
  },
  {
    key: "publishToken",
    flag: "publish-token",
    type: "string",
    help: "require 'Authorization: Bearer <token>' to publish",
  },
  {
    key: "fullScrape",
    flag: "full-scrape",
    type: "boolean",
    help: "answer /scrape without info_hash with every swarm",
  },
  {
    key: "numwant",
    flag: "numwant",
    type: "integer",
    min: 0,
    max: 10000,
    help: "peers returned when the client does not say",
  },
  {
    key: "maxNumwant",
    flag: "max-numwant",
    type: "integer",
    min: 0,
    max: 10000,
    help: "most peers returned per announce",
  },
  {
    key: "maxSwarms",
    flag: "max-swarms",
    type: "integer",
    min: 1,
    help: "most swarms tracked at once",
  },
  {
    key: "maxPeersPerSwarm",
    flag: "max-peers-per-swarm",
    type: "integer",
    min: 1,
    help: "most peers stored per swarm",
  },
  {
    key: "maxScrapeHashes",
    flag: "max-scrape-hashes",
    type: "integer",
    min: 1,
    max: 10000,
    help: "most info hashes in one HTTP scrape",
  },
  {
    key: "maxHeaderBytes",
    flag: "max-header-bytes",
    type: "integer",
    min: 256,
    max: 1_048_576,
    help: "largest HTTP request head",
  },
  {
    key: "maxBodyBytes",
    flag: "max-body-bytes",
    type: "integer",
    min: 0,
    max: 100_000_000,
    help: "largest HTTP request body (uploads)",
  },
  {
    key: "maxBodyBytesTotal",
    flag: "max-body-bytes-total",
    type: "integer",
    min: 0,
    max: 1_000_000_000,
    help: "most bytes of request bodies held at once, all connections together (default: 4 × max-body-bytes)",
  },
  {
    key: "maxUdpPacket",
    flag: "max-udp-packet",
    type: "integer",
    min: 98,
    max: 65535,
    help: "largest UDP request accepted",
  },
  {
    key: "maxConnections",
    flag: "max-connections",
    type: "integer",
    min: 1,
    help: "most open HTTP connections",
  },
  {
    key: "idleTimeout",
    flag: "idle-timeout",
    type: "integer",
    min: 1,
    max: 3600,
    help: "seconds before an idle HTTP connection is closed",
  },
  {
    key: "requestTimeout",
    flag: "request-timeout",
    type: "integer",
    min: 1,
    max: 3600,
    help: "seconds a client has to send a whole request",
  },
  {
    key: "flushInterval",
    flag: "flush-interval",
    type: "integer",
    min: 1,
    max: 3600,
    help: "seconds between batched database writes",
  },
  {
    key: "trustIpParam",
    flag: "trust-ip-param",
    type: "boolean",
    help: "use the client's ip/ipv4/ipv6 parameters (only behind trusted networks)",
  },
  {
    key: "logLevel",
    flag: "log-level",
    type: "loglevel",
    help: "debug, info, warn, error or silent",
  },
  {
    key: "store",
    flag: "store",
    type: "string",
    help: "swarm store: memory, or redis://host:port/db shared by several tracker instances",
  },
  {
    key: "storePrefix",
    flag: "store-prefix",
    type: "string",
    help: "prefix of the shared store's keys (trackers with different prefixes share one Redis)",
  },
  {
    key: "sharedSecret",
    flag: "shared-secret",
    type: "string",
    help: "secret(s) all instances on one shared store know, comma-separated (the first issues UDP connection ids; list a new one first to rotate)",
  },
  {
    key: "private",
    flag: "private",
    type: "boolean",
    help: "members only: announces need a passkey (shoal tracker users; needs --data-dir)",
  },
  {
    key: "ipFilter",
    flag: "ip-filter",
    type: "string",
    help: "refuse announces from the addresses of this block list (.dat or .p2p, gzipped or not)",
  },
  {
    key: "tlsCert",
    flag: "tls-cert",
    type: "string",
    help: "serve HTTPS with this certificate chain (PEM; with --tls-key)",
  },
  {
    key: "tlsKey",
    flag: "tls-key",
    type: "string",
    help: "the private key of --tls-cert (PEM)",
  },
  {
    key: "adminToken",
    flag: "admin-token",
    type: "string",
    help: "a private tracker's admin API (/admin/api) and page (/admin) need 'Authorization: Bearer <token>' (16 characters or more)",
  },
  {
    key: "adminOverPlainHttp",
    flag: "admin-over-plain-http",
    type: "boolean",
    help: "allow the admin API over plain HTTP on a non-loopback address (else it needs --tls-cert or a loopback --host)",
  },
];

const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"];

function invalid(field: ConfigField, why: string): TrackerError {
  return new TrackerError("invalid_config", `${field.flag} (config key '${field.key}'): ${why}`);
}

/** Checks one value (from JSON, or a flag's text when `fromText`) against its field. */
export function coerceField(field: ConfigField, value: unknown, fromText = false): unknown {
  switch (field.type) {
    case "integer": {
      const n =
        fromText && typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isSafeInteger(n))
        throw invalid(field, "must be a whole number");
      if (field.min !== undefined && n < field.min)
        throw invalid(field, `must be at least ${field.min}`);
      if (field.max !== undefined && n > field.max)
        throw invalid(field, `must be at most ${field.max}`);
      return n;
    }
    case "boolean":
      if (typeof value === "boolean") return value;
      if (fromText && (value === "true" || value === "false")) return value === "true";
      throw invalid(field, "must be true or false");
    case "loglevel":
      if (typeof value === "string" && LOG_LEVELS.includes(value)) return value;
      throw invalid(field, `must be one of ${LOG_LEVELS.join(", ")}`);
    default:
      if (typeof value !== "string" || value.length === 0)
        throw invalid(field, "must be a non-empty string");
      return value;
  }
}

/**
 * The effective configuration: defaults, then the config file's object, then
 * flags. Unknown keys are refused so a typo does not silently do nothing.
 */
export function resolveConfig(...layers: Record<string, unknown>[]): TrackerConfig {
  const config: TrackerConfig = { ...DEFAULT_CONFIG };
  let minIntervalSet = false;
  let bodyTotalSet = false;
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const field = CONFIG_FIELDS.find((f) => f.key === key);
      if (!field) throw new TrackerError("invalid_config", `unknown setting '${key}'`);
      (config as unknown as Record<string, unknown>)[key] = coerceField(field, value);
      if (key === "minInterval") minIntervalSet = true;
      if (key === "maxBodyBytesTotal") bodyTotalSet = true;
    }
  }
  if (!minIntervalSet) config.minInterval = Math.max(1, Math.floor(config.interval / 2));
  if (!bodyTotalSet) config.maxBodyBytesTotal = 4 * config.maxBodyBytes;
  if (config.maxBodyBytesTotal < config.maxBodyBytes) {
    throw new TrackerError(
      "invalid_config",
      "max-body-bytes-total cannot be smaller than max-body-bytes (no upload could ever be read)",
    );
  }
  if (config.minInterval > config.interval) {
    throw new TrackerError("invalid_config", "min-interval cannot be longer than interval");
  }
  if (config.numwant > config.maxNumwant) config.numwant = config.maxNumwant;
  checkAdminToken(config);
  if (config.store !== "memory") {
    if (!/^rediss?:\/\/[^/]/.test(config.store)) {
      throw new TrackerError(
        "invalid_config",
        `store: '${config.store}' is neither memory nor a redis://host:port/db URL`,
      );
    }
    if (config.sharedSecret === undefined || config.sharedSecret.split(",")[0]!.length < 16) {
      throw new TrackerError(
        "invalid_config",
        "a redis store needs shared-secret (16 characters or more, the same on every instance): UDP connection ids and peer owners must agree between instances",
      );
    }
  }
  return config;
}
