/**
 * The byte transport under the tracker's HTTP front end: a TCP listener that
 * hands each connection's bytes to a receiver and takes whole replies back.
 * Two implementations: `NetTcpLinkListener` (net-tcp-link.ts) on node:net
 * (documented, portable), and `LibuvTcpListener` (libuv-tcp.ts) on the libuv
 * handles node:net itself is built on, without net.Socket's stream machinery,
 * which costs more than the whole announce over short connections.
 * `createTcpLinkListener` (tcp-link-factory.ts) picks the second where this
 * Node offers it, else the first. This file holds only the interfaces, so the
 * implementations import it and never each other.
 */

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
  /**
   * Read nothing more until resume(): the receiver's own backpressure (it has
   * requests in hand it will not parse while their replies are unread).
   */
  pause(): void;
  resume(): void;
}

/** What a listener calls: per connection, state from `open`, then its bytes. */
export interface TcpReceiver<S> {
  open(link: TcpLink): S;
  /** The chunk's memory is reused once this returns: copy what must be kept. */
  data(state: S, chunk: Buffer): void;
  /** The connection is gone (either side); called once. */
  closed(state: S): void;
  /** Every write that write() did not report taken whole is out now. */
  drained?(state: S): void;
}

export interface TcpLinkListener {
  /** Listens; resolves with the port (useful with port 0). */
  listen(port: number, host: string | undefined, backlog: number): Promise<number>;
  /** Stops accepting; connections are the caller's to destroy. */
  close(): Promise<void>;
  /** Connections past this many are closed as they arrive. */
  maxConnections: number;
  readonly kind: "net" | "libuv";
}

export type TcpLinkListenerKind = "auto" | "net" | "libuv";

/** A server's certificate chain and private key (PEM), for HTTPS. */
export interface TlsIdentity {
  cert: string | Buffer;
  key: string | Buffer;
}
