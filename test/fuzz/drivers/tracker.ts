/**
 * Drivers for what reaches a tracker, and what a tracker sends back to our
 * client: HTTP request heads, announce and scrape queries (BEP 3, 7, 23, 48),
 * multipart uploads to the index, announce and scrape replies, and UDP
 * tracker packets of both directions (BEP 15, 41).
 */
import {
  buildAnnounceQuery,
  buildAnnounceReply,
  buildScrapeQuery,
  buildScrapeReply,
  decodeUdpRequest,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  newAnnounceFields,
  parseAnnounceReply,
  parseScrapeReply,
  readAnnounceQuery,
  readScrapeQuery,
} from "../../../src/tracker-proto/index.ts";
// The tracker's own HTTP parsers are not part of its module's public face:
// the fuzzer reaches into the files, as the server does.
import { parseRequestHeadBytes } from "../../../src/tracker-server/http-request.ts";
import { multipartBoundary, parseMultipart } from "../../../src/tracker-server/multipart.ts";
import type { Driver } from "../driver.ts";
import { outcome, REFUSED } from "./outcome.ts";

const INFO_HASH = Buffer.from("0123456789abcdefghij", "latin1");
const PEER_ID = Buffer.from("-SH0100-\x00\xff%&=+ abcde", "latin1");

function announceQuery(): string {
  return buildAnnounceQuery({
    infoHash: INFO_HASH,
    peerId: PEER_ID,
    port: 6881,
    uploaded: 10,
    downloaded: 20,
    left: 30,
    event: "started",
    numwant: 50,
    compact: true,
    ip: "10.0.0.1",
    ipv6: "::1",
    key: "ABCD1234",
    trackerId: "t1",
  });
}

export const announceQueryDriver: Driver = {
  name: "announce-query",
  seeds: () => [
    Buffer.from(announceQuery(), "latin1"),
    Buffer.from(`${announceQuery()}&event=paused&no_peer_id=1&left=-1&key=zz`, "latin1"),
  ],
  maxLength: 8192,
  run(input) {
    const code = readAnnounceQuery(input, 0, input.length, newAnnounceFields());
    return code === null ? "ok" : REFUSED + code;
  },
};

export const scrapeQueryDriver: Driver = {
  name: "scrape-query",
  seeds: () => [
    Buffer.from(buildScrapeQuery([INFO_HASH, Buffer.alloc(20, 0xfe)]), "latin1"),
    Buffer.from("info_hash=%zz&info_hash=abc", "latin1"),
  ],
  maxLength: 16384,
  run(input) {
    const hashes: string[] = [];
    const code = readScrapeQuery(input, 0, input.length, hashes);
    if (hashes.some((h) => h.length !== 20)) throw new Error("a scraped info hash is not 20 bytes");
    return code === null ? "ok" : REFUSED + code;
  },
};

function head(lines: string[], body = ""): Buffer {
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body}`, "latin1");
}

const UPLOAD_BODY = [
  "--XyZ",
  'Content-Disposition: form-data; name="file"; filename="a\xc3\xa9.torrent"',
  "Content-Type: application/x-bittorrent",
  "",
  "d4:infod4:name1:aee",
  "--XyZ",
  'Content-Disposition: form-data; name="description"',
  "",
  "hello",
  "--XyZ--",
  "",
].join("\r\n");

/**
 * An HTTP request head, read as the tracker's front end reads it: whole,
 * and cut short at three points (a prefix of an acceptable head must read
 * as "incomplete", never as refused); then the query of /announce or
 * /scrape, and the body as multipart when the head says it is.
 */
export const httpHeadDriver: Driver = {
  name: "http-head",
  seeds: () => [
    head([
      `GET /announce?${announceQuery()} HTTP/1.1`,
      "Host: 127.0.0.1:6969",
      "Connection: keep-alive",
    ]),
    head(["GET /scrape?info_hash=0123456789abcdefghij HTTP/1.0", "Authorization: Bearer x"]),
    head(
      [
        "POST /api/torrents HTTP/1.1",
        "Host: x",
        "Content-Type: multipart/form-data; boundary=XyZ",
        `Content-Length: ${UPLOAD_BODY.length}`,
        "Content-Length: 	" + UPLOAD_BODY.length,
        "Expect: 100-continue",
      ],
      UPLOAD_BODY,
    ),
    head(["PUT /x HTTP/1.1", "Transfer-Encoding: chunked"]),
  ],
  maxLength: 16384,
  run(input) {
    const parsed = parseRequestHeadBytes(input, 0, input.length);
    if (parsed === null) return "incomplete";
    if (!("method" in parsed)) return `${REFUSED}${parsed.status} ${parsed.reason}`;
    for (const cut of [parsed.headEnd >> 2, parsed.headEnd >> 1, parsed.headEnd - 1]) {
      const early = parseRequestHeadBytes(input, 0, cut);
      if (early !== null && !("method" in early)) {
        throw new Error(`an acceptable head is refused when cut at ${cut}: ${early.reason}`);
      }
    }
    if (parsed.queryEnd > input.length || parsed.headEnd > input.length) {
      throw new Error("the request points past the bytes it was read from");
    }
    if (parsed.path === "/announce") {
      readAnnounceQuery(input, parsed.queryStart, parsed.queryEnd, newAnnounceFields());
    } else if (parsed.path === "/scrape") {
      readScrapeQuery(input, parsed.queryStart, parsed.queryEnd, []);
    }
    void parsed.host;
    void parsed.authorization;
    const boundary = multipartBoundary(parsed.contentType);
    if (boundary !== undefined) {
      const parts = parseMultipart(input.subarray(parsed.headEnd), boundary);
      return parts === undefined ? `${REFUSED}multipart` : `multipart ${Math.min(parts.length, 3)}`;
    }
    parsed.detach();
    return parsed.path === "/announce" || parsed.path === "/scrape" ? parsed.path : "ok";
  },
};

/** A multipart body alone: the first line is the Content-Type, the rest the body. */
export const multipartDriver: Driver = {
  name: "multipart",
  seeds: () => [Buffer.from(`multipart/form-data; boundary="XyZ"\n${UPLOAD_BODY}`, "latin1")],
  maxLength: 16384,
  run(input) {
    const nl = input.indexOf(0x0a);
    const contentType = input.toString("latin1", 0, nl < 0 ? input.length : nl);
    const boundary = multipartBoundary(contentType);
    if (boundary === undefined) return `${REFUSED}no boundary`;
    const parts = parseMultipart(input.subarray(nl + 1), boundary);
    if (parts === undefined) return `${REFUSED}multipart`;
    for (const p of parts) {
      if (p.data.buffer !== input.buffer) throw new Error("a part is not a view of the body");
    }
    return `parts ${Math.min(parts.length, 3)}`;
  },
};

/** What our HTTP tracker client reads: announce replies (then scrape replies). */
export const httpReplyDriver: Driver = {
  name: "http-reply",
  seeds: () => [
    buildAnnounceReply({
      interval: 1800,
      minInterval: 60,
      complete: 3,
      incomplete: 4,
      peers: Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]),
      peers6: Buffer.concat([Buffer.alloc(15), Buffer.from([1, 0xc8, 0xd5])]),
      trackerId: "t1",
      warning: "w",
    }),
    Buffer.from(
      "d8:intervali900e5:peersld2:ip8:10.0.0.27:peer id20:abcdefghijklmnopqrst4:porti1eeee",
      "latin1",
    ),
    Buffer.from("d14:failure reason6:nope!!e", "latin1"),
    buildScrapeReply([{ infoHash: INFO_HASH, complete: 1, incomplete: 2, downloaded: 3 }]),
  ],
  run(input) {
    const a = outcome(() => parseAnnounceReply(input));
    const s = outcome(() => parseScrapeReply(input));
    return `${a}/${s}`;
  },
};

/** What the UDP tracker reads from clients. */
export const udpRequestDriver: Driver = {
  name: "udp-request",
  seeds: () => {
    const connectionId = Buffer.from("0011223344556677", "hex");
    const announce = encodeAnnounceRequest({
      connectionId,
      transactionId: 7,
      infoHash: INFO_HASH,
      peerId: PEER_ID,
      downloaded: 1,
      left: 2,
      uploaded: 3,
      event: "started",
      key: 9,
      numwant: -1,
      port: 6881,
      urlData: "/announce?passkey=abc",
    });
    return [
      encodeConnectRequest(5),
      announce,
      encodeScrapeRequest({ connectionId, transactionId: 8, infoHashes: [INFO_HASH, INFO_HASH] }),
    ];
  },
  maxLength: 2048,
  run(input) {
    const req = decodeUdpRequest(input);
    return req?.action ?? `${REFUSED}ignored`;
  },
};

/** What our UDP tracker client reads from trackers. */
export const udpResponseDriver: Driver = {
  name: "udp-response",
  seeds: () => [
    encodeConnectResponse(5, Buffer.alloc(8, 1)),
    encodeAnnounceResponse({
      transactionId: 7,
      interval: 1800,
      leechers: 1,
      seeders: 2,
      peers: Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]),
    }),
    encodeScrapeResponse(8, [{ seeders: 1, completed: 2, leechers: 3 }]),
    encodeErrorResponse(9, "go away"),
  ],
  corpus: [{ dir: "wire/rqbit", accept: (f) => f.includes("udp-tracker") }],
  maxLength: 4096,
  run(input) {
    // The first byte says which family the socket is (an IPv6 tracker sends 18-byte peers).
    const family = (input[0] ?? 0) & 1 ? 6 : 4;
    let action: string | undefined;
    const res = outcome(() => {
      action = decodeUdpResponse(input, family)?.action;
    });
    return res === "ok" ? (action ?? `${REFUSED}ignored`) : res;
  },
};
