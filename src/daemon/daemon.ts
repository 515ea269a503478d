/**
 * The daemon: one Client holding every torrent, persisted in the data dir
 * (session.json with its last good copy, the .torrent copies, resume data)
 * and restored on start, and the control plane (HTTP API, events,
 * Transmission RPC) on its own port, 127.0.0.1 unless credentials are set.
 * start() and stop() are the whole life; reload() applies a re-read config.
 */
import { mkdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { isIP } from "node:net";
import { ControlPlane, ShoalApi } from "../api/index.ts";
import { IpFilter } from "../net/index.ts";
import { Client, type ClientOptions } from "../session/index.ts";
import type { Logger } from "../util/index.ts";
import { ConfigError, type DaemonConfig } from "./config.ts";
import { releaseMemoryAfterStart, takeGc } from "./memory-release.ts";
import { settingsStoreFor } from "./settings-loader.ts";

// Taken with getBuiltinModule rather than imported (as tracker-client's
// http-get.ts does): an ESM import of node:http reads every export of it,
// and one loads Node's fetch implementation (undici), whose 3.8 MB source
// the daemon then keeps on its heap for good (13 MiB of RSS here). node:https
// is taken only when the config names a certificate: it loads node:tls,
// about 20 ms of CPU in every start.
const { createServer } = process.getBuiltinModule("node:http");

/** Slow or stuck HTTP clients lose their socket, not the daemon's memory. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_API_CONNECTIONS = 256;

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** DESIGN.md: the control plane is on loopback unless someone must log in to it. */
export function checkControlPlaneSecurity(c: DaemonConfig): void {
  const secured = Boolean(c.api.passwordHash) || c.api.tokens.length > 0;
  if (!isLoopback(c.api.host) && !secured) {
    throw new ConfigError(
      "insecure_api",
      `the API on ${c.api.host} would be open to the network: set [api] username and password-hash, or tokens (or listen on 127.0.0.1)`,
    );
  }
}

function parseEndpoint(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError("bad_value", `[peer] dht-bootstrap: '${text}' is not host:port`);
  }
  return { host: m[1]!, port };
}

export class Daemon {
  readonly client: Client;
  readonly api: ShoalApi;
  readonly control: ControlPlane;
  readonly #server: Server;
  readonly #log: Logger;
  #config: DaemonConfig;
  #stopping: Promise<void> | undefined;

  private constructor(config: DaemonConfig, client: Client, server: Server, log: Logger) {
    this.#config = config;
    this.client = client;
    this.#server = server;
    this.#log = log;
    this.api = new ShoalApi(client);
    const daemon = this;
    // The settings page writes the config file loadConfig read (none: a daemon made in code).
    const settings =
      config.source &&
      settingsStoreFor(
        {
          get config() {
            return daemon.config;
          },
          api: this.api,
          get lsd() {
            return daemon.client.localDiscovery;
          },
          reload: (next) => daemon.reload(next),
        },
        config.source,
      );
    this.control = new ControlPlane({
      api: this.api,
      ...(settings ? { settings } : {}),
      listenHost: config.api.host,
      allowedHosts: config.api.allowedHosts,
      credentials: config.api,
      sessionInfo: () => ({
        configDir: this.#config.dataDir,
        downloadDir: this.#config.downloadDir,
        dht: this.#config.dht,
        pex: this.#config.pex,
        lsd: this.client.localDiscovery,
        peerLimitGlobal: this.#config.maxConnections,
        peerLimitPerTorrent: this.#config.maxPeersPerTorrent,
      }),
      logger: log,
    });
    server.on("request", this.control.handle);
  }

  /** The API's address (its port when 0 was asked for). */
  get apiAddress(): { host: string; port: number } {
    const a = this.#server.address();
    return typeof a === "object" && a ? { host: a.address, port: a.port } : { host: "", port: 0 };
  }

  get config(): DaemonConfig {
    return this.#config;
  }

  /**
   * `beforeRestore` runs once the API listens, before the torrents come
   * back: the daemon command turns TurboFan off there (optimising-compiler.ts),
   * which a daemon made in another process (a test) leaves alone.
   */
  static async start(
    config: DaemonConfig,
    log: Logger,
    { beforeRestore }: { beforeRestore?: () => void } = {},
  ): Promise<Daemon> {
    checkControlPlaneSecurity(config);
    await mkdir(config.downloadDir, { recursive: true });
    const o: ClientOptions = {
      dataDir: config.dataDir,
      downloadDir: config.downloadDir,
      port: config.port,
      maxConnections: config.maxConnections,
      maxPeersPerTorrent: config.maxPeersPerTorrent,
      torrentDefaults: { pex: config.pex },
      persist: true,
      lock: true,
      keepLastGoodSession: true,
      restorePack: true,
      logger: log,
    };
    if (config.host) o.host = config.host;
    if (config.incompleteDir !== undefined) {
      await mkdir(config.incompleteDir, { recursive: true });
      o.incompleteDir = config.incompleteDir;
    }
    if (config.uploadLimit !== undefined) o.uploadLimit = config.uploadLimit;
    if (config.downloadLimit !== undefined) o.downloadLimit = config.downloadLimit;
    if (config.lsd !== undefined) o.lsd = config.lsd;
    o.encryption = config.encryption;
    if (config.ipFilter !== undefined) o.ipFilter = await loadIpFilter(config.ipFilter);
    if (config.dht) {
      o.dht = {
        bootstrap: config.dhtBootstrap.map(parseEndpoint),
        ...(config.dhtEnforceNodeId ? { enforceNodeId: true } : {}),
        ...(config.dhtReadOnly ? { readOnly: true } : {}),
      };
    }
    if (config.maxActiveDownloads !== undefined) o.maxActiveDownloads = config.maxActiveDownloads;
    if (config.maxActiveSeeds !== undefined) o.maxActiveSeeds = config.maxActiveSeeds;
    if (config.stalledMinutes !== undefined) o.stalledMinutes = config.stalledMinutes;
    if (config.ratioLimit !== undefined) o.ratioLimit = config.ratioLimit;
    if (config.idleLimitMinutes !== undefined) o.idleSeedingLimitMinutes = config.idleLimitMinutes;
    if (config.watchDir !== undefined) {
      await mkdir(config.watchDir, { recursive: true });
      o.watchDir = config.watchDir;
      o.watchDeleteAdded = config.watchDeleteAdded;
    }
    if (config.onComplete !== undefined) o.completionCommand = config.onComplete;
    const tls = await tlsIdentity(config);
    const client = await Client.start(o);
    const serverOptions = {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
    };
    // The same routes over TLS when the config names a certificate (the web UI and API alike).
    const server: Server = tls
      ? process.getBuiltinModule("node:https").createServer({ ...serverOptions, ...tls })
      : createServer(serverOptions);
    server.maxConnections = MAX_API_CONNECTIONS;
    const daemon = new Daemon(config, client, server, log);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.api.port, config.api.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      beforeRestore?.();
      const began = performance.now();
      const cpuBefore = process.cpuUsage();
      const { restored, warnings } = await client.restore();
      const cpu = process.cpuUsage(cpuBefore);
      for (const w of warnings) log.warn("session", { warning: w });
      const api = daemon.apiAddress;
      log.info("started", {
        torrents: restored.length,
        restoreMs: Math.round(performance.now() - began),
        // The process's CPU meanwhile (API requests answered during the
        // restore too): on a loaded machine the wall time above varies more.
        restoreCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        peerPort: client.port,
        api: `${tls ? "https" : "http"}://${api.host.includes(":") ? `[${api.host}]` : api.host}:${api.port}`,
        dataDir: config.dataDir,
      });
      releaseMemoryAfterStart(undefined, takeGc);
    } catch (err) {
      daemon.control.close();
      server.close();
      await client.close();
      throw err;
    }
    return daemon;
  }

  /**
   * Applies a re-read config: limits, peer sources' switches that can
   * change live, credentials and allowed hosts; what needs a restart
   * (ports, addresses, folders) is said in a log line.
   */
  async reload(next: DaemonConfig): Promise<void> {
    checkControlPlaneSecurity({ ...next, api: { ...next.api, host: this.#config.api.host } });
    const before = this.#config;
    const limits: { upload?: number; download?: number } = {};
    if (next.uploadLimit !== undefined) limits.upload = next.uploadLimit;
    if (next.downloadLimit !== undefined) limits.download = next.downloadLimit;
    if (Object.keys(limits).length > 0) await this.api.setLimits(limits);
    const manage: Record<string, number> = {};
    if (next.maxActiveDownloads !== undefined) manage.maxActiveDownloads = next.maxActiveDownloads;
    if (next.maxActiveSeeds !== undefined) manage.maxActiveSeeds = next.maxActiveSeeds;
    if (next.stalledMinutes !== undefined) manage.stalledMinutes = next.stalledMinutes;
    if (next.ratioLimit !== undefined) manage.ratioLimit = next.ratioLimit;
    if (next.idleLimitMinutes !== undefined) manage.idleLimitMinutes = next.idleLimitMinutes;
    if (Object.keys(manage).length > 0) await this.api.setManageSettings(manage);
    this.control.secure(next.api.allowedHosts, next.api);
    const restart = (
      [
        ["data-dir", before.dataDir, next.dataDir],
        ["download-dir", before.downloadDir, next.downloadDir],
        ["incomplete-dir", before.incompleteDir, next.incompleteDir],
        ["[peer] port", before.port, next.port],
        ["[peer] address", before.host, next.host],
        ["[peer] dht", before.dht, next.dht],
        ["[peer] dht-enforce-node-id", before.dhtEnforceNodeId, next.dhtEnforceNodeId],
        ["[peer] dht-read-only", before.dhtReadOnly, next.dhtReadOnly],
        ["[peer] pex", before.pex, next.pex],
        ["[peer] lsd", before.lsd, next.lsd],
        ["[api] address", before.api.host, next.api.host],
        ["[api] port", before.api.port, next.api.port],
        ["watch-dir", before.watchDir, next.watchDir],
        ["on-complete", before.onComplete?.join(" "), next.onComplete?.join(" ")],
      ] as const
    )
      .filter(([, a, b]) => a !== b)
      .map(([name]) => name);
    // What stays as it runs is kept as it runs, so `config` and session-get tell the truth.
    this.#config = {
      ...before,
      api: { ...next.api, host: before.api.host, port: before.api.port },
      uploadLimit: next.uploadLimit,
      downloadLimit: next.downloadLimit,
      maxActiveDownloads: next.maxActiveDownloads,
      maxActiveSeeds: next.maxActiveSeeds,
      stalledMinutes: next.stalledMinutes,
      ratioLimit: next.ratioLimit,
      idleLimitMinutes: next.idleLimitMinutes,
      log: next.log,
    } as DaemonConfig;
    this.#log.info(
      "config reloaded",
      restart.length > 0 ? { needsRestart: restart.join(", ") } : {},
    );
  }

  /** Graceful: the API closed, torrents' `stopped` announces, resume data and the session written. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.control.close();
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeAllConnections();
      await closed;
      await this.client.close();
      this.#log.info("stopped");
    })();
    return this.#stopping;
  }
}

/** The block list the config names, read once at start; a bad one is a one-line ConfigError. */
async function loadIpFilter(path: string): Promise<IpFilter> {
  try {
    const { filter, ranges } = IpFilter.parse(await readFile(path));
    if (ranges === 0) throw new Error("it holds no address range");
    return filter;
  } catch (err) {
    throw new ConfigError("bad_value", `ip-filter ${path}: ${(err as Error).message}`);
  }
}

/** The API's certificate and key (HTTPS), when the config names them. */
async function tlsIdentity(
  config: DaemonConfig,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  const { tlsCert, tlsKey } = config.api;
  if (tlsCert === undefined || tlsKey === undefined) return undefined;
  try {
    return { cert: await readFile(tlsCert), key: await readFile(tlsKey) };
  } catch (err) {
    throw new ConfigError(
      "bad_value",
      `cannot read the API's TLS certificate or key: ${(err as Error).message}`,
    );
  }
}
