/**
 * The session's peer sources beside trackers, and the block list that
 * filters every source: the DHT (BEP 5), local service discovery (BEP 14)
 * and the IP filter. The DHT and LSD modules are loaded only when asked for:
 * a client without them never loads them (about 14 ms and a few MiB of a
 * daemon's start).
 */
import type { DhtStats } from "../dht/index.ts";
import { type IpFilter, nodeUdp, type UdpNetwork } from "../net/index.ts";
import type { Torrent } from "../torrent/index.ts";
import type { Clock, Logger, RandomSource } from "../util/index.ts";
import type { ClientOptions } from "./client-options.ts";
import type { DhtPeerSource } from "./dht-source.ts";
import type { SessionLocalDiscovery } from "./local-discovery.ts";

/**
 * Up to `max` nodes of the DHT table a session saved in `dataDir`, for a
 * trackerless torrent's `nodes` (BEP 5; dht-state-file.ts, loaded by the
 * call: a session that runs no DHT never reads it).
 */
export async function savedDhtNodes(
  dataDir: string,
  max?: number,
): Promise<{ host: string; port: number }[]> {
  return (await import("./dht-state-file.ts")).savedDhtNodes(dataDir, max);
}

/** What the sources need to know of the client that runs them. */
export interface PeerSourceContext {
  dataDir: string;
  host?: string;
  /** The client's TCP listen port (the DHT takes the same number for UDP when free). */
  tcpPort: number;
  udp?: UdpNetwork;
  clock: Clock;
  logger: Logger;
  random?: RandomSource;
}

export class PeerSources {
  #lsd: SessionLocalDiscovery | undefined;
  #dht: DhtPeerSource | undefined;
  /** Block lists (setIpFilter); addresses refused by them, counted. */
  #ipFilter: IpFilter | undefined;
  #blocked = 0;

  constructor(ipFilter: IpFilter | undefined) {
    this.#ipFilter = ipFilter;
  }

  async startDht(o: NonNullable<ClientOptions["dht"]>, c: PeerSourceContext): Promise<void> {
    const { DhtPeerSource } = await import("./dht-source.ts");
    const udp = o.udp ?? c.udp;
    this.#dht = await DhtPeerSource.start(udp ? { ...o, udp } : o, {
      dataDir: c.dataDir,
      ...(c.host ? { host: c.host } : {}),
      tcpPort: c.tcpPort,
      clock: c.clock,
      logger: c.logger,
      ...(c.random ? { random: c.random } : {}),
    });
  }

  async startLocalDiscovery(c: PeerSourceContext): Promise<void> {
    const { lsdFamilies, SessionLocalDiscovery } = await import("./local-discovery.ts");
    const o: Parameters<typeof SessionLocalDiscovery.start>[0] = {
      network: c.udp ?? nodeUdp,
      listenPort: c.tcpPort,
      families: lsdFamilies(c.host),
      clock: c.clock,
      logger: c.logger,
    };
    if (c.random) o.random = c.random;
    this.#lsd = await SessionLocalDiscovery.start(o);
  }

  /** The DHT node's counters and table size (BEP 5), when the DHT is on. */
  dhtStats(): DhtStats | undefined {
    return this.#dht?.stats();
  }

  /** BEP 5: the port peers that set the DHT bit hear, when the DHT is on. */
  get dhtPort(): number | undefined {
    return this.#dht?.port;
  }

  /** Whether local service discovery (BEP 14) runs: asked for, and its groups joined. */
  get localDiscovery(): boolean {
    return this.#lsd !== undefined;
  }

  /**
   * Sets (or with undefined clears) the IP filter, live: blocked addresses
   * are refused both ways, whatever told us of them (trackers, PEX, DHT,
   * LSD), and open connections to them are closed.
   */
  setIpFilter(filter: IpFilter | undefined, torrents: readonly Torrent[]): void {
    this.#ipFilter = filter;
    if (!filter) return;
    for (const t of torrents) t.closePeers((ip) => filter.blocked(ip));
  }

  /** Connections and candidates the IP filter refused since the start. */
  get ipFilterBlocked(): number {
    return this.#blocked;
  }

  /** Whether the IP filter refuses `ip` (counted when it does). */
  blocked(ip: string): boolean {
    if (!this.#ipFilter?.blocked(ip)) return false;
    this.#blocked++;
    return true;
  }

  /** Announces the torrent on the sources that run; returns how to stop. */
  watch(torrent: Torrent, infoHashHex: string): (() => void) | undefined {
    const lsd = this.#lsd?.watch(torrent, infoHashHex);
    const dht = this.#dht?.watch(torrent);
    // Without a peer source nothing follows it (and no closure is kept per torrent).
    if (!lsd && !dht) return undefined;
    return () => {
      lsd?.();
      dht?.();
    };
  }

  async close(): Promise<void> {
    await this.#lsd?.close();
    await this.#dht?.close();
  }
}
