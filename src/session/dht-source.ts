/**
 * The DHT as a peer source (BEP 5), like the trackers: a get_peers and
 * announce_peer for every active public torrent, again every 15 minutes
 * (sooner while it finds nobody), the peers going to the torrent. The node
 * contacts only nodes it was given: the user's bootstrap nodes, a torrent's
 * `nodes`, peers' `port` messages, and the table saved in <dataDir>/dht.json
 * on close and loaded on start (no cold bootstrap after a restart). No
 * router is built in (DESIGN.md).
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { DhtNode, type DhtStats, type Endpoint } from "../dht/index.ts";
import { nodeUdp, type UdpNetwork } from "../net/index.ts";
import type { Torrent } from "../torrent/index.ts";
import type { Clock, Logger, RandomSource, TimerHandle } from "../util/index.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { DHT_STATE_FILE, loadDhtState } from "./dht-state-file.ts";

/** What a Client's `dht` option says. */
export interface ClientDhtOptions {
  /** Nodes to join through, as host:port (a name is looked up once at start). */
  bootstrap?: readonly { host: string; port: number }[];
  /** UDP port (default: the client's TCP port when free, else any). */
  port?: number;
  /** Where datagrams go (default the host's network; tests give an in-memory one). */
  udp?: UdpNetwork;
  /** BEP 43: look up and announce, answer nobody. */
  readOnly?: boolean;
  /** BEP 42: refuse nodes whose id does not fit their public address. */
  enforceNodeId?: boolean;
}

export const DHT_SOURCE_TIMING = {
  /** Re-announce period (BEP 5 stores expire after about 30 minutes). */
  announceMs: 15 * 60_000,
  /** First retry while lookups find no peers (the table may still be filling); doubles each time. */
  retryMs: 5_000,
  /** The longest wait between retries. */
  maxRetryMs: 120_000,
} as const;

interface Watched {
  torrent: Torrent;
  timer: TimerHandle | undefined;
  running: boolean;
  /** The next wait when a lookup finds nobody. */
  retryMs: number;
  detach: () => void;
}

export class DhtPeerSource {
  readonly node: DhtNode;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #dataDir: string;
  readonly #peerPort: () => number;
  readonly #watched = new Map<Torrent, Watched>();
  /** BEP 32: the IPv6 node beside the IPv4 one, when the host has IPv6. */
  #node6: DhtNode | undefined;
  #closed = false;

  private constructor(
    node: DhtNode,
    clock: Clock,
    log: Logger,
    dataDir: string,
    peerPort: () => number,
  ) {
    this.node = node;
    this.#clock = clock;
    this.#log = log;
    this.#dataDir = dataDir;
    this.#peerPort = peerPort;
  }

  /** Loads the saved table, binds, and joins through it and the bootstrap nodes. */
  static async start(
    o: ClientDhtOptions,
    env: {
      dataDir: string;
      host?: string;
      tcpPort: number;
      clock: Clock;
      logger: Logger;
      random?: RandomSource;
    },
  ): Promise<DhtPeerSource> {
    const state = await loadDhtState(join(env.dataDir, DHT_STATE_FILE));
    const bootstrap = await resolveAll(o.bootstrap ?? []);
    // What the IPv4 node and its IPv6 twin share.
    const common = {
      udp: o.udp ?? nodeUdp,
      clock: env.clock,
      ...(env.random ? { random: env.random } : {}),
      ...(state ? { state } : {}),
      bootstrap,
      ...(o.readOnly ? { readOnly: true } : {}),
      ...(o.enforceNodeId ? { enforceNodeId: true } : {}),
    };
    const make = (port: number) =>
      new DhtNode({
        ...common,
        port,
        ...(env.host && isIP(env.host) === 4 ? { host: env.host } : {}),
      });
    let node = make(o.port ?? env.tcpPort);
    try {
      await node.start();
    } catch (err) {
      if (o.port !== undefined) throw err;
      // The TCP port's number is taken for UDP: any port will do.
      await node.close();
      node = make(0);
      await node.start();
    }
    const source = new DhtPeerSource(node, env.clock, env.logger, env.dataDir, () => env.tcpPort);
    // BEP 32: on a dual-stack host an IPv6 node (same id, same port) joins the IPv6 DHT.
    if (env.host === undefined || isIP(env.host) === 6) {
      const node6 = new DhtNode({
        ...common,
        family: 6,
        id: node.id,
        port: node.address?.port ?? 0,
        ...(env.host ? { host: env.host } : {}),
      });
      try {
        await node6.start();
        node.pairWith(node6);
        source.#node6 = node6;
      } catch (err) {
        await node6.close();
        env.logger.debug("dht", { ipv6: `no IPv6 node: ${(err as Error).message}` });
      }
    }
    return source;
  }

  /** The nodes running: IPv4, and IPv6 when the host has it. */
  get #nodes(): DhtNode[] {
    return this.#node6 ? [this.node, this.#node6] : [this.node];
  }

  #nodeFor(address: string): DhtNode | undefined {
    return isIP(address) === 6 ? this.#node6 : this.node;
  }

  get port(): number {
    return this.node.address?.port ?? 0;
  }

  /** Follows a torrent: looks it up while it is active and public, takes nodes from it and its peers. */
  watch(torrent: Torrent): () => void {
    const onNode = (host: string, port: number) => this.#addNode(host, port);
    const onState = () => this.#schedule(w, 0);
    const onMetadata = () => this.#seedNodes(torrent);
    torrent.on("dht-node", onNode);
    torrent.on("state", onState);
    torrent.on("metadata", onMetadata);
    const w: Watched = {
      torrent,
      timer: undefined,
      running: false,
      retryMs: DHT_SOURCE_TIMING.retryMs,
      detach: () => {
        torrent.off("dht-node", onNode);
        torrent.off("state", onState);
        torrent.off("metadata", onMetadata);
        if (w.timer) this.#clock.clearTimeout(w.timer);
        this.#watched.delete(torrent);
      },
    };
    this.#watched.set(torrent, w);
    this.#seedNodes(torrent);
    this.#schedule(w, 0);
    return w.detach;
  }

  #seedNodes(torrent: Torrent): void {
    for (const n of torrent.metadata?.nodes ?? []) this.#addNode(n.host, n.port);
  }

  #addNode(host: string, port: number): void {
    if (this.#closed) return;
    if (isIP(host)) {
      this.#nodeFor(host)?.addNode({ address: host, port });
      return;
    }
    void resolveAll([{ host, port }]).then((list) => {
      for (const e of list) this.#nodeFor(e.address)?.addNode(e);
    });
  }

  #wanted(t: Torrent): boolean {
    const state = t.state;
    const active = state === "downloading" || state === "seeding" || state === "metadata";
    // BEP 27: a private torrent's peers come from its trackers only.
    return active && !t.metadata?.private;
  }

  #schedule(w: Watched, ms: number): void {
    if (this.#closed || w.running) return;
    if (w.timer) this.#clock.clearTimeout(w.timer);
    w.timer = this.#clock.setTimeout(() => {
      w.timer = undefined;
      void this.#announce(w);
    }, ms);
  }

  async #announce(w: Watched): Promise<void> {
    const { torrent } = w;
    if (this.#closed || !this.#watched.has(torrent) || !this.#wanted(torrent)) return;
    w.running = true;
    let found = 0;
    try {
      const onPeers = (peers: Endpoint[]) => {
        found += peers.length;
        if (!this.#wanted(torrent)) return;
        torrent.addPeers(
          peers.map((p) => ({ ip: p.address, port: p.port })),
          "dht",
        );
      };
      const results = await Promise.all(
        this.#nodes.map((n) => n.announce(torrent.infoHash, this.#peerPort(), onPeers)),
      );
      this.#log.debug("dht", {
        infoHash: torrent.infoHashHex,
        peers: found,
        announcedTo: results.reduce((a, r) => a + r.announcedTo, 0),
        queries: results.reduce((a, r) => a + r.queries, 0),
      });
    } catch (err) {
      this.#log.warn("dht", { infoHash: torrent.infoHashHex, error: (err as Error).message });
    } finally {
      w.running = false;
    }
    if (found > 0) {
      w.retryMs = DHT_SOURCE_TIMING.retryMs;
      this.#schedule(w, DHT_SOURCE_TIMING.announceMs);
    } else {
      this.#schedule(w, w.retryMs);
      w.retryMs = Math.min(DHT_SOURCE_TIMING.maxRetryMs, w.retryMs * 2);
    }
  }

  stats(): DhtStats {
    // One set of counters for the host: the IPv6 node's added to the IPv4 one's.
    const out = this.node.stats();
    const six = this.#node6?.stats();
    if (six) {
      for (const [k, v] of Object.entries(six) as [keyof DhtStats, DhtStats[keyof DhtStats]][]) {
        if (typeof v === "number" && typeof out[k] === "number") (out[k] as number) += v;
      }
    }
    return out;
  }

  /** Saves the table for the next start, and closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of [...this.#watched.values()]) w.detach();
    const state = this.node.state();
    if (this.#node6) state.nodes.push(...this.#node6.state().nodes);
    for (const n of this.#nodes) await n.close();
    await writeFileAtomic(join(this.#dataDir, DHT_STATE_FILE), `${JSON.stringify(state)}\n`).catch(
      (err) =>
        this.#log.warn("dht", {
          error: `the DHT table could not be saved: ${(err as Error).message}`,
        }),
    );
  }
}

/** host:port pairs to addresses; a name that does not resolve is left out. */
async function resolveAll(list: readonly { host: string; port: number }[]): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  for (const { host, port } of list) {
    if (isIP(host)) out.push({ address: host, port });
    else {
      const found = await dnsLookup(host, { family: 4 }).catch(() => undefined);
      if (found) out.push({ address: found.address, port });
    }
  }
  return out;
}
