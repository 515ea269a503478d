/**
 * The datagram interface every UDP user speaks over: the tracker client
 * (BEP 15), and next the DHT (BEP 5), local service discovery (BEP 14,
 * multicast) and uTP (BEP 29). Two implementations: `NodeUdpSocket`
 * (node-udp.ts) over node:dgram, and `MemoryUdpNetwork` (memory-udp.ts), an
 * in-memory network for tests and simulations. Users take a `UdpNetwork` and
 * make their sockets from it, so a test hands them the in-memory one.
 *
 * (The tracker server's UDP front end has its own, narrower link,
 * udp-link.ts: a receiver callback and a send that says whether the reply's
 * memory is free again, for its libuv fast path.)
 */

/** An endpoint as node:dgram reports a datagram's source or a socket's own address. */
export interface UdpSource {
  address: string;
  port: number;
  family: "IPv4" | "IPv6";
}

export type UdpFamily = 4 | 6;

export interface UdpSocketOptions {
  /**
   * Let several sockets bind the same port (SO_REUSEADDR): what listeners of
   * one multicast group on one host need (BEP 14).
   */
  reuseAddr?: boolean;
  /** For an IPv6 socket: refuse IPv4 (no dual stack). Default false, as node:dgram. */
  ipv6Only?: boolean;
}

export interface UdpBindOptions {
  /** Absent or 0: a free port, read it from the result. */
  port?: number;
  /** Absent: every address of the socket's family ("0.0.0.0" or "::"). */
  host?: string;
}

/** Called once the datagram has left (err null) or could not be sent. */
export type UdpSent = (err: Error | null) => void;

export interface UdpSocketEvents {
  /** One datagram; `msg` is the receiver's to keep. */
  message: [msg: Buffer, source: UdpSource];
  /**
   * A socket failure, or on a connected socket an ICMP error for an earlier
   * datagram (ECONNREFUSED: nothing listens there). Emitted only when
   * someone listens; errors carry the system's `code` as node:dgram's do.
   */
  error: [err: Error];
  /** The socket is closed; emitted once. */
  close: [];
}

export interface UdpSocket {
  readonly family: UdpFamily;
  /** Binds; rejects with NetError "bind_failed" (e.g. the port is taken). */
  bind(opts?: UdpBindOptions): Promise<UdpSource>;
  /**
   * Ties the socket to one remote endpoint (binding it first if need be):
   * only that endpoint's datagrams arrive, `send` takes no address, and an
   * ICMP "port unreachable" comes back as an "error" (ECONNREFUSED).
   */
  connect(port: number, host: string): Promise<void>;
  /**
   * Sends one datagram (binding to a free port first if unbound). The bytes
   * are copied before this returns. A failure goes to `sent` if given, else
   * to "error".
   */
  send(msg: Uint8Array, port: number, host: string, sent?: UdpSent): void;
  /** On a connected socket: to the connected endpoint. */
  send(msg: Uint8Array, sent?: UdpSent): void;
  /** The bound address, or undefined before binding and after closing. */
  address(): UdpSource | undefined;
  /** Closes; datagrams on their way to it are dropped. Safe to call twice. */
  close(): Promise<void>;
  /** Whether an open socket keeps the process alive (as node:dgram's ref/unref). */
  ref(): this;
  unref(): this;
  /** BEP 14's multicast hooks: join or leave `group` (on `iface`, an address of this host). */
  addMembership(group: string, iface?: string): void;
  dropMembership(group: string, iface?: string): void;
  setMulticastTTL(ttl: number): void;
  /** Whether this host's own sockets get the multicast datagrams it sends (default true). */
  setMulticastLoopback(on: boolean): void;
  /** The address of the interface multicast datagrams leave from. */
  setMulticastInterface(iface: string): void;
  on<E extends keyof UdpSocketEvents>(
    event: E,
    listener: (...args: UdpSocketEvents[E]) => void,
  ): this;
  once<E extends keyof UdpSocketEvents>(
    event: E,
    listener: (...args: UdpSocketEvents[E]) => void,
  ): this;
  off<E extends keyof UdpSocketEvents>(
    event: E,
    listener: (...args: UdpSocketEvents[E]) => void,
  ): this;
}

/** Where sockets come from: the host's real network, or an in-memory one. */
export interface UdpNetwork {
  createSocket(family: UdpFamily, opts?: UdpSocketOptions): UdpSocket;
}
