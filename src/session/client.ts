/**
 * The Client (DESIGN.md): many torrents behind one listen port, with global
 * connection limits and persistent resume data. The CLI, the shell, the
 * daemon and tests all drive this same object.
 */
import { EventEmitter } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { loadTorrentFile, type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { dialTcp, listenTcp, type TcpListener, type Transport } from "../net/index.ts";
import { negotiateIncoming } from "../peer/index.ts";
import { fairShares, TokenBucket } from "../ratelimit/index.ts";
import { Torrent, type TorrentOptions } from "../torrent/index.ts";
import {
  type Clock,
  generatePeerId,
  type Logger,
  type PeerId,
  realClock,
  ShoalError,
  silentLogger,
} from "../util/index.ts";

export interface ClientOptions {
  /** Where resume data and session state live. */
  dataDir: string;
  /** Default download folder for added torrents. */
  downloadDir: string;
  /** TCP port to accept peers on; 0 picks a free one. */
  port?: number;
  /** Address to listen on (default all interfaces). */
  host?: string;
  /** Most peer connections over all torrents. */
  maxConnections?: number;
  /** Most peer connections per torrent. */
  maxPeersPerTorrent?: number;
  /** Bytes per second; 0 or absent means unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  peerId?: PeerId;
  clock?: Clock;
  logger?: Logger;
  /** Passed to every torrent (tests shorten tracker intervals with it). */
  torrentDefaults?: Partial<TorrentOptions>;
}

export interface AddOptions {
  downloadDir?: string;
  /** This torrent's own limits in bytes/s (0 or absent: only the global ones apply). */
  uploadLimit?: number;
  downloadLimit?: number;
  verify?: boolean;
  /** Leave it paused instead of starting it. */
  paused?: boolean;
  onCheckProgress?: (checked: number, total: number) => void;
}

export interface ClientEvents {
  added: [torrent: Torrent];
  removed: [infoHash: string];
}

export class ClientError extends ShoalError {}

/** A torrent's own buckets and limits; their rates are re-shared every period. */
interface TorrentLimits {
  up: TokenBucket;
  down: TokenBucket;
  upLimit: number;
  downLimit: number;
}

/** How often the global rates are re-shared among torrents. */
const SHARE_PERIOD_MS = 1000;

export class Client extends EventEmitter<ClientEvents> {
  readonly peerId: PeerId;
  readonly uploadBucket: TokenBucket;
  readonly downloadBucket: TokenBucket;
  readonly #o: ClientOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #torrents = new Map<string, Torrent>();
  readonly #limits = new Map<string, TorrentLimits>();
  #shareTimer: ReturnType<Clock["setTimeout"]> | undefined;
  #listener: TcpListener | undefined;
  #connections = 0;
  #closed = false;

  private constructor(o: ClientOptions) {
    super();
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    this.#log = o.logger ?? silentLogger;
    this.peerId = o.peerId ?? generatePeerId();
    this.uploadBucket = new TokenBucket(this.#clock, o.uploadLimit ?? 0);
    this.downloadBucket = new TokenBucket(this.#clock, o.downloadLimit ?? 0);
  }

  /** Starts a client: creates its folders and opens the listen port. */
  static async start(o: ClientOptions): Promise<Client> {
    const client = new Client(o);
    await mkdir(join(o.dataDir, "resume"), { recursive: true });
    const listenOptions: Parameters<typeof listenTcp>[0] = { port: o.port ?? 0 };
    if (o.host) listenOptions.host = o.host;
    client.#listener = await listenTcp(listenOptions);
    client.#listener.on("connection", (t) => void client.#onIncoming(t));
    client.#scheduleShare();
    return client;
  }

  get port(): number {
    return this.#listener?.port ?? 0;
  }

  get torrents(): Torrent[] {
    return [...this.#torrents.values()];
  }

  get(infoHashHex: string): Torrent | undefined {
    return this.#torrents.get(infoHashHex.toLowerCase());
  }

  /** Adds a torrent (a path, the file's bytes, or parsed metainfo); starts it unless paused. */
  async add(source: string | Uint8Array | Metainfo, opts: AddOptions = {}): Promise<Torrent> {
    if (this.#closed) throw new ClientError("client_closed", "the client is shutting down");
    const meta =
      typeof source === "string"
        ? await loadTorrentFile(source)
        : source instanceof Uint8Array
          ? parseMetainfo(source)
          : source;
    if (this.#torrents.has(meta.infoHashHex)) {
      throw new ClientError(
        "duplicate_torrent",
        `'${meta.name}' (${meta.infoHashHex}) is already added`,
      );
    }
    const limits: TorrentLimits = {
      upLimit: opts.uploadLimit ?? 0,
      downLimit: opts.downloadLimit ?? 0,
      up: new TokenBucket(this.#clock, opts.uploadLimit ?? 0),
      down: new TokenBucket(this.#clock, opts.downloadLimit ?? 0),
    };
    const torrentOptions: TorrentOptions & { meta: Metainfo } = {
      ...this.#o.torrentDefaults,
      meta,
      downloadDir: opts.downloadDir ?? this.#o.downloadDir,
      peerId: this.peerId,
      listenPort: this.port,
      dial: (host, port) => this.#dial(host, port),
      resumePath: join(this.#o.dataDir, "resume", `${meta.infoHashHex}.json`),
      maxPeers: this.#o.maxPeersPerTorrent ?? 50,
      uploadBuckets: [limits.up, this.uploadBucket],
      downloadBuckets: [limits.down, this.downloadBucket],
      clock: this.#clock,
      logger: this.#log,
    };
    if (opts.verify) torrentOptions.verify = true;
    if (opts.onCheckProgress) torrentOptions.onCheckProgress = opts.onCheckProgress;
    const torrent = await Torrent.open(torrentOptions);
    this.#torrents.set(meta.infoHashHex, torrent);
    this.#limits.set(meta.infoHashHex, limits);
    this.#share();
    this.emit("added", torrent);
    if (!opts.paused) torrent.start();
    return torrent;
  }

  async remove(infoHashHex: string): Promise<void> {
    const torrent = this.get(infoHashHex);
    if (!torrent) return;
    this.#torrents.delete(torrent.infoHashHex);
    this.#limits.delete(torrent.infoHashHex);
    await torrent.close();
    this.emit("removed", torrent.infoHashHex);
  }

  /** Changes the global rate limits live (bytes/s; 0 = unlimited). */
  setLimits(limits: { upload?: number; download?: number }): void {
    if (limits.upload !== undefined) this.uploadBucket.setRate(limits.upload);
    if (limits.download !== undefined) this.downloadBucket.setRate(limits.download);
    this.#share();
  }

  /** Changes one torrent's own limits live (bytes/s; 0 = only the global ones). */
  setTorrentLimits(infoHashHex: string, limits: { upload?: number; download?: number }): void {
    const l = this.#limits.get(infoHashHex.toLowerCase());
    if (!l) throw new ClientError("unknown_torrent", `no torrent ${infoHashHex} in this client`);
    if (limits.upload !== undefined) l.upLimit = limits.upload;
    if (limits.download !== undefined) l.downLimit = limits.download;
    this.#share();
  }

  /** The limits in force: global, and each torrent's own. */
  limits(): {
    upload: number;
    download: number;
    torrents: Record<string, { upload: number; download: number }>;
  } {
    const torrents: Record<string, { upload: number; download: number }> = {};
    for (const [hash, l] of this.#limits)
      torrents[hash] = { upload: l.upLimit, download: l.downLimit };
    const rate = (b: TokenBucket) => (b.unlimited ? 0 : b.rate);
    return { upload: rate(this.uploadBucket), download: rate(this.downloadBucket), torrents };
  }

  #scheduleShare(): void {
    this.#shareTimer = this.#clock.setTimeout(() => {
      this.#share();
      if (!this.#closed) this.#scheduleShare();
    }, SHARE_PERIOD_MS);
  }

  /**
   * Splits the global rates among the torrents moving data (max-min fair):
   * each gets an equal share, and what one leaves unused goes to the others.
   * Each torrent's bucket gets its share (within its own limit); the global
   * bucket still caps the sum.
   */
  #share(): void {
    const entries = [...this.#limits.entries()];
    const cap = (limit: number) => (limit > 0 ? limit : Number.POSITIVE_INFINITY);
    for (const dir of ["up", "down"] as const) {
      const global = dir === "up" ? this.uploadBucket : this.downloadBucket;
      const demands = entries.map(([hash, l]) => {
        const s = this.#torrents.get(hash)?.stats();
        return {
          used: (dir === "up" ? s?.uploadRate : s?.downloadRate) ?? 0,
          cap: cap(dir === "up" ? l.upLimit : l.downLimit),
        };
      });
      const shares = fairShares(global.unlimited ? Number.POSITIVE_INFINITY : global.rate, demands);
      entries.forEach(([, l], i) => {
        const rate = shares[i]!;
        l[dir].setRate(Number.isFinite(rate) ? rate : 0);
      });
    }
  }

  /** Graceful: `stopped` announces, resume data saved, files and the port closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#shareTimer) this.#clock.clearTimeout(this.#shareTimer);
    await this.#listener?.close();
    await Promise.all([...this.#torrents.values()].map((t) => t.close()));
    this.#torrents.clear();
  }

  #maxConnections(): number {
    return this.#o.maxConnections ?? 200;
  }

  async #dial(host: string, port: number): Promise<Transport> {
    if (this.#connections >= this.#maxConnections()) {
      throw new ClientError("connection_limit", "the global connection limit is reached");
    }
    this.#connections++;
    try {
      const t = await dialTcp(host, port, { timeoutMs: 10_000 });
      t.on("close", () => this.#connections--);
      return t;
    } catch (err) {
      this.#connections--;
      throw err;
    }
  }

  async #onIncoming(transport: Transport): Promise<void> {
    if (this.#closed || this.#connections >= this.#maxConnections()) {
      transport.destroy();
      return;
    }
    this.#connections++;
    transport.on("close", () => this.#connections--);
    const host = transport.remoteAddress ?? "?";
    const port = transport.remotePort ?? 0;
    try {
      // The torrent is asked before we answer: a peer for a torrent we do not
      // serve, or cannot take now, never sees our handshake.
      const negotiated = await negotiateIncoming(transport, {
        lookup: (infoHash) =>
          this.#torrents.get(infoHash.toString("hex"))?.canAccept(host, port)
            ? { peerId: this.peerId }
            : undefined,
        clock: this.#clock,
        timeoutMs: 10_000,
      });
      const torrent = this.#torrents.get(negotiated.handshake.infoHash.toString("hex"));
      if (!torrent?.acceptIncoming(negotiated)) transport.destroy();
    } catch (err) {
      this.#log.debug("incoming connection refused", { error: (err as Error).message });
      transport.destroy();
    }
  }
}
