/**
 * The byte transport under the HTTP front end: a TCP listener that hands
 * each connection's bytes to a receiver and takes whole replies back. Two
 * implementations: `NetTcpListener` on node:net (documented, portable), and
 * `LibuvTcpListener` (libuv-tcp.ts) on the libuv handles node:net itself is
 * built on, without net.Socket's stream machinery, which costs more than the
 * whole announce over short connections. `createTcpListener` picks the second
 * where this Node offers it, else the first.
 */
import { createServer, type Server, type Socket } from "node:net";
import { LibuvTcpListener, libuvTcpAvailable } from "./libuv-tcp.ts";

/** One accepted connection, as the front end drives it. */
export interface TcpLink {
  /** The peer's address as text (as net.Socket reports it), or undefined once closed. */
  remoteAddress(): string | undefined;
  /**
   * Writes `bytes`. Returns true when the kernel took them whole at once, so
   * the caller may reuse the memory; false when the link keeps a reference
   * until they are sent.
   */
  write(bytes: Uint8Array): boolean;
  /**
   * The last reply is written and nothing more was received: close once the
   * writes are out (the kernel sends them, then FIN).
   */
  close(): void;
  /** Half-close after the writes (FIN), then drop anything more the peer sends. */
  end(): void;
  /** Close at once, dropping anything unwritten. */
  destroy(): void;
}

/** What a listener calls: per connection, state from `open`, then its bytes. */
export interface TcpReceiver<S> {
  open(link: TcpLink): S;
  /** The chunk's memory is reused once this returns: copy what must be kept. */
  data(state: S, chunk: Buffer): void;
  /** The connection is gone (either side); called once. */
  closed(state: S): void;
}

export interface TcpListener {
  /** Listens; resolves with the port (useful with port 0). */
  listen(port: number, host: string | undefined, backlog: number): Promise<number>;
  /** Stops accepting; connections are the caller's to destroy. */
  close(): Promise<void>;
  /** Connections past this many are closed as they arrive. */
  maxConnections: number;
  readonly kind: "net" | "libuv";
}

export type TcpListenerKind = "auto" | "net" | "libuv";

export function createTcpListener<S>(
  kind: TcpListenerKind,
  receiver: TcpReceiver<S>,
  onError: (err: Error) => void,
): TcpListener {
  if (kind === "libuv" || (kind === "auto" && libuvTcpAvailable())) {
    return new LibuvTcpListener(receiver);
  }
  return new NetTcpListener(receiver, onError);
}

const kState = Symbol("shoal.tcp.state");
type StatefulSocket<S> = Socket & { [kState]?: S };

class NetLink implements TcpLink {
  readonly #socket: Socket;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  write(bytes: Uint8Array): boolean {
    this.#socket.write(bytes);
    return this.#socket.writableLength === 0;
  }

  close(): void {
    if (this.#socket.writableLength === 0) this.#socket.destroy();
    else this.#socket.end();
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

function ignoreError(): void {
  // Resets and the like: the socket closes, and 'close' reports it.
}

/** The node:net listener. */
export class NetTcpListener<S> implements TcpListener {
  readonly kind = "net";
  readonly #server: Server;
  readonly #onData: (this: StatefulSocket<S>, chunk: Buffer) => void;
  readonly #onClose: (this: StatefulSocket<S>) => void;
  readonly #onError: (err: Error) => void;

  constructor(receiver: TcpReceiver<S>, onError: (err: Error) => void) {
    this.#onError = onError;
    // Shared listeners, no closures per socket: the socket is `this`.
    this.#onData = function (chunk) {
      receiver.data(this[kState] as S, chunk);
    };
    this.#onClose = function () {
      receiver.closed(this[kState] as S);
    };
    this.#server = createServer({ noDelay: true }, (socket: StatefulSocket<S>) => {
      socket[kState] = receiver.open(new NetLink(socket));
      socket.on("data", this.#onData);
      socket.on("close", this.#onClose);
      socket.on("error", ignoreError);
    });
  }

  get maxConnections(): number {
    return this.#server.maxConnections;
  }

  set maxConnections(n: number) {
    this.#server.maxConnections = n;
  }

  listen(port: number, host: string | undefined, backlog: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen({ port, host, backlog }, () => {
        this.#server.off("error", reject);
        this.#server.on("error", this.#onError);
        const addr = this.#server.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
