/**
 * The client's peer connections over all torrents: dialled and accepted
 * through its Dialer and Listener, counted against one global limit, and
 * every incoming stream negotiated (peer/negotiate.ts) and handed to the
 * torrent whose info hash it names.
 */
import type { Transport } from "../net/index.ts";
import { type EncryptionPolicy, negotiateIncoming } from "../peer/index.ts";
import type { Torrent } from "../torrent/index.ts";
import type { Clock, Logger, PeerId } from "../util/index.ts";
import { ClientError } from "./errors.ts";
import type { Dialer } from "./transports.ts";

/** A stream that has not finished its handshake by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ConnectionGateOptions {
  dialer: Dialer;
  maxConnections: number;
  peerId: PeerId;
  clock: Clock;
  logger: Logger;
  /** The torrent with this info hash (hex), if the client has it. */
  torrent(infoHashHex: string): Torrent | undefined;
  /** Every torrent's info hash (an encrypted handshake names its torrent only by a hash of it). */
  infoHashes(): Iterable<Uint8Array>;
  /** MSE for incoming connections. */
  encryption: EncryptionPolicy;
  /** The IP filter: true for an address whose connections are refused both ways. */
  blocked(ip: string): boolean;
  /** Incoming streams are refused once the client is closing. */
  closed(): boolean;
}

export class ConnectionGate {
  readonly #o: ConnectionGateOptions;
  #connections = 0;

  constructor(o: ConnectionGateOptions) {
    this.#o = o;
  }

  /** Connections open now (dialled and accepted, over every torrent): every peer has one. */
  get connections(): number {
    return this.#connections;
  }

  async dial(host: string, port: number): Promise<Transport> {
    if (this.#o.blocked(host)) {
      throw new ClientError("blocked_address", `${host} is on the IP filter's block list`);
    }
    if (this.#connections >= this.#o.maxConnections) {
      throw new ClientError("connection_limit", "the global connection limit is reached");
    }
    this.#connections++;
    try {
      const t = await this.#o.dialer.dial(host, port);
      t.on("close", () => this.#connections--);
      return t;
    } catch (err) {
      this.#connections--;
      throw err;
    }
  }

  async accept(transport: Transport): Promise<void> {
    if (
      this.#o.closed() ||
      this.#connections >= this.#o.maxConnections ||
      this.#o.blocked(transport.remoteAddress ?? "")
    ) {
      transport.destroy();
      return;
    }
    this.#connections++;
    transport.on("close", () => this.#connections--);
    const host = transport.remoteAddress ?? "?";
    const port = transport.remotePort ?? 0;
    try {
      // The torrent is asked before we answer: a peer for a torrent we do not
      // serve, or cannot take now, never sees our handshake.
      const negotiated = await negotiateIncoming(transport, {
        lookup: (infoHash) => {
          const torrent = this.#o.torrent(infoHash.toString("hex"));
          if (!torrent?.canAccept(host, port)) return undefined;
          return { peerId: this.#o.peerId, encryption: torrent.encryption ?? this.#o.encryption };
        },
        infoHashes: () => this.#o.infoHashes(),
        encryption: this.#o.encryption,
        clock: this.#o.clock,
        timeoutMs: HANDSHAKE_TIMEOUT_MS,
      });
      const torrent = this.#o.torrent(negotiated.handshake.infoHash.toString("hex"));
      if (!torrent?.acceptIncoming(negotiated)) transport.destroy();
    } catch (err) {
      this.#o.logger.debug("incoming connection refused", { error: (err as Error).message });
      transport.destroy();
    }
  }
}
