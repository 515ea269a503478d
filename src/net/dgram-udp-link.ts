/**
 * The node:dgram implementation of the tracker's UDP link (udp-link.ts):
 * documented and portable, used where libuv's UDP handle is not offered
 * (libuv-udp.ts) or when asked for by name.
 */
import { createSocket, type Socket } from "node:dgram";
import { type LookupOneOptions, lookup } from "node:dns";
import { isIP } from "node:net";
import type { UdpLink, UdpReceiver } from "./udp-link.ts";

/**
 * dgram resolves every destination through `lookup` before sending, and the
 * default (dns.lookup) answers even an IP literal on the next tick. Replies
 * go to the address a packet came from, always a literal: answer at once.
 */
function literalLookup(
  address: string,
  options: LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(address);
  if (family !== 0) callback(null, address, family);
  else {
    // dgram passes the socket's family as a number (its documented type is the options).
    const opts: LookupOneOptions = typeof options === "number" ? { family: options } : options;
    lookup(address, opts, callback);
  }
}

export class DgramUdpLink implements UdpLink {
  readonly kind = "dgram";
  readonly #receiver: UdpReceiver;
  readonly #onError: (err: Error) => void;
  #socket: Socket | undefined;

  constructor(receiver: UdpReceiver, onError: (err: Error) => void) {
    this.#receiver = receiver;
    this.#onError = onError;
  }

  async bind(port: number, host: string | undefined, recvBufferSize: number): Promise<number> {
    const attempt = (type: "udp4" | "udp6", address: string) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = createSocket({
          type,
          ipv6Only: false,
          recvBufferSize,
          lookup: literalLookup,
        });
        socket.once("error", reject);
        socket.bind({ port, address, exclusive: true }, () => {
          socket.off("error", reject);
          resolve(socket);
        });
      });
    let socket: Socket;
    if (host === undefined) {
      try {
        socket = await attempt("udp6", "::");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") throw err;
        socket = await attempt("udp4", "0.0.0.0");
      }
    } else socket = await attempt(host.includes(":") ? "udp6" : "udp4", host);
    socket.on("error", this.#onError);
    socket.on("message", this.#receiver);
    this.#socket = socket;
    return socket.address().port;
  }

  send(bytes: Buffer, length: number, port: number, address: string): boolean {
    const socket = this.#socket;
    if (!socket) return true;
    socket.send(bytes, 0, length, port, address);
    return socket.getSendQueueCount() === 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#socket) return resolve();
      this.#socket.close(() => resolve());
      this.#socket = undefined;
    });
  }
}
