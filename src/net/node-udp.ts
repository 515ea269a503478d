/**
 * UdpSocket over node:dgram: the real network. System errors (ECONNREFUSED,
 * EMSGSIZE, …) pass through as node:dgram raises them; only a failed bind or
 * connect becomes a NetError saying where.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import { formatEndpoint } from "../util/index.ts";
import { NetError } from "./errors.ts";
import type {
  UdpBindOptions,
  UdpFamily,
  UdpNetwork,
  UdpSent,
  UdpSocket,
  UdpSocketEvents,
  UdpSocketOptions,
  UdpSource,
} from "./udp.ts";

export class NodeUdpSocket extends EventEmitter<UdpSocketEvents> implements UdpSocket {
  readonly family: UdpFamily;
  readonly #socket: Socket;
  #closed = false;

  constructor(family: UdpFamily, opts: UdpSocketOptions = {}) {
    super();
    this.family = family;
    this.#socket = createSocket({
      type: family === 6 ? "udp6" : "udp4",
      reuseAddr: opts.reuseAddr ?? false,
      ipv6Only: opts.ipv6Only ?? false,
    });
    this.#socket.on("message", (msg: Buffer, rinfo: RemoteInfo) =>
      this.emit("message", msg, rinfo),
    );
    // An unhandled "error" would throw; forward it only to whoever listens.
    this.#socket.on("error", (err) => {
      if (this.listenerCount("error") > 0) this.emit("error", err);
    });
    this.#socket.on("close", () => this.emit("close"));
  }

  bind(opts: UdpBindOptions = {}): Promise<UdpSource> {
    const host = opts.host ?? (this.family === 6 ? "::" : "0.0.0.0");
    const port = opts.port ?? 0;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          new NetError(
            "bind_failed",
            `cannot bind UDP ${formatEndpoint(host, port)}: ${err.code ?? err.message}`,
            { cause: err },
          ),
        );
      this.#socket.once("error", onError);
      this.#socket.bind({ port, address: host }, () => {
        this.#socket.off("error", onError);
        resolve(this.#socket.address() as UdpSource);
      });
    });
  }

  connect(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          new NetError(
            "connect_failed",
            `cannot connect UDP to ${formatEndpoint(host, port)}: ${err.code ?? err.message}`,
            { cause: err },
          ),
        );
      this.#socket.once("error", onError);
      this.#socket.connect(port, host, () => {
        this.#socket.off("error", onError);
        resolve();
      });
    });
  }

  send(msg: Uint8Array, port: number, host: string, sent?: UdpSent): void;
  send(msg: Uint8Array, sent?: UdpSent): void;
  send(msg: Uint8Array, portOrSent?: number | UdpSent, host?: string, sent?: UdpSent): void {
    if (typeof portOrSent === "number") {
      this.#socket.send(msg, portOrSent, host, sent);
    } else this.#socket.send(msg, portOrSent);
  }

  address(): UdpSource | undefined {
    if (this.#closed) return undefined;
    try {
      return this.#socket.address() as UdpSource;
    } catch {
      return undefined; // not bound yet
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  ref(): this {
    this.#socket.ref();
    return this;
  }

  unref(): this {
    this.#socket.unref();
    return this;
  }

  addMembership(group: string, iface?: string): void {
    this.#socket.addMembership(group, iface);
  }

  dropMembership(group: string, iface?: string): void {
    this.#socket.dropMembership(group, iface);
  }

  setMulticastTTL(ttl: number): void {
    this.#socket.setMulticastTTL(ttl);
  }

  setMulticastLoopback(on: boolean): void {
    this.#socket.setMulticastLoopback(on);
  }

  setMulticastInterface(iface: string): void {
    this.#socket.setMulticastInterface(iface);
  }
}

/** The host's own network. */
export const nodeUdp = {
  createSocket: (family: UdpFamily, opts?: UdpSocketOptions) => new NodeUdpSocket(family, opts),
} satisfies UdpNetwork;
