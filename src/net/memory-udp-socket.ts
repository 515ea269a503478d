/**
 * A socket of the in-memory UDP network (memory-udp.ts), and the address
 * rules both share. The socket knows its host only through
 * `MemoryUdpAttachment`, so this file does not import the network's.
 */
import { EventEmitter } from "node:events";
import { formatEndpoint, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../util/index.ts";
import { NetError } from "./errors.ts";
import type {
  UdpBindOptions,
  UdpFamily,
  UdpSent,
  UdpSocket,
  UdpSocketEvents,
  UdpSource,
} from "./udp.ts";

/** What a socket asks of the host it lives on. */
export interface MemoryUdpAttachment {
  /** Binds `socket` (EADDRINUSE, EADDRNOTAVAIL as the kernel would say); returns the port. */
  bind(socket: MemoryUdpSocket, address: string, port: number): number;
  unbind(socket: MemoryUdpSocket): void;
  /** Sends `msg` (the socket's own copy) from the bound `socket` to `to`. */
  transmit(socket: MemoryUdpSocket, msg: Buffer, to: UdpSource): void;
  /** The address this host's datagrams of `family` come from when nothing narrower says. */
  primary(family: UdpFamily): string;
}

/** IPv4 has a 65,507-byte payload at most (65,535 less the IP and UDP headers). */
const MAX_PAYLOAD = { 4: 65_507, 6: 65_527 } as const;
export const EPHEMERAL_FIRST = 49_152;
export const EPHEMERAL_COUNT = 65_536 - EPHEMERAL_FIRST;
export const UNSPECIFIED = { 4: "0.0.0.0", 6: "::" } as const;
export const LOOPBACK = { 4: "127.0.0.1", 6: "::1" } as const;

/** An error shaped as node:dgram's (`code`, `syscall`), for what the kernel would report. */
export function systemError(code: string, syscall: string, where: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code} ${where}`), { code, syscall });
}

/** The address in the form Node reports it (RFC 5952 for IPv6), with its family. */
export function canonical(text: string): { family: UdpFamily; address: string } | undefined {
  if (text.includes(":")) {
    const b = parseIPv6(text);
    return b ? { family: 6, address: formatIPv6(b) } : undefined;
  }
  const b = parseIPv4(text);
  return b ? { family: 4, address: formatIPv4(b) } : undefined;
}

export function isLoopback(address: string, family: UdpFamily): boolean {
  return family === 4 ? address.startsWith("127.") : address === "::1";
}

export function isMulticast(address: string, family: UdpFamily): boolean {
  if (family === 6) return address.startsWith("ff");
  const first = Number(address.slice(0, address.indexOf(".")));
  return first >= 224 && first <= 239;
}

export function source(address: string, port: number, family: UdpFamily): UdpSource {
  return { address, port, family: family === 4 ? "IPv4" : "IPv6" };
}

/** A UdpSocket on a host of a MemoryUdpNetwork. Use host.createSocket() or network.createSocket(). */
export class MemoryUdpSocket extends EventEmitter<UdpSocketEvents> implements UdpSocket {
  readonly family: UdpFamily;
  readonly reuseAddr: boolean;
  readonly #host: MemoryUdpAttachment;
  #boundAddress = "";
  #port = 0;
  #remote: UdpSource | undefined;
  #closed = false;
  readonly #groups = new Set<string>();
  #ttl = 1;
  #loopback = true;
  #multicastFrom: string | undefined;

  constructor(host: MemoryUdpAttachment, family: UdpFamily, reuseAddr: boolean) {
    super();
    this.#host = host;
    this.family = family;
    this.reuseAddr = reuseAddr;
  }

  get host(): MemoryUdpAttachment {
    return this.#host;
  }

  /** The bound address ("0.0.0.0" or "::" for any); empty while unbound. */
  get boundAddress(): string {
    return this.#boundAddress;
  }

  /** The bound port; 0 while unbound. */
  get port(): number {
    return this.#port;
  }

  async bind(opts: UdpBindOptions = {}): Promise<UdpSource> {
    this.#checkOpen("bind");
    const requested = opts.host ?? UNSPECIFIED[this.family];
    const a = canonical(requested);
    const where = `UDP ${requested} port ${opts.port ?? 0}`;
    try {
      if (this.#port !== 0) throw systemError("EINVAL", "bind", "(already bound)");
      if (!a || a.family !== this.family) throw systemError("EAFNOSUPPORT", "bind", requested);
      this.#bindTo(a.address, opts.port ?? 0);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new NetError("bind_failed", `cannot bind ${where}: ${code}`, { cause: err });
    }
    await Promise.resolve();
    return source(this.#boundAddress, this.#port, this.family);
  }

  async connect(port: number, host: string): Promise<void> {
    this.#checkOpen("connect");
    const a = canonical(host);
    if (!a || a.family !== this.family || this.#remote || !(port > 0 && port < 65_536)) {
      const why = this.#remote ? "already connected" : "not an address of this socket's family";
      throw new NetError("connect_failed", `cannot connect UDP to ${host} port ${port}: ${why}`);
    }
    if (this.#port === 0) this.#bindTo(UNSPECIFIED[this.family], 0);
    this.#remote = source(a.address, port, this.family);
    await Promise.resolve();
  }

  send(msg: Uint8Array, port: number, host: string, sent?: UdpSent): void;
  send(msg: Uint8Array, sent?: UdpSent): void;
  send(msg: Uint8Array, portOrSent?: number | UdpSent, host?: string, sent?: UdpSent): void {
    this.#checkOpen("send");
    const callback = typeof portOrSent === "function" ? portOrSent : sent;
    const to =
      typeof portOrSent === "number"
        ? this.#destination(portOrSent, host ?? "")
        : (this.#remote ?? systemError("EDESTADDRREQ", "send", "(not connected)"));
    const err =
      to instanceof Error
        ? to
        : msg.length > MAX_PAYLOAD[this.family]
          ? systemError("EMSGSIZE", "send", `${msg.length} bytes`)
          : undefined;
    if (err) {
      // As node:dgram: to the callback if there is one, else an "error" event.
      if (callback) queueMicrotask(() => callback(err));
      else if (this.listenerCount("error") > 0) queueMicrotask(() => this.emit("error", err));
      return;
    }
    if (this.#port === 0) this.#bindTo(UNSPECIFIED[this.family], 0);
    this.#host.transmit(this, Buffer.from(msg), to as UdpSource);
    if (callback) queueMicrotask(() => callback(null));
  }

  /** An explicit destination, or the error sending to it meets. */
  #destination(port: number, host: string): UdpSource | Error {
    if (this.#remote) return systemError("EISCONN", "send", "(connected)");
    const a = canonical(host);
    // No name service in memory: a host name is not found.
    if (!a) return systemError("ENOTFOUND", "getaddrinfo", host);
    if (a.family !== this.family) return systemError("EAFNOSUPPORT", "send", a.address);
    return source(a.address, port, this.family);
  }

  address(): UdpSource | undefined {
    return this.#port === 0 || this.#closed
      ? undefined
      : source(this.#boundAddress, this.#port, this.family);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#host.unbind(this);
    return new Promise((resolve) =>
      queueMicrotask(() => {
        this.emit("close");
        resolve();
      }),
    );
  }

  /** Nothing to keep alive: only datagrams in flight hold the event loop. */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  addMembership(group: string): void {
    this.#checkOpen("addMembership");
    const a = canonical(group);
    if (!a || a.family !== this.family || !isMulticast(a.address, a.family)) {
      throw systemError("EINVAL", "addMembership", group);
    }
    if (this.#port === 0) this.#bindTo(UNSPECIFIED[this.family], 0);
    this.#groups.add(a.address);
  }

  dropMembership(group: string): void {
    const a = canonical(group);
    if (!a || !this.#groups.delete(a.address)) {
      throw systemError("EADDRNOTAVAIL", "dropMembership", group);
    }
  }

  setMulticastTTL(ttl: number): void {
    this.#ttl = ttl;
  }

  setMulticastLoopback(on: boolean): void {
    this.#loopback = on;
  }

  setMulticastInterface(iface: string): void {
    const a = canonical(iface);
    if (!a || a.family !== this.family) throw systemError("EINVAL", "setMulticastInterface", iface);
    this.#multicastFrom = a.address;
  }

  // What the host and the network ask of a socket.

  isMember(group: string): boolean {
    return this.#groups.has(group);
  }

  multicast(): { ttl: number; loopback: boolean } {
    return { ttl: this.#ttl, loopback: this.#loopback };
  }

  /** A connected socket takes datagrams from its remote endpoint only. */
  accepts(from: UdpSource): boolean {
    const r = this.#remote;
    return !r || (r.port === from.port && r.address === from.address);
  }

  /** Where a datagram to `to` comes from: the bound address, else the route's. */
  sourceFor(to: string): UdpSource {
    let address = this.#boundAddress;
    if (address === UNSPECIFIED[this.family]) {
      if (isLoopback(to, this.family)) address = LOOPBACK[this.family];
      else if (isMulticast(to, this.family) && this.#multicastFrom) address = this.#multicastFrom;
      else address = this.#host.primary(this.family);
    }
    return source(address, this.#port, this.family);
  }

  deliver(msg: Buffer, from: UdpSource): void {
    if (!this.#closed) this.emit("message", msg, from);
  }

  /** ICMP port unreachable came back for a datagram this socket sent to `unreachable`. */
  refused(unreachable: UdpSource): void {
    if (this.#closed || !this.#remote || this.listenerCount("error") === 0) return;
    const where = formatEndpoint(unreachable.address, unreachable.port);
    this.emit("error", systemError("ECONNREFUSED", "recvmsg", where));
  }

  #bindTo(address: string, port: number): void {
    this.#port = this.#host.bind(this, address, port);
    this.#boundAddress = address;
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new NetError("closed", `UDP socket closed: cannot ${what}`);
  }
}
