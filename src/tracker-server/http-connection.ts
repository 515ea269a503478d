/**
 * One HTTP client connection's state in the front end (http-server.ts): the
 * bytes not parsed yet, the request whose body is on its way and that body,
 * and why parsing waits, if it does.
 */
import type { TcpLink } from "../net/index.ts";
import type { HttpResponse } from "./http-reply-writer.ts";
import type { HttpRequest } from "./http-request.ts";
import type { HttpClientInfo, HttpLater } from "./http-types.ts";

/** Where a connection's later replies go: the front end (http-server.ts). */
export interface LateReplies {
  lateReply(conn: HttpConnection, res: HttpResponse): void;
  lateFailure(conn: HttpConnection, err: unknown): void;
}

export class HttpConnection implements HttpLater {
  readonly link: TcpLink;
  readonly #replies: LateReplies;
  client: HttpClientInfo | null = null;
  /** Bytes not parsed yet, copied (null when none): a head not whole, or a waiting pipeline. */
  chunks: Buffer[] | null = null;
  buffered = 0;
  /** The request whose head is read and whose body is awaited. */
  current: HttpRequest | null = null;
  /** The body of `current` as it arrives (allocated with its first bytes), and how much is in. */
  body: Buffer | null = null;
  bodyFilled = 0;
  /** Bytes of the front end's body budget this connection holds (current's whole length). */
  bodyReserved = 0;
  /** When the first byte of the incomplete request arrived (0: none). */
  partialSince = 0;
  lastActive: number;
  closing = false;
  /** Refused with its body unread: half-close and drop what else comes. */
  drain = false;
  /**
   * Parsing waits: for replies to be read (a write not taken whole), or for
   * the next turn (time slice). The unparsed bytes wait in `chunks`.
   */
  waitingWrite = false;
  deferred = false;
  /** A route answers later (http-server.ts, #awaitReply); parsing waits for that reply. */
  awaitingReply = false;
  /** The request being handled may still be answered through answer()/fail(). */
  expecting = false;
  /** An answer given before the handler returned LATER (a store that answers at once). */
  early: HttpResponse | null = null;
  // The awaited request's reply form.
  lateKeepAlive = true;
  lateMinor = 1;
  lateHead = false;
  /** Closed: scheduled work for it is dropped. */
  gone = false;
  // Neighbours in the front end's list of open connections.
  prev: HttpConnection | null = null;
  next: HttpConnection | null = null;

  constructor(link: TcpLink, now: number, replies: LateReplies) {
    this.link = link;
    this.lastActive = now;
    this.#replies = replies;
  }

  /** HttpLater: the reply to the request being handled; only the first call counts. */
  answer(res: HttpResponse): void {
    if (!this.expecting) return;
    this.expecting = false;
    this.#replies.lateReply(this, res);
  }

  fail(err: unknown): void {
    if (!this.expecting) return;
    this.expecting = false;
    this.#replies.lateFailure(this, err);
  }

  /** Appends chunk[from, end) to the bytes not parsed yet (a copy: chunks are lent). */
  keep(chunk: Buffer, from: number): void {
    const rest = Buffer.from(chunk.subarray(from));
    if (this.chunks === null) this.chunks = [rest];
    else this.chunks.push(rest);
    this.buffered += rest.length;
  }

  /** The bytes not parsed yet, as one buffer, taken out; null when none. */
  takeKept(): Buffer | null {
    const kept = this.chunks;
    if (kept === null) return null;
    this.chunks = null;
    this.buffered = 0;
    return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
  }

  /** Copies what `chunk` holds of the awaited body; returns the bytes taken. */
  fillBody(chunk: Buffer): number {
    const length = (this.current as HttpRequest).contentLength;
    this.body ??= Buffer.allocUnsafe(length);
    const n = Math.min(length - this.bodyFilled, chunk.length);
    chunk.copy(this.body, this.bodyFilled, 0, n);
    this.bodyFilled += n;
    return n;
  }

  /** Lets go of the body; returns the budget bytes it held, for the front end to release. */
  dropBody(): number {
    const reserved = this.bodyReserved;
    this.bodyReserved = 0;
    this.body = null;
    this.bodyFilled = 0;
    return reserved;
  }
}
