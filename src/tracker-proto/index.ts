/**
 * tracker-proto: the tracker protocols as codecs only (no sockets, no state).
 *
 * Public API (stable; the tracker server, the tracker client and bench/tracker.ts use it):
 *
 * Types (types.ts)
 *   AnnounceEvent = "none" | "started" | "completed" | "stopped" | "paused"
 *   AnnounceRequest  { infoHash: Buffer(20), peerId: Buffer(20), port, uploaded, downloaded,
 *                      left (-1 = not sent), event, numwant?, compact, noPeerId, ip?, ipv4?, ipv6?,
 *                      key?, trackerId? }
 *   PeerAddress      { ip: string, port: number, peerId?: Buffer }
 *   ScrapeCounts     { infoHash: Buffer, complete, downloaded, incomplete }
 *   TrackerProtoError (code: TrackerProtoErrorCode; `message` is a failure reason a user can act on)
 *
 * HTTP (BEP 3, 7, 23, 48) — http-query.ts, http-reply.ts, percent.ts
 *   parseAnnounceQuery(rawQuery: string): AnnounceRequest        throws TrackerProtoError
 *       rawQuery is the text after "?" decoded as latin1 (one char per byte), NOT URL-decoded.
 *   buildAnnounceQuery(req: Partial-ish AnnounceRequest): string (no leading "?")
 *   parseScrapeQuery(rawQuery: string): Buffer[]                 (info hashes; [] = full scrape)
 *   buildScrapeQuery(infoHashes: Buffer[]): string
 *   scrapeUrlFor(announceUrl: string): string | undefined         (BEP 48 announce → scrape rule)
 *   percentEncode(bytes: Uint8Array): string; percentDecode(text: string): Buffer | undefined
 *   buildAnnounceReply(reply: AnnounceReplyFields): Buffer        (compact peers/peers6 or dict list)
 *   parseAnnounceReply(body: Uint8Array): AnnounceReply           throws TrackerProtoError
 *   buildFailureReply(reason: string): Buffer
 *   buildScrapeReply(files: ScrapeCounts[]): Buffer
 *   parseScrapeReply(body: Uint8Array): ScrapeReply               throws TrackerProtoError
 *   Low level, allocation-light (servers): readAnnounceQuery(rawQuery, out: AnnounceFields)
 *       fills `out` in place with latin1 keys; returns null or a TrackerProtoErrorCode.
 *
 * UDP (BEP 15, 41) — udp.ts
 *   UDP_PROTOCOL_ID (bigint), UdpAction {CONNECT:0, ANNOUNCE:1, SCRAPE:2, ERROR:3},
 *   UDP_EVENT codes, UDP_MAX_SCRAPE_HASHES (74)
 *   encodeConnectRequest(transactionId): Buffer
 *   encodeAnnounceRequest(req: UdpAnnounceRequest): Buffer       (98 bytes + BEP 41 URLData)
 *   encodeScrapeRequest(req: UdpScrapeRequest): Buffer
 *   decodeUdpRequest(packet): UdpRequest | undefined              (undefined = malformed: drop it)
 *   encodeConnectResponse(transactionId, connectionId: Buffer(8)): Buffer
 *   encodeAnnounceResponse(r: UdpAnnounceResponse): Buffer        (peers = compact bytes, 6 or 18 each)
 *   encodeScrapeResponse(transactionId, counts: {seeders, completed, leechers}[]): Buffer
 *   encodeErrorResponse(transactionId, message): Buffer
 *   decodeUdpResponse(packet, family: 4 | 6): UdpResponse | undefined
 *   parseUdpOptions(packet, offset = 98): { urlData?: string }    (BEP 41; unknown options skipped)
 *
 * Counters — counters.ts: 64-bit `uploaded`/`downloaded`/`left` are numbers clamped to
 *   MAX_COUNTER (2^53 − 1) wherever they are decoded (readAnnounceQuery, readU64, replies);
 *   counterFromWords(high, low), clampCounter(value: unknown, min = 0) for stored values.
 *
 * Compact peers (BEP 23, BEP 7) — compact.ts
 *   encodeCompactPeer(ip, port): Buffer (6 or 18 bytes) | undefined
 *   encodeCompactPeers(peers: {ip, port}[], family: 4 | 6): Buffer
 *   decodeCompactPeers(bytes, family: 4 | 6): PeerAddress[]
 *   parseIPv4(text) / parseIPv6(text): Buffer | undefined; formatIPv4 / formatIPv6 (bytes, offset)
 *   normalizeIp(text): { family: 4 | 6, bytes: Buffer } | undefined   (::ffff:a.b.c.d counts as IPv4)
 */
export * from "./compact.ts";
export * from "./counters.ts";
export * from "./errors.ts";
export * from "./http-query.ts";
export * from "./http-reply.ts";
export * from "./percent.ts";
export * from "./types.ts";
export * from "./udp.ts";
