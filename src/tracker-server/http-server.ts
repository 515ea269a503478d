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
 * and written with one write, and a connection that is done is closed as soon
 * as that write is out (no half-close and wait for the client's FIN).
 *
 * Request bodies (uploads) cost memory, so nothing is spent on one before it
 * is known to be wanted: the routes' `admit` sees the head first and may
 * answer at once (a wrong publish token: 401, and the body is never read);
 * the bytes held for bodies are bounded across all connections
 * (maxBodyBytesTotal, reserved in full when a head is admitted, 503 past it)
 * and per request (maxBodyBytes, 413); a body is read into one buffer of its
 * announced length, and let go as soon as its request is answered or its
 * connection is refused or closed.
 */
import {
  createTcpLinkListener,
  type TcpLink,
  type TcpLinkListener,
  type TcpLinkListenerKind,
} from "../net/index.ts";
import { normalizeIp, writeDecimal } from "../tracker-proto/index.ts";
import { ipv4Latin1, type Logger } from "../util/index.ts";
import type { AnnounceSource } from "./announce-handler.ts";
import { type HttpRequest, parseRequestHeadBytes, statusLine } from "./http-request.ts";

export interface HttpResponse {
  status: number;
  contentType: string;
  /**
   * A string is written as latin1 (one char per byte). A Buffer is copied out
   * before the handler is called again, so it may be a view of a reused one.
   */
  body: string | Buffer;
  /** Extra header lines, each ending in CRLF. */
  headers?: string;
}

export interface HttpClientInfo extends AnnounceSource {
  /** The address as text, as the socket reports it. */
  address: string;
}

export type HttpHandler = (req: HttpRequest, client: HttpClientInfo) => HttpResponse;

/**
 * Called with the head of a request that has a body, before any of the body
 * is read: null to read it and go on, or the response to answer with at once
 * (the body is then never read and the connection is closed).
 */
export type HttpAdmit = (req: HttpRequest, client: HttpClientInfo) => HttpResponse | null;

export interface HttpRoutes {
  handle: HttpHandler;
  admit?: HttpAdmit;
}

export interface HttpServerLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
  /** Bytes of request bodies held at once, all connections together; 4 × maxBodyBytes if absent. */
  maxBodyBytesTotal?: number;
  /** A connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** A request must arrive whole within this time of its first byte. */
  requestTimeoutMs: number;
  maxConnections: number;
}

/** Output buffer size; a body larger than this is written from its own Buffer. */
const OUT_SIZE = 64 * 1024;
const CR = 0x0d;
const LF = 0x0a;
const CONNECTION_CLOSE = Buffer.from("Connection: close\r\n");
const CONNECTION_KEEP_ALIVE = Buffer.from("Connection: keep-alive\r\n");

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

/** One client connection's parser state. */
class Connection {
  readonly link: TcpLink;
  client: HttpClientInfo | null = null;
  /** Bytes of a request head not complete yet (null when none). */
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
  // Neighbours in the front end's list of open connections.
  prev: Connection | null = null;
  next: Connection | null = null;

  constructor(link: TcpLink, now: number) {
    this.link = link;
    this.lastActive = now;
  }
}

export class HttpFrontEnd {
  readonly #listener: TcpLinkListener;
  readonly #handler: HttpHandler;
  readonly #admit: HttpAdmit | undefined;
  readonly #limits: HttpServerLimits;
  readonly #maxBodyBytesTotal: number;
  /** Bytes reserved for request bodies now (see Connection.bodyReserved). */
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
  /** Responses to one read, rendered here and written with one write. */
  #out = Buffer.allocUnsafe(OUT_SIZE);
  #outLength = 0;
  /** The head prefix of the last response shape, reused while it repeats. */
  #prefixStatus = 0;
  #prefixType = "";
  #prefix = Buffer.alloc(0);
  /** The last client seen: consecutive connections often come from one address. */
  #lastClient: HttpClientInfo = clientInfo(undefined);
  /** Called for each request refused before reaching the handler. */
  onRefused: (status: number) => void = () => {};

  constructor(
    routes: HttpHandler | HttpRoutes,
    limits: HttpServerLimits,
    logger: Logger,
    transport: TcpLinkListenerKind = "auto",
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
          const conn = new Connection(link, this.#now);
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
          this.#dropBody(conn);
          conn.chunks = null;
          conn.current = null;
        },
      },
      (err) => this.#logger.error("http server error", { err: String(err) }),
    );
    this.#listener.maxConnections = limits.maxConnections;
  }

  /** Open connections, and the bytes reserved for request bodies across them. */
  get stats(): { connections: number; bodyBytes: number } {
    return { connections: this.#connections, bodyBytes: this.#bodyBytes };
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
        this.#dropBody(c);
        this.#outLength = 0;
        this.#render(c.link, errorResponse(408, "request took too long"), false, 1, false);
        this.#flush(c.link);
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
    let buf: Buffer;
    let pos = 0;
    if (conn.current !== null) {
      // A body on its way: straight into its buffer, no copies of chunks.
      pos = this.#fillBody(conn, chunk);
      if (conn.bodyFilled < conn.current.contentLength) return;
      buf = chunk;
    } else if (conn.chunks === null) buf = chunk;
    else {
      // Chunks are lent for this call only: the head's start was copied.
      conn.chunks.push(chunk);
      buf = Buffer.concat(conn.chunks, conn.buffered + chunk.length);
      conn.chunks = null;
      conn.buffered = 0;
    }
    this.#outLength = 0;
    pos = this.#requests(conn, buf, pos);
    const link = conn.link;
    if (this.#outLength > 0) this.#flush(link);
    if (conn.closing) {
      // Nothing unread: close once written (the kernel sends the reply, then
      // FIN). Else half-close and drop the rest: a reset could discard the
      // reply before the client has read it.
      if (pos >= buf.length && !conn.drain) link.close();
      else link.end();
      return;
    }
    if (pos < buf.length) {
      const rest = Buffer.from(buf.subarray(pos));
      conn.chunks = [rest];
      conn.buffered = rest.length;
    }
    // A request waiting for its body outlives this read's buffer.
    conn.current?.detach();
    if (pos < buf.length || conn.current !== null) {
      if (conn.partialSince === 0) conn.partialSince = this.#now;
    } else conn.partialSince = 0;
  }

  /** Copies what `chunk` holds of the awaited body; returns the bytes taken. */
  #fillBody(conn: Connection, chunk: Buffer): number {
    const length = (conn.current as HttpRequest).contentLength;
    conn.body ??= Buffer.allocUnsafe(length);
    const n = Math.min(length - conn.bodyFilled, chunk.length);
    chunk.copy(conn.body, conn.bodyFilled, 0, n);
    conn.bodyFilled += n;
    return n;
  }

  /** Lets go of the connection's body and its share of the budget. */
  #dropBody(conn: Connection): void {
    this.#bodyBytes -= conn.bodyReserved;
    conn.bodyReserved = 0;
    conn.body = null;
    conn.bodyFilled = 0;
  }

  /**
   * Answers the requests in buf from `pos` (first the one whose body has just
   * come whole, if any) into the output buffer; returns where it stopped: at
   * the end, at a request not whole yet, or where the connection was refused.
   */
  #requests(conn: Connection, buf: Buffer, from: number): number {
    const limits = this.#limits;
    let pos = from;
    while (!conn.closing) {
      let req = conn.current;
      if (req !== null) {
        // #data completed this body.
        req.body = conn.body as Buffer;
        this.#dropBody(conn);
      } else {
        if (pos >= buf.length) break;
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
              this.#appendLatin1("HTTP/1.1 100 Continue\r\n\r\n");
            }
            // The rest comes in later reads: keep what is here, in the body's own buffer.
            pos += this.#fillBody(conn, buf.subarray(pos));
            break;
          }
          // Whole in this read: a copy, as the handler may keep the body and buf is lent.
          req.body = Buffer.from(buf.subarray(pos, pos + req.contentLength));
          pos += req.contentLength;
          this.#dropBody(conn);
        }
      }
      conn.current = null;
      conn.partialSince = 0;
      let res: HttpResponse;
      try {
        conn.client ??= this.#clientInfo(conn.link.remoteAddress());
        res = this.#handler(req, conn.client);
      } catch (err) {
        this.#logger.error("http handler failed", { err: String((err as Error)?.stack ?? err) });
        res = errorResponse(500, "internal error");
      }
      if (!req.keepAlive) conn.closing = true;
      this.#render(conn.link, res, req.keepAlive, req.minor, req.method === "HEAD");
    }
    return pos;
  }

  /**
   * Whether the body of `req` may be read: the routes admit its head, it fits
   * maxBodyBytes, and the bytes it needs fit what is left of
   * maxBodyBytesTotal (then they are reserved). Else the request is refused.
   */
  #admitBody(conn: Connection, req: HttpRequest): boolean {
    // The body is not read whatever the answer: drop it rather than parse it.
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
        this.#render(conn.link, refusal, false, req.minor, false);
        return false;
      }
    }
    if (this.#bodyBytes + req.contentLength > this.#maxBodyBytesTotal) {
      conn.drain = true;
      this.onRefused(503);
      conn.closing = true;
      this.#render(
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
    this.#render(conn.link, errorResponse(status, reason), false, 1, false);
  }

  #flush(link: TcpLink): void {
    const whole = link.write(this.#out.subarray(0, this.#outLength));
    this.#outLength = 0;
    // A write the kernel did not take whole still holds the buffer: use another.
    if (!whole) this.#out = Buffer.allocUnsafe(OUT_SIZE);
  }

  #room(bytes: number): void {
    if (this.#outLength + bytes > this.#out.length) {
      // Only a body larger than OUT_SIZE gets here (written separately), or a
      // long pipeline: grow for this read.
      const grown = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#outLength + bytes));
      this.#out.copy(grown, 0, 0, this.#outLength);
      this.#out = grown;
    }
  }

  #appendLatin1(text: string): void {
    this.#room(text.length);
    this.#outLength += this.#out.write(text, this.#outLength, "latin1");
  }

  /** Renders a whole response after those already in the output buffer. */
  #render(
    link: TcpLink,
    res: HttpResponse,
    keepAlive: boolean,
    minor: number,
    head: boolean,
  ): void {
    if (res.status !== this.#prefixStatus || res.contentType !== this.#prefixType) {
      this.#prefixStatus = res.status;
      this.#prefixType = res.contentType;
      this.#prefix = Buffer.from(
        `${statusLine(res.status)}Content-Type: ${res.contentType}\r\nContent-Length: `,
        "latin1",
      );
    }
    const prefix = this.#prefix;
    const body = res.body;
    const bodyLength = body.length;
    const large = !head && bodyLength > OUT_SIZE;
    this.#room(prefix.length + 64 + (res.headers?.length ?? 0) + (head || large ? 0 : bodyLength));
    const out = this.#out;
    let p = this.#outLength;
    // TypedArray set, not Buffer copy: the same memmove without copy's argument handling.
    out.set(prefix, p);
    p = writeDecimal(out, p + prefix.length, bodyLength);
    out[p++] = CR;
    out[p++] = LF;
    if (!keepAlive) {
      out.set(CONNECTION_CLOSE, p);
      p += CONNECTION_CLOSE.length;
    } else if (minor === 0) {
      out.set(CONNECTION_KEEP_ALIVE, p);
      p += CONNECTION_KEEP_ALIVE.length;
    }
    if (res.headers) p += out.write(res.headers, p, "latin1");
    out[p++] = CR;
    out[p++] = LF;
    if (!head && !large) {
      if (typeof body === "string") p += out.write(body, p, "latin1");
      else {
        out.set(body, p);
        p += bodyLength;
      }
    }
    this.#outLength = p;
    if (large) {
      // In order: what is rendered so far, then the body from its own memory.
      this.#flush(link);
      link.write(typeof body === "string" ? Buffer.from(body, "latin1") : body);
    }
  }
}
