/**
 * Local service discovery (BEP 14): tells the LAN which torrents we take
 * part in, on 239.192.152.143:6771 and [ff15::efc0:988f]:6771, and hears
 * the announces of the peers around us. An announce for a torrent we
 * announce ourselves becomes a "peer" event: the sender's address (BEP 14:
 * "based on the UDP source address") with the port it announced.
 *
 * One socket per family, bound to the group's port with SO_REUSEADDR (other
 * clients on this host listen there too) and joined to the group; it both
 * sends and receives. Multicast loopback stays on, so two clients on one
 * host find each other; our own announces come back and are known by our
 * cookie. The TTL is 1 by default: the announces stay on the link.
 *
 * Opt-in (DESIGN.md): nothing here runs until the session makes one.
 */
import { EventEmitter } from "node:events";
import type { UdpFamily, UdpNetwork, UdpSocket, UdpSource } from "../net/index.ts";
import {
  type Clock,
  type InfoHash,
  infoHashHex,
  type Logger,
  type RandomSource,
  randomBytesFrom,
  realClock,
  silentLogger,
  type TimerHandle,
} from "../util/index.ts";
import { DiscoveryError } from "./errors.ts";
import {
  decodeLsdAnnounce,
  encodeLsdAnnounce,
  LSD_IPV4_GROUP,
  LSD_IPV4_HOST,
  LSD_IPV6_GROUP,
  LSD_IPV6_HOST,
  LSD_MAX_SEND_BYTES,
  LSD_PORT,
  lsdAnnounceLength,
} from "./lsd-message.ts";
import { LsdSchedule } from "./lsd-schedule.ts";

/** The same (torrent, peer) heard again within this is not reported again. */
export const LSD_REPEAT_QUIET_MS = 60_000;
/** (torrent, peer) pairs remembered for that; past it the memory starts afresh. */
export const LSD_MAX_RECENT = 4_096;
/**
 * Listen ports taken from one address within LSD_REPEAT_QUIET_MS. A client
 * announces one port; a host announcing port after port is flooding our
 * candidate lists, and its further ports are ignored.
 */
export const LSD_MAX_PORTS_PER_HOST = 4;

export interface LocalPeerDiscoveryOptions {
  network: UdpNetwork;
  /** Our BitTorrent listen port: what the announces tell. */
  listenPort: number;
  /** Default both: an IPv6 failure (no IPv6 on the host) leaves IPv4 working. */
  families?: readonly UdpFamily[];
  /** The group port (BEP 14: 6771); tests may choose another. */
  groupPort?: number;
  /** Multicast hops (default 1, the link; BEP 14 allows more). */
  ttl?: number;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
}

export interface LocalPeer {
  ip: string;
  port: number;
}

export interface LocalPeerDiscoveryEvents {
  /** A peer on the LAN announced a torrent we announce. */
  peer: [infoHash: InfoHash, peer: LocalPeer];
}

interface Channel {
  family: UdpFamily;
  socket: UdpSocket;
  group: string;
  host: string;
}

const GROUPS = {
  4: { group: LSD_IPV4_GROUP, host: LSD_IPV4_HOST },
  6: { group: LSD_IPV6_GROUP, host: LSD_IPV6_HOST },
} as const;

export class LocalPeerDiscovery extends EventEmitter<LocalPeerDiscoveryEvents> {
  /** Ours, sent with every announce so we know our own when they come back. */
  readonly cookie: string;
  readonly #o: LocalPeerDiscoveryOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #groupPort: number;
  readonly #schedule = new LsdSchedule();
  readonly #torrents = new Map<string, InfoHash>();
  readonly #recent = new Map<string, number>();
  /** Per source address: the ports it announced lately, with when. */
  readonly #hostPorts = new Map<string, Map<number, number>>();
  #channels: Channel[] = [];
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #state: "new" | "running" | "closed" = "new";
  #sent = 0;

  constructor(o: LocalPeerDiscoveryOptions) {
    super();
    if (!Number.isInteger(o.listenPort) || o.listenPort < 1 || o.listenPort > 65535) {
      throw new RangeError(`LSD needs our listen port, got ${o.listenPort}`);
    }
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    this.#log = o.logger ?? silentLogger;
    this.#groupPort = o.groupPort ?? LSD_PORT;
    this.cookie = randomBytesFrom(o.random ?? Math.random)(8).toString("hex");
  }

  /** Opens the sockets and joins the groups; rejects only if no family works. */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new RangeError("LocalPeerDiscovery starts once");
    this.#state = "running";
    const failures: string[] = [];
    for (const family of this.#o.families ?? ([4, 6] as const)) {
      try {
        this.#channels.push(await this.#open(family));
      } catch (err) {
        failures.push(`IPv${family}: ${(err as Error).message}`);
        this.#log.warn("lsd: cannot listen on a group", { family, error: (err as Error).message });
      }
    }
    if (this.#state !== "running") {
      await this.#closeChannels();
      return;
    }
    if (this.#channels.length === 0) {
      this.#state = "closed";
      throw new DiscoveryError(
        "lsd_unavailable",
        `local peer discovery cannot listen on UDP port ${this.#groupPort}: ${failures.join("; ")}`,
      );
    }
    this.#reschedule();
  }

  /** Starts announcing a torrent (BEP 27: never call this for a private one). */
  add(infoHash: InfoHash): void {
    if (this.#state === "closed") return;
    const key = infoHashHex(infoHash);
    if (this.#torrents.has(key)) return;
    this.#torrents.set(key, infoHash);
    this.#schedule.add(key, this.#clock.now());
    this.#reschedule();
  }

  /** Stops announcing it, and stops reporting its peers. */
  remove(infoHash: InfoHash): void {
    const key = infoHashHex(infoHash);
    if (!this.#torrents.delete(key)) return;
    this.#schedule.remove(key);
    this.#reschedule();
  }

  /** Announces sent so far (one datagram each), over both groups. */
  get datagramsSent(): number {
    return this.#sent;
  }

  has(infoHash: InfoHash): boolean {
    return this.#torrents.has(infoHashHex(infoHash));
  }

  /** Leaves the groups and closes the sockets. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#closeChannels();
  }

  async #open(family: UdpFamily): Promise<Channel> {
    const { group, host } = GROUPS[family];
    // IPv6 only on the IPv6 socket: IPv4 announces come through the IPv4 one.
    const opts = family === 6 ? { reuseAddr: true, ipv6Only: true } : { reuseAddr: true };
    const socket = this.#o.network.createSocket(family, opts);
    try {
      await socket.bind({ port: this.#groupPort });
      socket.addMembership(group);
      socket.setMulticastTTL(this.#o.ttl ?? 1);
    } catch (err) {
      await socket.close();
      throw err;
    }
    socket.unref();
    socket.on("message", (msg, from) => this.#onMessage(msg, from));
    socket.on("error", (err) => this.#log.debug("lsd: socket error", { error: err.message }));
    return { family, socket, group, host };
  }

  async #closeChannels(): Promise<void> {
    const channels = this.#channels;
    this.#channels = [];
    await Promise.all(channels.map((c) => c.socket.close()));
  }

  #reschedule(): void {
    if (this.#state !== "running" || this.#channels.length === 0) return;
    const at = this.#schedule.nextRoundAt();
    if (at === this.#timerAt && this.#timer) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (at === undefined) return;
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => this.#round(), Math.max(0, at - this.#clock.now()));
  }

  #round(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const keys = this.#schedule.takeRound(this.#clock.now());
    const hashes = keys.map((k) => this.#torrents.get(k)).filter((h) => h !== undefined);
    for (const c of this.#channels) this.#send(c, hashes);
    this.#reschedule();
  }

  /** One channel's announces: as many info hashes to a datagram as fit in BEP 14's 1400 bytes. */
  #send(c: Channel, hashes: readonly InfoHash[]): void {
    const port = this.#o.listenPort;
    let perDatagram = 1;
    while (lsdAnnounceLength(c.host, port, perDatagram + 1, this.cookie) <= LSD_MAX_SEND_BYTES) {
      perDatagram++;
    }
    for (let i = 0; i < hashes.length; i += perDatagram) {
      const msg = encodeLsdAnnounce({
        host: c.host,
        port,
        infoHashes: hashes.slice(i, i + perDatagram),
        cookie: this.cookie,
      });
      this.#sent++;
      c.socket.send(msg, this.#groupPort, c.group, (err) => {
        if (err)
          this.#log.debug("lsd: announce not sent", { family: c.family, error: err.message });
      });
    }
  }

  #onMessage(msg: Buffer, from: UdpSource): void {
    if (this.#state !== "running") return;
    let announce: ReturnType<typeof decodeLsdAnnounce>;
    try {
      announce = decodeLsdAnnounce(msg);
    } catch (err) {
      this.#log.debug("lsd: datagram ignored", {
        from: from.address,
        error: (err as Error).message,
      });
      return;
    }
    if (announce.cookie === this.cookie) return; // our own, back through multicast loopback
    const now = this.#clock.now();
    if (!this.#portAllowed(from.address, announce.port, now)) {
      this.#log.debug("lsd: too many ports from one address", { from: from.address });
      return;
    }
    for (const h of announce.infoHashes) {
      const key = infoHashHex(h);
      const infoHash = this.#torrents.get(key);
      if (!infoHash) continue;
      const pair = `${key} ${from.address} ${announce.port}`;
      const last = this.#recent.get(pair);
      if (last !== undefined && now - last < LSD_REPEAT_QUIET_MS) continue;
      if (this.#recent.size >= LSD_MAX_RECENT) this.#recent.clear();
      this.#recent.set(pair, now);
      this.emit("peer", infoHash, { ip: from.address, port: announce.port });
    }
  }

  #portAllowed(address: string, port: number, now: number): boolean {
    let ports = this.#hostPorts.get(address);
    if (!ports) {
      if (this.#hostPorts.size >= LSD_MAX_RECENT) this.#hostPorts.clear();
      ports = new Map();
      this.#hostPorts.set(address, ports);
    }
    for (const [p, at] of ports) if (now - at >= LSD_REPEAT_QUIET_MS) ports.delete(p);
    if (!ports.has(port) && ports.size >= LSD_MAX_PORTS_PER_HOST) return false;
    ports.set(port, now);
    return true;
  }
}
