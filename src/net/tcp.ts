/**
 * TCP transports. Where Node offers libuv's TCP handles (libuv-transport.ts)
 * connections are dialled, accepted and run on them; elsewhere, and for a
 * host that is a name rather than an address, over node:net. Every socket
 * gets TCP_NODELAY (Nagle off): the peer connection already coalesces what
 * belongs together (a piece header and its block go out in one writev, a
 * burst of requests in one write), so Nagle could only delay the small
 * messages whose latency matters: a request waiting ~40 ms for the delayed
 * ACK of the previous segment stretches every request → piece round trip,
 * and with a bounded request pipeline that round trip caps a peer's
 * throughput. libtorrent does the same.
 */
import { EventEmitter } from "node:events";
import { createServer, isIP, type Socket, connect as tcpConnect } from "node:net";
import { formatEndpoint } from "../util/index.ts";
import { NetError } from "./errors.ts";
import { uvError } from "./libuv-binding.ts";
import { type LibuvTcpBindings, LibuvTransport, libuvTcpBindings } from "./libuv-transport.ts";
import type { Transport, TransportEvents } from "./transport.ts";

/**
 * One read buffer for every socket this process dials. Node otherwise
 * allocates a fresh 64 KiB buffer per read, and at hundreds of MB/s that
 * churn of short-lived external memory keeps V8's full collector busy. The
 * JavaScript thread handles one read at a time and listeners copy what they
 * keep (see TransportEvents), so one buffer serves every connection; it is
 * large so that a fast stream is read in few system calls.
 */
const READ_BUFFER_SIZE = 256 * 1024;
let sharedReadBuffer: Buffer | undefined;

/** A net.Socket seen as a Transport. */
export class SocketTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly #socket: Socket;
  readonly #remoteAddress: string | undefined;
  readonly #remotePort: number | undefined;

  /** `borrowedReads`: the socket was made with readInto() as its onread. */
  constructor(socket: Socket, borrowedReads = false) {
    super();
    this.#socket = socket;
    // Read them now: a closed socket forgets its remote address.
    this.#remoteAddress = socket.remoteAddress;
    this.#remotePort = socket.remotePort;
    socket.setNoDelay(true);
    if (!borrowedReads) socket.on("data", (chunk: Buffer) => this.emit("data", chunk));
    socket.on("drain", () => this.emit("drain"));
    socket.on("close", () => this.emit("close"));
    // An unhandled "error" would throw; forward it only to whoever listens.
    socket.on("error", (err) => {
      if (this.listenerCount("error") > 0) this.emit("error", err);
    });
  }

  get remoteAddress(): string | undefined {
    return this.#remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#remotePort;
  }

  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#socket.destroyed) return false;
    return this.#socket.write(chunk);
  }

  writev(chunks: readonly Uint8Array[], sent?: () => void): boolean {
    if (this.#socket.destroyed) return false;
    // Corked writes leave as one writev (the stream's _writev): no concatenation.
    this.#socket.cork();
    let ok = true;
    const last = chunks.length - 1;
    // A write's callback runs when libuv is done with it (written, or failed).
    for (let i = 0; i < last; i++) ok = this.#socket.write(chunks[i]!);
    if (last >= 0)
      ok = sent ? this.#socket.write(chunks[last]!, sent) : this.#socket.write(chunks[last]!);
    this.#socket.uncork();
    return ok;
  }

  end(): void {
    this.#socket.end();
  }

  destroy(err?: Error): void {
    this.#socket.destroy(err);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }
}

export interface DialOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Connects to host:port. Rejects with NetError (connect_failed, connect_timeout, aborted). */
export function dialTcp(host: string, port: number, opts: DialOptions = {}): Promise<Transport> {
  const { timeoutMs = 10_000, signal } = opts;
  const where = formatEndpoint(host, port);
  if (signal?.aborted) {
    return Promise.reject(new NetError("aborted", `connecting to ${where} was cancelled`));
  }
  const b = isIP(host) !== 0 ? libuvTcpBindings() : null;
  if (b) return dialLibuv(b, host, port, timeoutMs, signal);
  return new Promise((resolve, reject) => {
    let transport: SocketTransport | undefined;
    sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    const socket = tcpConnect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: sharedReadBuffer,
        callback: (n: number, buf: Uint8Array) => {
          transport?.emit("data", Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    let settled = false;
    const finish = (err?: NetError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        transport = new SocketTransport(socket, true);
        resolve(transport);
      }
    };
    const onError = (err: NodeJS.ErrnoException) =>
      finish(
        new NetError("connect_failed", `cannot connect to ${where}: ${err.code ?? err.message}`, {
          cause: err,
        }),
      );
    const onAbort = () => finish(new NetError("aborted", `connecting to ${where} was cancelled`));
    const timer = setTimeout(
      () => finish(new NetError("connect_timeout", `no answer from ${where} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("connect", () => finish());
    socket.on("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** dialTcp on libuv's handle; `host` is an IP address. */
function dialLibuv(
  b: LibuvTcpBindings,
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Transport> {
  const where = formatEndpoint(host, port);
  return new Promise((resolve, reject) => {
    const handle = new b.TCP(b.SOCKET);
    let settled = false;
    const finish = (err?: NetError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err) {
        handle.close();
        reject(err);
      } else resolve(new LibuvTransport(b, handle));
    };
    const failed = (status: number) =>
      finish(
        new NetError("connect_failed", `cannot connect to ${where}: ${code(status)}`, {
          cause: uvError(status, "connect", where),
        }),
      );
    const onAbort = () => finish(new NetError("aborted", `connecting to ${where} was cancelled`));
    const timer = setTimeout(
      () => finish(new NetError("connect_timeout", `no answer from ${where} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    const req = new b.TCPConnectWrap();
    req.oncomplete = (status: number) => (status === 0 ? finish() : failed(status));
    req.address = host;
    req.port = port;
    const err =
      isIP(host) === 6 ? handle.connect6(req, host, port) : handle.connect(req, host, port);
    if (err !== 0) failed(err);
  });
}

/** The system's name for a libuv error (ECONNREFUSED). */
function code(status: number): string {
  return String(uvError(status, "", "").code);
}

export interface ListenOptions {
  /** 0 (the default) picks a free port; read it from `port`. */
  port?: number;
  /** Default "0.0.0.0"; tests use "127.0.0.1". */
  host?: string;
}

export interface TcpListenerEvents {
  connection: [transport: Transport];
  error: [err: Error];
}

/** A listening TCP socket handing out incoming connections as Transports. */
export class TcpListener extends EventEmitter<TcpListenerEvents> {
  readonly #port: number;
  readonly #host: string;
  readonly #close: () => void;
  #closed = false;

  /** Use listenTcp(). `close` stops accepting (synchronously). */
  constructor(host: string, port: number, close: () => void) {
    super();
    this.#host = host;
    this.#port = port;
    this.#close = close;
  }

  get port(): number {
    return this.#port;
  }

  get host(): string {
    return this.#host;
  }

  /**
   * Stops accepting and releases the port. Connections already handed out are
   * left alone: their owners close them.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#close();
    }
    return Promise.resolve();
  }
}

export function listenTcp(opts: ListenOptions = {}): Promise<TcpListener> {
  const host = opts.host ?? "0.0.0.0";
  const port = opts.port ?? 0;
  const b = isIP(host) !== 0 ? libuvTcpBindings() : null;
  if (b) return listenLibuv(b, host, port);
  const server = createServer({ noDelay: true });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new NetError(
          "listen_failed",
          `cannot listen on ${formatEndpoint(host, port)}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    server.once("error", onError);
    server.listen({ port, host }, () => {
      server.off("error", onError);
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      // server.close's callback waits for every accepted socket to end; the
      // listening handle itself is closed synchronously.
      const listener = new TcpListener(host, bound, () => server.close());
      server.on("connection", (socket) => listener.emit("connection", new SocketTransport(socket)));
      server.on("error", (err) => {
        if (listener.listenerCount("error") > 0) listener.emit("error", err);
      });
      resolve(listener);
    });
  });
}

/** The pending connections a listening socket queues (node:net's default). */
const BACKLOG = 511;

/** listenTcp on libuv's handle; `host` is an IP address. */
async function listenLibuv(b: LibuvTcpBindings, host: string, port: number): Promise<TcpListener> {
  const server = new b.TCP(b.SERVER);
  let err = isIP(host) === 6 ? server.bind6(host, port, 0) : server.bind(host, port);
  if (err === 0) err = server.listen(BACKLOG);
  if (err !== 0) {
    server.close();
    const where = formatEndpoint(host, port);
    // The cause as node:net's would be, with the address and port (the CLI names them).
    const cause = Object.assign(uvError(err, "listen", where), { address: host, port });
    throw new NetError("listen_failed", `cannot listen on ${where}: ${code(err)}`, { cause });
  }
  const bound: { port?: number } = {};
  server.getsockname(bound);
  const listener = new TcpListener(host, bound.port ?? port, () => server.close());
  server.onconnection = (status, client) => {
    // A failed accept (the peer gave up already, EMFILE) costs nothing but that connection.
    if (status !== 0 || !client) return;
    listener.emit("connection", new LibuvTransport(b, client));
  };
  return listener;
}
