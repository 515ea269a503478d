/**
 * Sends one request to one tracker of the announce-list over its own
 * transport (HTTP or UDP) with the announcer's settings. UDP trackers keep
 * their client (socket and BEP 15 connection id) on the entry between calls.
 */
import type { UdpNetwork } from "../net/index.ts";
import type { ScrapeCounts } from "../tracker-proto/index.ts";
import type { Clock } from "../util/index.ts";
import type { HttpTrackerOptions } from "./http-tracker.ts";
import { announceHttp, scrapeHttp } from "./http-tracker.ts";
import type { TrackerEntry } from "./tiers.ts";
import type { AnnounceParams, AnnounceResult } from "./types.ts";
import { UdpTrackerClient } from "./udp-tracker.ts";

export interface TransportSettings {
  clock: Clock;
  /** HTTP deadline per request. */
  timeoutMs: number;
  maxReplyBytes: number;
  udpBaseTimeoutMs: number;
  udpRetries: number;
  /** Where UDP trackers' sockets come from (default the host's network). */
  udp?: UdpNetwork;
  /** Certificates (PEM) to trust for https trackers instead of the system's. */
  ca?: string | Buffer;
}

export class TrackerTransport {
  readonly #s: TransportSettings;

  constructor(settings: TransportSettings) {
    this.#s = settings;
  }

  /**
   * One announce. `quickMs` makes it a single short try (HTTP deadline, or
   * one UDP send without retransmission): what `stopped` gets at shutdown.
   */
  announce(
    e: TrackerEntry,
    params: AnnounceParams,
    signal: AbortSignal,
    quickMs?: number,
  ): Promise<AnnounceResult> {
    if (e.kind === "http") return announceHttp(e.url, params, this.#http(signal, quickMs));
    const opts =
      quickMs === undefined ? { signal } : { signal, retries: 0, baseTimeoutMs: quickMs };
    return this.#udp(e).announce(params, opts);
  }

  scrape(e: TrackerEntry, infoHash: Buffer): Promise<ScrapeCounts[]> {
    if (e.kind === "http") return scrapeHttp(e.url, [infoHash], this.#http());
    return this.#udp(e).scrape([infoHash]);
  }

  /** Closes the entry's UDP socket, if it has one. */
  close(e: TrackerEntry): void {
    e.udp?.close();
    e.udp = undefined;
  }

  #http(signal?: AbortSignal, timeoutMs?: number): HttpTrackerOptions {
    const o: HttpTrackerOptions = {
      clock: this.#s.clock,
      timeoutMs: timeoutMs ?? this.#s.timeoutMs,
      maxBytes: this.#s.maxReplyBytes,
    };
    if (signal) o.signal = signal;
    if (this.#s.ca !== undefined) o.ca = this.#s.ca;
    return o;
  }

  #udp(e: TrackerEntry): UdpTrackerClient {
    e.udp ??= new UdpTrackerClient(e.url, {
      clock: this.#s.clock,
      baseTimeoutMs: this.#s.udpBaseTimeoutMs,
      retries: this.#s.udpRetries,
      ...(this.#s.udp ? { udp: this.#s.udp } : {}),
    });
    return e.udp;
  }
}
