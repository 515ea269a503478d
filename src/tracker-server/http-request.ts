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

function isTokenChar(c: number): boolean {
  // RFC 9110 tchar, enough for methods and header names.
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c))
  );
}

/**
 * Parses a request head (everything before the blank line, as latin1 text).
 * Returns the request (body empty) or the status and reason to answer with.
 */
export function parseRequestHead(head: string): HttpRequest | HttpParseError {
  let lineEnd = head.indexOf("\r\n");
  if (lineEnd < 0) lineEnd = head.length;
  const sp1 = head.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : head.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 > lineEnd)
    return { status: 400, reason: "malformed request line" };
  const method = head.slice(0, sp1);
  for (let i = 0; i < method.length; i++) {
    if (!isTokenChar(method.charCodeAt(i))) return { status: 400, reason: "malformed method" };
  }
  const target = head.slice(sp1 + 1, sp2);
  const version = head.slice(sp2 + 1, lineEnd);
  let minor: number;
  if (version === "HTTP/1.1") minor = 1;
  else if (version === "HTTP/1.0") minor = 0;
  else return { status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are supported" };
  if (target.length === 0 || target.charCodeAt(0) !== 0x2f) {
    return { status: 400, reason: "the request target must be a path" };
  }
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f)
      return { status: 400, reason: "invalid character in the request target" };
  }
  const q = target.indexOf("?");
  const req: HttpRequest = {
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? "" : target.slice(q + 1),
    minor,
    keepAlive: minor === 1,
    contentLength: 0,
    contentType: "",
    authorization: "",
    host: "",
    expectContinue: false,
    body: EMPTY,
  };
  let pos = lineEnd + 2;
  let sawLength = false;
  while (pos < head.length) {
    let end = head.indexOf("\r\n", pos);
    if (end < 0) end = head.length;
    const colon = head.indexOf(":", pos);
    if (colon <= pos || colon > end) return { status: 400, reason: "malformed header line" };
    for (let i = pos; i < colon; i++) {
      if (!isTokenChar(head.charCodeAt(i))) return { status: 400, reason: "malformed header name" };
    }
    const name = head.slice(pos, colon).toLowerCase();
    const value = head.slice(colon + 1, end).trim();
    switch (name) {
      case "content-length": {
        if (!/^\d{1,15}$/.test(value)) return { status: 400, reason: "invalid Content-Length" };
        const n = Number(value);
        // RFC 9112 §6.3: differing repeated lengths are an error (request smuggling).
        if (sawLength && n !== req.contentLength)
          return { status: 400, reason: "conflicting Content-Length" };
        sawLength = true;
        req.contentLength = n;
        break;
      }
      case "transfer-encoding":
        return { status: 411, reason: "chunked uploads are not supported; send a Content-Length" };
      case "connection": {
        const v = value.toLowerCase();
        if (v.includes("close")) req.keepAlive = false;
        else if (v.includes("keep-alive")) req.keepAlive = true;
        break;
      }
      case "content-type":
        req.contentType = value;
        break;
      case "authorization":
        req.authorization = value;
        break;
      case "host":
        req.host = value;
        break;
      case "expect":
        if (value.toLowerCase() === "100-continue") req.expectContinue = true;
        break;
    }
    pos = end + 2;
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
