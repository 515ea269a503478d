/**
 * The HTTP front end: reads requests with the minimal parser in
 * http-request.ts, keeps connections alive (HTTP/1.1 default, HTTP/1.0 on
 * request), answers pipelined requests in order, and bounds everything a
 * client controls: head size, body size, time to send a request, idle time.
 *
 * Most announces arrive on a connection of their own (clients send
 * `Connection: close`), so the cost per connection is what matters: the TCP
 * side is a TcpLinkListener (net/tcp-link.ts; libuv handles where available), no
 * connection has a timer of its own (one sweep checks every connection's
 * deadlines), the responses to one read are rendered into one reused Buffer
 * and written with one write (http-reply-writer.ts), and a connection that is
 * done is closed as soon as that write is out (no half-close and wait for the
 * client's FIN).
 *
 * Request bodies (uploads) cost memory, so nothing is spent on one before it
 * is known to be wanted: the routes' `admit` sees the head first and may
 * answer at once (a wrong publish token: 401, and the body is never read);
 * the bytes held for bodies are bounded across all connections
 * (maxBodyBytesTotal, reserved in full when a head is admitted, 503 past it)
 * and per request (maxBodyBytes, 413); a body is read into one buffer of its
 * announced length, and let go as soon as its request is answered or its
 * connection is refused or closed.
 *
 * A pipeline (many requests in one read) costs what its client reads, no
 * more: once a reply write is not taken whole, the connection's remaining
 * requests wait unparsed and its link stops reading until the link reports
 * the replies out (TcpReceiver.drained), so what is queued per connection is
 * about one reply. And a pipeline is answered in time slices (SLICE_MS per
 * turn of the event loop, over all connections): the rest waits for the next
 * turn, so announces on other connections and over UDP, and a shutdown, are
 * served in between however costly the requests are.
 *
 * A route may answer later (the announce waits for a shared swarm store): it
 * returns LATER and answers through the connection (HttpLater, a callback:
 * no promise or closure per announce), or returns a Promise. The connection
 * then parses nothing more until that reply is written (lateReply), so
 * pipelined replies stay in order; its link stops reading meanwhile, so that
 * a client's end of stream (a half-close after its request) is not read
 * before its reply is out.
 */
import {
  createTcpLinkListener,
  type TcpLinkListener,
  type TcpLinkListenerKind,
  type TlsIdentity,
} from "../net/index.ts";
import { normalizeIp } from "../tracker-proto/index.ts";
import { ipv4Latin1, type Logger } from "../util/index.ts";
import { HttpConnection as Connection, type LateReplies } from "./http-connection.ts";
import { type HttpResponse, OUT_SIZE, ReplyWriter } from "./http-reply-writer.ts";
import { type HttpRequest, parseRequestHeadBytes } from "./http-request.ts";
import {
  type HttpAdmit,
  type HttpClientInfo,
  type HttpHandler,
  type HttpRoutes,
  type HttpServerLimits,
  LATER,
} from "./http-types.ts";
import { TurnSlicer } from "./turn-slicer.ts";

export type { HttpResponse } from "./http-reply-writer.ts";
export {
  type HttpAdmit,
  type HttpClientInfo,
  type HttpHandler,
  type HttpLater,
  type HttpRoutes,
  type HttpServerLimits,
  LATER,
} from "./http-types.ts";

/**
 * How long pipelined requests are answered per turn of the event loop, all
 * connections together, before the rest waits for the next turn. The first
 * request of each read is always answered at once.
 */
const SLICE_MS = 4;

function errorResponse(status: number, reason: string): HttpResponse {
  return { status, contentType: "text/plain; charset=utf-8", body: `${reason}\n` };
}

export function clientInfo(address: string | undefined): HttpClientInfo {
  const text = address ?? "";
  // The common case (a dotted quad from the socket) without a Buffer.
  const quad = ipv4Latin1(text);
  if (quad !== undefined) return { family: 4, ip: quad, address: text };
  const addr = address ? normalizeIp(address) : undefined;
  if (!addr) return { family: 4, ip: "\0\0\0\0", address: text };
  return { family: addr.family, ip: addr.bytes.toString("latin1"), address: text };
}

export class HttpFrontEnd implements LateReplies {
  readonly #listener: TcpLinkListener;
  readonly #handler: HttpHandler;
  readonly #admit: HttpAdmit | undefined;
  readonly #limits: HttpServerLimits;
  readonly #maxBodyBytesTotal: number;
  /** Bytes reserved for request bodies now (see HttpConnection.bodyReserved). */
  #bodyBytes = 0;
  #connections = 0;
  readonly #logger: Logger;
  /**
   * Open connections, for the sweep: a list linked through the connections
   * themselves, as a Set would hash every short-lived connection in and out.
   */
  #first: Connection | null = null;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Coarse time (ms), refreshed by the sweep: enough for deadlines of seconds. */
  #now = Date.now();
  /** Responses to one read, rendered there and written with one write. */
  readonly #writer = new ReplyWriter();
  /** Pipelines are answered in time slices; the rest of one goes on in the next turn. */
  readonly #slicer = new TurnSlicer<Connection>(SLICE_MS, (conn) => {
    conn.deferred = false;
    if (!conn.waitingWrite && !conn.awaitingReply) this.#resume(conn);
  });
  /** Why #requests stopped before the end of its bytes ("reply": a route answers later). */
  #stopped: "no" | "write" | "slice" | "reply" = "no";
  /** The last client seen: consecutive connections often come from one address. */
  #lastClient: HttpClientInfo = clientInfo(undefined);
  /** Called for each request refused before reaching the handler. */
  onRefused: (status: number) => void = () => {};

  constructor(
    routes: HttpHandler | HttpRoutes,
    limits: HttpServerLimits,
    logger: Logger,
    transport: TcpLinkListenerKind = "auto",
    tls?: TlsIdentity,
  ) {
    if (typeof routes === "function") {
      this.#handler = routes;
      this.#admit = undefined;
    } else {
      this.#handler = routes.handle;
      this.#admit = routes.admit;
    }
    this.#limits = limits;
    this.#maxBodyBytesTotal = limits.maxBodyBytesTotal ?? 4 * limits.maxBodyBytes;
    this.#logger = logger;
    this.#listener = createTcpLinkListener(
      transport,
      {
        open: (link) => {
          const conn = new Connection(link, this.#now, this);
          conn.next = this.#first;
          if (this.#first) this.#first.prev = conn;
          this.#first = conn;
          this.#connections++;
          return conn;
        },
        data: (conn, chunk) => this.#data(conn, chunk),
        closed: (conn) => {
          if (conn.prev) conn.prev.next = conn.next;
          else this.#first = conn.next;
          if (conn.next) conn.next.prev = conn.prev;
          conn.prev = null;
          conn.next = null;
          this.#connections--;
          // Memory goes back with the connection.
          conn.gone = true;
          conn.expecting = false;
          this.#bodyBytes -= conn.dropBody();
          conn.chunks = null;
          conn.buffered = 0;
          conn.current = null;
        },
        drained: (conn) => {
          if (!conn.waitingWrite) return;
          conn.waitingWrite = false;
          if (!conn.deferred && !conn.awaitingReply) this.#resume(conn);
        },
      },
      (err) => this.#logger.error("http server error", { err: String(err) }),
      tls,
    );
    this.#listener.maxConnections = limits.maxConnections;
  }

  /**
   * Open connections, the bytes reserved for request bodies across them, and
   * how many connections have requests waiting for their replies to be read.
   */
  get stats(): { connections: number; bodyBytes: number; waiting: number } {
    let waiting = 0;
    this.#forEachConnection((c) => {
      if (c.waitingWrite) waiting++;
    });
    return { connections: this.#connections, bodyBytes: this.#bodyBytes, waiting };
  }

  /** "libuv" or "net": which TCP listener serves (see net/tcp-link.ts). */
  get transport(): "net" | "libuv" {
    return this.#listener.kind;
  }

  async listen(port: number, host: string | undefined): Promise<number> {
    const bound = await this.#listener.listen(port, host, 1024);
    const { idleTimeoutMs, requestTimeoutMs } = this.#limits;
    const period = Math.max(50, Math.min(1000, idleTimeoutMs / 4, requestTimeoutMs / 4));
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = setInterval(() => this.#sweep(), period);
    this.#sweepTimer.unref();
    return bound;
  }

  close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#slicer.stop();
    const closed = this.#listener.close();
    this.#forEachConnection((c) => c.link.destroy());
    return closed;
  }

  /** Closes connections past their deadlines: idle ones, and slow requests (slowloris). */
  #sweep(): void {
    const now = Date.now();
    this.#now = now;
    const { idleTimeoutMs, requestTimeoutMs } = this.#limits;
    this.#forEachConnection((c) => {
      if (c.partialSince !== 0 && now - c.partialSince > requestTimeoutMs && !c.closing) {
        this.onRefused(408);
        c.closing = true;
        this.#bodyBytes -= c.dropBody();
        this.#writer.reset();
        this.#writer.render(c.link, errorResponse(408, "request took too long"), false, 1, false);
        this.#writer.flush(c.link);
        c.link.end();
      } else if (now - c.lastActive > idleTimeoutMs) {
        c.link.destroy();
      }
    });
  }

  /** Calls `f` on each open connection; `f` may close it. */
  #forEachConnection(f: (c: Connection) => void): void {
    for (let c = this.#first; c; ) {
      const next: Connection | null = c.next;
      f(c);
      c = next;
    }
  }

  #data(conn: Connection, chunk: Buffer): void {
    if (conn.closing) return;
    conn.lastActive = this.#now;
    if (conn.waitingWrite || conn.deferred || conn.awaitingReply) {
      // Parsing waits (the link was asked to pause; a read may have been under way).
      conn.keep(chunk, 0);
      return;
    }
    this.#input(conn, chunk);
  }

  /** Parses and answers what `chunk` (with any bytes kept from before) holds. */
  #input(conn: Connection, chunk: Buffer): void {
    let buf: Buffer;
    let pos = 0;
    if (conn.current !== null) {
      // A body on its way: straight into its buffer, no copies of chunks.
      pos = conn.fillBody(chunk);
      if (conn.bodyFilled < conn.current.contentLength) return;
      buf = chunk;
    } else if (conn.chunks === null) buf = chunk;
    else {
      conn.chunks.push(chunk);
      buf = Buffer.concat(conn.chunks, conn.buffered + chunk.length);
      conn.chunks = null;
      conn.buffered = 0;
    }
    const writer = this.#writer;
    writer.reset();
    this.#stopped = "no";
    pos = this.#requests(conn, buf, pos);
    // Set by #requests (the compiler cannot see that).
    const stopped = this.#stopped as "no" | "write" | "slice" | "reply";
    const link = conn.link;
    if (writer.length > 0) writer.flush(link);
    if (conn.closing) {
      // Nothing unread: close once written (the kernel sends the reply, then
      // FIN). Else half-close and drop the rest: a reset could discard the
      // reply before the client has read it.
      if (pos >= buf.length && !conn.drain) link.close();
      else link.end();
      return;
    }
    if (pos < buf.length) conn.keep(buf, pos);
    // A request waiting for its body outlives this read's buffer.
    conn.current?.detach();
    if (writer.blocked || stopped !== "no") {
      // Backpressure: no more requests from this client until its replies are
      // out (drained), or until the next turn (a slice used up).
      link.pause();
      if (writer.blocked) conn.waitingWrite = true;
      if (stopped === "slice") {
        conn.deferred = true;
        this.#slicer.defer(conn);
      }
      conn.partialSince = 0;
    } else if (pos < buf.length || conn.current !== null) {
      if (conn.partialSince === 0) conn.partialSince = this.#now;
    } else conn.partialSince = 0;
  }

  /** Parses what waited, once the replies are out or the next turn has come. */
  #resume(conn: Connection): void {
    if (conn.gone || conn.closing) return;
    conn.link.resume();
    conn.lastActive = this.#now;
    const kept = conn.takeKept();
    if (kept !== null) this.#input(conn, kept);
  }

  /**
   * Answers the requests in buf from `pos` (first the one whose body has just
   * come whole, if any) into the output buffer; returns where it stopped: at
   * the end, at a request not whole yet, or where the connection was refused.
   */
  #requests(conn: Connection, buf: Buffer, from: number): number {
    const limits = this.#limits;
    const writer = this.#writer;
    let pos = from;
    let answered = 0;
    while (!conn.closing) {
      let req = conn.current;
      if (req !== null) {
        // #input completed this body.
        req.body = conn.body as Buffer;
        this.#bodyBytes -= conn.dropBody();
      } else {
        if (pos >= buf.length) break;
        if (answered > 0) {
          // A pipeline: its replies so far go out first, and it waits while they are unread.
          if (writer.length >= OUT_SIZE) writer.flush(conn.link);
          if (writer.blocked) {
            this.#stopped = "write";
            break;
          }
          if (!this.#slicer.timeLeft()) {
            this.#stopped = "slice";
            break;
          }
        }
        // A head (its blank line's CRLF included) may take maxHeaderBytes + 4 bytes.
        const limit = Math.min(buf.length, pos + limits.maxHeaderBytes + 4);
        const parsed = parseRequestHeadBytes(buf, pos, limit);
        if (parsed === null) {
          // Not whole yet: wait for more, unless it is already too large.
          if (buf.length - pos > limits.maxHeaderBytes) {
            this.#refuse(conn, 431, "request head too large");
          }
          break;
        }
        if (!("method" in parsed)) {
          this.#refuse(conn, parsed.status, parsed.reason);
          break;
        }
        pos = parsed.headEnd;
        req = parsed;
        if (req.contentLength > 0) {
          if (!this.#admitBody(conn, req)) break;
          const inHand = buf.length - pos;
          if (inHand < req.contentLength) {
            conn.current = req;
            if (req.expectContinue) {
              writer.appendLatin1("HTTP/1.1 100 Continue\r\n\r\n");
            }
            // The rest comes in later reads: keep what is here, in the body's own buffer.
            pos += conn.fillBody(buf.subarray(pos));
            break;
          }
          // Whole in this read: a copy, as the handler may keep the body and buf is lent.
          req.body = Buffer.from(buf.subarray(pos, pos + req.contentLength));
          pos += req.contentLength;
          this.#bodyBytes -= conn.dropBody();
        }
      }
      conn.current = null;
      conn.partialSince = 0;
      let res: HttpResponse | Promise<HttpResponse> | typeof LATER;
      conn.expecting = true;
      try {
        conn.client ??= this.#clientInfo(conn.link.remoteAddress());
        res = this.#handler(req, conn.client, conn);
      } catch (err) {
        this.#logger.error("http handler failed", { err: String((err as Error)?.stack ?? err) });
        res = errorResponse(500, "internal error");
      }
      if (res === LATER && conn.early !== null) {
        // Answered before the handler returned: written with this read's replies.
        res = conn.early;
        conn.early = null;
      }
      if (res === LATER || res instanceof Promise) {
        conn.awaitingReply = true;
        conn.lateKeepAlive = req.keepAlive;
        conn.lateMinor = req.minor;
        conn.lateHead = req.method === "HEAD";
        if (res !== LATER)
          res.then(
            (r) => conn.answer(r),
            (err: unknown) => conn.fail(err),
          );
        this.#stopped = "reply";
        break;
      }
      conn.expecting = false;
      if (!req.keepAlive) conn.closing = true;
      writer.render(conn.link, res, req.keepAlive, req.minor, req.method === "HEAD");
      answered++;
    }
    return pos;
  }

  /** LateReplies: a route's answer to the request its connection waits on. */
  lateReply(conn: Connection, res: HttpResponse): void {
    if (!conn.awaitingReply) {
      // Still inside the handler (the store answered at once): #requests writes it.
      if (!conn.gone) conn.early = res;
      return;
    }
    conn.awaitingReply = false;
    if (conn.gone) return;
    const writer = this.#writer;
    const link = conn.link;
    const keepAlive = conn.lateKeepAlive;
    writer.reset();
    if (!keepAlive) conn.closing = true;
    writer.render(link, res, keepAlive, conn.lateMinor, conn.lateHead);
    if (writer.length > 0) writer.flush(link);
    if (conn.closing) {
      if (conn.chunks === null && !conn.drain) link.close();
      else link.end();
      return;
    }
    if (writer.blocked) conn.waitingWrite = true;
    else if (!conn.deferred && !conn.waitingWrite) this.#resume(conn);
  }

  lateFailure(conn: Connection, err: unknown): void {
    this.#logger.error("http handler failed", { err: String((err as Error)?.stack ?? err) });
    this.lateReply(conn, errorResponse(500, "internal error"));
  }

  /**
   * Whether the body of `req` may be read: the routes admit its head, it fits
   * maxBodyBytes, and the bytes it needs fit what is left of
   * maxBodyBytesTotal (then they are reserved). Else the request is refused
   * with its body unread: the connection half-closes and drops what comes
   * (`drain`) rather than reading it.
   */
  #admitBody(conn: Connection, req: HttpRequest): boolean {
    const limits = this.#limits;
    if (req.contentLength > limits.maxBodyBytes) {
      conn.drain = true;
      this.#refuse(conn, 413, `request body too large (limit ${limits.maxBodyBytes} bytes)`);
      return false;
    }
    if (this.#admit) {
      conn.client ??= this.#clientInfo(conn.link.remoteAddress());
      const refusal = this.#admit(req, conn.client);
      if (refusal !== null) {
        conn.drain = true;
        conn.closing = true;
        this.#writer.render(conn.link, refusal, false, req.minor, false);
        return false;
      }
    }
    if (this.#bodyBytes + req.contentLength > this.#maxBodyBytesTotal) {
      conn.drain = true;
      this.onRefused(503);
      conn.closing = true;
      this.#writer.render(
        conn.link,
        {
          ...errorResponse(503, "too many uploads at once: try again in a few seconds"),
          headers: "Retry-After: 5\r\n",
        },
        false,
        req.minor,
        false,
      );
      return false;
    }
    conn.bodyReserved = req.contentLength;
    this.#bodyBytes += req.contentLength;
    return true;
  }

  #clientInfo(address: string | undefined): HttpClientInfo {
    if (address === undefined || address !== this.#lastClient.address) {
      this.#lastClient = clientInfo(address);
    }
    return this.#lastClient;
  }

  #refuse(conn: Connection, status: number, reason: string): void {
    this.onRefused(status);
    conn.closing = true;
    this.#writer.render(conn.link, errorResponse(status, reason), false, 1, false);
  }
}
