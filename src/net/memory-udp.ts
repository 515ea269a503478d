/**
 * An in-memory UDP network for tests and simulations: hosts with addresses,
 * sockets bound to their addresses and ports, datagrams delivered
 * asynchronously after a latency, or lost, as an injected clock and random
 * source decide, so the same seed gives the same run.
 *
 * The model, close to what Linux does: every host has its own loopback
 * (127.0.0.1, ::1) besides its addresses; a socket bound to 0.0.0.0 or ::
 * receives what is sent to any of its host's addresses of its family (no
 * dual stack: an IPv6 socket never sees IPv4); a datagram to a port nobody
 * bound is dropped, and a connected sender hears ECONNREFUSED (ICMP port
 * unreachable); one to an address no host owns just disappears. Multicast
 * (BEP 14) reaches every socket of every host that joined the group on that
 * port, the sender's own host only with multicast loopback on (the default).
 * A datagram is copied when sent and looked up on arrival: a socket closed
 * meanwhile misses it.
 *
 * `network.createSocket` makes sockets on a shared default host that has
 * only the loopback addresses; a simulation gives each peer a host of its own
 * (`network.host("10.0.0.2")`) and hands that to the peer as its UdpNetwork.
 */
import type { Clock, RandomSource } from "../util/index.ts";
import {
  canonical,
  EPHEMERAL_COUNT,
  EPHEMERAL_FIRST,
  isLoopback,
  isMulticast,
  LOOPBACK,
  type MemoryUdpAttachment,
  MemoryUdpSocket,
  source,
  systemError,
  UNSPECIFIED,
} from "./memory-udp-socket.ts";
import type { UdpFamily, UdpNetwork, UdpSocketOptions, UdpSource } from "./udp.ts";

/** A path's property: one number for every path, or one per (sender, receiver). */
export type PathValue = number | ((from: UdpSource, to: UdpSource) => number);

export interface MemoryUdpOptions {
  /**
   * Schedules deliveries. With a FakeClock, datagrams arrive as it advances;
   * without one, on the event loop (setImmediate, or setTimeout for a latency).
   */
  clock?: Clock;
  /** One-way delay of a datagram in ms (default 0). */
  latencyMs?: PathValue;
  /** The chance in [0, 1] that a datagram is lost (default 0). */
  loss?: PathValue;
  /** Decides losses: asked once per datagram and receiving host when loss > 0 (default Math.random). */
  random?: RandomSource;
}

export class MemoryUdpNetwork implements UdpNetwork {
  readonly #clock: Clock | undefined;
  readonly #latency: PathValue;
  readonly #loss: PathValue;
  readonly #random: RandomSource;
  readonly #hosts: MemoryUdpHost[] = [];
  readonly #byAddress = new Map<string, MemoryUdpHost>();
  readonly #localhost: MemoryUdpHost;

  constructor(opts: MemoryUdpOptions = {}) {
    this.#clock = opts.clock;
    this.#latency = opts.latencyMs ?? 0;
    this.#loss = opts.loss ?? 0;
    this.#random = opts.random ?? Math.random;
    this.#localhost = new MemoryUdpHost(this, []);
    this.#hosts.push(this.#localhost);
  }

  /** A host owning `addresses` (IPv4 and/or IPv6), with a loopback of its own. */
  host(...addresses: string[]): MemoryUdpHost {
    const own: string[] = [];
    for (const text of addresses) {
      const a = canonical(text);
      if (!a || isLoopback(a.address, a.family) || isMulticast(a.address, a.family)) {
        throw new RangeError(`'${text}' is not a unicast address a host can own`);
      }
      if (this.#byAddress.has(a.address) || own.includes(a.address)) {
        throw new RangeError(`address ${a.address} already belongs to a host`);
      }
      own.push(a.address);
    }
    const host = new MemoryUdpHost(this, own);
    for (const a of own) this.#byAddress.set(a, host);
    this.#hosts.push(host);
    return host;
  }

  /** A socket on the default host, which has only loopback addresses. */
  createSocket(family: UdpFamily, opts?: UdpSocketOptions): MemoryUdpSocket {
    return this.#localhost.createSocket(family, opts);
  }

  /** Routes one datagram sent by `from` (bound) to `to`. */
  transmit(from: MemoryUdpSocket, msg: Buffer, to: UdpSource): void {
    const family = from.family;
    // Every socket of this network lives on one of its hosts.
    const sender = from.host as MemoryUdpHost;
    const src = from.sourceFor(to.address);
    if (isMulticast(to.address, family)) {
      const { ttl, loopback } = from.multicast();
      for (const host of this.#hosts) {
        if (host === sender ? !loopback : ttl === 0) continue;
        const at = host === sender ? src : source(host.primary(family), to.port, family);
        this.#path(src, at, () => host.receive(msg, src, to, undefined));
      }
      return;
    }
    const host = isLoopback(to.address, family) ? sender : this.#byAddress.get(to.address);
    if (!host) return; // nobody owns that address: lost without a word
    this.#path(src, to, () => host.receive(msg, src, to, from));
  }

  /** After the path's latency, unless the path loses it, `arrive()`. */
  #path(from: UdpSource, to: UdpSource, arrive: () => void): void {
    const loss = typeof this.#loss === "number" ? this.#loss : this.#loss(from, to);
    if (loss > 0 && this.#random() < loss) return;
    const ms = typeof this.#latency === "number" ? this.#latency : this.#latency(from, to);
    this.schedule(ms, arrive);
  }

  /** ICMP port unreachable, travelling from `unreachable` back to `sender` at `to`. */
  refuse(sender: MemoryUdpSocket, unreachable: UdpSource, to: UdpSource): void {
    const ms = typeof this.#latency === "number" ? this.#latency : this.#latency(unreachable, to);
    this.schedule(ms, () => sender.refused(unreachable));
  }

  schedule(ms: number, fn: () => void): void {
    if (this.#clock) this.#clock.setTimeout(fn, ms);
    else if (ms > 0) setTimeout(fn, ms);
    else setImmediate(fn);
  }
}

/** One machine of a MemoryUdpNetwork: its addresses and its bound sockets. */
export class MemoryUdpHost implements UdpNetwork, MemoryUdpAttachment {
  readonly network: MemoryUdpNetwork;
  /** The addresses it owns besides its loopback, in RFC 5952 form for IPv6. */
  readonly addresses: readonly string[];
  /** Bound sockets, in bind order. */
  readonly #bound: MemoryUdpSocket[] = [];
  readonly #nextPort = { 4: 0, 6: 0 };

  constructor(network: MemoryUdpNetwork, addresses: readonly string[]) {
    this.network = network;
    this.addresses = addresses;
  }

  createSocket(family: UdpFamily, opts: UdpSocketOptions = {}): MemoryUdpSocket {
    return new MemoryUdpSocket(this, family, opts.reuseAddr ?? false);
  }

  /** The address this host's datagrams of `family` come from when nothing narrower says. */
  primary(family: UdpFamily): string {
    return this.addresses.find((a) => canonical(a)!.family === family) ?? LOOPBACK[family];
  }

  /** Binds `socket` (EADDRINUSE, EADDRNOTAVAIL as the kernel would say); returns the port. */
  bind(socket: MemoryUdpSocket, address: string, port: number): number {
    const family = socket.family;
    const where = `${address} port ${port}`;
    const unspecified = address === UNSPECIFIED[family];
    if (
      !unspecified &&
      !isLoopback(address, family) &&
      !isMulticast(address, family) &&
      !this.addresses.includes(address)
    ) {
      throw systemError("EADDRNOTAVAIL", "bind", where);
    }
    const clashes = (p: number) =>
      this.#bound.some(
        (s) =>
          s.family === family &&
          s.port === p &&
          (s.boundAddress === address || s.boundAddress === UNSPECIFIED[family] || unspecified) &&
          !(s.reuseAddr && socket.reuseAddr),
      );
    if (port === 0) {
      // Ephemeral ports in turn from 49152, as a kernel hands them out.
      for (let i = 0; i < EPHEMERAL_COUNT && port === 0; i++) {
        const p = EPHEMERAL_FIRST + ((this.#nextPort[family] + i) % EPHEMERAL_COUNT);
        if (!clashes(p)) port = p;
      }
      if (port === 0) throw systemError("EADDRINUSE", "bind", where);
      this.#nextPort[family] = (port - EPHEMERAL_FIRST + 1) % EPHEMERAL_COUNT;
    } else if (clashes(port)) throw systemError("EADDRINUSE", "bind", where);
    this.#bound.push(socket);
    return port;
  }

  transmit(socket: MemoryUdpSocket, msg: Buffer, to: UdpSource): void {
    this.network.transmit(socket, msg, to);
  }

  unbind(socket: MemoryUdpSocket): void {
    const i = this.#bound.indexOf(socket);
    if (i >= 0) this.#bound.splice(i, 1);
  }

  /**
   * A datagram arrives for `to`. Unicast goes to the most specific binding
   * (the latest of equals); multicast to every member of the group.
   * `sender` is set for unicast: it hears of a port nobody listens on.
   */
  receive(msg: Buffer, from: UdpSource, to: UdpSource, sender: MemoryUdpSocket | undefined): void {
    const family: UdpFamily = to.family === "IPv4" ? 4 : 6;
    const multicast = sender === undefined;
    let best: MemoryUdpSocket | undefined;
    let bestScore = 0;
    for (const s of this.#bound) {
      if (s.family !== family || s.port !== to.port || !s.accepts(from)) continue;
      const exact = s.boundAddress === to.address;
      if (!exact && s.boundAddress !== UNSPECIFIED[family]) continue;
      if (multicast) {
        if (s.isMember(to.address)) s.deliver(Buffer.from(msg), from);
        continue;
      }
      const score = exact ? 2 : 1;
      if (score >= bestScore) {
        best = s;
        bestScore = score;
      }
    }
    if (best) best.deliver(msg, from);
    else if (sender) this.network.refuse(sender, to, from);
  }
}
