/**
 * The announce and scrape logic, transport-blind: the HTTP and UDP front ends
 * decode requests into AnnounceFields and encode whatever this returns. It
 * takes the swarm state (SwarmStore) and the time as arguments, so tests drive
 * it with a FakeClock and a seeded Random.
 *
 * Results are written into one reused object (read it before the next call):
 * the hot path allocates no result objects.
 */
import type { AnnounceFields, IpFamily } from "../tracker-proto/index.ts";
import { normalizeIp } from "../tracker-proto/index.ts";
import type { Clock } from "../util/index.ts";
import { StoreUnavailableError } from "./errors.ts";
import type { TrackerMetrics, Transport } from "./metrics.ts";
import { PeerOwners } from "./peer-owner.ts";
import type {
  PeerUpdate,
  SharedAnnounce,
  SharedAnnounceReply,
  SharedSwarmStore,
  StoredPeer,
  SwarmStore,
} from "./swarm-store.ts";

export interface AnnounceSettings {
  /** Seconds between regular announces (BEP 3 `interval`). */
  interval: number;
  /** Seconds a client must wait at least (`min interval`). */
  minInterval: number;
  /** Peers returned when the client does not say (numwant absent or -1). */
  defaultNumwant: number;
  /** Most peers returned whatever the client asks. */
  maxNumwant: number;
  /** Answer only for torrents published to the index. */
  registeredOnly: boolean;
  /** Use the client's `ip`/`ipv4`/`ipv6` parameters (only safe behind trusted networks). */
  trustIpParam: boolean;
}

/** Where an announce came from: the packet's or connection's source address. */
export interface AnnounceSource {
  family: IpFamily;
  /** Raw address bytes as latin1 text: 4 chars (IPv4) or 16 (IPv6). */
  ip: string;
}

export interface AnnounceOutcome {
  /** A BEP 3 `failure reason`, or null when the announce was accepted. */
  failure: string | null;
  interval: number;
  minInterval: number;
  /** Seeders. */
  complete: number;
  /** Leechers. */
  incomplete: number;
  downloaded: number;
  /** Compact mode: IPv4 entries (6 bytes each) in `compact4[0, 6 * count4)`. */
  compact4: Buffer;
  count4: number;
  /** Compact mode: IPv6 entries (18 bytes each) in `compact6[0, 18 * count6)`. */
  compact6: Buffer;
  count6: number;
  /** Dictionary mode (the client sent compact=0): the same choice as records. */
  peers4: StoredPeer[];
  peers6: StoredPeer[];
}

export interface ScrapeOutcome {
  complete: number;
  downloaded: number;
  incomplete: number;
}

export interface AnnounceHandlerDeps {
  store: SwarmStore;
  /**
   * A store shared between tracker instances (Redis): when set, announces and
   * scrapes go to it (announceSharedTo, scrapeShared) and `store` only serves
   * the operator views.
   */
  shared?: SharedSwarmStore;
  clock: Clock;
  metrics: TrackerMetrics;
  settings: AnnounceSettings;
  /** True when the info hash (latin1) is published to the index. */
  isRegistered: (infoHash: string) => boolean;
  /** Called after a completed download is counted (persistence batches it). */
  onCompleted?: (infoHash: string, completed: number) => void;
  /** Completed count of a swarm not in memory (persisted). */
  completedOf?: (infoHash: string) => number;
  /** Who announces (peer-owner.ts); a random secret when not given. */
  owners?: PeerOwners;
}

export const UNREGISTERED_REASON =
  "unregistered torrent: this tracker only serves torrents published to its index";
export const STORE_UNAVAILABLE_REASON =
  "tracker storage is briefly unavailable: try again in a minute";
export const TOO_MANY_SWARMS_REASON =
  "this tracker is tracking as many torrents as it is configured to; try again later";

function ip4Number(chars: string): number {
  return (
    ((chars.charCodeAt(0) << 24) |
      (chars.charCodeAt(1) << 16) |
      (chars.charCodeAt(2) << 8) |
      chars.charCodeAt(3)) >>>
    0
  );
}

function newOutcome(settings: AnnounceSettings): AnnounceOutcome {
  return {
    failure: null,
    interval: settings.interval,
    minInterval: settings.minInterval,
    complete: 0,
    incomplete: 0,
    downloaded: 0,
    compact4: EMPTY,
    count4: 0,
    compact6: EMPTY,
    count6: 0,
    peers4: [],
    peers6: [],
  };
}

const EMPTY = Buffer.alloc(0);
/** The peer records of a compact outcome: none (never written to). */
const NO_PEERS: StoredPeer[] = Object.freeze([]) as unknown as StoredPeer[];

/**
 * Who waits for an announce to the shared store (announceSharedTo): its
 * `done` is called with the waiter itself and the outcome (reused: read it
 * before returning), or with null and an error that is not the store's being
 * unavailable. The waiter is the caller's, so a caller may keep a few and
 * reuse them: nothing is allocated per announce on its way.
 */
export interface SharedWaiter {
  readonly done: (w: SharedWaiter, out: AnnounceOutcome | null, err: unknown) => void;
}

export class AnnounceHandler {
  readonly #deps: AnnounceHandlerDeps;
  readonly #out: AnnounceOutcome = {
    failure: null,
    interval: 0,
    minInterval: 0,
    complete: 0,
    incomplete: 0,
    downloaded: 0,
    compact4: Buffer.alloc(0),
    count4: 0,
    compact6: Buffer.alloc(0),
    count6: 0,
    peers4: [],
    peers6: [],
  };
  readonly #owners: PeerOwners;
  readonly #update: PeerUpdate = {
    peerId: "",
    owner: 0,
    ip4: -1,
    ip6: "",
    port: 0,
    left: 0,
    previousLeft: 0,
  };
  readonly #scrape: ScrapeOutcome = { complete: 0, downloaded: 0, incomplete: 0 };
  /** The shared path's announce (packed by the store at once) and outcome (read by the caller at once). */
  readonly #sharedAnnounce: SharedAnnounce = {
    infoHash: "",
    update: { peerId: "", owner: 0, ip4: -1, ip6: "", port: 0, left: 0, previousLeft: 0 },
    event: "none",
    want: 0,
    leechersOnly: false,
    first: 4,
    second: 0,
    compact: true,
    registeredOnly: false,
  };
  readonly #sharedOut: AnnounceOutcome;

  constructor(deps: AnnounceHandlerDeps) {
    this.#deps = deps;
    this.#owners = deps.owners ?? new PeerOwners();
    this.#out.compact4 = Buffer.alloc(6 * deps.settings.maxNumwant);
    this.#out.compact6 = Buffer.alloc(18 * deps.settings.maxNumwant);
    this.#sharedOut = newOutcome(deps.settings);
  }

  get settings(): AnnounceSettings {
    return this.#deps.settings;
  }

  #fail(reason: string): AnnounceOutcome {
    const out = this.#out;
    out.failure = reason;
    this.#noPeers();
    return out;
  }

  #noPeers(): void {
    const out = this.#out;
    out.count4 = 0;
    out.count6 = 0;
    // Setting an array's length is a call into the runtime: only when needed.
    if (out.peers4.length > 0) out.peers4.length = 0;
    if (out.peers6.length > 0) out.peers6.length = 0;
  }

  #fillUpdate(f: AnnounceFields, source: AnnounceSource, owner: number, u: PeerUpdate): void {
    u.peerId = f.peerId;
    u.owner = owner;
    u.ip4 = source.family === 4 ? ip4Number(source.ip) : -1;
    u.ip6 = source.family === 6 ? source.ip : "";
    u.port = f.port;
    u.left = f.left;
    if (this.#deps.settings.trustIpParam) {
      for (const text of [f.ip, f.ipv4, f.ipv6]) {
        const addr = text ? normalizeIp(text) : undefined;
        if (addr?.family === 4) u.ip4 = addr.bytes.readUInt32BE(0);
        else if (addr?.family === 6) u.ip6 = addr.bytes.toString("latin1");
      }
    }
  }

  /** Whether announces and scrapes go to a shared store (announceSharedTo, scrapeShared). */
  get shared(): boolean {
    return this.#deps.shared !== undefined;
  }

  /**
   * One announce, to the shared store: one request to it (shared-announce
   * has the reasons), without a promise (the UDP and HTTP hot paths): `f`
   * and `source` are read before this returns, so the caller may reuse
   * them; `w.done` is called once (SharedWaiter).
   */
  announceSharedTo(
    f: AnnounceFields,
    source: AnnounceSource,
    transport: Transport,
    w: SharedWaiter,
  ): void {
    const { metrics, settings } = this.#deps;
    const shared = this.#deps.shared as SharedSwarmStore;
    metrics.announces[transport][f.event]++;
    const owner = this.#owners.of(f.keyValue, source.family, source.ip);
    // Reused: the store packs the announce before announceTo returns.
    const a = this.#sharedAnnounce;
    this.#fillUpdate(f, source, owner, a.update);
    const first = source.family;
    a.infoHash = f.infoHash;
    a.event = f.event === "stopped" ? "stopped" : f.event === "completed" ? "completed" : "none";
    a.want = f.numwant < 0 ? settings.defaultNumwant : Math.min(f.numwant, settings.maxNumwant);
    a.leechersOnly = f.left === 0;
    a.first = first;
    a.second = transport === "http" ? (first === 4 ? 6 : 4) : 0;
    a.compact = f.compact;
    a.registeredOnly = settings.registeredOnly;
    shared.announceTo(a, w, this.#sharedReply);
  }

  /** The shared store's reply to one announce, as an outcome for its caller. */
  readonly #sharedReply = (w: SharedWaiter, r: SharedAnnounceReply | null, err: unknown): void => {
    const metrics = this.#deps.metrics;
    const out = this.#sharedOut;
    out.failure = null;
    out.interval = this.#deps.settings.interval;
    out.minInterval = this.#deps.settings.minInterval;
    out.complete = 0;
    out.incomplete = 0;
    out.downloaded = 0;
    out.compact4 = EMPTY;
    out.count4 = 0;
    out.compact6 = EMPTY;
    out.count6 = 0;
    out.peers4 = NO_PEERS;
    out.peers6 = NO_PEERS;
    if (r === null) {
      if (!(err instanceof StoreUnavailableError)) {
        w.done(w, null, err);
        return;
      }
      // Never a made-up peer list: the client tries again (BEP 3 failure reason).
      metrics.errors.store_unavailable++;
      out.failure = STORE_UNAVAILABLE_REASON;
    } else if (r.result === "unregistered") {
      metrics.errors.unregistered++;
      out.failure = UNREGISTERED_REASON;
    } else if (r.result === "too_many_swarms") {
      metrics.errors.too_many_swarms++;
      out.failure = TOO_MANY_SWARMS_REASON;
    } else {
      if (r.result === "swarm_full") metrics.errors.swarm_full++;
      out.compact4 = r.compact4;
      out.count4 = r.compact4.length / 6;
      out.compact6 = r.compact6;
      out.count6 = r.compact6.length / 18;
      out.peers4 = r.peers4;
      out.peers6 = r.peers6;
      out.complete = r.counts.seeders;
      out.incomplete = r.counts.leechers;
      out.downloaded = r.counts.completed;
    }
    w.done(w, out, null);
  };

  /** BEP 48 counts for several info hashes from the shared store; null when it did not answer. */
  async scrapeShared(infoHashes: readonly string[]): Promise<ScrapeOutcome[] | null> {
    try {
      const counts = await (this.#deps.shared as SharedSwarmStore).scrape(infoHashes);
      return counts.map((c) => ({
        complete: c.seeders,
        incomplete: c.leechers,
        downloaded: c.completed,
      }));
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      this.#deps.metrics.errors.store_unavailable++;
      return null;
    }
  }

  /**
   * One announce. UDP answers carry peers of the packet's family only (BEP 15);
   * HTTP answers carry both (BEP 7), the requester's family first.
   */
  announce(f: AnnounceFields, source: AnnounceSource, transport: Transport): AnnounceOutcome {
    const { store, clock, metrics, settings } = this.#deps;
    metrics.announces[transport][f.event]++;
    const out = this.#out;
    out.failure = null;
    out.interval = settings.interval;
    out.minInterval = settings.minInterval;
    const key = f.infoHash;
    if (settings.registeredOnly && !this.#deps.isRegistered(key)) {
      metrics.errors.unregistered++;
      return this.#fail(UNREGISTERED_REASON);
    }
    // The peer is (peer id, owner): the same id from anyone else is another
    // peer, which can neither remove nor move this one (peer-owner.ts).
    const owner = this.#owners.of(f.keyValue, source.family, source.ip);
    // BEP 21's `paused` (a partial seed: left > 0, downloading nothing more)
    // is a regular announce here, as opentracker and most trackers take it:
    // the peer counts in `incomplete`, which BEP 21 says holds downloaders
    // and partial seeds alike, and no `downloaders` is sent (that would take
    // a flag per peer in both stores, memory and Redis, for a figure few
    // clients read). Only `completed` from a peer with bytes left counts a
    // download.
    if (f.event === "stopped") {
      // BEP 3: a stopped peer leaves the swarm at once and needs no peers.
      store.remove(key, f.peerId, owner);
      this.#noPeers();
    } else {
      const u = this.#update;
      this.#fillUpdate(f, source, owner, u);
      const result = store.put(key, u, clock.now());
      if (result === "too_many_swarms") {
        metrics.errors.too_many_swarms++;
        return this.#fail(TOO_MANY_SWARMS_REASON);
      }
      if (result === "swarm_full") metrics.errors.swarm_full++;
      // Count a download once: not again from a peer that was already a seeder.
      if (f.event === "completed" && u.previousLeft !== 0 && result !== "swarm_full") {
        const completed = store.addCompleted(key);
        this.#deps.onCompleted?.(key, completed);
      }
      const want =
        f.numwant < 0 ? settings.defaultNumwant : Math.min(f.numwant, settings.maxNumwant);
      // BEP 3 leaves the choice to the tracker: seeders gain nothing from other seeders.
      const leechersOnly = f.left === 0;
      const first = source.family;
      const second = first === 4 ? 6 : 4;
      // UDP answers carry the packet's family only (BEP 15); HTTP both, the asker's first (BEP 7).
      const other = transport === "http";
      if (f.compact) {
        if (out.peers4.length > 0) out.peers4.length = 0;
        if (out.peers6.length > 0) out.peers6.length = 0;
        const n1 = store.sampleCompact(
          key,
          first,
          want,
          f.peerId,
          leechersOnly,
          first === 4 ? out.compact4 : out.compact6,
          0,
          owner,
        );
        const n2 = other
          ? store.sampleCompact(
              key,
              second,
              want - n1,
              f.peerId,
              leechersOnly,
              second === 4 ? out.compact4 : out.compact6,
              0,
              owner,
            )
          : 0;
        out.count4 = first === 4 ? n1 : n2;
        out.count6 = first === 4 ? n2 : n1;
      } else {
        out.count4 = 0;
        out.count6 = 0;
        const firstOut = first === 4 ? out.peers4 : out.peers6;
        const otherOut = first === 4 ? out.peers6 : out.peers4;
        const n1 = store.sample(key, first, want, f.peerId, leechersOnly, firstOut, owner);
        if (other) store.sample(key, second, want - n1, f.peerId, leechersOnly, otherOut, owner);
        else otherOut.length = 0;
      }
    }
    const counts = store.counts(key);
    out.complete = counts?.seeders ?? 0;
    out.incomplete = counts?.leechers ?? 0;
    out.downloaded = counts?.completed ?? 0;
    return out;
  }

  /** BEP 48 counts for one info hash (latin1); zeros for a swarm the tracker does not know. */
  scrape(infoHash: string): ScrapeOutcome {
    const counts = this.#deps.store.counts(infoHash);
    const s = this.#scrape;
    s.complete = counts?.seeders ?? 0;
    s.incomplete = counts?.leechers ?? 0;
    s.downloaded = counts?.completed ?? this.#deps.completedOf?.(infoHash) ?? 0;
    return s;
  }
}
