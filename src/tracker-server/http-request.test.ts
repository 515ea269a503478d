import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type HttpParseError,
  type HttpRequest,
  parseRequestHead,
  parseRequestHeadBytes,
} from "./http-request.ts";
import { multipartBoundary, parseMultipart } from "./multipart.ts";

/** What a handler sees of a request (or the refusal), as plain data. */
function view(r: HttpRequest | HttpParseError) {
  if ("status" in r) return r;
  const { method, path, query, minor, keepAlive, contentLength, expectContinue } = r;
  const { host, contentType, authorization } = r;
  return {
    method,
    path,
    query,
    minor,
    keepAlive,
    contentLength,
    expectContinue,
    host,
    contentType,
    authorization,
  };
}

test("request line and the headers the tracker uses", () => {
  const r = parseRequestHead(
    "GET /announce?info_hash=%01&x=1 HTTP/1.1\r\nHost: t:6969\r\nConnection: close\r\nContent-Length: 0\r\nX-Other: y",
  );
  assert.ok("method" in r);
  assert.equal(r.method, "GET");
  assert.equal(r.path, "/announce");
  assert.equal(r.query, "info_hash=%01&x=1");
  assert.equal(r.host, "t:6969");
  assert.equal(r.keepAlive, false);
  const r10 = parseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive");
  assert.ok("method" in r10 && r10.keepAlive && r10.minor === 0);
  const r10c = parseRequestHead("GET / HTTP/1.0");
  assert.ok("method" in r10c && !r10c.keepAlive);
});

test("refusals carry a status", () => {
  const status = (head: string) => {
    const r = parseRequestHead(head);
    return "status" in r ? r.status : 200;
  };
  assert.equal(status("GET /"), 400);
  assert.equal(status("GET / HTTP/2.0"), 505);
  assert.equal(status("GET http://x/ HTTP/1.1"), 400);
  assert.equal(status("G(T / HTTP/1.1"), 400);
  assert.equal(status("GET /a\x01 HTTP/1.1"), 400);
  assert.equal(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked"), 411);
  assert.equal(status("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6"), 400);
  assert.equal(status("POST / HTTP/1.1\r\nContent-Length: -1"), 400);
  assert.equal(status("GET / HTTP/1.1\r\nno colon here"), 400);
});

test("property: any head text parses or is refused, never throws", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary-ascii", maxLength: 300 }), (text) => {
      const r = parseRequestHead(text);
      if ("status" in r) assert.ok(r.status >= 400 && r.status < 600);
      else assert.ok(r.path.startsWith("/"));
    }),
    { numRuns: 3000 },
  );
  const line = fc.tuple(
    fc.constantFrom("GET", "POST", "HEAD", "X"),
    fc.string({ unit: "binary-ascii", maxLength: 40 }),
    fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 })), {
      maxLength: 5,
    }),
  );
  fc.assert(
    fc.property(line, ([m, target, headers]) => {
      parseRequestHead(
        `${m} /${target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join("\r\n")}`,
      );
    }),
    { numRuns: 2000 },
  );
});

test("multipart: takes the file part out of a form (as curl -F sends it)", () => {
  const type = "multipart/form-data; boundary=----x1";
  assert.equal(multipartBoundary(type), "----x1");
  assert.equal(multipartBoundary('multipart/form-data; boundary="a b"'), "a b");
  assert.equal(multipartBoundary("application/octet-stream"), undefined);
  const file = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
  const body = Buffer.concat([
    Buffer.from('------x1\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'),
    Buffer.from(
      '------x1\r\nContent-Disposition: form-data; name="file"; filename="a.torrent"\r\nContent-Type: application/x-bittorrent\r\n\r\n',
    ),
    file,
    Buffer.from("\r\n------x1--\r\n"),
  ]);
  const parts = parseMultipart(body, "----x1");
  assert.equal(parts?.length, 2);
  assert.equal(parts?.[1]?.filename, "a.torrent");
  assert.deepEqual(parts?.[1]?.data, file);
  assert.equal(parseMultipart(Buffer.from("garbage"), "----x1"), undefined);
  assert.equal(parseMultipart(body.subarray(0, 60), "----x1"), undefined);
});

test("property: a head parsed in place inside a larger buffer reads as the head alone", () => {
  const text = fc.string({ unit: "binary-ascii", maxLength: 120 });
  const head = fc.tuple(
    fc.constantFrom("GET", "POST", "HEAD", "get"),
    fc.string({ unit: "binary-ascii", maxLength: 30 }),
    fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/2"),
    fc.array(
      fc.tuple(
        fc.constantFrom(
          "Host",
          "connection",
          "Content-Length",
          "EXPECT",
          "X-A",
          "Transfer-Encoding",
        ),
        fc.string({ unit: "binary-ascii", maxLength: 12 }),
      ),
      { maxLength: 4 },
    ),
  );
  fc.assert(
    fc.property(head, text, text, ([m, target, version, headers], before, after) => {
      const h = `${m} /${target} ${version}${headers.map(([k, v]) => `\r\n${k}: ${v}`).join("")}`;
      const buf = Buffer.from(`${before}${h}\r\n\r\n${after}`, "latin1");
      const inPlace = parseRequestHeadBytes(buf, before.length, buf.length);
      assert.ok(inPlace !== null, "a head with its blank line is whole");
      assert.deepEqual(view(inPlace), view(parseRequestHead(h)));
    }),
    { numRuns: 2000 },
  );
});

test("a detached request keeps its query and headers when the read buffer is reused", () => {
  const head =
    "POST /torrents?x=1 HTTP/1.1\r\nHost:\t t:6969 \r\nContent-Type: a/b\r\nAuthorization: Bearer k";
  const buf = Buffer.from(`xx${head}\r\n\r\nyy`, "latin1");
  const r = parseRequestHeadBytes(buf, 2, buf.length);
  assert.ok(r !== null && !("status" in r));
  assert.equal(r.headEnd, buf.length - 2);
  r.detach();
  buf.fill(0x21);
  assert.deepEqual(
    { query: r.query, host: r.host, type: r.contentType, auth: r.authorization },
    { query: "x=1", host: "t:6969", type: "a/b", auth: "Bearer k" },
  );
});

test("header values compare without case, and only ASCII letters fold", () => {
  const r = parseRequestHead("GET / HTTP/1.1\r\nExpect: 100-CONTINUE\r\nConnection: Close");
  assert.ok(!("status" in r) && r.expectContinue && !r.keepAlive);
  // Control bytes that become digits or '-' when OR-ed with 0x20 are not "100-continue".
  const odd = parseRequestHead("GET / HTTP/1.1\r\nExpect: \x11\x10\x10\x0dcontinue");
  assert.ok(!("status" in odd) && !odd.expectContinue);
});

test("a bare LF or a NUL inside a header value is refused; a bare CR reads as a space (RFC 9110 §5.5, RFC 9112 §2.2)", () => {
  const parse = (head: string) => parseRequestHead(head);
  for (const head of [
    "GET / HTTP/1.1\r\nHost: t\nContent-Length: 5",
    "GET / HTTP/1.1\r\nX-Other: a\nTransfer-Encoding: chunked\r\nHost: t",
    "GET / HTTP/1.1\r\nHost: t\n",
    "GET / HTTP/1.1\r\nAuthorization: Bearer a\x00b",
  ]) {
    assert.deepEqual(parse(head), { status: 400, reason: "invalid character in a header value" });
  }
  const cr = parse("GET / HTTP/1.1\r\nHost: t\rContent-Length: 5");
  assert.ok(!("status" in cr));
  assert.deepEqual([cr.host, cr.contentLength], ["t Content-Length: 5", 0]);
  // In place inside a larger buffer, and cut before the CR's line end: not whole yet.
  const buf = Buffer.from("GET / HTTP/1.1\r\nHost: t\r", "latin1");
  assert.equal(parseRequestHeadBytes(buf, 0, buf.length), null);
  const bad = Buffer.from("GET / HTTP/1.1\r\nHost: t\nX: y\r\n\r\n", "latin1");
  const refused = parseRequestHeadBytes(bad, 0, bad.length);
  assert.ok(refused !== null && "status" in refused && refused.status === 400);
});

test("a head cut anywhere before its blank line is not whole yet (null), then parses", () => {
  const head = Buffer.from(
    "GET /announce?info_hash=%01&port=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    "latin1",
  );
  for (let cut = 1; cut < head.length; cut++) {
    assert.equal(parseRequestHeadBytes(head, 0, cut), null, `cut at ${cut}`);
  }
  const whole = parseRequestHeadBytes(head, 0, head.length);
  assert.ok(whole !== null && "method" in whole && whole.headEnd === head.length);
  // A malformed line is refused as soon as it is whole, before the rest arrives.
  const bad = Buffer.from("GET / HTTP/1.1\r\nno colon\r\nHost: x", "latin1");
  const refused = parseRequestHeadBytes(bad, 0, bad.length);
  assert.ok(refused !== null && "status" in refused && refused.status === 400);
});
