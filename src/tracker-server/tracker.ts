/**
 * A running tracker: the swarm store, announce handler, torrent index and
 * database wired to the HTTP and UDP front ends on one port number.
 *
 * Lifecycle: `Tracker.start(config)` opens the database, restores published
 * torrents and the peer snapshot, and listens; `stop()` closes the sockets,
 * writes pending completed counts and a snapshot of live peers, and closes
 * the database (what SIGINT/SIGTERM do in `shoal tracker`).
 */
import { readFileSync } from "node:fs";
import { IpFilter, type TlsIdentity } from "../net/index.ts";
import type { Clock, Logger, RandomSource } from "../util/index.ts";
import { formatEndpoint, realClock, silentLogger } from "../util/index.ts";
import { AnnounceHandler } from "./announce-handler.ts";
import type { TrackerConfig } from "./config.ts";
import { ConnectionIds } from "./connection-id.ts";
import type { TrackerContext } from "./context.ts";
import { type PeerRow, TrackerDatabase } from "./database.ts";
import { TrackerError } from "./errors.ts";
import { createHttpHandler } from "./http-routes.ts";
import { HttpFrontEnd } from "./http-server.ts";
import { MemberStore } from "./members.ts";
import { MemorySwarmStore } from "./memory-swarm-store.ts";
import { TrackerMetrics } from "./metrics.ts";
import { PeerOwners } from "./peer-owner.ts";
import { PrivateAccess } from "./private-access.ts";
import type { RedisSwarmStore } from "./redis-swarm-store.ts";
import { SHARED_REFRESH_MS, SharedParts } from "./shared-tracker.ts";
import type { SwarmStore } from "./swarm-store.ts";
import { TorrentIndex } from "./torrent-index.ts";
import { UdpFrontEnd } from "./udp-server.ts";

export interface TrackerOptions {
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
  /** Wall-clock ms (for `added` dates and the peer snapshot). */
  wallClock?: () => number;
  /**
   * The HTTP side's TCP listener: "auto" (default) uses libuv's handles
   * directly where this Node offers them (net/libuv-tcp.ts), "net" always node:net.
   */
  httpTransport?: "auto" | "net";
  /**
   * The UDP side's socket: "auto" (default) uses libuv's UDP handle directly
   * where this Node offers it (net/libuv-udp.ts), "dgram" always node:dgram.
   */
  udpTransport?: "auto" | "dgram";
}

export class Tracker {
  readonly config: TrackerConfig;
  /** The swarms (memory), or what the operator views read of the shared store's. */
  readonly store: SwarmStore;
  /** The shared swarm store, when config.store names one. */
  readonly shared: RedisSwarmStore | undefined;
  readonly #memory: MemorySwarmStore | undefined;
  readonly #shared: SharedParts | undefined;
  readonly index: TorrentIndex;
  readonly metrics = new TrackerMetrics();
  readonly handler: AnnounceHandler;
  /** The port both front ends listen on (useful with port 0). */
  port = 0;
  readonly #db: TrackerDatabase | undefined;
  /** A private tracker's members and passkeys (--private). */
  readonly access: PrivateAccess | undefined;
  /** --ip-filter's block list: announces from its addresses are refused. */
  readonly ipFilter: IpFilter | undefined;
  readonly #clock: Clock;
  readonly #wallClock: () => number;
  readonly #logger: Logger;
  readonly #http: HttpFrontEnd;
  readonly #udp: UdpFrontEnd;
  readonly #routes: ReturnType<typeof createHttpHandler>;
  readonly #owners: PeerOwners;
  /** Completed counts not yet written: the batched write. */
  readonly #dirtyCompleted = new Map<string, number>();
  #timers: { id: number }[] = [];
  #stopped = false;

  private constructor(config: TrackerConfig, opts: TrackerOptions) {
    this.config = config;
    this.#clock = opts.clock ?? realClock;
    this.#wallClock = opts.wallClock ?? Date.now;
    this.#logger = opts.logger ?? silentLogger;
    try {
      this.#db =
        config.dataDir === undefined
          ? undefined
          : new TrackerDatabase(config.dataDir, this.#logger);
    } catch (err) {
      throw new TrackerError(
        "data_dir",
        `cannot open the tracker database in '${config.dataDir}': ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.ipFilter = config.ipFilter === undefined ? undefined : loadIpFilter(config.ipFilter);
    if (config.private) {
      if (!this.#db) {
        throw new TrackerError(
          "invalid_config",
          "--private needs --data-dir (its members are kept there)",
        );
      }
      this.access = new PrivateAccess(new MemberStore(this.#db.sqlite));
    }
    try {
      this.index = new TorrentIndex(this.#db, this.#wallClock);
    } catch (err) {
      // Bad rows are skipped inside; this is a database that cannot be read at all.
      this.#db?.close();
      throw new TrackerError(
        "data_dir",
        `cannot read the torrent index in '${config.dataDir}': ${(err as Error).message}`,
        { cause: err },
      );
    }
    const expiryMs = config.interval * config.peerExpiry * 1000;
    if (config.store === "memory") {
      this.shared = undefined;
      this.#memory = new MemorySwarmStore({
        expiryMs,
        maxSwarms: config.maxSwarms,
        maxPeersPerSwarm: config.maxPeersPerSwarm,
        random: opts.random ?? Math.random,
        loadCompleted: (key) => this.completedOf(key),
        keepEmpty: (key) => this.index.has(key),
      });
      this.store = this.#memory;
      // Owners hash IPv6 addresses with a secret kept with the snapshot (peer-owner.ts).
      this.#owners = new PeerOwners(this.#db?.secret("peer-owner"));
    } else {
      this.#shared = new SharedParts(
        config,
        this.index,
        this.#wallClock,
        this.#logger,
        this.access,
      );
      this.shared = this.#shared.store;
      this.store = this.#shared.mirror;
      this.#owners = this.#shared.owners;
    }
    this.handler = new AnnounceHandler({
      store: this.store,
      shared: this.shared,
      clock: this.#clock,
      metrics: this.metrics,
      settings: {
        interval: config.interval,
        minInterval: config.minInterval,
        defaultNumwant: config.numwant,
        maxNumwant: config.maxNumwant,
        registeredOnly: config.registeredOnly,
        trustIpParam: config.trustIpParam,
      },
      isRegistered: (key) => this.index.has(key),
      onCompleted: (key, n) => this.#dirtyCompleted.set(key, n),
      completedOf: (key) => this.completedOf(key),
      owners: this.#owners,
    });
    const ctx: TrackerContext = {
      config,
      handler: this.handler,
      store: this.store,
      index: this.index,
      metrics: this.metrics,
      logger: this.#logger,
      completedOf: (key) => this.completedOf(key),
      now: () => this.#clock.now(),
      httpStats: () => this.#http.stats,
      sharedIndex: this.#shared?.index,
      storeStats: this.shared?.stats,
      access: this.access,
      ipFilter: this.ipFilter,
    };
    this.#routes = createHttpHandler(ctx);
    this.#http = new HttpFrontEnd(
      this.#routes,
      {
        maxHeaderBytes: config.maxHeaderBytes,
        maxBodyBytes: config.maxBodyBytes,
        maxBodyBytesTotal: config.maxBodyBytesTotal,
        idleTimeoutMs: config.idleTimeout * 1000,
        requestTimeoutMs: config.requestTimeout * 1000,
        maxConnections: config.maxConnections,
      },
      this.#logger,
      opts.httpTransport ?? "auto",
      tlsIdentity(config),
    );
    this.#http.onRefused = (status) => {
      if (status === 413 || status === 431) this.metrics.errors.http_too_large++;
      else if (status === 503) this.metrics.errors.http_busy++;
      else this.metrics.errors.http_malformed++;
    };
    this.#udp = new UdpFrontEnd({
      handler: this.handler,
      // Instances on one shared store accept each other's ids: shared secrets, wall time.
      ids: this.#shared
        ? this.#shared.connectionIds(this.#clock, this.#wallClock)
        : new ConnectionIds(this.#clock),
      metrics: this.metrics,
      logger: this.#logger,
      maxPacket: config.maxUdpPacket,
      transport: opts.udpTransport ?? "auto",
      access: this.access,
      ipFilter: this.ipFilter,
    });
  }

  /** Opens the database, restores state and listens on HTTP and UDP. */
  static async start(config: TrackerConfig, opts: TrackerOptions = {}): Promise<Tracker> {
    const tracker = new Tracker(config, opts);
    try {
      tracker.#restorePeers();
      await tracker.#shared?.connect();
      await tracker.#listen();
    } catch (err) {
      await tracker.stop({ snapshot: false });
      throw err;
    }
    if (tracker.#memory) {
      tracker.#schedule(() => tracker.#sweep(), tracker.#memory.sweepIntervalMs);
      tracker.#schedule(() => tracker.flush(), config.flushInterval * 1000);
    } else if (tracker.#shared) {
      const shared = tracker.#shared;
      const expiryMs = config.interval * config.peerExpiry * 1000;
      tracker.#scheduleShared(
        async () => {
          tracker.metrics.expired += await shared.sweep();
        },
        Math.max(50, expiryMs / 16),
      );
      tracker.#scheduleShared(() => shared.refresh(), SHARED_REFRESH_MS);
    }
    return tracker;
  }

  /** Repeats an asynchronous task, never two runs at once. */
  #scheduleShared(fn: () => Promise<unknown>, ms: number): void {
    let running = false;
    this.#schedule(() => {
      if (running) return;
      running = true;
      fn()
        .catch((err: unknown) => {
          this.#logger.debug("shared store task failed", { err: String((err as Error)?.message) });
        })
        .finally(() => {
          running = false;
        });
    }, ms);
  }

  async #listen(): Promise<void> {
    const { host } = this.config;
    // Port 0: take the port the kernel gives TCP, then claim it for UDP too;
    // if that UDP port is taken, try again with another.
    for (let attempt = 0; ; attempt++) {
      const port = await this.#http.listen(this.config.port, host);
      try {
        await this.#udp.bind(port, host);
        this.port = port;
        return;
      } catch (err) {
        await this.#http.close();
        const code = (err as NodeJS.ErrnoException).code;
        if (this.config.port !== 0 || code !== "EADDRINUSE" || attempt >= 20) {
          throw new TrackerError(
            "listen_failed",
            `cannot listen on UDP port ${port}: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
      }
    }
  }

  /** URLs clients announce to. */
  get urls(): { http: string; udp: string } {
    const host = this.config.host ?? "0.0.0.0";
    const where = formatEndpoint(host, this.port);
    const scheme = this.config.tlsCert ? "https" : "http";
    return { http: `${scheme}://${where}/announce`, udp: `udp://${where}` };
  }

  completedOf(key: string): number {
    const dirty = this.#dirtyCompleted.get(key);
    if (dirty !== undefined) return dirty;
    const inMemory = this.store.counts(key);
    if (inMemory) return inMemory.completed;
    return this.#db?.completedOf(Buffer.from(key, "latin1")) ?? 0;
  }

  #schedule(fn: () => void, ms: number): void {
    const slot = { id: 0 };
    const tick = () => {
      if (this.#stopped) return;
      try {
        fn();
      } catch (err) {
        this.#logger.error("periodic task failed", { err: String((err as Error)?.stack ?? err) });
      }
      slot.id = this.#clock.setTimeout(tick, ms).id;
    };
    slot.id = this.#clock.setTimeout(tick, ms).id;
    this.#timers.push(slot);
  }

  #sweep(): void {
    const n = (this.#memory as MemorySwarmStore).expire(this.#clock.now());
    this.metrics.expired += n;
    if (n > 0) this.#logger.debug("expired peers", { count: n });
  }

  /** Writes pending completed counts (the batched write); also runs on a timer. */
  flush(): void {
    if (!this.#db || this.#dirtyCompleted.size === 0) return;
    const entries = [...this.#dirtyCompleted].map(
      ([k, n]) => [Buffer.from(k, "latin1"), n] as [Buffer, number],
    );
    this.#db.saveCompleted(entries);
    this.#dirtyCompleted.clear();
  }

  /** The snapshot's peers, or none when it cannot be read: peers re-announce anyway. */
  #takePeers(): PeerRow[] {
    try {
      return this.#db?.takePeers() ?? [];
    } catch (err) {
      this.#logger.warn("cannot read the peer snapshot; starting without it", {
        err: String((err as Error)?.message ?? err),
      });
      return [];
    }
  }

  #restorePeers(): void {
    // A shared store keeps its peers itself.
    if (!this.#db || !this.#memory) return;
    const wallNow = this.#wallClock();
    const now = this.#clock.now();
    const expiryMs = this.config.interval * this.config.peerExpiry * 1000;
    let restored = 0;
    for (const p of this.#takePeers()) {
      const age = Math.max(0, wallNow - p.seen);
      if (age >= expiryMs || (p.addr4.length !== 6 && p.addr6.length !== 18)) continue;
      const key = p.infoHash.toString("latin1");
      if (this.config.registeredOnly && !this.index.has(key)) continue;
      // A version 1 snapshot kept no owner: the one a keyless announce from its address has.
      const owner =
        p.owner >= 0
          ? p.owner
          : p.addr4.length === 6
            ? this.#owners.ofAddress(4, p.addr4.toString("latin1", 0, 4))
            : this.#owners.ofAddress(6, p.addr6.toString("latin1", 0, 16));
      const update = {
        peerId: p.peerId.toString("latin1"),
        owner,
        ip4: -1,
        ip6: "",
        port: 0,
        left: p.left,
        previousLeft: 0,
      };
      let result = "";
      const store = this.#memory;
      if (p.addr4.length === 6) {
        result = store.put(
          key,
          { ...update, ip4: p.addr4.readUInt32BE(0), port: p.addr4.readUInt16BE(4) },
          now - age,
        );
      }
      if (p.addr6.length === 18) {
        const r6 = store.put(
          key,
          { ...update, ip6: p.addr6.toString("latin1", 0, 16), port: p.addr6.readUInt16BE(16) },
          now - age,
        );
        if (result === "") result = r6;
      }
      if (result === "added") restored++;
    }
    if (restored > 0)
      this.#logger.info("restored peers from the last shutdown", { peers: restored });
  }

  #snapshotPeers(): void {
    if (!this.#db || !this.#memory) return;
    const wallNow = this.#wallClock();
    const now = this.#clock.now();
    const rows = [];
    for (const key of this.store.infoHashes()) {
      const infoHash = Buffer.from(key, "latin1");
      for (const p of this.store.peers(key)) {
        rows.push({
          infoHash,
          peerId: Buffer.from(p.peerId, "latin1"),
          owner: p.owner,
          addr4: Buffer.from(p.addr4, "latin1"),
          addr6: Buffer.from(p.addr6, "latin1"),
          left: p.left,
          seen: wallNow - (now - p.lastSeen),
        });
      }
    }
    this.#db.savePeers(rows);
    this.#logger.info("saved peers for the next start", { peers: rows.length });
  }

  /** Stops listening and persists what a restart needs. Safe to call twice. */
  async stop(opts: { snapshot?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#routes.stop();
    await Promise.all([this.#http.close(), this.#udp.close()]);
    try {
      this.flush();
      if (opts.snapshot !== false) this.#snapshotPeers();
    } finally {
      this.#db?.close();
      await this.#shared?.close();
    }
  }
}

/** HTTPS's certificate and key, read from the files the config names (both or neither). */
function tlsIdentity(config: TrackerConfig): TlsIdentity | undefined {
  const { tlsCert, tlsKey } = config;
  if (tlsCert === undefined && tlsKey === undefined) return undefined;
  if (tlsCert === undefined || tlsKey === undefined) {
    throw new TrackerError("invalid_config", "HTTPS needs both --tls-cert and --tls-key");
  }
  try {
    return { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) };
  } catch (err) {
    throw new TrackerError(
      "invalid_config",
      `cannot read the TLS certificate or key: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** --ip-filter's list, read at start (a list it cannot read is a start-up error, one line). */
function loadIpFilter(path: string): IpFilter {
  try {
    const { filter, ranges } = IpFilter.parse(readFileSync(path));
    if (ranges === 0) throw new Error("it holds no address range");
    return filter;
  } catch (err) {
    throw new TrackerError("invalid_config", `--ip-filter ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
