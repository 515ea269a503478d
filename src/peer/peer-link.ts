/**
 * A connection's byte stream once both handshakes are behind it
 * (negotiate.ts): frames read into messages, none before the connection
 * opens (bytes that come earlier, the negotiation's leftover first, are
 * kept and read then), its code run so that anything thrown closes it with
 * a reason instead of escaping (a peer's violation is a PeerError, a bug is
 * logged loudly), and closed once.
 */
import type { Transport } from "../net/index.ts";
import { type Clock, isShoalError, type Logger, type ShoalError } from "../util/index.ts";
import { DEFAULT_MAX_MESSAGE_LENGTH, type Message, WireFramer } from "../wire/index.ts";
import { PeerError } from "./errors.ts";
import { MessageWriter } from "./message-writer.ts";
import type { Negotiated } from "./negotiated.ts";
import { Timers } from "./timers.ts";

/** The connection's timers, one of each at a time. */
export type PeerTimer = "tick" | "upload" | "stall" | "download" | "deferred";

export interface PeerLinkHooks {
  /** The connection opens (its listeners are attached); it calls readEarly() when ready to read. */
  open(): void;
  /** A chunk of `bytes` arrived while open, before it is framed. */
  received(bytes: number): void;
  message(m: Message): void;
  /** The transport took what was backed up. */
  drain(): void;
  /** Once, with the transport destroyed and every timer cleared. */
  closed(reason: string, error: ShoalError | undefined): void;
}

export interface PeerLinkOptions {
  clock: Clock;
  logger: Logger;
  /** The torrent's piece count, when known (a bitfield's length bounds a message). */
  pieceCount: number | undefined;
  hooks: PeerLinkHooks;
}

/** "opening": built, not open yet (listeners are attached meanwhile). */
type State = "opening" | "ready" | "closed";

export class PeerLink {
  readonly transport: Transport;
  readonly timers: Timers<PeerTimer>;
  readonly writer: MessageWriter;
  readonly #framer: WireFramer;
  readonly #log: Logger;
  readonly #hooks: PeerLinkHooks;
  #state: State = "opening";
  #closeReason: string | undefined;
  /** Bytes that came before the connection opened: the negotiation's leftover, then any early chunk. */
  #early: Buffer[];

  constructor(negotiated: Negotiated, o: PeerLinkOptions) {
    const transport = negotiated.stream;
    this.transport = transport;
    this.#log = o.logger;
    this.#hooks = o.hooks;
    this.#early = negotiated.leftover.length > 0 ? [negotiated.leftover] : [];
    this.timers = new Timers(o.clock, (fn) => this.guard(fn));
    this.writer = new MessageWriter(transport, o.clock, this.timers, () => this.closed);
    this.#framer = new WireFramer({
      handshake: false,
      maxMessageLength: maxMessageLength(o.pieceCount),
    });
    transport.on("data", (chunk) => this.#onData(chunk));
    transport.on("drain", () => this.guard(() => this.#hooks.drain()));
    transport.on("error", (err) =>
      this.fail(new PeerError("transport", `connection error: ${err.message}`, { cause: err })),
    );
    transport.on("close", () => this.close("the peer closed the connection"));
    if (transport.destroyed) {
      queueMicrotask(() => this.close("the peer closed the connection"));
      return;
    }
    // Open once the caller has attached its listeners; the negotiation left
    // the stream paused so that no byte is read before then.
    queueMicrotask(() =>
      this.guard(() => {
        if (this.closed) return;
        this.#state = "ready";
        this.#hooks.open();
      }),
    );
    transport.resume();
  }

  get ready(): boolean {
    return this.#state === "ready";
  }
  get closed(): boolean {
    return this.#state === "closed";
  }
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** A bitfield for a torrent of many pieces may exceed the default bound. */
  setPieceCount(pieceCount: number): void {
    this.#framer.setMaxMessageLength(maxMessageLength(pieceCount));
  }

  /** Reads what came before the connection opened (with their handshake). */
  readEarly(): void {
    const early = this.#early;
    this.#early = [];
    for (const chunk of early) this.#onData(chunk);
  }

  /** Ends the connection once; the hooks hear why. */
  close(reason: string, error?: ShoalError): void {
    if (this.closed) return;
    this.#state = "closed";
    this.#closeReason = reason;
    this.timers.clearAll();
    this.transport.destroy();
    this.#log.debug("peer connection closed", { reason, code: error?.code });
    this.#hooks.closed(reason, error);
  }

  /** Runs `fn`; anything it throws closes the connection instead of escaping. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err: unknown): void {
    if (this.closed) return;
    if (isShoalError(err)) {
      this.#log.info("closing peer connection", { code: err.code, reason: err.message });
      this.close(err.message, err);
      return;
    }
    // A bug (ours or a listener's): log it loudly, but keep the process alive.
    const message = err instanceof Error ? err.message : String(err);
    this.#log.error("peer connection failed", { error: message, stack: (err as Error)?.stack });
    this.close(`internal error: ${message}`, new PeerError("internal", message, { cause: err }));
  }

  #onData(chunk: Buffer): void {
    if (this.#state !== "ready") {
      // A chunk is only lent: keep a copy until the connection opens.
      if (!this.closed) this.#early.push(Buffer.from(chunk));
      return;
    }
    this.#hooks.received(chunk.length);
    this.#framer.push(chunk);
    this.guard(() => {
      while (!this.closed) {
        const frame = this.#framer.next();
        if (!frame) break;
        if (frame.kind === "message") this.#hooks.message(frame.message);
      }
    });
  }
}

function maxMessageLength(pieceCount = 0): number {
  return Math.max(DEFAULT_MAX_MESSAGE_LENGTH, Math.ceil(pieceCount / 8) + 1);
}
