/**
 * The node:net implementation of the tracker's TCP link listener
 * (tcp-link.ts): documented and portable, used where libuv's handles are not
 * offered (libuv-tcp.ts), when asked for by name, and for TLS (HTTPS: the
 * same listener over node:tls, whose sockets are node:net's).
 */
import { createServer, type Server, type Socket } from "node:net";
import type { TcpLink, TcpLinkListener, TcpReceiver, TlsIdentity } from "./tcp-link.ts";

const kState = Symbol("shoal.tcp.state");
type StatefulSocket<S> = Socket & { [kState]?: S };

class NetLink implements TcpLink {
  readonly #socket: Socket;
  readonly #drained: () => void;
  /** A write was reported not taken whole: tell the receiver when all are out. */
  #waiting = false;
  readonly #written = (): void => {
    if (this.#waiting && this.#socket.writableLength === 0) {
      this.#waiting = false;
      this.#drained();
    }
  };

  constructor(socket: Socket, drained: () => void) {
    this.#socket = socket;
    this.#drained = drained;
  }

  remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  write(bytes: Uint8Array): boolean {
    this.#socket.write(bytes, this.#written);
    if (this.#socket.writableLength === 0) return true;
    this.#waiting = true;
    return false;
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
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
export class NetTcpLinkListener<S> implements TcpLinkListener {
  readonly kind = "net";
  readonly #server: Server;
  readonly #onData: (this: StatefulSocket<S>, chunk: Buffer) => void;
  readonly #onClose: (this: StatefulSocket<S>) => void;
  readonly #onError: (err: Error) => void;

  constructor(receiver: TcpReceiver<S>, onError: (err: Error) => void, tls?: TlsIdentity) {
    this.#onError = onError;
    // Shared listeners, no closures per socket: the socket is `this`.
    this.#onData = function (chunk) {
      receiver.data(this[kState] as S, chunk);
    };
    this.#onClose = function () {
      receiver.closed(this[kState] as S);
    };
    const accepted = (socket: StatefulSocket<S>) => {
      const drained = () => receiver.drained?.(socket[kState] as S);
      socket[kState] = receiver.open(new NetLink(socket, drained));
      socket.on("data", this.#onData);
      socket.on("close", this.#onClose);
      socket.on("error", ignoreError);
    };
    this.#server = tls
      ? // A failed TLS handshake never reaches the receiver ("tlsClientError").
        // node:tls is taken here, not imported: loading it costs about 20 ms
        // of CPU, which every process start would pay for HTTPS it rarely serves.
        process
          .getBuiltinModule("node:tls")
          .createServer({ cert: tls.cert, key: tls.key, noDelay: true }, accepted)
          .on("tlsClientError", ignoreError)
      : createServer({ noDelay: true }, accepted);
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
