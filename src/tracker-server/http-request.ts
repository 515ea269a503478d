/**
 * A minimal HTTP/1.x request-head parser for the tracker's front end. Node's
 * http module does much more than a tracker needs (and costs accordingly);
 * this reads the request line and the few headers the tracker uses, from the
 * head's bytes, and refuses anything it does not understand.
 */

const EMPTY = Buffer.alloc(0);

/**
 * A request read from its head's bytes. The request line and the headers
 * that decide how to read and answer it are decoded at once; the query and
 * the other header values the tracker reads stay as offsets into the head
 * and become text only when asked for (an announce reads its query straight
 * from the bytes). The head is lent by the front end for one handler call:
 * a request that must outlive the read (its body comes later) is detached.
 */
export class HttpRequest {
  method = "GET";
  /** The path, still percent-encoded, without the query. */
  path = "";
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor = 1;
  keepAlive = true;
  contentLength = 0;
  /** Set when the client sent `Expect: 100-continue`. */
  expectContinue = false;
  body: Buffer = EMPTY;
  /** The bytes the offsets below point into. */
  head: Buffer;
  /** The raw query (after `?`, latin1, not decoded) is head[queryStart, queryEnd). */
  queryStart = 0;
  queryEnd = 0;
  // Header values (trimmed), as [start, end) in head; start = end when absent.
  hostStart = 0;
  hostEnd = 0;
  contentTypeStart = 0;
  contentTypeEnd = 0;
  authorizationStart = 0;
  authorizationEnd = 0;

  /** Where the head ends in `head`: just past its blank line. */
  headEnd = 0;
  #start: number;
  #detached = false;

  /** A request whose head starts at head[start]. */
  constructor(head: Buffer, start: number) {
    this.head = head;
    this.#start = start;
  }

  /** The raw query (after `?`, latin1, not decoded); "" when absent. */
  get query(): string {
    return this.head.toString("latin1", this.queryStart, this.queryEnd);
  }

  /** The Host header ("" when absent), for links back to the tracker. */
  get host(): string {
    return this.head.toString("latin1", this.hostStart, this.hostEnd);
  }

  get contentType(): string {
    return this.head.toString("latin1", this.contentTypeStart, this.contentTypeEnd);
  }

  get authorization(): string {
    return this.head.toString("latin1", this.authorizationStart, this.authorizationEnd);
  }

  /** Copies the head so the request outlives the buffer it was read from. */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    const start = this.#start;
    this.head = Buffer.from(this.head.subarray(start, this.headEnd));
    this.headEnd -= start;
    this.#start = 0;
    this.queryStart -= start;
    this.queryEnd -= start;
    this.hostStart -= start;
    this.hostEnd -= start;
    this.contentTypeStart -= start;
    this.contentTypeEnd -= start;
    this.authorizationStart -= start;
    this.authorizationEnd -= start;
  }
}

export interface HttpParseError {
  status: number;
  reason: string;
}

/** RFC 9110 tchar, enough for methods and header names. */
const TOKEN = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9]/.test(ch) || "!#$%&'*+-.^_`|~".includes(ch)) TOKEN[c] = 1;
}

const SP = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/** Paths answered often enough to be worth a string made once. */
const KNOWN_PATHS = ["/announce", "/scrape"];

/** NUL, LF and CR: the bytes a field value may not hold as they are (RFC 9110 §5.5). */
const UNSAFE_IN_VALUE = new Uint8Array(256);
UNSAFE_IN_VALUE[0] = UNSAFE_IN_VALUE[LF] = UNSAFE_IN_VALUE[CR] = 1;

/**
 * Index of the CRLF that ends the header line whose value starts at `from`,
 * `end` when there is none yet, or -1 when the value holds a NUL or a bare
 * LF. Only CRLF ends a line here, so a bare LF would sit inside the value,
 * where a server that reads it as a line end (RFC 9112 §2.2 lets a recipient
 * do so) would see a header this parser does not: RFC 9110 §5.5 has a
 * recipient refuse it or read it as a space, and a request smuggled that way
 * is refused. A bare CR (one not followed by LF) is read as a space, the
 * other choice RFC 9112 §2.2 gives: nothing takes it for a line end.
 */
function lineEnd(buf: Uint8Array, from: number, end: number): number {
  // One table lookup per byte: those bytes are rare, and looked at when found.
  for (let i = from; i < end; i++) {
    if (UNSAFE_IN_VALUE[buf[i]!] === 0) continue;
    if (buf[i] !== CR) return -1;
    if (i + 1 === end) return end;
    if (buf[i + 1] === LF) return i;
    buf[i] = SP;
  }
  return end;
}

/** Whether buf[a, b) is `lower` ignoring ASCII case. */
function nameIs(buf: Uint8Array, a: number, b: number, lower: string): boolean {
  if (b - a !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = buf[a + i]!;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether buf[a, b) contains `lower` ignoring ASCII case. */
function contains(buf: Uint8Array, a: number, b: number, lower: string): boolean {
  for (let i = a; i + lower.length <= b; i++)
    if (nameIs(buf, i, i + lower.length, lower)) return true;
  return false;
}

const HTTP_1 = "HTTP/1.";

/** The minor version of "HTTP/1.0" or "HTTP/1.1" at buf[a, a + 8), else -1. */
function httpMinor(buf: Uint8Array, a: number): number {
  for (let i = 0; i < 7; i++) if (buf[a + i] !== HTTP_1.charCodeAt(i)) return -1;
  const minor = buf[a + 7]! - 0x30;
  return minor === 0 || minor === 1 ? minor : -1;
}

/** The request target's path as text: a known one without making a string. */
function pathText(buf: Buffer, a: number, b: number): string {
  for (const known of KNOWN_PATHS) {
    if (b - a === known.length) {
      let i = 0;
      while (i < known.length && buf[a + i] === known.charCodeAt(i)) i++;
      if (i === known.length) return known;
    }
  }
  return buf.toString("latin1", a, b);
}

/** RFC 9110 §5.5: a value without its surrounding spaces and tabs. */
function isBlank(c: number | undefined): boolean {
  return c === SP || c === TAB;
}

/**
 * Parses a request head (everything before the blank line, as latin1 text).
 * Returns the request (body empty) or the status and reason to answer with.
 */
export function parseRequestHead(head: string): HttpRequest | HttpParseError {
  const bytes = Buffer.from(`${head}\r\n\r\n`, "latin1");
  return parseRequestHeadBytes(bytes, 0, bytes.length) ?? { status: 400, reason: "incomplete" };
}

/**
 * Parses the request head that starts at buf[start], up to and including
 * the blank line that ends it, which must come before `end`. Returns the
 * request (its `headEnd` just past the blank line; it keeps pointing into
 * `buf`, see HttpRequest), the status and reason to refuse it with, or null
 * when the bytes up to `end` stop before the head does. A line found
 * malformed is refused at once, before the rest of the head arrives.
 */
export function parseRequestHeadBytes(
  buf: Buffer,
  start: number,
  end: number,
): HttpRequest | HttpParseError | null {
  // The request line in one pass: the method up to the first space, then the
  // target (checked byte by byte, its `?` noted) up to the second, then the
  // version, which must end the line.
  let sp1 = start;
  while (sp1 < end && TOKEN[buf[sp1]!] === 1) sp1++;
  if (sp1 === end) return null;
  if (sp1 === start || buf[sp1] !== SP) {
    const malformedMethod = sp1 < end && buf[sp1] !== SP && buf[sp1] !== CR;
    return { status: 400, reason: malformedMethod ? "malformed method" : "malformed request line" };
  }
  if (sp1 + 1 === end) return null;
  if (buf[sp1 + 1] !== 0x2f) return { status: 400, reason: "the request target must be a path" };
  let q = -1;
  let sp2 = sp1 + 1;
  for (; sp2 < end; sp2++) {
    const c = buf[sp2]!;
    if (c <= 0x20 || c >= 0x7f) break;
    if (c === 0x3f && q < 0) q = sp2;
  }
  if (sp2 === end) return null;
  if (buf[sp2] === CR) return { status: 400, reason: "malformed request line" };
  if (buf[sp2] !== SP) return { status: 400, reason: "invalid character in the request target" };
  // The version, 8 bytes, must end the line.
  const versionEnd = sp2 + 9;
  if (versionEnd + 2 > end) return null;
  const minor = buf[versionEnd] === CR && buf[versionEnd + 1] === LF ? httpMinor(buf, sp2 + 1) : -1;
  if (minor < 0) return { status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are supported" };
  const req = new HttpRequest(buf, start);
  const isGet =
    sp1 - start === 3 && buf[start] === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54;
  if (!isGet) req.method = buf.toString("latin1", start, sp1);
  req.path = pathText(buf, sp1 + 1, q < 0 ? sp2 : q);
  if (q >= 0) {
    req.queryStart = q + 1;
    req.queryEnd = sp2;
  }
  req.minor = minor;
  req.keepAlive = minor === 1;
  let pos = versionEnd + 2;
  let sawLength = false;
  for (;;) {
    if (pos + 2 > end) return null;
    if (buf[pos] === CR) {
      if (buf[pos + 1] !== LF) return { status: 400, reason: "malformed header line" };
      req.headEnd = pos + 2;
      return req;
    }
    let colon = pos;
    while (colon < end && TOKEN[buf[colon]!] === 1) colon++;
    if (colon === end) return null;
    if (colon === pos || buf[colon] !== COLON) {
      return { status: 400, reason: "malformed header line" };
    }
    const eol = lineEnd(buf, colon + 1, end);
    if (eol < 0) return { status: 400, reason: "invalid character in a header value" };
    if (eol === end) return null;
    let a = colon + 1;
    let b = eol;
    while (a < b && isBlank(buf[a])) a++;
    while (b > a && isBlank(buf[b - 1])) b--;
    switch (colon - pos) {
      case 4:
        if (nameIs(buf, pos, colon, "host")) {
          req.hostStart = a;
          req.hostEnd = b;
        }
        break;
      case 6:
        if (nameIs(buf, pos, colon, "expect") && nameIs(buf, a, b, "100-continue")) {
          req.expectContinue = true;
        }
        break;
      case 10:
        if (nameIs(buf, pos, colon, "connection")) {
          if (contains(buf, a, b, "close")) req.keepAlive = false;
          else if (contains(buf, a, b, "keep-alive")) req.keepAlive = true;
        }
        break;
      case 12:
        if (nameIs(buf, pos, colon, "content-type")) {
          req.contentTypeStart = a;
          req.contentTypeEnd = b;
        }
        break;
      case 13:
        if (nameIs(buf, pos, colon, "authorization")) {
          req.authorizationStart = a;
          req.authorizationEnd = b;
        }
        break;
      case 14:
        if (nameIs(buf, pos, colon, "content-length")) {
          let n = 0;
          for (let i = a; i < b; i++) {
            const d = buf[i]! - 0x30;
            if (d < 0 || d > 9) return { status: 400, reason: "invalid Content-Length" };
            n = n * 10 + d;
          }
          if (b === a || b - a > 15) return { status: 400, reason: "invalid Content-Length" };
          // RFC 9112 §6.3: differing repeated lengths are an error (request smuggling).
          if (sawLength && n !== req.contentLength) {
            return { status: 400, reason: "conflicting Content-Length" };
          }
          sawLength = true;
          req.contentLength = n;
        }
        break;
      case 17:
        if (nameIs(buf, pos, colon, "transfer-encoding")) {
          return {
            status: 411,
            reason: "chunked uploads are not supported; send a Content-Length",
          };
        }
        break;
    }
    pos = eol + 2;
  }
}

const STATUS_TEXT: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  303: "See Other",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  411: "Length Required",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Unknown"}\r\n`;
}
