import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { TrackerProtoError } from "./errors.ts";
import {
  buildAnnounceQuery,
  buildScrapeQuery,
  newAnnounceFields,
  parseAnnounceQuery,
  parseScrapeQuery,
  readAnnounceQuery,
  scrapeUrlFor,
} from "./http-query.ts";
import { percentDecode, percentEncode } from "./percent.ts";

const HASH = Buffer.from("0123456789abcdef0123456789abcdef01234567", "hex");
const PEER = Buffer.from("-TR3000-\xff\x00\x80 +%&=abcd", "latin1");

test("info_hash and peer_id are raw bytes: every byte value survives", () => {
  const q = buildAnnounceQuery({ infoHash: HASH, peerId: PEER, port: 6881, left: 10 });
  const req = parseAnnounceQuery(q);
  assert.deepEqual(req.infoHash, HASH);
  assert.deepEqual(req.peerId, PEER);
  assert.equal(req.port, 6881);
  assert.equal(req.left, 10);
  assert.equal(req.event, "none");
  assert.equal(req.compact, true);
});

test("a query as a real client writes it (lower-case escapes, unescaped safe bytes) parses", () => {
  // Transmission escapes only what it must; "+" is a space in form-encoded queries.
  const q =
    "info_hash=%01%23Eg%89%ab%cd%ef%01%23Eg%89%ab%cd%ef%01%23Eg&peer_id=-TR3000-abcdefghijkl" +
    "&port=51413&uploaded=1&downloaded=2&left=3&numwant=80&key=7d3b&compact=1&supportcrypto=1" +
    "&event=started&trackerid=a+b&no_peer_id=1&ip=10.0.0.1&ipv6=%3A%3A1";
  const r = parseAnnounceQuery(q);
  assert.equal(r.infoHash.toString("hex"), "0123456789abcdef0123456789abcdef01234567");
  assert.equal(r.peerId.toString("latin1"), "-TR3000-abcdefghijkl");
  assert.deepEqual(
    [r.port, r.uploaded, r.downloaded, r.left, r.numwant, r.event, r.key, r.trackerId],
    [51413, 1, 2, 3, 80, "started", "7d3b", "a b"],
  );
  assert.equal(r.noPeerId, true);
  assert.equal(r.ip, "10.0.0.1");
  assert.equal(r.ipv6, "::1");
});

test("compact=0 asks for the dictionary form; unknown events are regular announces", () => {
  const base = buildAnnounceQuery({ infoHash: HASH, peerId: PEER, port: 1 });
  assert.equal(parseAnnounceQuery(`${base}&compact=0`.replace("compact=1&", "")).compact, false);
  assert.equal(parseAnnounceQuery(`${base}&event=bogus`).event, "none");
  assert.equal(parseAnnounceQuery(`${base}&event=paused`).event, "paused");
});

function failure(q: string): string {
  try {
    parseAnnounceQuery(q);
  } catch (err) {
    assert.ok(err instanceof TrackerProtoError);
    return err.code;
  }
  assert.fail(`accepted: ${q}`);
}

test("every bad announce gets a specific failure", () => {
  const id = `peer_id=${percentEncode(PEER)}`;
  const ih = `info_hash=${percentEncode(HASH)}`;
  assert.equal(failure(`${id}&port=1`), "missing_info_hash");
  assert.equal(failure(`info_hash=abc&${id}&port=1`), "invalid_info_hash");
  assert.equal(
    failure(`info_hash=${percentEncode(Buffer.alloc(21))}&${id}&port=1`),
    "invalid_info_hash",
  );
  assert.equal(failure(`info_hash=%zz&${id}&port=1`), "malformed_query");
  assert.equal(failure(`info_hash=%4&${id}&port=1`), "malformed_query");
  assert.equal(failure(`${ih}&port=1`), "missing_peer_id");
  assert.equal(failure(`${ih}&peer_id=short&port=1`), "invalid_peer_id");
  assert.equal(failure(`${ih}&${id}`), "missing_port");
  for (const port of ["0", "65536", "-1", "80x", "", "99999999999999999999999"]) {
    assert.equal(failure(`${ih}&${id}&port=${port}`), "invalid_port", port);
  }
  assert.equal(failure(`${ih}&${id}&port=1&left=-5`), "invalid_number");
  assert.equal(failure(`${ih}&${id}&port=1&uploaded=1e9`), "invalid_number");
});

test("the first of a repeated info_hash wins", () => {
  const other = Buffer.alloc(20, 0xee);
  const q = `${buildAnnounceQuery({ infoHash: HASH, peerId: PEER, port: 1 })}&info_hash=${percentEncode(other)}`;
  assert.deepEqual(parseAnnounceQuery(q).infoHash, HASH);
});

test("property: build → parse gives back every field", () => {
  const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));
  const text = fc.string({ maxLength: 30 }).map((s) => Buffer.from(s, "utf8").toString("latin1"));
  fc.assert(
    fc.property(
      fc.record({
        infoHash: bytes20,
        peerId: bytes20,
        port: fc.integer({ min: 1, max: 65535 }),
        uploaded: fc.maxSafeNat(),
        downloaded: fc.maxSafeNat(),
        left: fc.maxSafeNat(),
        event: fc.constantFrom("none", "started", "completed", "stopped", "paused" as const),
        numwant: fc.integer({ min: 0, max: 1000 }),
        compact: fc.boolean(),
        noPeerId: fc.boolean(),
        key: text.filter((s) => s.length > 0),
        trackerId: text.filter((s) => s.length > 0),
      }),
      (req) => {
        const parsed = parseAnnounceQuery(buildAnnounceQuery(req));
        assert.deepEqual(parsed, { ...req, infoHash: req.infoHash, peerId: req.peerId });
      },
    ),
  );
});

test("property: any query text gives a request or a TrackerProtoError, never anything else", () => {
  const f = newAnnounceFields();
  const pieces = fc.constantFrom(
    "info_hash=",
    "peer_id=",
    "port=",
    "left=",
    "%",
    "%2",
    "%ff",
    "&",
    "=",
    "+",
    "numwant=",
    "compact=0",
    "ip=",
  );
  const query = fc
    .array(
      fc.oneof(pieces, fc.string({ maxLength: 25 }), fc.string({ unit: "binary", maxLength: 25 })),
      {
        maxLength: 12,
      },
    )
    .map((parts) => parts.join(""));
  fc.assert(
    fc.property(query, (q) => {
      const bytes = Buffer.from(q, "latin1");
      const code = readAnnounceQuery(bytes, 0, bytes.length, f);
      if (code === null) {
        assert.equal(f.infoHash.length, 20);
        assert.equal(f.peerId.length, 20);
        assert.ok(f.port >= 1 && f.port <= 65535);
      }
      // Read in place inside a request (as the server does): the same fields.
      const alone = { ...f };
      const request = Buffer.from(`GET /announce?${q} HTTP/1.1\r\n`, "latin1");
      assert.equal(readAnnounceQuery(request, 14, 14 + bytes.length, f), code);
      assert.deepEqual({ ...f }, alone);
      try {
        parseAnnounceQuery(q);
        assert.equal(code, null);
      } catch (err) {
        assert.ok(err instanceof TrackerProtoError, String(err));
        assert.equal(err.code, code);
      }
    }),
    { numRuns: 2000 },
  );
});

test("scrape queries: many hashes, none (full scrape), bad ones refused, a cap", () => {
  const hashes = [HASH, Buffer.alloc(20, 0x25), Buffer.alloc(20, 0)];
  assert.deepEqual(parseScrapeQuery(buildScrapeQuery(hashes)), hashes);
  assert.deepEqual(parseScrapeQuery(""), []);
  assert.deepEqual(parseScrapeQuery("foo=bar"), []);
  assert.throws(() => parseScrapeQuery("info_hash=abc"), { code: "invalid_info_hash" });
  assert.throws(() => parseScrapeQuery(buildScrapeQuery(hashes), 2), {
    code: "too_many_info_hashes",
  });
});

test("BEP 48: the scrape URL replaces a leading 'announce' in the last path component", () => {
  assert.equal(scrapeUrlFor("http://127.0.0.1:6969/announce"), "http://127.0.0.1:6969/scrape");
  assert.equal(scrapeUrlFor("http://127.0.0.1:6969/x/announce"), "http://127.0.0.1:6969/x/scrape");
  assert.equal(
    scrapeUrlFor("http://127.0.0.1:6969/announce.php"),
    "http://127.0.0.1:6969/scrape.php",
  );
  assert.equal(
    scrapeUrlFor("http://127.0.0.1:6969/announce?x=2/4"),
    "http://127.0.0.1:6969/scrape?x=2/4",
  );
  assert.equal(scrapeUrlFor("http://127.0.0.1:6969/a"), undefined);
  assert.equal(
    scrapeUrlFor("http://127.0.0.1:6969/announce?x%064"),
    "http://127.0.0.1:6969/scrape?x%064",
  );
  assert.equal(scrapeUrlFor("http://127.0.0.1:6969/x%064announce"), undefined);
});

test("percent encoding round-trips every byte", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual(percentDecode(percentEncode(bytes)), Buffer.from(bytes));
    }),
  );
});

test("key: hex read as BEP 15's 32-bit number, other text hashed, -1 when absent", () => {
  const f = newAnnounceFields();
  const read = (extra: string) => {
    const q = Buffer.from(`info_hash=${"a".repeat(20)}&peer_id=${"b".repeat(20)}&port=1${extra}`);
    assert.equal(readAnnounceQuery(q, 0, q.length, f), null);
    return f.keyValue;
  };
  assert.equal(read(""), -1);
  assert.equal(read("&key=1A2b3C4d"), 0x1a2b3c4d);
  assert.equal(read("&key=ff"), 255);
  const hashed = read("&key=not-hex-at-all");
  assert.ok(hashed >= 0 && hashed <= 0xffffffff && Number.isInteger(hashed));
  assert.notEqual(read("&key=not-hex-at-alm"), hashed);
  assert.equal(read("&key=%31%32"), 0x12, "percent-decoded first");
});
