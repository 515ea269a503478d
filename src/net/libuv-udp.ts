/**
 * A UDP socket on libuv's UDP handle (the `udp_wrap` binding node:dgram is
 * built on), for the UDP tracker, where every announce is two datagrams in
 * and two out.
 *
 * Why: node:dgram's send() validates its arguments, copies them into a list,
 * resolves the address through a lookup function even when it is an IP
 * literal, and builds a request object (a native-backed SendWrap, with three
 * properties added one by one) per datagram; its receive path wraps each
 * datagram in an event. Here the tracker's replies go straight to the
 * handle, which tries the send at once; the request object and the one-item
 * list are reused for as long as the kernel takes every datagram at once.
 *
 * The binding is internal to Node (libuv-binding.ts): `libuvUdpAvailable()`
 * checks that it is there with the shape this file uses, and otherwise the
 * front end uses node:dgram (dgram-udp-link.ts).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { constants } from "node:os";
import { formatEndpoint } from "../util/index.ts";
import { LengthViews } from "./length-views.ts";
import { libuvBinding, uvError } from "./libuv-binding.ts";
import type { UdpSource } from "./udp.ts";
import type { UdpLink, UdpReceiver } from "./udp-link.ts";

/** libuv's UDP handle as udp_wrap exposes it (only what is used here). */
interface UdpHandle {
  bind(address: string, port: number, flags: number): number;
  bind6(address: string, port: number, flags: number): number;
  send: SendDatagram;
  send6: SendDatagram;
  recvStart(): number;
  recvStop(): number;
  getsockname(out: { port?: number }): number;
  bufferSize(size: number, recv: boolean, ctx: object): number | undefined;
  close(callback?: () => void): void;
  onmessage: (nread: number, handle: UdpHandle, buf: Buffer | undefined, rinfo: UdpSource) => void;
  onerror: (nread: number, handle: UdpHandle, error: Error) => void;
}

/** Returns the datagram's length + 1 when sent at once, 0 when queued, or a negative error. */
type SendDatagram = (
  req: SendReq,
  list: Uint8Array[],
  count: number,
  port: number,
  address: string,
  hasCallback: boolean,
) => number;

/** A send request: keeps the list alive while a queued datagram waits. */
interface SendReq {
  list?: Uint8Array[];
}

interface Bindings {
  UDP: new () => UdpHandle;
  SendWrap: new () => SendReq;
}

const { errno } = constants;
let bindings: Bindings | null | undefined;

function loadBindings(): Bindings | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  const udp = libuvBinding("udp_wrap");
  if (!udp) return bindings;
  const b = { UDP: udp.UDP, SendWrap: udp.SendWrap };
  const proto = (b.UDP as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  const methods = ["bind", "bind6", "send", "send6", "recvStart", "recvStop"];
  if (
    typeof b.UDP !== "function" ||
    typeof b.SendWrap !== "function" ||
    !proto ||
    ![...methods, "getsockname", "bufferSize"].every((m) => typeof proto[m] === "function")
  ) {
    return bindings;
  }
  bindings = b as Bindings;
  return bindings;
}

/** Whether this Node offers the handle this link needs. */
export function libuvUdpAvailable(): boolean {
  return loadBindings() !== null;
}

export class LibuvUdpLink implements UdpLink {
  readonly kind = "libuv";
  readonly #receiver: UdpReceiver;
  readonly #onError: (err: Error) => void;
  #handle: UdpHandle | undefined;
  #ipv6 = false;
  /** Reused until a datagram has to wait in the queue: that send keeps them. */
  #req: SendReq | undefined;
  #list: Uint8Array[] = [];
  readonly #views = new LengthViews();

  constructor(receiver: UdpReceiver, onError: (err: Error) => void) {
    this.#receiver = receiver;
    this.#onError = onError;
  }

  async bind(port: number, host: string | undefined, recvBufferSize: number): Promise<number> {
    const b = loadBindings();
    if (!b) throw new Error("libuv UDP handles are not available in this Node");
    let address = host;
    if (address !== undefined && isIP(address) === 0) address = (await lookup(address)).address;
    let handle = new b.UDP();
    let err: number;
    if (address === undefined) {
      // As the dgram link does: dual-stack '::', else IPv4 only where IPv6 is missing.
      err = handle.bind6("::", port, 0);
      this.#ipv6 = true;
      if (err !== 0 && err !== -errno.EADDRINUSE) {
        handle.close();
        handle = new b.UDP();
        err = handle.bind("0.0.0.0", port, 0);
        this.#ipv6 = false;
      }
    } else if (isIP(address) === 6) {
      err = handle.bind6(address, port, 0);
      this.#ipv6 = true;
    } else err = handle.bind(address, port, 0);
    if (err !== 0) {
      handle.close();
      throw uvError(err, "bind", formatEndpoint(address ?? "::", port));
    }
    handle.onmessage = (nread, _handle, buf, rinfo) => {
      if (nread < 0 || !buf) this.#onError(uvError(nread, "recvmsg", ""));
      else this.#receiver(buf, rinfo);
    };
    handle.onerror = (_nread, _handle, error) => this.#onError(error);
    err = handle.recvStart();
    if (err !== 0) {
      handle.close();
      throw uvError(err, "recvStart", `port ${port}`);
    }
    // As dgram's recvBufferSize: best effort, the kernel may cap it.
    handle.bufferSize(recvBufferSize, true, {});
    this.#handle = handle;
    const out: { port?: number } = {};
    handle.getsockname(out);
    return out.port ?? port;
  }

  send(bytes: Buffer, length: number, port: number, address: string): boolean {
    const handle = this.#handle;
    if (!handle) return true;
    const b = bindings as Bindings;
    this.#req ??= new b.SendWrap();
    const req = this.#req;
    const list = this.#list;
    list[0] = this.#views.of(bytes, length);
    const result = this.#ipv6
      ? handle.send6(req, list, 1, port, address, false)
      : handle.send(req, list, 1, port, address, false);
    if (result > 0) return true; // sent at once
    if (result < 0) {
      // An unreachable or bad destination: that client gets no reply.
      return true;
    }
    // Queued: the handle holds this request and list until the datagram is out.
    req.list = list;
    this.#req = undefined;
    this.#list = [];
    return false;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#handle;
      if (!handle) return resolve();
      this.#handle = undefined;
      handle.recvStop();
      handle.close(() => resolve());
    });
  }
}
