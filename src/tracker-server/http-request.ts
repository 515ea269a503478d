/**
 * A minimal HTTP/1.x request-head parser for the tracker's front end. Node's
 * http module does much more than a tracker needs (and costs accordingly);
 * this reads the request line and the few headers the tracker uses, from the
 * head as latin1 text, and refuses anything it does not understand.
 */

export interface HttpRequest {
  method: string;
  /** The path, still percent-encoded, without the query. */
  path: string;
  /** The raw query after `?` (latin1, not decoded); "" when absent. */
  query: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  keepAlive: boolean;
  contentLength: number;
  contentType: string;
  authorization: string;
  /** The Host header ("" when absent), for links back to the tracker. */
  host: string;
  /** Set when the client sent `Expect: 100-continue`. */
  expectContinue: boolean;
  body: Buffer;
}

export interface HttpParseError {
  status: number;
  reason: string;
}

const EMPTY = Buffer.alloc(0);

/** RFC 9110 tchar, enough for methods and header names. */
const TOKEN = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9]/.test(ch) || "!#$%&'*+-.^_`|~".includes(ch)) TOKEN[c] = 1;
}

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/** Index of CRLF in buf[from, end), or end. */
function lineEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) if (buf[i] === CR && buf[i + 1] === LF) return i;
  return end;
}

/** Whether buf[a, b) is `lower` ignoring ASCII case (the bytes are token chars). */
function nameIs(buf: Uint8Array, a: number, b: number, lower: string): boolean {
  if (b - a !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((buf[a + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** A header's value as text (only for the headers the tracker reads). */
function headerValue(buf: Buffer, colon: number, eol: number): string {
  return buf.toString("latin1", colon + 1, eol).trim();
}

/** The minor version of "HTTP/1.0" or "HTTP/1.1" in buf[a, b), else -1. */
function httpMinor(buf: Uint8Array, a: number, b: number): number {
  if (b - a !== 8) return -1;
  for (let i = 0; i < 7; i++) if (buf[a + i] !== "HTTP/1.".charCodeAt(i)) return -1;
  const minor = buf[a + 7]! - 0x30;
  return minor === 0 || minor === 1 ? minor : -1;
}

/**
 * Parses a request head (everything before the blank line, as latin1 text).
 * Returns the request (body empty) or the status and reason to answer with.
 */
export function parseRequestHead(head: string): HttpRequest | HttpParseError {
  const bytes = Buffer.from(head, "latin1");
  return parseRequestHeadBytes(bytes, 0, bytes.length);
}

/**
 * The same, straight from the bytes `buf[start, end)`: no text is made but
 * the request target and the values of the headers the tracker reads.
 */
export function parseRequestHeadBytes(
  buf: Buffer,
  start: number,
  end: number,
): HttpRequest | HttpParseError {
  const firstEnd = lineEnd(buf, start, end);
  const sp1 = buf.indexOf(SP, start);
  const sp2 = sp1 < 0 || sp1 >= end ? -1 : buf.indexOf(SP, sp1 + 1);
  if (sp1 <= start || sp1 >= end || sp2 < 0 || sp2 > firstEnd) {
    return { status: 400, reason: "malformed request line" };
  }
  for (let i = start; i < sp1; i++) {
    if (TOKEN[buf[i]!] !== 1) return { status: 400, reason: "malformed method" };
  }
  const minor = httpMinor(buf, sp2 + 1, firstEnd);
  if (minor < 0) return { status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are supported" };
  if (sp2 === sp1 + 1 || buf[sp1 + 1] !== 0x2f) {
    return { status: 400, reason: "the request target must be a path" };
  }
  let q = -1;
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = buf[i]!;
    if (c <= 0x20 || c >= 0x7f) {
      return { status: 400, reason: "invalid character in the request target" };
    }
    if (c === 0x3f && q < 0) q = i;
  }
  const isGet =
    sp1 - start === 3 && buf[start] === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54;
  const req: HttpRequest = {
    method: isGet ? "GET" : buf.toString("latin1", start, sp1),
    path: buf.toString("latin1", sp1 + 1, q < 0 ? sp2 : q),
    query: q < 0 ? "" : buf.toString("latin1", q + 1, sp2),
    minor,
    keepAlive: minor === 1,
    contentLength: 0,
    contentType: "",
    authorization: "",
    host: "",
    expectContinue: false,
    body: EMPTY,
  };
  let pos = firstEnd + 2;
  let sawLength = false;
  while (pos < end) {
    const eol = lineEnd(buf, pos, end);
    let colon = -1;
    for (let i = pos; i < eol; i++) {
      if (buf[i] === COLON) {
        colon = i;
        break;
      }
    }
    if (colon <= pos) return { status: 400, reason: "malformed header line" };
    for (let i = pos; i < colon; i++) {
      if (TOKEN[buf[i]!] !== 1) return { status: 400, reason: "malformed header name" };
    }
    switch (colon - pos) {
      case 4:
        if (nameIs(buf, pos, colon, "host")) req.host = headerValue(buf, colon, eol);
        break;
      case 6:
        if (
          nameIs(buf, pos, colon, "expect") &&
          headerValue(buf, colon, eol).toLowerCase() === "100-continue"
        ) {
          req.expectContinue = true;
        }
        break;
      case 10:
        if (nameIs(buf, pos, colon, "connection")) {
          const v = headerValue(buf, colon, eol).toLowerCase();
          if (v.includes("close")) req.keepAlive = false;
          else if (v.includes("keep-alive")) req.keepAlive = true;
        }
        break;
      case 12:
        if (nameIs(buf, pos, colon, "content-type")) req.contentType = headerValue(buf, colon, eol);
        break;
      case 13:
        if (nameIs(buf, pos, colon, "authorization"))
          req.authorization = headerValue(buf, colon, eol);
        break;
      case 14:
        if (nameIs(buf, pos, colon, "content-length")) {
          const text = headerValue(buf, colon, eol);
          if (!/^\d{1,15}$/.test(text)) return { status: 400, reason: "invalid Content-Length" };
          const n = Number(text);
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
  return req;
}

const STATUS_TEXT: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  411: "Length Required",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Unknown"}\r\n`;
}
