/**
 * The HTTP front end on node:net: reads requests with the minimal parser in
 * http-request.ts, keeps connections alive (HTTP/1.1 default, HTTP/1.0 on
 * request), answers pipelined requests in order, and bounds everything a
 * client controls: head size, body size, time to send a request, idle time.
 * Handlers are synchronous, so a response is written as soon as its request
 * is complete, in one write per batch of requests.
 */
import { createServer, type Server, type Socket } from "node:net";
import { normalizeIp } from "../tracker-proto/index.ts";
import type { Logger } from "../util/index.ts";
import type { AnnounceSource } from "./announce-handler.ts";
import { type HttpRequest, parseRequestHead, statusLine } from "./http-request.ts";

export interface HttpResponse {
  status: number;
  contentType: string;
  /** A string is written as latin1 (one char per byte). */
  body: string | Buffer;
  /** Extra header lines, each ending in CRLF. */
  headers?: string;
}

export interface HttpClientInfo extends AnnounceSource {
  /** The address as text, as the socket reports it. */
  address: string;
}

export type HttpHandler = (req: HttpRequest, client: HttpClientInfo) => HttpResponse;

export interface HttpServerLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
  /** A connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** A request must arrive whole within this time of its first byte. */
  requestTimeoutMs: number;
  maxConnections: number;
}

const HEAD_END = Buffer.from("\r\n\r\n");

/** Renders a whole response; a string result is latin1. */
export function renderResponse(
  res: HttpResponse,
  keepAlive: boolean,
  minor: number,
  head: boolean,
): string | Buffer {
  let h = statusLine(res.status);
  h += `Content-Type: ${res.contentType}\r\nContent-Length: ${res.body.length}\r\n`;
  if (!keepAlive) h += "Connection: close\r\n";
  else if (minor === 0) h += "Connection: keep-alive\r\n";
  if (res.headers) h += res.headers;
  h += "\r\n";
  if (head) return h;
  if (typeof res.body === "string") return h + res.body;
  return Buffer.concat([Buffer.from(h, "latin1"), res.body]);
}

function errorResponse(status: number, reason: string): HttpResponse {
  return { status, contentType: "text/plain; charset=utf-8", body: `${reason}\n` };
}

export function clientInfo(address: string | undefined): HttpClientInfo {
  const addr = address ? normalizeIp(address) : undefined;
  if (!addr) return { family: 4, ip: "\0\0\0\0", address: address ?? "" };
  return { family: addr.family, ip: addr.bytes.toString("latin1"), address: address ?? "" };
}

export class HttpFrontEnd {
  readonly #server: Server;
  readonly #handler: HttpHandler;
  readonly #limits: HttpServerLimits;
  readonly #logger: Logger;
  readonly #sockets = new Set<Socket>();
  /** Called for each request refused before reaching the handler. */
  onRefused: (status: number) => void = () => {};

  constructor(handler: HttpHandler, limits: HttpServerLimits, logger: Logger) {
    this.#handler = handler;
    this.#limits = limits;
    this.#logger = logger;
    this.#server = createServer({ noDelay: true }, (socket) => this.#connection(socket));
    this.#server.maxConnections = limits.maxConnections;
  }

  listen(port: number, host: string | undefined): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen({ port, host, backlog: 1024 }, () => {
        this.#server.off("error", reject);
        this.#server.on("error", (err) =>
          this.#logger.error("http server error", { err: String(err) }),
        );
        const addr = this.#server.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }

  #connection(socket: Socket): void {
    this.#sockets.add(socket);
    const client = clientInfo(socket.remoteAddress);
    const limits = this.#limits;
    let chunks: Buffer[] = [];
    let buffered = 0;
    let current: HttpRequest | null = null;
    let partialSince = 0;
    let closing = false;
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on("timeout", () => socket.destroy());
    socket.on("error", () => {}); // resets and the like: the close handler cleans up
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      if (closing) return;
      let buf: Buffer;
      if (buffered === 0) buf = chunk;
      else {
        chunks.push(chunk);
        buffered += chunk.length;
        // Wait for a body without copying chunk after chunk.
        if (current && buffered < current.contentLength)
          return this.#checkSlow(socket, partialSince);
        buf = Buffer.concat(chunks, buffered);
      }
      chunks = [];
      buffered = 0;
      let out = "";
      const flush = () => {
        if (out.length > 0) socket.write(out, "latin1");
        out = "";
      };
      const refuse = (status: number, reason: string) => {
        this.onRefused(status);
        out += renderResponse(errorResponse(status, reason), false, 1, false);
        closing = true;
      };
      socket.cork();
      let pos = 0;
      while (pos < buf.length && !closing) {
        if (!current) {
          const end = buf.indexOf(HEAD_END, pos);
          if (end < 0 || end - pos > limits.maxHeaderBytes) {
            if (end >= 0 || buf.length - pos > limits.maxHeaderBytes) {
              refuse(431, "request head too large");
            }
            break;
          }
          const parsed = parseRequestHead(buf.toString("latin1", pos, end));
          pos = end + 4;
          if (!("method" in parsed)) {
            refuse(parsed.status, parsed.reason);
            break;
          }
          if (parsed.contentLength > limits.maxBodyBytes) {
            refuse(413, `request body too large (limit ${limits.maxBodyBytes} bytes)`);
            break;
          }
          current = parsed;
          if (parsed.expectContinue && buf.length - pos < parsed.contentLength) {
            out += "HTTP/1.1 100 Continue\r\n\r\n";
          }
        }
        if (current.contentLength > 0) {
          if (buf.length - pos < current.contentLength) break;
          current.body = buf.subarray(pos, pos + current.contentLength);
          pos += current.contentLength;
        }
        const req = current;
        current = null;
        partialSince = 0;
        let res: HttpResponse;
        try {
          res = this.#handler(req, client);
        } catch (err) {
          this.#logger.error("http handler failed", { err: String((err as Error)?.stack ?? err) });
          res = errorResponse(500, "internal error");
        }
        if (!req.keepAlive) closing = true;
        const rendered = renderResponse(res, req.keepAlive, req.minor, req.method === "HEAD");
        if (typeof rendered === "string") out += rendered;
        else {
          flush();
          socket.write(rendered);
        }
      }
      flush();
      socket.uncork();
      if (closing) {
        socket.end();
        return;
      }
      if (pos < buf.length) {
        const rest = buf.subarray(pos);
        chunks = [rest];
        buffered = rest.length;
        if (partialSince === 0) partialSince = Date.now();
        this.#checkSlow(socket, partialSince);
      } else partialSince = 0;
    });
  }

  /** Closes a connection whose request has been trickling in for too long (slowloris). */
  #checkSlow(socket: Socket, since: number): void {
    if (since !== 0 && Date.now() - since > this.#limits.requestTimeoutMs) {
      this.onRefused(408);
      socket.end(renderResponse(errorResponse(408, "request took too long"), false, 1, false));
      socket.destroySoon();
    }
  }
}
