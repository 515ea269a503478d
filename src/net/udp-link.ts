/**
 * The datagram transport under the tracker's UDP front end: one bound socket
 * that hands every datagram to a receiver callback and sends replies from a
 * buffer the caller reuses. Two implementations, as for TCP (tcp-link.ts):
 * `DgramUdpLink` (dgram-udp-link.ts) on node:dgram (documented, portable) and
 * `LibuvUdpLink` (libuv-udp.ts) on the UDP handle node:dgram is built on.
 * `createUdpLink` (udp-link-factory.ts) picks the second where this Node
 * offers it, else the first. This file holds only the interfaces, so the
 * implementations import it and never each other.
 *
 * Why not the general `UdpSocket` (udp.ts): a server answering every datagram
 * at once wants no event per datagram and no promise per send, and wants to
 * know whether the kernel took a reply so it may reuse the reply's memory.
 */
import type { UdpSource } from "./udp.ts";

/** Called for each datagram; `msg` and `source` are only valid during the call. */
export type UdpReceiver = (msg: Buffer, source: UdpSource) => void;

export interface UdpLink {
  /**
   * Binds; with no host, one dual-stack IPv6 socket (IPv4 only where IPv6 is
   * missing). Resolves with the port (useful with port 0).
   */
  bind(port: number, host: string | undefined, recvBufferSize: number): Promise<number>;
  /**
   * Sends `bytes[0, length)`. Returns true when the kernel took the datagram at
   * once, so the caller may reuse the memory; false when it waits in the
   * socket's queue holding a reference to it.
   */
  send(bytes: Buffer, length: number, port: number, address: string): boolean;
  close(): Promise<void>;
  readonly kind: "dgram" | "libuv";
}

export type UdpLinkKind = "auto" | "dgram" | "libuv";
