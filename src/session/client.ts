/**
 * The Client (DESIGN.md): many torrents behind one listen port, with global
 * connection limits and persistent resume data. The CLI, the shell, the
 * daemon and tests all drive this same object. Peers are dialled and
 * accepted through a Dialer and a Listener (TCP by default, transports.ts);
 * every incoming stream is negotiated and routed by the info hash it names.
 */
import { EventEmitter } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Transport } from "../net/index.ts";
import { negotiateIncoming } from "../peer/index.ts";
import { fairShares, TokenBucket } from "../ratelimit/index.ts";
import { Torrent, type TorrentOptions } from "../torrent/index.ts";
import {
  type Clock,
  generatePeerId,
  type Logger,
  type PeerId,
  type RandomSource,
  randomBytesFrom,
  realClock,
  silentLogger,
} from "../util/index.ts";
import { ClientError } from "./errors.ts";
import { resolveSource, type TorrentSource } from "./torrent-source.ts";
import { type Dialer, type Listen, type Listener, listenOnTcp, tcpDialer } from "./transports.ts";

export interface ClientOptions {
  /** Where resume data and session state live. */
  dataDir: string;
  /** Default download folder for added torrents. */
  downloadDir: string;
  /** Port to accept peers on; 0 picks a free one. */
  port?: number;
  /** Address to listen on (default all interfaces). */
  host?: string;
  /** Opens streams to peers (default TCP). */
  dialer?: Dialer;
  /** Accepts streams from peers (default TCP). */
  listen?: Listen;
  /** Most peer connections over all torrents. */
  maxConnections?: number;
  /** Most peer connections per torrent. */
  maxPeersPerTorrent?: number;
  /** Bytes per second; 0 or absent means unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  peerId?: PeerId;
  clock?: Clock;
  /**
   * Every random choice (our peer id when not given, each torrent's piece
   * picks, choke draws and tracker order); Math.random and crypto by
   * default, a seeded source makes a simulation repeat.
   */
  random?: RandomSource;
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
  #listener: Listener | undefined;
  #connections = 0;
  #closed = false;

  private constructor(o: ClientOptions) {
    super();
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    this.#log = o.logger ?? silentLogger;
    this.peerId = o.peerId ?? generatePeerId(o.random ? randomBytesFrom(o.random) : undefined);
    this.uploadBucket = new TokenBucket(this.#clock, o.uploadLimit ?? 0);
    this.downloadBucket = new TokenBucket(this.#clock, o.downloadLimit ?? 0);
  }

  /** Starts a client: creates its folders and opens the listen port. */
  static async start(o: ClientOptions): Promise<Client> {
    const client = new Client(o);
    await mkdir(join(o.dataDir, "resume"), { recursive: true });
    const listen = o.listen ?? listenOnTcp;
    client.#listener = await listen(o.port ?? 0, o.host);
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

  /**
   * Adds a torrent: a .torrent's path or bytes, parsed metainfo (its data is
   * checked before this resolves), or a magnet URI or info hash description
   * (the torrent starts in its metadata state). Starts it unless paused.
   */
  async add(source: TorrentSource, opts: AddOptions = {}): Promise<Torrent> {
    if (this.#closed) throw new ClientError("client_closed", "the client is shutting down");
    const resolved = await resolveSource(source);
    const infoHashHex = resolved.meta ? resolved.meta.infoHashHex : resolved.infoHashHex;
    const existing = this.#torrents.get(infoHashHex);
    if (existing) {
      throw new ClientError(
        "duplicate_torrent",
        `'${existing.name}' (${infoHashHex}) is already added`,
      );
    }
    const limits: TorrentLimits = {
      upLimit: opts.uploadLimit ?? 0,
      downLimit: opts.downloadLimit ?? 0,
      up: new TokenBucket(this.#clock, opts.uploadLimit ?? 0),
      down: new TokenBucket(this.#clock, opts.downloadLimit ?? 0),
    };
    const torrentOptions: TorrentOptions = {
      ...this.#o.torrentDefaults,
      downloadDir: opts.downloadDir ?? this.#o.downloadDir,
      peerId: this.peerId,
      listenPort: this.port,
      dial: (host, port) => this.#dial(host, port),
      resumePath: join(this.#o.dataDir, "resume", `${infoHashHex}.json`),
      maxPeers: this.#o.maxPeersPerTorrent ?? 50,
      uploadBuckets: [limits.up, this.uploadBucket],
      downloadBuckets: [limits.down, this.downloadBucket],
      clock: this.#clock,
      logger: this.#log,
    };
    if (this.#o.random) torrentOptions.random = this.#o.random;
    if (opts.verify) torrentOptions.verify = true;
    if (opts.onCheckProgress) torrentOptions.onCheckProgress = opts.onCheckProgress;
    let torrent: Torrent;
    if (resolved.meta) {
      torrent = await Torrent.open({ ...torrentOptions, meta: resolved.meta });
    } else {
      torrent = new Torrent({
        ...torrentOptions,
        infoHash: resolved.infoHash,
        announceList: resolved.announceList,
        peers: resolved.peers,
        ...(resolved.name !== undefined ? { name: resolved.name } : {}),
      });
    }
    if (this.#closed || this.#torrents.has(infoHashHex)) {
      // Closed, or added twice at once, while its data was being checked.
      await torrent.close();
      throw new ClientError("duplicate_torrent", `'${torrent.name}' was added meanwhile`);
    }
    this.#torrents.set(infoHashHex, torrent);
    this.#limits.set(infoHashHex, limits);
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
      const t = await (this.#o.dialer ?? tcpDialer).dial(host, port);
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
