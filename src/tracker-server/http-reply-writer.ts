/**
 * HTTP responses rendered into one reused buffer and written to a connection
 * with one write: the responses to one read (pipelined requests) go out
 * together, and a connection's typical single reply costs one write and no
 * allocation. A write the kernel does not take whole keeps its buffer (the
 * link holds it until sent): a new one is used, and `blocked` says so, which
 * is the front end's signal to read no more requests from that connection
 * until the link reports the replies out.
 */
import type { TcpLink } from "../net/index.ts";
import { writeDecimal } from "../tracker-proto/index.ts";
import { statusLine } from "./http-request.ts";

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

/** Output buffer size; a body larger than this is written from its own Buffer. */
export const OUT_SIZE = 64 * 1024;
const CR = 0x0d;
const LF = 0x0a;
const CONNECTION_CLOSE = Buffer.from("Connection: close\r\n");
const CONNECTION_KEEP_ALIVE = Buffer.from("Connection: keep-alive\r\n");

export class ReplyWriter {
  #out = Buffer.allocUnsafe(OUT_SIZE);
  #outLength = 0;
  /** The head prefix of the last response shape, reused while it repeats. */
  #prefixStatus = 0;
  #prefixType = "";
  #prefix = Buffer.alloc(0);
  /** A write since reset() was not taken whole: the link still holds bytes to send. */
  blocked = false;

  /** Bytes rendered and not written yet. */
  get length(): number {
    return this.#outLength;
  }

  /** Starts on a connection: nothing rendered, nothing blocked. */
  reset(): void {
    this.#outLength = 0;
    this.blocked = false;
  }

  /** Writes what is rendered. */
  flush(link: TcpLink): void {
    const whole = link.write(this.#out.subarray(0, this.#outLength));
    this.#outLength = 0;
    if (!whole) this.blocked = true;
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

  appendLatin1(text: string): void {
    this.#room(text.length);
    this.#outLength += this.#out.write(text, this.#outLength, "latin1");
  }

  /** Renders a whole response after those already in the output buffer. */
  render(link: TcpLink, res: HttpResponse, keepAlive: boolean, minor: number, head: boolean): void {
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
      this.flush(link);
      if (!link.write(typeof body === "string" ? Buffer.from(body, "latin1") : body)) {
        this.blocked = true;
      }
    }
  }
}
