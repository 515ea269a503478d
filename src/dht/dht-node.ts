/**
 * A DHT node (BEP 5): one UDP socket, a routing table, a store of announced
 * peers, and lookups for the engine. It contacts only nodes it was given
 * (bootstrap endpoints, a torrent's `nodes`, peers' `port` messages, a saved
 * table) or learned from them: no router is built in (DESIGN.md).
 *
 * One node speaks one address family; a dual-stack host runs one per family
 * with the same id (BEP 32), and `want` asks a node for the other family's nodes.
 */
import { randomBytes as cryptoRandomBytes } from "node:crypto";
import type { UdpSocket } from "../net/index.ts";
import {
  type Clock,
  type RandomSource,
  randomBytesFrom,
  realClock,
  type TimerHandle,
} from "../util/index.ts";
import { type DhtFamily, type Endpoint, familyOf, type NodeInfo } from "./compact.ts";
import { DhtError } from "./errors.ts";
import { KRPC_ERROR, type KrpcQuery, type KrpcResponse } from "./krpc.ts";
import { type Candidate, type LookupResult, lookup } from "./lookup.ts";
import { idInBucket, type NodeId, nodeIdMatchesAddress } from "./node-id.ts";
import {
  type DhtNodeOptions,
  type DhtState,
  type DhtStats,
  type LookupTuning,
  NODE_LIMITS,
} from "./node-options.ts";
import { PeerStore } from "./peer-store.ts";
import { QueryLimiter } from "./query-limiter.ts";
import { fitReply } from "./reply-budget.ts";
import { ROUTING_LIMITS, RoutingTable } from "./routing-table.ts";
import { KrpcSocket } from "./rpc.ts";
import { TokenSecret } from "./tokens.ts";

export type { DhtNodeOptions, DhtState, DhtStats, LookupTuning } from "./node-options.ts";
export { NODE_LIMITS } from "./node-options.ts";

export class DhtNode {
  readonly family: DhtFamily;
  readonly id: NodeId;
  readonly table: RoutingTable;
  readonly #opts: DhtNodeOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #randomBytes: (n: number) => Buffer;
  readonly #rpc: KrpcSocket;
  readonly #store: PeerStore;
  readonly #tokens: TokenSecret;
  readonly #limiter: QueryLimiter;
  readonly #socket: UdpSocket;
  readonly #joining = new Set<string>();
  /** BEP 32: the node of the other family on this host, for queries that `want` its nodes. */
  #sibling: DhtNode | undefined;
  #maintenance: TimerHandle | undefined;
  #bound: Endpoint | undefined;
  #lookups = 0;
  #closed = false;

  constructor(opts: DhtNodeOptions) {
    this.#opts = opts;
    this.family = opts.family ?? 4;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#randomBytes = opts.random ? randomBytesFrom(opts.random) : (n) => cryptoRandomBytes(n);
    const saved = opts.state?.id ? Buffer.from(opts.state.id, "hex") : undefined;
    this.id = opts.id ?? (saved?.length === 20 ? saved : this.#randomBytes(20));
    this.table = new RoutingTable(this.id, this.#clock, ROUTING_LIMITS.k, true);
    this.#store = new PeerStore(this.#clock, this.#random);
    this.#tokens = new TokenSecret(this.#clock, this.#randomBytes);
    this.#limiter = new QueryLimiter(this.#clock);
    // BEP 32: an IPv6 node has a socket of its own beside the IPv4 one (no dual-stack socket).
    const socket = opts.udp.createSocket(this.family, this.family === 6 ? { ipv6Only: true } : {});
    this.#rpc = new KrpcSocket(socket, this.#clock, this.#randomBytes(2).readUInt16BE(0));
    this.#rpc.onQuery = (q, from, size) => this.#onQuery(q, from, size);
    this.#socket = socket;
  }

  /** Binds the socket, then joins the DHT from the saved table and the bootstrap nodes. */
  async start(): Promise<Endpoint> {
    const bound = await this.#socket.bind({ port: this.#opts.port ?? 0, host: this.#opts.host });
    this.#socket.unref();
    this.#bound = { address: bound.address, port: bound.port };
    this.#schedule();
    void this.bootstrap(this.#opts.bootstrap ?? []);
    return this.#bound;
  }

  get address(): Endpoint | undefined {
    return this.#bound;
  }

  /** BEP 32: pairs this node with the other family's node of a dual-stack host. */
  pairWith(other: DhtNode): void {
    if (other.family === this.family) return;
    this.#sibling = other;
    other.#sibling = this;
  }

  /** A find_node lookup for our own id from these endpoints and what the table knows (BEP 5 joining). */
  async bootstrap(endpoints: readonly Endpoint[]): Promise<number> {
    const saved = (this.#opts.state?.nodes ?? []).flatMap((n) => {
      const id = Buffer.from(n.id, "hex");
      const usable = id.length === 20 && familyOf(n.address) === this.family;
      return usable ? [{ id, address: n.address, port: n.port }] : [];
    });
    const seeds: Candidate[] = [
      ...saved,
      ...endpoints.filter((e) => familyOf(e.address) === this.family),
    ];
    if (seeds.length === 0 && this.table.size === 0) return 0;
    await this.findNode(this.id, seeds);
    return this.table.size;
  }

  #bootstrapSeeds(): Candidate[] {
    return (this.#opts.bootstrap ?? []).filter((e) => familyOf(e.address) === this.family);
  }

  /** A node we were told of (a peer's `port` message, a torrent's `nodes`): ping it, and keep it if it answers. */
  addNode(endpoint: Endpoint): void {
    if (this.#closed || familyOf(endpoint.address) !== this.family) return;
    const k = `${endpoint.address}|${endpoint.port}`;
    if (this.#joining.has(k) || this.#joining.size >= NODE_LIMITS.maxJoinPings) return;
    this.#joining.add(k);
    this.#ask(endpoint, { y: "q", q: "ping", id: this.id }).then(
      () => this.#joining.delete(k),
      () => this.#joining.delete(k),
    );
  }

  /** Iterative find_node; resolves with the closest nodes that answered. */
  findNode(target: NodeId, extraSeeds: readonly Candidate[] = []): Promise<LookupResult> {
    return this.#lookup(target, "find_node", extraSeeds);
  }

  /** Iterative get_peers; `onPeers` hears of peers as they come; `tuning` overrides the node's. */
  getPeers(
    infoHash: NodeId,
    onPeers?: (peers: Endpoint[]) => void,
    tuning?: LookupTuning,
  ): Promise<LookupResult> {
    return this.#lookup(infoHash, "get_peers", [], onPeers, tuning);
  }

  /**
   * get_peers, then announce_peer to the closest nodes that gave a token
   * (BEP 5). `port` 0 announces with implied_port (the UDP source port,
   * for peers behind NAT that speak uTP on it).
   */
  async announce(
    infoHash: NodeId,
    port: number,
    onPeers?: (peers: Endpoint[]) => void,
  ): Promise<LookupResult & { announcedTo: number }> {
    const result = await this.getPeers(infoHash, onPeers);
    const impliedPort = port === 0;
    const sends = result.closest
      .filter((n) => n.token)
      .map((n) =>
        this.#ask(n, {
          y: "q",
          q: "announce_peer",
          id: this.id,
          infoHash,
          port: impliedPort ? (this.#bound?.port ?? 0) : port,
          impliedPort,
          token: n.token,
        }).then(
          () => 1,
          () => 0,
        ),
      );
    const announcedTo = (await Promise.all(sends)).reduce<number>((a, b) => a + b, 0);
    return { ...result, announcedTo };
  }

  #lookup(
    target: NodeId,
    kind: "find_node" | "get_peers",
    extraSeeds: readonly Candidate[],
    onPeers?: (peers: Endpoint[]) => void,
    tuning: LookupTuning | undefined = this.#opts.lookupTuning,
  ): Promise<LookupResult> {
    this.#lookups++;
    const seeds: Candidate[] = [...this.table.closest(target, 16), ...extraSeeds];
    // A table still filling up: the bootstrap nodes help this lookup too.
    if (this.table.size < 8) seeds.push(...this.#bootstrapSeeds());
    const msg: Omit<KrpcQuery, "t"> =
      kind === "find_node"
        ? { y: "q", q: "find_node", id: this.id, target }
        : { y: "q", q: "get_peers", id: this.id, infoHash: target };
    return lookup({
      target,
      seeds,
      clock: this.#clock,
      ask: (to) => this.#ask(to, msg),
      softTimeoutMs: (to) =>
        tuning?.adaptive === false ? Number.MAX_SAFE_INTEGER : this.#softTimeout(to),
      accept: (n) => this.#acceptable(n),
      onPeers,
      ...(tuning?.alpha ? { alpha: tuning.alpha } : {}),
    });
  }

  /** When a query to `to` counts as slow: twice its measured round trip, else twice the usual one. */
  #softTimeout(to: Candidate): number {
    const known = to.id ? this.table.find(to.id, to)?.rtt : undefined;
    const typical = this.#rpc.srtt;
    const base = known ?? typical;
    if (base === undefined) return 500;
    return Math.min(this.#rpc.timeoutMs(), Math.max(50, base * 2));
  }

  #acceptable(n: NodeInfo): boolean {
    if (familyOf(n.address) !== this.family || n.id.equals(this.id)) return false;
    if (this.#opts.enforceNodeId && !nodeIdMatchesAddress(n.id, n.address)) return false;
    return true;
  }

  /** Sends a query and keeps the table in step with how the node answered. */
  async #ask(
    to: Candidate,
    msg: Omit<KrpcQuery, "t">,
  ): Promise<{ response: KrpcResponse; rtt: number }> {
    const q = this.#opts.readOnly ? { ...msg, readOnly: true } : msg;
    try {
      const answer = await this.#rpc.query(to, q);
      const node = { id: answer.response.id, address: to.address, port: to.port };
      if (to.id && !to.id.equals(node.id)) this.table.failed(to.id, to);
      if (this.#acceptable(node)) {
        const { ping } = this.table.heard(node, true, answer.rtt);
        for (const p of ping) this.#pingToKeep(p);
      }
      return answer;
    } catch (err) {
      if (to.id && err instanceof DhtError && err.code === "timeout") this.table.failed(to.id, to);
      throw err;
    }
  }

  #pingToKeep(node: NodeInfo): void {
    this.#ask(node, { y: "q", q: "ping", id: this.id }).catch(() => {});
  }

  #onQuery(q: KrpcQuery, from: Endpoint, size: number): void {
    // BEP 43: a read-only node does not answer.
    if (this.#opts.readOnly || this.#closed) return;
    if (!this.#limiter.allow(from.address)) {
      this.#rpc.counters.rateLimited++;
      return;
    }
    const sender = { id: q.id, address: from.address, port: from.port };
    const known = this.table.find(q.id, from);
    if (known) this.table.heard(sender, false);
    else if (!q.readOnly && this.#acceptable(sender) && this.table.hasRoomFor(q.id))
      this.addNode(from);
    const verified = known !== undefined && known.lastResponse !== undefined;
    const budget = verified
      ? NODE_LIMITS.maxReplyBytes
      : Math.min(
          NODE_LIMITS.maxReplyBytes,
          Math.max(300, size * NODE_LIMITS.unverifiedReplyFactor),
        );
    const base: KrpcResponse = { y: "r", t: q.t, id: this.id, ip: from };
    // BEP 32: `want` asks for nodes of either family; without it, of ours.
    const wants = (f: DhtFamily) => (q.want?.length ? q.want.includes(f) : f === this.family);
    const closestTo = (target: NodeId): Partial<KrpcResponse> => {
      const out: Partial<KrpcResponse> = {};
      for (const node of [this, this.#sibling]) {
        if (!node || !wants(node.family)) continue;
        const nodes = node.table
          .closest(target, 8)
          .map((n) => ({ id: n.id, address: n.address, port: n.port }));
        if (node.family === 4) out.nodes = nodes;
        else out.nodes6 = nodes;
      }
      return out;
    };
    switch (q.q) {
      case "ping":
        this.#rpc.reply(from, base);
        return;
      case "find_node":
        this.#rpc.reply(from, { ...base, ...closestTo(q.target!) });
        return;
      case "get_peers": {
        const reply: KrpcResponse = {
          ...base,
          token: this.#tokens.tokenFor(from.address),
          ...closestTo(q.infoHash!),
        };
        const peers = this.#store.peers(q.infoHash!, 200);
        if (peers.length) this.#rpc.reply(from, fitReply(reply, peers, budget));
        else this.#rpc.reply(from, reply);
        return;
      }
      case "announce_peer": {
        if (!this.#tokens.valid(q.token!, from.address)) {
          this.#rpc.reply(from, {
            y: "e",
            t: q.t,
            code: KRPC_ERROR.protocol,
            message: "Bad token",
          });
          return;
        }
        const port = q.impliedPort ? from.port : q.port!;
        this.#store.announce(q.infoHash!, { address: from.address, port });
        this.#rpc.reply(from, base);
        return;
      }
    }
  }

  #schedule(): void {
    this.#maintenance = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.#maintain();
      this.#schedule();
    }, NODE_LIMITS.maintenanceMs);
  }

  /** BEP 5 table upkeep: refresh buckets nobody touched for 15 minutes, ping questionable nodes. */
  #maintain(): void {
    for (const index of this.table.staleBuckets().slice(0, 2)) {
      this.table.touchBucket(index);
      void this.findNode(idInBucket(this.id, index, this.#randomBytes(20)));
    }
    for (const n of this.table.questionable().slice(0, NODE_LIMITS.pingsPerRound))
      this.#pingToKeep(n);
  }

  stats(): DhtStats {
    return {
      ...this.#rpc.counters,
      id: this.id.toString("hex"),
      nodes: this.table.size,
      buckets: this.table.bucketCount,
      storedPeers: this.#store.size,
      storedInfoHashes: this.#store.infoHashCount,
      lookups: this.#lookups,
    };
  }

  /** The id and the good and questionable nodes, to save for the next start. */
  state(): DhtState {
    return {
      id: this.id.toString("hex"),
      nodes: this.table
        .nodes()
        .filter((n) => this.table.stateOf(n) !== "bad")
        .map((n) => ({ id: n.id.toString("hex"), address: n.address, port: n.port })),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#maintenance) this.#clock.clearTimeout(this.#maintenance);
    await this.#rpc.close();
  }
}
