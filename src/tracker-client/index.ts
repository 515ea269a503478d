/**
 * tracker-client: announces for one torrent to its trackers (BEP 3 HTTP,
 * BEP 15 UDP, BEP 12 tiers), with scrape (BEP 48 / BEP 15). Codecs come from
 * tracker-proto; this module owns sockets, timing and policy.
 *
 * Public API:
 *   new Announcer(opts: AnnouncerOptions)      one per torrent; EventEmitter<AnnouncerEvents>
 *     start()              `started` now, then re-announces on the tracker's interval
 *     completed()          `completed` now (once per tracker)
 *     stop(): Promise      `stopped` to trackers that may list us, bounded by stopTimeoutMs (5 s)
 *     announceNow(force?)  manual re-announce; waits for `min interval` unless force
 *     scrape(): Promise<ScrapeCounts | undefined>
 *     status(): TrackerStatus[]   per tracker, in try order; times are Clock ms
 *     idle(): Promise      resolves when no announce round is in flight
 *     events: "peers" (PeerAddress[], url), "announce" (TrackerStatus),
 *             "warning" (url, message), "trackerError" (url, message)
 *   announceHttp(url, params, opts?) / scrapeHttp(url, infoHashes, opts?)
 *   announceUdp(url, params, opts?) / scrapeUdp(url, infoHashes, opts?)
 *   UdpTrackerClient(url, opts?)   keeps one socket and the BEP 15 connection id (60 s)
 *   httpGet(url, opts?)            bounded GET: raw query, size cap, deadline, ≤ 3 redirects
 *   backoffDelay(failures, random, opts?), TrackerTiers, trackerKind(url)
 *   trackerBaseUrl(text), trackerPasskey(text), trackerRequest(base, path, init?),
 *   fetchIndex(base, passkey?), publishTorrent(base, bytes, token?, passkey?),
 *   fetchTorrentFile(base, infoHashHex, passkey?): the client of a shoal tracker's index
 *     and views (JSON over HTTP; a private tracker's member asks with their passkey)
 *   TrackerClientError (codes: unsupported_scheme, invalid_url, tracker_failure, http_status,
 *     too_many_redirects, bad_redirect, reply_too_large, invalid_reply, timeout, network, aborted,
 *     unauthorized, not_found)
 */
export {
  Announcer,
  type AnnouncerEvents,
  type AnnouncerOptions,
  DEFAULT_INTERVAL_S,
  DEFAULT_MIN_INTERVAL_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  DEFAULT_UDP_RETRIES,
  MAX_INTERVAL_MS,
} from "./announcer.ts";
export { BACKOFF_BASE_MS, BACKOFF_MAX_MS, type BackoffOptions, backoffDelay } from "./backoff.ts";
export { TrackerClientError, type TrackerClientErrorCode } from "./errors.ts";
export {
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_REPLY_BYTES,
  type HttpGetOptions,
  type HttpGetResult,
  httpGet,
} from "./http-get.ts";
export { announceHttp, type HttpTrackerOptions, scrapeHttp, withQuery } from "./http-tracker.ts";
export {
  errorText,
  fetchIndex,
  fetchTorrentFile,
  type PublishReply,
  publishTorrent,
  type TorrentListing,
  trackerBaseUrl,
  trackerPasskey,
  trackerRequest,
} from "./index-client.ts";
export { type TrackerEntry, type TrackerKind, TrackerTiers, trackerKind } from "./tiers.ts";
export type {
  AnnounceParams,
  AnnounceResult,
  AnnounceStats,
  RequestOptions,
  TrackerState,
  TrackerStatus,
} from "./types.ts";
export {
  announceUdp,
  CONNECTION_ID_LIFETIME_MS,
  parseUdpUrl,
  scrapeUdp,
  UDP_BASE_TIMEOUT_MS,
  UDP_MAX_RETRIES,
  type UdpRequestOptions,
  UdpTrackerClient,
  type UdpTrackerOptions,
  udpKey,
} from "./udp-tracker.ts";
