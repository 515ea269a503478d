/**
 * Two connected in-memory Transports for deterministic tests and simulations.
 * Writes are delivered asynchronously (setImmediate, or a microtask when
 * asked), in order, never copied; a reader that pauses stops delivery, so
 * its writer's buffer fills and write() returns false until "drain", as
 * with TCP flow control.
 */
import { EventEmitter } from "node:events";
import type { Transport, TransportEvents } from "./transport.ts";

export interface MemoryEndpoint {
  address: string;
  port: number;
}

export interface MemoryPipeOptions {
  /** Bytes a writer may have undelivered before write() returns false (default 64 KiB). */
  highWaterMark?: number;
  /** Deliver writes in slices of at most this many bytes (default: as written). */
  maxChunk?: number;
  /** Where each side appears to be, as seen by the other. */
  endpoints?: [MemoryEndpoint, MemoryEndpoint];
  /**
   * When writes arrive: on the next event-loop turn (default, as a socket's
   * do), or on a microtask (a fuzzer's many short exchanges then cost no
   * event-loop turns).
   */
  delivery?: "immediate" | "microtask";
}

const DEFAULT_ENDPOINTS: [MemoryEndpoint, MemoryEndpoint] = [
  { address: "127.0.0.1", port: 50001 },
  { address: "127.0.0.1", port: 50002 },
];

export class MemoryTransport extends EventEmitter<TransportEvents> implements Transport {
  #peer!: MemoryTransport;
  readonly #remote: MemoryEndpoint;
  readonly #highWaterMark: number;
  readonly #maxChunk: number;
  readonly #later: (run: () => void) => void;
  /** Chunks written by the peer, not yet delivered to this side. */
  readonly #inbox: Buffer[] = [];
  #inboxBytes = 0;
  #paused = false;
  #scheduled = false;
  /** This side's writer saw a full buffer and waits for "drain". */
  #needDrain = false;
  /** This side called end(): close both once the peer has read everything. */
  #ending = false;
  #closed = false;

  /** Use createMemoryPipe(). */
  constructor(
    remote: MemoryEndpoint,
    highWaterMark: number,
    maxChunk: number,
    later: (run: () => void) => void = setImmediate,
  ) {
    super();
    this.#remote = remote;
    this.#highWaterMark = highWaterMark;
    this.#maxChunk = maxChunk;
    this.#later = later;
  }

  static connect(a: MemoryTransport, b: MemoryTransport): void {
    a.#peer = b;
    b.#peer = a;
  }

  get remoteAddress(): string | undefined {
    return this.#remote.address;
  }

  get remotePort(): number | undefined {
    return this.#remote.port;
  }

  get destroyed(): boolean {
    return this.#closed || this.#ending;
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.#peer.#closed && buf.length > 0) this.#peer.#enqueue(buf);
    if (this.#peer.#inboxBytes >= this.#highWaterMark) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  /** Never calls a `sent` callback: the reader is handed the chunks themselves. */
  writev(chunks: readonly Uint8Array[]): boolean {
    let ok = true;
    for (const c of chunks) ok = this.write(c);
    return ok;
  }

  end(): void {
    if (this.destroyed) return;
    this.#ending = true;
    this.#peer.#schedule();
  }

  destroy(err?: Error): void {
    if (this.#closed) return;
    this.#inbox.length = 0;
    this.#inboxBytes = 0;
    // What this side already wrote still reaches the peer, then it closes (FIN).
    this.#ending = true;
    this.#peer.#schedule();
    this.#close(err);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#schedule();
  }

  #enqueue(buf: Buffer): void {
    for (let at = 0; at < buf.length; at += this.#maxChunk) {
      this.#inbox.push(
        at === 0 && buf.length <= this.#maxChunk ? buf : buf.subarray(at, at + this.#maxChunk),
      );
    }
    this.#inboxBytes += buf.length;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    this.#later(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  #deliver(): void {
    while (!this.#closed && !this.#paused && this.#inbox.length > 0) {
      const chunk = this.#inbox.shift()!;
      this.#inboxBytes -= chunk.length;
      this.emit("data", chunk);
    }
    const writer = this.#peer;
    if (writer.#needDrain && this.#inboxBytes < writer.#highWaterMark && !writer.#closed) {
      writer.#needDrain = false;
      writer.emit("drain");
    }
    // The peer ended (or was destroyed) and everything it wrote is read: both sides close.
    if (this.#inbox.length === 0 && writer.#ending && !this.#closed) {
      this.#close();
      writer.#close();
    }
  }

  #close(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbox.length = 0;
    this.#inboxBytes = 0;
    if (err && this.listenerCount("error") > 0) this.emit("error", err);
    this.emit("close");
  }
}

/** Two connected Transports: what one writes, the other reads. */
export function createMemoryPipe(opts: MemoryPipeOptions = {}): [MemoryTransport, MemoryTransport] {
  const [ea, eb] = opts.endpoints ?? DEFAULT_ENDPOINTS;
  const hwm = opts.highWaterMark ?? 64 * 1024;
  const maxChunk = opts.maxChunk ?? Number.POSITIVE_INFINITY;
  const later = opts.delivery === "microtask" ? queueMicrotask : setImmediate;
  // Each side's remote endpoint is the other side's address.
  const a = new MemoryTransport(eb, hwm, maxChunk, later);
  const b = new MemoryTransport(ea, hwm, maxChunk, later);
  MemoryTransport.connect(a, b);
  return [a, b];
}
