/**
 * One end of a connection on the simulated network (memory-network.ts): a
 * Transport whose bytes wait in a send queue until the host's uplink takes
 * them, one segment at a time, and whose arrivals wait in an inbox while it
 * is paused or nobody reads (as a socket holds data until a "data" listener
 * comes). Its end (end() or destroy()) travels behind the bytes already sent.
 */
import { EventEmitter } from "node:events";
import type { Clock } from "../util/index.ts";
import type { Transport, TransportEvents } from "./transport.ts";

/** Bytes on their way from one connection end to the other, in write order. */
export interface Segment {
  chunks: Buffer[];
  bytes: number;
  /** writev callbacks to run once the chunks are delivered. */
  sent: (() => void)[];
  /** The sender's end of the stream comes after these bytes. */
  fin: boolean;
  to: MemoryConnection;
}

/** What a connection end needs from its host's links. */
export interface ConnectionLink {
  readonly clock: Clock;
  /** Unsent bytes before write() returns false. */
  readonly highWaterMark: number;
  /** Bytes a paused reader lets arrive before its sender stops. */
  readonly receiveWindow: number;
  /** The connection has bytes (or its end) to send. */
  wantsToSend(conn: MemoryConnection): void;
  /** The connection closed: it sends nothing more. */
  forget(conn: MemoryConnection): void;
  /** Room opened in a window: the uplink may go on. */
  kickUplink(): void;
  /** A segment reached this host (through its downlink, to its connection). */
  arrive(segment: Segment): void;
}

interface InboxEntry {
  chunk: Buffer | undefined;
  sent: readonly (() => void)[];
  fin: boolean;
}

const NONE: readonly (() => void)[] = [];

/** One end of a simulated connection. */
export class MemoryConnection implements Transport {
  readonly #link: ConnectionLink;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly latencyMs: number;
  readonly #events = new EventEmitter<TransportEvents>();
  #remote!: MemoryConnection;
  /** Written and not yet on the wire, with writev callbacks beside their last chunk. */
  readonly #queue: { chunk: Buffer; sent: (() => void) | undefined }[] = [];
  #queuedBytes = 0;
  #needDrain = false;
  /**
   * Arrived and not yet handed to a "data" listener (paused, or nobody
   * listens yet), chunk by chunk; a segment's callbacks and end ride on its
   * last entry.
   */
  readonly #inbox: InboxEntry[] = [];
  /** Bytes sent to this end and not yet read: in flight, or waiting in the inbox. */
  #unread = 0;
  #paused = false;
  #flushScheduled = false;
  /** end() was called: the end follows the queued bytes. */
  #ending = false;
  #finQueued = false;
  #closed = false;

  /** Use MemoryHost.dial() / listen(). */
  constructor(link: ConnectionLink, remoteAddress: string, remotePort: number, latencyMs: number) {
    this.#link = link;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.latencyMs = latencyMs;
  }

  /** @internal The host this end belongs to. */
  get link(): ConnectionLink {
    return this.#link;
  }

  /** @internal */
  pair(remote: MemoryConnection): void {
    this.#remote = remote;
    remote.#remote = this;
  }

  get destroyed(): boolean {
    return this.#closed || this.#ending;
  }

  write(chunk: Uint8Array): boolean {
    return this.writev([chunk]);
  }

  /** `sent` runs once the other end has been handed the chunks. */
  writev(chunks: readonly Uint8Array[], sent?: () => void): boolean {
    if (this.destroyed) return false;
    const last = chunks.length - 1;
    chunks.forEach((c, i) => {
      const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      if (chunk.length === 0 && !(i === last && sent)) return;
      this.#queue.push({ chunk, sent: i === last ? sent : undefined });
      this.#queuedBytes += chunk.length;
    });
    if (this.#queue.length > 0) this.#link.wantsToSend(this);
    if (this.#queuedBytes >= this.#link.highWaterMark) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  end(): void {
    if (this.destroyed) return;
    this.#ending = true;
    this.#link.wantsToSend(this);
  }

  /** Closes now: unsent bytes are dropped; the other end learns it one latency later. */
  destroy(err?: Error): void {
    if (this.#closed) return;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#finQueued = true;
    this.#link.forget(this);
    const remote = this.#remote;
    // Even after end(): its end may be in the segment on the wire now, which is lost.
    if (!remote.#closed) {
      const reset: Segment = { chunks: [], bytes: 0, sent: [], fin: true, to: remote };
      // Behind the bytes already on the wire, through the same downlink.
      this.#link.clock.setTimeout(() => remote.#link.arrive(reset), this.latencyMs);
    }
    this.#close(err);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#scheduleFlush();
  }

  on<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this {
    (this.#events as EventEmitter).on(event, listener as (...args: unknown[]) => void);
    // As a socket, a stream holds what arrives until someone reads it.
    if (event === "data") this.#scheduleFlush();
    return this;
  }

  off<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this {
    (this.#events as EventEmitter).off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  // ---- sending (called by the host's uplink) --------------------------------

  /** @internal */
  hasQueued(): boolean {
    return this.#queue.length > 0 || (this.#ending && !this.#finQueued);
  }

  /**
   * @internal The other end's window is full (bytes in flight and unread, as
   * TCP's receive window counts them): wait until it reads.
   */
  windowFull(): boolean {
    return this.#remote.#unread >= this.#link.receiveWindow;
  }

  /** @internal Takes up to `max` bytes off the queue (and the end, when all is taken). */
  takeSegment(max: number): Segment {
    const segment: Segment = { chunks: [], bytes: 0, sent: [], fin: false, to: this.#remote };
    while (this.#queue.length > 0 && segment.bytes < max) {
      const head = this.#queue[0]!;
      const room = max - segment.bytes;
      if (head.chunk.length > room) {
        segment.chunks.push(head.chunk.subarray(0, room));
        head.chunk = head.chunk.subarray(room);
        segment.bytes += room;
        break;
      }
      this.#queue.shift();
      if (head.chunk.length > 0) segment.chunks.push(head.chunk);
      segment.bytes += head.chunk.length;
      if (head.sent) segment.sent.push(head.sent);
    }
    if (this.#queue.length === 0 && this.#ending && !this.#finQueued) {
      segment.fin = true;
      this.#finQueued = true;
    }
    return segment;
  }

  /** @internal The segment is on the wire; false if this end closed meanwhile. */
  segmentLeft(segment: Segment): boolean {
    if (this.#closed) return false;
    this.#queuedBytes -= segment.bytes;
    this.#remote.#unread += segment.bytes;
    if (this.#needDrain && this.#queuedBytes < this.#link.highWaterMark) {
      this.#needDrain = false;
      this.#events.emit("drain");
    }
    return true;
  }

  // ---- receiving -------------------------------------------------------------

  /** @internal The host's downlink passed a segment for this end. */
  deliver(segment: Segment): void {
    if (this.#closed) return;
    const { chunks, sent, fin } = segment;
    const last = chunks.length - 1;
    if (last < 0) this.#inbox.push({ chunk: undefined, sent, fin });
    for (let i = 0; i <= last; i++) {
      const chunk = chunks[i]!;
      this.#inbox.push(i === last ? { chunk, sent, fin } : { chunk, sent: NONE, fin: false });
    }
    this.#flush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#closed || this.#inbox.length === 0) return;
    this.#flushScheduled = true;
    this.#link.clock.setTimeout(() => {
      this.#flushScheduled = false;
      this.#flush();
    }, 0);
  }

  #flush(): void {
    const wasFull = this.#remote.windowFull();
    while (!this.#closed && !this.#paused && this.#inbox.length > 0) {
      const entry = this.#inbox[0]!;
      if (entry.chunk && this.#events.listenerCount("data") === 0) break;
      this.#inbox.shift();
      if (entry.chunk) {
        this.#unread -= entry.chunk.length;
        this.#events.emit("data", entry.chunk);
      }
      for (const sent of entry.sent) sent();
      if (entry.fin) this.#onRemoteEnd();
    }
    // The sender waited for room in our window: it may go on.
    if (wasFull && !this.#remote.windowFull()) this.#remote.#link.kickUplink();
  }

  /** The other end finished (end or destroy): close now; an end()ed other end closes a latency later. */
  #onRemoteEnd(): void {
    const remote = this.#remote;
    this.#close();
    if (!remote.#closed) {
      this.#link.clock.setTimeout(() => remote.#close(), this.latencyMs);
    }
  }

  #close(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#inbox.length = 0;
    this.#unread = 0;
    this.#link.forget(this);
    if (err && this.#events.listenerCount("error") > 0) this.#events.emit("error", err);
    this.#events.emit("close");
  }
}
