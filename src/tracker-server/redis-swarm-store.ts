/**
 * The SharedSwarmStore on Redis: any number of tracker instances keep their
 * swarms in one Redis, so each answers every swarm the same way and an
 * instance that dies takes nothing with it (the state is all in Redis).
 *
 * Announces go to Redis in batches, each one FCALL of the function library
 * of redis-announce-script.ts (loaded with FUNCTION LOAD on every connect;
 * on a Redis before 7.0, which has no functions, one EVALSHA of the same
 * code as a script): one round trip and one call for many announces, as a
 * call costs Redis and the client more than the few commands each announce
 * makes. A batch gathers for batchWindowMs after its first announce (2 ms:
 * nothing to a client that announces every half hour and waits seconds for a
 * reply, and at a thousand announces a second the difference between a call
 * per announce and one per two), and one batch is in flight at a time: what
 * arrives meanwhile goes as the next, so under a heavy load a call carries
 * every announce that arrived during a round trip, up to MAX_BATCH. Each
 * announce is packed into its batch when it arrives and answered through a
 * callback (announceTo; redis-announce-batch.ts): no promise per announce.
 *
 * The client's own auto-pipelining is off: it would wrap each call in a
 * pipeline of one, and the batches are already one request each.
 *
 * Faults: requests never queue while Redis is away (no offline queue) and time
 * out after commandTimeoutMs, so an announce fails fast with a
 * StoreUnavailableError (the tracker answers a failure reason) instead of
 * waiting or guessing; the client reconnects with exponential back-off, and
 * `stats` counts the outages and the requests' latency for /metrics.
 */
import { Redis } from "ioredis";
import type { Logger } from "../util/index.ts";
import { silentLogger } from "../util/index.ts";
import { StoreUnavailableError } from "./errors.ts";
import { AnnounceBatch } from "./redis-announce-batch.ts";
import { headRoomFor, type ScriptCall, scriptSha, WrittenCommand } from "./redis-announce-call.ts";
import { newAnnounceReply } from "./redis-announce-codec.ts";
import { ANNOUNCE_FUNCTION, ANNOUNCE_LIBRARY, ANNOUNCE_SCRIPT } from "./redis-announce-script.ts";
import { EXPIRE_SCRIPT, PEERS_SCRIPT, SCRAPE_SCRIPT } from "./redis-scripts.ts";
import { StoreStats } from "./store-stats.ts";
import type {
  SharedAnnounce,
  SharedAnnounceDone,
  SharedSwarmStore,
  StoredPeer,
  SwarmCounts,
  SwarmTotals,
} from "./swarm-store.ts";

export interface RedisSwarmStoreOptions {
  /** redis://host:port/db */
  url: string;
  /** Every key starts with it: several trackers may share one Redis under different prefixes. */
  prefix?: string;
  expiryMs: number;
  maxSwarms: number;
  maxPeersPerSwarm: number;
  /** Wall-clock ms: last-announce times must agree between instances. */
  now?: () => number;
  logger?: Logger;
  /** A request not answered within this is failed (the announce gets a failure reason). */
  commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts. */
  maxBackoffMs?: number;
  /** How long a batch gathers announces after its first (0: until the turn's reads are done). */
  batchWindowMs?: number;
}

/** Peers dropped per expiry request; a full batch is followed by another. */
const EXPIRE_BATCH = 2000;
/** Expiry requests per sweep at most: a sweep stays bounded however far behind it is. */
const EXPIRE_ROUNDS = 50;
/** Answered batches kept for reuse at most: one filling while one is in flight, and a few more. */
const SPARE_BATCHES = 4;
/** A waiting batch this large goes as soon as the call before it is answered (#flushSoon). */
const EAGER_BATCH = 32;

interface ScriptedRedis extends Redis {
  shoalExpire(prefix: string, cutoff: number, batch: number): Promise<number>;
  shoalScrape(prefix: string, hashes: Buffer): Promise<number[]>;
  shoalPeersBuffer(prefix: string, ih: Buffer, offset: number, limit: number): Promise<Buffer[]>;
}

/** The SHA-1 the announce script is called by (EVALSHA, a Redis without functions). */
const ANNOUNCE_SHA = scriptSha(ANNOUNCE_SCRIPT);

/**
 * A call's error that says Redis has not got the announce code as it was
 * called: a script it forgot (NOSCRIPT), a function library it lost (a
 * restart without persistence, FUNCTION FLUSH) or no FCALL at all (Redis 6).
 */
const MISSING = /^(NOSCRIPT|ERR Function not found|ERR unknown command 'FCALL')/;

/** A request's failure as the tracker reports it. */
function unavailable(err: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `swarm store unavailable: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}

/** The URL's parts for messages, without any password it carries. */
export function redisUrlForDisplay(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "redis://?";
  }
}

export class RedisSwarmStore implements SharedSwarmStore {
  readonly stats = new StoreStats();
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;
  /** Room for a script call's header before each batch's announces. */
  readonly #headRoom: number;
  readonly #opts: RedisSwarmStoreOptions;
  readonly #now: () => number;
  readonly #logger: Logger;
  #available = false;
  #closed = false;
  /** Batches waiting for their script call, oldest first; the last is filling. */
  readonly #waiting: AnnounceBatch[] = [];
  /** Answered batches, emptied for reuse (a failed one may still be in the socket's buffer). */
  readonly #spare: AnnounceBatch[] = [];
  /** Every reply is read into this one. */
  readonly #reply = newAnnounceReply();
  readonly #callbackThrew = (err: unknown) =>
    this.#logger.error("announce reply failed", { err: String((err as Error)?.stack ?? err) });
  /** A batch is on its way: the queue waits for its answer. */
  #inFlight = false;
  readonly #flushNow = () => this.#flush();
  /** How batches are called: FCALL until Redis refuses FUNCTION LOAD, then EVALSHA. */
  #scriptCall: ScriptCall = "FCALL";

  constructor(opts: RedisSwarmStoreOptions) {
    this.#opts = opts;
    this.#prefix = opts.prefix ?? "shoal:";
    this.#headRoom = headRoomFor(Buffer.byteLength(this.#prefix));
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger ?? silentLogger;
    const maxBackoff = opts.maxBackoffMs ?? 2000;
    const redis = new Redis(opts.url, {
      lazyConnect: true,
      enableAutoPipelining: false,
      // Requests fail at once while Redis is away: an announce is answered now or not at all.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs ?? 1000,
      connectTimeout: 2000,
      // Back-off: 50 ms doubling up to maxBackoffMs, for ever.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 16), maxBackoff),
    }) as ScriptedRedis;
    redis.defineCommand("shoalExpire", { numberOfKeys: 1, lua: EXPIRE_SCRIPT });
    redis.defineCommand("shoalScrape", { numberOfKeys: 1, lua: SCRAPE_SCRIPT });
    redis.defineCommand("shoalPeers", { numberOfKeys: 1, lua: PEERS_SCRIPT });
    redis.on("ready", () => {
      // Before any announce on this connection: a Redis that restarted may
      // have lost the library (a call that still misses it loads it, #call).
      this.#loadAnnounce().catch(() => {});
      if (!this.#available) {
        this.#logger.info("swarm store connected", { store: redisUrlForDisplay(opts.url) });
        this.stats.up(performance.now());
      }
      this.#available = true;
    });
    redis.on("error", (err: Error) => this.#down(err));
    redis.on("close", () => this.#down(new Error("connection closed")));
    this.#redis = redis;
  }

  #down(err: Error): void {
    if (this.#closed) return;
    if (this.#available) {
      this.#logger.warn("swarm store unreachable; reconnecting", {
        store: redisUrlForDisplay(this.#opts.url),
        err: err.message,
      });
      this.stats.down(performance.now());
    }
    this.#available = false;
  }

  get available(): boolean {
    return this.#available;
  }

  /** How the announce code is called: FCALL (Redis 7's functions) or EVALSHA (Redis 6). */
  get scriptCall(): ScriptCall {
    return this.#scriptCall;
  }

  /**
   * Loads the announce code: the function library (REPLACE: loading the same
   * library again is harmless), or, where Redis refuses it (no FUNCTION
   * before 7.0, or a command renamed away), the script; batches are then
   * called the way that worked.
   */
  async #loadAnnounce(): Promise<void> {
    try {
      await this.#redis.call("FUNCTION", "LOAD", "REPLACE", ANNOUNCE_LIBRARY);
      this.#scriptCall = "FCALL";
    } catch (err) {
      if (this.#scriptCall === "FCALL") {
        this.#logger.info("swarm store: no Redis functions; announces go as scripts (EVALSHA)", {
          err: (err as Error)?.message ?? String(err),
        });
      }
      this.#scriptCall = "EVALSHA";
      await this.#redis.script("LOAD", ANNOUNCE_SCRIPT);
    }
  }

  /**
   * Connects, waiting at most timeoutMs; resolves false (and keeps trying in
   * the background) when Redis is not there yet: a tracker starts anyway and
   * answers failure reasons until it is.
   */
  async connect(timeoutMs = 3000): Promise<boolean> {
    this.stats.starting(performance.now());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const connected = this.#redis.connect().then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([connected, timeout]);
    clearTimeout(timer);
    return ok;
  }

  /** Runs one request, timing it; a failure becomes a StoreUnavailableError. */
  async #request<T>(run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      const value = await run();
      this.stats.answered(performance.now() - start);
      return value;
    } catch (err) {
      this.stats.failed();
      throw unavailable(err);
    }
  }

  announceTo<C>(a: SharedAnnounce, ctx: C, done: SharedAnnounceDone<C>): void {
    const waiting = this.#waiting;
    let batch = waiting[waiting.length - 1];
    if (batch === undefined || batch.full) {
      batch = this.#spare.pop() ?? new AnnounceBatch(this.#headRoom);
      waiting.push(batch);
    }
    batch.add(a, ctx, done);
    if (batch.count === 1 && waiting.length === 1 && !this.#inFlight) {
      const window = this.#opts.batchWindowMs ?? 2;
      if (window > 0) setTimeout(this.#flushNow, window);
      else setImmediate(this.#flushNow);
    }
  }

  /** Sends the oldest waiting batch as one script call, unless one is on its way. */
  #flush(): void {
    if (this.#inFlight) return;
    const batch = this.#waiting.shift();
    if (batch === undefined) return;
    this.#inFlight = true;
    this.#call(batch, performance.now(), false);
  }

  /**
   * One call for `batch` (redis-announce-call.ts: its request written
   * around the packed announces). A Redis that has not got the announce code
   * as called (it restarted, its functions or scripts were flushed, or it has
   * no functions) is sent it (#loadAnnounce), and the call made once more.
   */
  #call(batch: AnnounceBatch, start: number, retried: boolean): void {
    const { maxSwarms, maxPeersPerSwarm } = this.#opts;
    const random = 1 + Math.floor(Math.random() * 0x7ffffffe);
    const call = this.#scriptCall;
    const request = batch.request(call, call === "FCALL" ? ANNOUNCE_FUNCTION : ANNOUNCE_SHA, [
      this.#prefix,
      String(this.#now()),
      String(maxSwarms),
      String(maxPeersPerSwarm),
      String(random),
    ]);
    (this.#redis.sendCommand(new WrittenCommand(call, request)) as Promise<Buffer>).then(
      (replies) => {
        this.stats.answered(performance.now() - start);
        this.#inFlight = false;
        batch.answer(replies, this.#reply, this.#callbackThrew);
        // Redis has read the whole request: its bytes may be written over.
        batch.reset();
        if (this.#spare.length < SPARE_BATCHES) this.#spare.push(batch);
        this.#flushSoon();
      },
      (err: unknown) => {
        if (!retried && MISSING.test(String((err as Error)?.message))) {
          this.#loadAnnounce().then(
            () => this.#call(batch, start, true),
            (loadErr: unknown) => this.#callFailed(batch, loadErr),
          );
          return;
        }
        this.#callFailed(batch, err);
      },
    );
  }

  /** Every announce of the batch gets the failure; the next batch goes. */
  #callFailed(batch: AnnounceBatch, err: unknown): void {
    this.stats.failed();
    this.#inFlight = false;
    // Not reused: a request that timed out may still be in the socket's buffer.
    batch.fail(unavailable(err), this.#callbackThrew);
    this.#flushSoon();
  }

  /**
   * The next batch: at once when it is large already (UDP's usually are),
   * else once this turn's reads are in (setImmediate), so the announces
   * already readable on other sockets (many HTTP connections, one announce
   * each) join it. Sent at once, small batches stayed small: each quick call
   * left only the few that came during it for the next (4 announces per call
   * in one of the bench's HTTP runs, 25 with this); waiting for the turn
   * made UDP's large batches smaller instead (62 to 47 per call).
   */
  #flushSoon(): void {
    const next = this.#waiting[0];
    if (next === undefined) return;
    if (next.count >= EAGER_BATCH) this.#flush();
    else setImmediate(this.#flushNow);
  }

  async scrape(infoHashes: readonly string[]): Promise<SwarmCounts[]> {
    if (infoHashes.length === 0) return [];
    const bin = Buffer.from(infoHashes.join(""), "latin1");
    const r = await this.#request(() => this.#redis.shoalScrape(this.#prefix, bin));
    const out: SwarmCounts[] = [];
    for (let i = 0; i < infoHashes.length; i++) {
      out.push({
        seeders: r[3 * i] ?? 0,
        leechers: r[3 * i + 1] ?? 0,
        completed: r[3 * i + 2] ?? 0,
      });
    }
    return out;
  }

  async expire(): Promise<number> {
    const cutoff = this.#now() - this.#opts.expiryMs;
    let removed = 0;
    for (let round = 0; round < EXPIRE_ROUNDS; round++) {
      const n = await this.#request(() =>
        this.#redis.shoalExpire(this.#prefix, cutoff, EXPIRE_BATCH),
      );
      removed += n;
      if (n < EXPIRE_BATCH) break;
    }
    return removed;
  }

  async totals(): Promise<SwarmTotals> {
    const [counts, swarms] = await this.#request(() =>
      Promise.all([
        this.#redis.hmget(`${this.#prefix}sum`, "s", "l"),
        this.#redis.scard(`${this.#prefix}live`),
      ]),
    );
    const seeders = Number(counts[0] ?? 0);
    const leechers = Number(counts[1] ?? 0);
    return { swarms, peers: seeders + leechers, seeders, leechers };
  }

  async infoHashes(limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const members = await this.#request(() =>
      this.#redis.srandmemberBuffer(`${this.#prefix}live`, limit),
    );
    return members.map((m) => m.toString("latin1"));
  }

  async peers(infoHash: string, offset: number, limit: number): Promise<StoredPeer[]> {
    if (limit <= 0) return [];
    const ih = Buffer.from(infoHash, "latin1");
    const r = await this.#request(() =>
      this.#redis.shoalPeersBuffer(this.#prefix, ih, offset, Math.min(limit, 10_000)),
    );
    const out: StoredPeer[] = [];
    for (let i = 0; i + 2 < r.length; i += 3) {
      const pk = r[i]!;
      const state = r[i + 1]!;
      const n4 = state[0]!;
      const n6 = state[1]!;
      out.push({
        peerId: pk.toString("latin1", 0, 20),
        owner: pk.readUIntBE(20, 6),
        addr4: state.toString("latin1", 2, 2 + n4),
        addr6: state.toString("latin1", 2 + n4, 2 + n4 + n6),
        left: Number(state.toString("latin1", 2 + n4 + n6)),
        lastSeen: Number(r[i + 2]!.toString("latin1")),
      });
    }
    return out;
  }

  /** Deletes every key under this store's prefix (tests; an operator resetting a tracker). */
  async clear(): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.#redis.scanBuffer(
        cursor,
        "MATCH",
        `${this.#prefix}*`,
        "COUNT",
        1000,
      );
      cursor = next.toString();
      if (keys.length > 0) await this.#redis.del(...keys);
    } while (cursor !== "0");
  }

  /** The client, for the shared torrent index (shared-index.ts) to use the same connection. */
  get client(): Redis {
    return this.#redis;
  }

  get prefix(): string {
    return this.#prefix;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#available = false;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
