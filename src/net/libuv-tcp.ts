/**
 * A TCP listener on libuv's TCP handles (the `tcp_wrap` and `stream_wrap`
 * bindings node:net is built on), for the HTTP tracker's short connections.
 *
 * Why: a client opens a connection per announce. Over node:net each one
 * builds a net.Socket (a Duplex stream with its readable and writable state,
 * listeners, nextTick callbacks), which costs several times what parsing and
 * answering the announce does; measured by bench/tracker.ts, a node:net
 * server that only writes a canned reply already needs ~25 µs of user CPU per
 * connection, this path ~11 µs. What remains per connection here is one
 * handle, one small link object, and the reads and the write themselves.
 *
 * The bindings are internal to Node (libuv-binding.ts): `libuvTcpAvailable()`
 * checks that they are there with the shape this file uses and otherwise the
 * front end uses node:net (net-tcp-link.ts).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { formatEndpoint } from "../util/index.ts";
import { LengthViews } from "./length-views.ts";
import { libuvBinding, uvError } from "./libuv-binding.ts";
import type { TcpLink, TcpLinkListener, TcpReceiver } from "./tcp-link.ts";

/** libuv's TCP handle as tcp_wrap exposes it (only what is used here). */
interface TcpHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  getsockname(out: { port?: number }): number;
  getpeername(out: { address: string; family: string; port: number }): number;
  setNoDelay(on: boolean): number;
  readStart(): number;
  /** Reads go into `buffer` (from 0) instead of a fresh allocation each. */
  useUserBuffer(buffer: Uint8Array): void;
  readStop(): number;
  writeBuffer(req: WriteReq, bytes: Uint8Array): number;
  shutdown(req: ShutdownReq): number;
  close(callback?: () => void): void;
  onconnection: ((status: number, client: TcpHandle | undefined) => void) | null;
  /** Must be a function: Node aborts the process on anything else. */
  onread: () => void;
}

interface WriteReq {
  handle: TcpHandle;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  /** Keeps the bytes alive while the kernel has not taken them. */
  buffer: Uint8Array | null;
  link: LibuvLink<unknown> | null;
}

interface ShutdownReq {
  handle: TcpHandle;
  oncomplete: (this: ShutdownReq, status: number) => void;
}

interface Bindings {
  TCP: new (type: number) => TcpHandle;
  SERVER: number;
  WriteWrap: new () => WriteReq;
  ShutdownWrap: new () => ShutdownReq;
  state: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

const UV_EOF = -4095;

let bindings: Bindings | null | undefined;

function loadBindings(): Bindings | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  const tcp = libuvBinding("tcp_wrap");
  const stream = libuvBinding("stream_wrap");
  if (!tcp || !stream) return bindings;
  const constants = tcp.constants as Record<string, unknown> | undefined;
  const b = {
    TCP: tcp.TCP,
    SERVER: constants?.SERVER,
    WriteWrap: stream.WriteWrap,
    ShutdownWrap: stream.ShutdownWrap,
    state: stream.streamBaseState,
    kReadBytesOrError: stream.kReadBytesOrError,
    kLastWriteWasAsync: stream.kLastWriteWasAsync,
  };
  const proto = (b.TCP as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  const methods = ["bind", "bind6", "listen", "getsockname", "getpeername", "setNoDelay"];
  const streamMethods = [
    "readStart",
    "readStop",
    "useUserBuffer",
    "writeBuffer",
    "shutdown",
    "close",
  ];
  if (
    typeof b.TCP !== "function" ||
    typeof b.SERVER !== "number" ||
    typeof b.WriteWrap !== "function" ||
    typeof b.ShutdownWrap !== "function" ||
    !(b.state instanceof Int32Array) ||
    typeof b.kReadBytesOrError !== "number" ||
    typeof b.kLastWriteWasAsync !== "number" ||
    !proto ||
    ![...methods, ...streamMethods].every((m) => typeof proto[m] === "function")
  ) {
    return bindings;
  }
  bindings = b as Bindings;
  return bindings;
}

/** Whether this Node offers the handles this listener needs. */
export function libuvTcpAvailable(): boolean {
  return loadBindings() !== null;
}

function onWriteComplete(this: WriteReq, status: number): void {
  const link = this.link;
  this.buffer = null;
  this.link = null;
  if (link) link.written(status);
}

function newWriteReq(b: Bindings): WriteReq {
  const req = new b.WriteWrap();
  req.oncomplete = onWriteComplete;
  req.async = false;
  req.buffer = null;
  req.link = null;
  return req;
}

/** The request object for the next write (see LibuvLink.write). */
let spareWriteReq: WriteReq | undefined;

function onShutdown(this: ShutdownReq): void {
  // The FIN is out; the peer's EOF (or the idle sweep) closes the handle.
}

/** getpeername's output, reused: Node sets address, family and port on it, in that order. */
const peer = { address: "", family: "", port: 0 };

class LibuvLink<S> implements TcpLink {
  readonly handle: TcpHandle;
  readonly receiver: TcpReceiver<S>;
  readonly listener: LibuvTcpListener<S>;
  state: S = undefined as S;
  /** Writes the kernel has not taken whole yet. */
  pending = 0;
  closeWhenWritten = false;
  /** Writes so far (see write). */
  writes = 0;
  shutdownWhenWritten = false;
  ending = false;
  closed = false;
  /** The receiver asked for no reads (pause) until it resumes. */
  paused = false;

  constructor(handle: TcpHandle, receiver: TcpReceiver<S>, listener: LibuvTcpListener<S>) {
    this.handle = handle;
    this.receiver = receiver;
    this.listener = listener;
  }

  remoteAddress(): string | undefined {
    if (this.closed) return undefined;
    return this.handle.getpeername(peer) === 0 ? peer.address : undefined;
  }

  /**
   * The handle's read callback, one closure per connection: the link is not
   * stored on the handle, because a wrapper object given a property of its
   * own can no longer be dropped by the young-generation collector (V8
   * reclaims only unmodified API wrappers there), and every connection's
   * handle would live on until a full collection.
   */
  readonly onread = (): void => {
    if (this.closed) return;
    const b = bindings as Bindings;
    const n = b.state[b.kReadBytesOrError]!;
    if (n > 0) {
      if (this.ending) return; // half-closed: drop what else arrives
      // The bytes are in the listener's shared read buffer (useUserBuffer).
      this.receiver.data(this.state, this.listener.received(n));
    } else if (n < 0) {
      // EOF or a read error (reset): nothing more will come.
      if (n === UV_EOF && this.pending > 0) this.closeWhenWritten = true;
      else this.destroy();
    }
  };

  write(bytes: Uint8Array): boolean {
    if (this.closed || this.ending) return true;
    // Nagle holds a small write back only while an earlier one is unacknowledged:
    // most connections carry one reply, so the socket option waits for a second.
    if (this.writes++ === 1) this.handle.setNoDelay(true);
    const b = bindings as Bindings;
    // A write the kernel takes at once never touches its request object, so
    // one serves every such write; a write that has to wait keeps its own.
    spareWriteReq ??= newWriteReq(b);
    const req = spareWriteReq;
    req.handle = this.handle;
    const err = this.handle.writeBuffer(req, bytes);
    if (err !== 0) {
      this.destroy();
      return true;
    }
    if (b.state[b.kLastWriteWasAsync] === 0) return true;
    spareWriteReq = undefined;
    req.buffer = bytes;
    req.link = this as LibuvLink<unknown>;
    // Backpressure: read no more requests until the replies are out.
    if (this.pending++ === 0) this.handle.readStop();
    return false;
  }

  /** An asynchronous write finished. */
  written(status: number): void {
    this.pending--;
    if (this.closed) return;
    if (status < 0 || (this.pending === 0 && this.closeWhenWritten)) this.destroy();
    else if (this.pending > 0) return;
    else if (this.shutdownWhenWritten) this.#shutdown();
    else {
      if (!this.paused) this.handle.readStart();
      this.receiver.drained?.(this.state);
    }
  }

  pause(): void {
    // While writes are pending, reading is stopped already (see write).
    if (!this.paused && !this.closed && !this.ending && this.pending === 0) this.handle.readStop();
    this.paused = true;
  }

  resume(): void {
    if (this.paused && !this.closed && !this.ending && this.pending === 0) this.handle.readStart();
    this.paused = false;
  }

  close(): void {
    if (this.pending > 0) this.closeWhenWritten = true;
    else this.destroy();
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (this.pending > 0) this.shutdownWhenWritten = true;
    else this.#shutdown();
  }

  #shutdown(): void {
    const b = bindings as Bindings;
    const req = new b.ShutdownWrap();
    req.handle = this.handle;
    req.oncomplete = onShutdown;
    const err = this.handle.shutdown(req);
    // Keep reading (and dropping) until the peer's EOF, as a half-close asks.
    if (err < 0) this.destroy();
    else this.handle.readStart();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    this.listener.connections--;
    this.receiver.closed(this.state);
  }
}

export class LibuvTcpListener<S> implements TcpLinkListener {
  readonly kind = "libuv";
  readonly #receiver: TcpReceiver<S>;
  #server: TcpHandle | undefined;
  maxConnections = Number.POSITIVE_INFINITY;
  connections = 0;
  /**
   * Every connection reads into this one buffer: reads are handed on
   * synchronously, so none needs memory of its own (no allocation per read,
   * and nothing for the allocator to fragment).
   */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  readonly #views = new LengthViews();

  /** The read buffer's first n bytes (see LengthViews). */
  received(n: number): Buffer {
    return this.#views.of(this.readBuffer, n) as Buffer;
  }

  constructor(receiver: TcpReceiver<S>) {
    this.#receiver = receiver;
  }

  async listen(port: number, host: string | undefined, backlog: number): Promise<number> {
    const b = loadBindings();
    if (!b) throw new Error("libuv TCP handles are not available in this Node");
    let address = host;
    if (address !== undefined && isIP(address) === 0) address = (await lookup(address)).address;
    const server = new b.TCP(b.SERVER);
    let err: number;
    if (address === undefined) {
      // As node:net does: dual-stack '::' where IPv6 exists, else IPv4 only.
      err = server.bind6("::", port, 0);
      if (err !== 0) {
        server.close();
        return this.#listenOn(new b.TCP(b.SERVER), "0.0.0.0", port, backlog);
      }
    } else if (isIP(address) === 6) err = server.bind6(address, port, 0);
    else err = server.bind(address, port);
    if (err !== 0) {
      server.close();
      throw uvError(err, "listen", formatEndpoint(address ?? "::", port));
    }
    return this.#listenOn(server, address ?? "::", port, backlog, true);
  }

  #listenOn(server: TcpHandle, address: string, port: number, backlog: number, bound = false) {
    let err = bound ? 0 : server.bind(address, port);
    if (err === 0) err = server.listen(backlog);
    if (err !== 0) {
      server.close();
      throw uvError(err, "listen", formatEndpoint(address, port));
    }
    server.onconnection = (status, client) => this.#accept(status, client);
    this.#server = server;
    const out: { port?: number } = {};
    server.getsockname(out);
    return out.port ?? port;
  }

  #accept(status: number, handle: TcpHandle | undefined): void {
    if (status !== 0 || !handle) return;
    if (this.connections >= this.maxConnections) {
      handle.close();
      return;
    }
    this.connections++;
    const link = new LibuvLink(handle, this.#receiver, this);
    link.state = this.#receiver.open(link);
    handle.onread = link.onread;
    handle.useUserBuffer(this.readBuffer);
    const err = handle.readStart();
    if (err !== 0) link.destroy();
  }

  close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(resolve));
  }
}
