/**
 * Our side of the byte stream: messages written to the transport, and small
 * ones (a `have`) held back briefly to go out in the same writev as a write
 * that is coming anyway (a piece, a request), rather than in a system call
 * and a read on the peer's side of their own (PeerConnection's HAVE_DELAY_MS).
 */
import type { Transport } from "../net/index.ts";
import type { Clock } from "../util/index.ts";
import type { TimerSlots } from "./timers.ts";

export class MessageWriter {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #timers: TimerSlots<"deferred">;
  readonly #closed: () => boolean;
  /** Small messages waiting to go out with the next write. */
  #deferred: Uint8Array[] = [];
  /** Clock time of our last write (keep-alives are due after a silence). */
  lastSent: number;

  constructor(
    transport: Transport,
    clock: Clock,
    timers: TimerSlots<"deferred">,
    closed: () => boolean,
  ) {
    this.#transport = transport;
    this.#clock = clock;
    this.#timers = timers;
    this.#closed = closed;
    this.lastSent = clock.now();
  }

  write(buf: Uint8Array): void {
    if (this.#closed()) return;
    this.lastSent = this.#clock.now();
    if (this.#deferred.length === 0) this.#transport.write(buf);
    else this.#transport.writev(this.#take([buf]));
  }

  /** Writes `chunks` back to back after the deferred messages; false when the transport is backed up. */
  writev(chunks: Uint8Array[], sent?: () => void): boolean {
    this.lastSent = this.#clock.now();
    return this.#transport.writev(this.#take(chunks), sent);
  }

  /** Holds `buf` for at most `ms`, to go out with whatever is written meanwhile. */
  defer(buf: Uint8Array, ms: number): void {
    this.#deferred.push(buf);
    if (!this.#timers.has("deferred")) this.#timers.set("deferred", ms, () => this.#flush());
  }

  /** `chunks` after the small messages waiting for a write (which no longer wait). */
  #take(chunks: Uint8Array[]): Uint8Array[] {
    if (this.#deferred.length === 0) return chunks;
    const all = this.#deferred;
    this.#deferred = [];
    this.#timers.clear("deferred");
    for (const c of chunks) all.push(c);
    return all;
  }

  /** The write the deferred messages waited for did not come in time. */
  #flush(): void {
    if (this.#closed() || this.#deferred.length === 0) return;
    this.lastSent = this.#clock.now();
    this.#transport.writev(this.#take([]));
  }
}
