/**
 * An in-memory network for simulations: hosts with addresses, each with an
 * upload and a download rate shared by all its connections and a one-way
 * latency to the network's core (a link's latency is the sum of its two
 * hosts'). Connections are Transports with TCP's shape: bytes leave at the
 * sender's upload rate, its connections taking turns one segment each (flows
 * sharing a bottleneck); they arrive one link latency later and pass the
 * receiver's download rate in arrival order. A writer's unsent bytes past the
 * high-water mark make write() return false until "drain"; a paused reader
 * stops its sender once a window of bytes waits for it (TCP flow control).
 *
 * Every step is a timer on the injected Clock, and timers due at the same
 * time run in the order they were set, so a run on a fake clock repeats
 * exactly: nothing here reads real time or waits for real I/O.
 */
import { EventEmitter } from "node:events";
import type { Clock } from "../util/index.ts";
import { NetError } from "./errors.ts";
import { type ConnectionLink, MemoryConnection, type Segment } from "./memory-connection.ts";
import type { Transport } from "./transport.ts";

export interface MemoryNetworkOptions {
  clock: Clock;
  /** Unsent bytes a connection holds before write() returns false (default 64 KiB). */
  highWaterMark?: number;
  /** Most bytes a host's uplink sends for one connection before the next one's turn (default 16 KiB). */
  segmentBytes?: number;
  /**
   * Bytes in flight or unread that a connection's reader allows before its
   * sender waits, TCP's receive window (default 4 MiB, as Linux's autotuned
   * windows: a bandwidth-delay product larger than this caps a connection).
   */
  receiveWindow?: number;
  /** A dial to an address no host has fails after this long (default 10 s). */
  connectTimeoutMs?: number;
}

export interface MemoryHostOptions {
  /** Bytes per second over all the host's connections; absent, 0 or Infinity: unlimited. */
  uploadRate?: number;
  downloadRate?: number;
  /** One-way delay between this host and the network's core, in ms (default 0). */
  latencyMs?: number;
}

const FIRST_EPHEMERAL_PORT = 49152;

function normaliseRate(rate: number | undefined): number {
  return rate !== undefined && rate > 0 && Number.isFinite(rate) ? rate : Number.POSITIVE_INFINITY;
}

export class MemoryNetwork {
  readonly clock: Clock;
  readonly highWaterMark: number;
  readonly segmentBytes: number;
  readonly receiveWindow: number;
  readonly connectTimeoutMs: number;
  readonly #hosts = new Map<string, MemoryHost>();

  constructor(o: MemoryNetworkOptions) {
    this.clock = o.clock;
    this.highWaterMark = o.highWaterMark ?? 64 * 1024;
    this.segmentBytes = o.segmentBytes ?? 16 * 1024;
    this.receiveWindow = o.receiveWindow ?? 4 * 1024 * 1024;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
  }

  /** Adds a host at `address` (any string a peer list can carry: "10.0.0.1", "fd00::1"). */
  addHost(address: string, o: MemoryHostOptions = {}): MemoryHost {
    if (this.#hosts.has(address)) {
      throw new NetError("bind_failed", `the simulated network already has a host at ${address}`);
    }
    const host = new MemoryHost(this, address, o);
    this.#hosts.set(address, host);
    return host;
  }

  host(address: string): MemoryHost | undefined {
    return this.#hosts.get(address);
  }

  get hosts(): MemoryHost[] {
    return [...this.#hosts.values()];
  }
}

export interface MemoryListenerEvents {
  connection: [transport: Transport];
}

/** A port a host accepts connections on. */
export class MemoryListener extends EventEmitter<MemoryListenerEvents> {
  readonly host: MemoryHost;
  readonly port: number;
  #open = true;

  /** Use MemoryHost.listen(). */
  constructor(host: MemoryHost, port: number) {
    super();
    this.host = host;
    this.port = port;
  }

  get listening(): boolean {
    return this.#open;
  }

  /** Stops accepting; connections already handed out are left to their owners. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.host.unlisten(this);
  }
}

export class MemoryHost implements ConnectionLink {
  readonly network: MemoryNetwork;
  readonly address: string;
  readonly latencyMs: number;
  #uploadRate: number;
  #downloadRate: number;
  readonly #listeners = new Map<number, MemoryListener>();
  #nextPort = FIRST_EPHEMERAL_PORT;
  // The uplink: connections with bytes to send take turns, one segment each.
  readonly #sending: MemoryConnection[] = [];
  #turn = 0;
  #uplinkBusy = false;
  // The downlink: arrived segments pass one after another, in arrival order.
  readonly #arrived: Segment[] = [];
  #downlinkBusy = false;
  /** Bytes this host put on the wire / took off it, over all connections. */
  bytesSent = 0;
  bytesReceived = 0;

  /** Use MemoryNetwork.addHost(). */
  constructor(network: MemoryNetwork, address: string, o: MemoryHostOptions) {
    this.network = network;
    this.address = address;
    this.latencyMs = Math.max(0, o.latencyMs ?? 0);
    this.#uploadRate = normaliseRate(o.uploadRate);
    this.#downloadRate = normaliseRate(o.downloadRate);
  }

  get clock(): Clock {
    return this.network.clock;
  }

  get highWaterMark(): number {
    return this.network.highWaterMark;
  }

  get receiveWindow(): number {
    return this.network.receiveWindow;
  }

  get uploadRate(): number {
    return this.#uploadRate;
  }

  get downloadRate(): number {
    return this.#downloadRate;
  }

  /** Changes the host's rates; a segment already on the wire finishes at the old one. */
  setRates(rates: { upload?: number; download?: number }): void {
    if ("upload" in rates) this.#uploadRate = normaliseRate(rates.upload);
    if ("download" in rates) this.#downloadRate = normaliseRate(rates.download);
  }

  /** Accepts connections on `port` (0: the next free ephemeral port). */
  listen(port = 0): MemoryListener {
    const chosen = port === 0 ? this.#ephemeralPort() : port;
    if (this.#listeners.has(chosen)) {
      throw new NetError("listen_failed", `${this.address}:${chosen} is already in use`);
    }
    const listener = new MemoryListener(this, chosen);
    this.#listeners.set(chosen, listener);
    return listener;
  }

  /** @internal MemoryListener.close(). */
  unlisten(listener: MemoryListener): void {
    if (this.#listeners.get(listener.port) === listener) this.#listeners.delete(listener.port);
  }

  /**
   * Opens a connection: the listener sees it one link latency after the
   * call, the caller a round trip after it. A closed port refuses after a
   * round trip; an address no host has times out.
   */
  dial(address: string, port: number): Promise<Transport> {
    const { clock } = this.network;
    const target = this.network.host(address);
    return new Promise((resolve, reject) => {
      if (!target) {
        clock.setTimeout(
          () =>
            reject(
              new NetError("connect_timeout", `no answer from ${address}:${port} (simulated)`),
            ),
          this.network.connectTimeoutMs,
        );
        return;
      }
      const latency = this.latencyMs + target.latencyMs;
      clock.setTimeout(() => {
        const listener = target.#listeners.get(port);
        if (!listener) {
          clock.setTimeout(
            () =>
              reject(
                new NetError(
                  "connect_failed",
                  `${address}:${port} refused the connection (simulated)`,
                ),
              ),
            latency,
          );
          return;
        }
        const local = new MemoryConnection(this, address, port, latency);
        const remote = new MemoryConnection(target, this.address, this.#ephemeralPort(), latency);
        local.pair(remote);
        clock.setTimeout(() => resolve(local), latency);
        listener.emit("connection", remote);
      }, latency);
    });
  }

  #ephemeralPort(): number {
    while (this.#listeners.has(this.#nextPort)) this.#nextPort++;
    return this.#nextPort++;
  }

  // ---- uplink --------------------------------------------------------------

  wantsToSend(conn: MemoryConnection): void {
    if (!this.#sending.includes(conn)) this.#sending.push(conn);
    this.kickUplink();
  }

  forget(conn: MemoryConnection): void {
    const at = this.#sending.indexOf(conn);
    if (at < 0) return;
    this.#sending.splice(at, 1);
    if (at < this.#turn) this.#turn--;
  }

  /** Starts the next segment if the uplink is free and someone can send. */
  kickUplink(): void {
    if (this.#uplinkBusy) return;
    const n = this.#sending.length;
    for (let tried = 0; tried < n; tried++) {
      if (this.#turn >= this.#sending.length) this.#turn = 0;
      const conn = this.#sending[this.#turn]!;
      if (conn.windowFull()) {
        this.#turn++;
        continue;
      }
      const segment = conn.takeSegment(this.network.segmentBytes);
      if (!conn.hasQueued()) this.#sending.splice(this.#turn, 1);
      else this.#turn++;
      this.#transmit(conn, segment);
      return;
    }
  }

  #transmit(conn: MemoryConnection, segment: Segment): void {
    this.#uplinkBusy = true;
    const { clock } = this.network;
    const ms = segment.bytes === 0 ? 0 : (segment.bytes * 1000) / this.#uploadRate;
    clock.setTimeout(() => {
      this.#uplinkBusy = false;
      this.bytesSent += segment.bytes;
      if (conn.segmentLeft(segment)) {
        clock.setTimeout(() => segment.to.link.arrive(segment), conn.latencyMs);
      }
      this.kickUplink();
    }, ms);
  }

  // ---- downlink ------------------------------------------------------------

  arrive(segment: Segment): void {
    if (this.#downloadRate === Number.POSITIVE_INFINITY && !this.#downlinkBusy) {
      this.#received(segment);
      return;
    }
    this.#arrived.push(segment);
    this.#kickDownlink();
  }

  #kickDownlink(): void {
    if (this.#downlinkBusy) return;
    const segment = this.#arrived.shift();
    if (!segment) return;
    this.#downlinkBusy = true;
    const ms = segment.bytes === 0 ? 0 : (segment.bytes * 1000) / this.#downloadRate;
    this.network.clock.setTimeout(() => {
      this.#downlinkBusy = false;
      this.#received(segment);
      this.#kickDownlink();
    }, ms);
  }

  #received(segment: Segment): void {
    this.bytesReceived += segment.bytes;
    segment.to.deliver(segment);
  }
}
