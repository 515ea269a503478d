/**
 * A peer connection's Transport straight on libuv's TCP handle (the
 * `tcp_wrap` and `stream_wrap` bindings node:net is built on), for dialled
 * and accepted connections alike; tcp.ts opens them, and falls back to
 * net.Socket (SocketTransport) where these bindings are missing.
 *
 * Why: a swarm peer writes and reads thousands of times a second, and
 * net.Socket wraps each in its stream machinery (a write: cork, buffer,
 * _writev, a WriteWrap, a nextTick for the callback and one for 'drain'; a
 * read on an accepted socket: a fresh 64 KiB buffer, Readable.push and a
 * nextTick). Measured on loopback, a corked three-block writev costs 60 µs of
 * CPU through net.Socket and 42 µs here, and an accepted socket's reads take
 * twice the CPU of reads into one shared buffer. Here a write is one call
 * into libuv (which writes at once when the kernel takes it), and every
 * connection reads into one shared buffer.
 *
 * The bindings are internal to Node (libuv-binding.ts); libuvTransportAvailable()
 * checks the shape used here.
 */
import { EventEmitter } from "node:events";
import { libuvBinding, uvError } from "./libuv-binding.ts";
import type { Transport, TransportEvents } from "./transport.ts";

/** libuv's TCP handle as tcp_wrap exposes it (only what is used here). */
export interface TcpHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  getsockname(out: { port?: number; address?: string }): number;
  getpeername(out: { address?: string; port?: number }): number;
  setNoDelay(on: boolean): number;
  readStart(): number;
  readStop(): number;
  /** Reads go into `buffer` (from 0) instead of a fresh allocation each. */
  useUserBuffer(buffer: Uint8Array): void;
  writeBuffer(req: WriteReq, bytes: Uint8Array): number;
  writev(req: WriteReq, chunks: readonly Uint8Array[], allBuffers: boolean): number;
  shutdown(req: ShutdownReq): number;
  close(callback?: () => void): void;
  onconnection: ((status: number, client: TcpHandle | undefined) => void) | null;
  /** Must be a function: Node aborts the process on anything else. */
  onread: () => void;
}

export interface ConnectReq {
  oncomplete: (status: number) => void;
  address: string;
  port: number;
}

interface WriteReq {
  handle: TcpHandle;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  /** Keeps the chunks alive while the kernel has not taken them. */
  buffer: unknown;
  transport: LibuvTransport | null;
  bytes: number;
  sent: (() => void) | undefined;
}

interface ShutdownReq {
  handle: TcpHandle;
  oncomplete: (this: ShutdownReq, status: number) => void;
}

export interface LibuvTcpBindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  SOCKET: number;
  SERVER: number;
  WriteWrap: new () => WriteReq;
  ShutdownWrap: new () => ShutdownReq;
  state: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

const UV_EOF = -4095;
/** Every connection reads into this (reads are handed on synchronously). */
const READ_BUFFER_SIZE = 256 * 1024;

let bindings: LibuvTcpBindings | null | undefined;

/** The bindings, or null where this Node lacks them (or their shape differs). */
export function libuvTcpBindings(): LibuvTcpBindings | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  const tcp = libuvBinding("tcp_wrap");
  const stream = libuvBinding("stream_wrap");
  if (!tcp || !stream) return bindings;
  const constants = tcp.constants as Record<string, unknown> | undefined;
  const b = {
    TCP: tcp.TCP,
    TCPConnectWrap: tcp.TCPConnectWrap,
    SOCKET: constants?.SOCKET,
    SERVER: constants?.SERVER,
    WriteWrap: stream.WriteWrap,
    ShutdownWrap: stream.ShutdownWrap,
    state: stream.streamBaseState,
    kReadBytesOrError: stream.kReadBytesOrError,
    kLastWriteWasAsync: stream.kLastWriteWasAsync,
  };
  const proto = (b.TCP as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  const methods = [
    ...["bind", "bind6", "listen", "connect", "connect6", "getsockname", "getpeername"],
    ...["setNoDelay", "readStart", "readStop", "useUserBuffer", "writeBuffer", "writev"],
    ...["shutdown", "close"],
  ];
  if (
    typeof b.TCP !== "function" ||
    typeof b.TCPConnectWrap !== "function" ||
    typeof b.SOCKET !== "number" ||
    typeof b.SERVER !== "number" ||
    typeof b.WriteWrap !== "function" ||
    typeof b.ShutdownWrap !== "function" ||
    !(b.state instanceof Int32Array) ||
    typeof b.kReadBytesOrError !== "number" ||
    typeof b.kLastWriteWasAsync !== "number" ||
    !proto ||
    !methods.every((m) => typeof proto[m] === "function")
  ) {
    return bindings;
  }
  bindings = b as LibuvTcpBindings;
  return bindings;
}

let readBuffer: Buffer | undefined;

function onWriteComplete(this: WriteReq, status: number): void {
  const transport = this.transport;
  const sent = this.sent;
  this.buffer = null;
  this.transport = null;
  this.sent = undefined;
  transport?.written(this.bytes, status, sent);
}

/** A Transport on a connected libuv TCP handle (see the file's comment). */
export class LibuvTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly #b: LibuvTcpBindings;
  readonly #handle: TcpHandle;
  readonly #remoteAddress: string | undefined;
  readonly #remotePort: number | undefined;
  #destroyed = false;
  #ending = false;
  #paused = false;
  /** Read before anyone listened for "data" (copied: the read buffer is shared). */
  #unheard: Buffer | undefined;
  /** Bytes handed to libuv and not written yet. */
  #pending = 0;
  #needDrain = false;

  /** `handle`: connected (dialled, or handed out by a listening handle). */
  constructor(b: LibuvTcpBindings, handle: TcpHandle) {
    super();
    this.#b = b;
    this.#handle = handle;
    const peer: { address?: string; port?: number } = {};
    handle.getpeername(peer);
    this.#remoteAddress = peer.address;
    this.#remotePort = peer.port;
    handle.setNoDelay(true);
    readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    handle.useUserBuffer(readBuffer);
    handle.onread = this.#onread;
    // Reading starts at once (a close by the peer is seen even if nobody
    // reads); bytes that come before anyone listens are kept, and reading
    // waits, until someone does.
    this.#startReading();
  }

  readonly #onNewListener = (event: string | symbol): void => {
    if (event !== "data") return;
    (this as EventEmitter).off("newListener", this.#onNewListener);
    // The listener is added once this returns.
    queueMicrotask(() => {
      const unheard = this.#unheard;
      this.#unheard = undefined;
      if (this.#destroyed) return;
      if (unheard) this.emit("data", unheard);
      if (!this.#paused && !this.#destroyed) this.#startReading();
    });
  };

  get remoteAddress(): string | undefined {
    return this.#remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#remotePort;
  }

  get destroyed(): boolean {
    return this.#destroyed || this.#ending;
  }

  readonly #onread = (): void => {
    if (this.#destroyed) return;
    const b = this.#b;
    const n = b.state[b.kReadBytesOrError]!;
    if (n > 0) {
      const buf = readBuffer as Buffer;
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      if (this.listenerCount("data") > 0) {
        this.emit("data", chunk);
        return;
      }
      this.#unheard = this.#unheard ? Buffer.concat([this.#unheard, chunk]) : Buffer.from(chunk);
      this.#handle.readStop();
      (this as EventEmitter).on("newListener", this.#onNewListener);
    } else if (n < 0) {
      // EOF (the peer closed) or a read error (a reset): nothing more comes.
      if (n === UV_EOF) this.destroy();
      else this.destroy(uvError(n, "read", this.#where()));
    }
  };

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false;
    const req = this.#request(chunk.byteLength, undefined);
    return this.#dispatched(req, this.#handle.writeBuffer(req, chunk), chunk);
  }

  writev(chunks: readonly Uint8Array[], sent?: () => void): boolean {
    if (this.destroyed) return false;
    let bytes = 0;
    for (const c of chunks) bytes += c.byteLength;
    const req = this.#request(bytes, sent);
    return this.#dispatched(req, this.#handle.writev(req, chunks, true), chunks);
  }

  #request(bytes: number, sent: (() => void) | undefined): WriteReq {
    const req = new this.#b.WriteWrap();
    req.handle = this.#handle;
    req.oncomplete = onWriteComplete;
    req.async = false;
    req.buffer = null;
    req.transport = null;
    req.bytes = bytes;
    req.sent = sent;
    return req;
  }

  /** After a write call: done at once, or pending until libuv calls back. */
  #dispatched(req: WriteReq, err: number, chunks: unknown): boolean {
    if (err !== 0) {
      this.destroy(uvError(err, "write", this.#where()));
      return false;
    }
    const b = this.#b;
    if (b.state[b.kLastWriteWasAsync] === 0) {
      // The kernel took every byte: nothing refers to the chunks any more.
      req.sent?.();
      return this.#pending === 0;
    }
    req.buffer = chunks;
    req.transport = this;
    this.#pending += req.bytes;
    this.#needDrain = true;
    return false;
  }

  /** libuv's callback: a write that had to wait is done (or failed, or was cancelled by a close). */
  written(bytes: number, status: number, sent: (() => void) | undefined): void {
    this.#pending -= bytes;
    if (this.#destroyed) return;
    sent?.();
    if (status < 0) {
      this.destroy(uvError(status, "write", this.#where()));
      return;
    }
    if (this.#pending === 0 && this.#needDrain) {
      this.#needDrain = false;
      if (this.#ending) this.#shutdown();
      else this.emit("drain");
    }
  }

  end(): void {
    if (this.destroyed) return;
    this.#ending = true;
    if (this.#pending === 0) this.#shutdown();
  }

  #shutdown(): void {
    const req = new this.#b.ShutdownWrap();
    req.handle = this.#handle;
    req.oncomplete = () => this.destroy();
    if (this.#handle.shutdown(req) !== 0) this.destroy();
  }

  /** Closes now; "error" (if `err` and someone listens) and "close" follow, as net.Socket's do. */
  destroy(err?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#handle.readStop();
    this.#handle.close(() => {
      // An unhandled "error" would throw; forward it only to whoever listens.
      if (err && this.listenerCount("error") > 0) this.emit("error", err);
      this.emit("close");
    });
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (!this.#destroyed) this.#handle.readStop();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#destroyed && !this.#unheard) this.#startReading();
  }

  #startReading(): void {
    const err = this.#handle.readStart();
    if (err !== 0) this.destroy(uvError(err, "read", this.#where()));
  }

  #where(): string {
    return `${this.#remoteAddress ?? "?"}:${this.#remotePort ?? "?"}`;
  }
}
