/**
 * UDP tracker client (BEP 15, URLData from BEP 41). One client per tracker
 * URL keeps one socket, connected to the tracker's address, for its whole life:
 * trackers tie connection ids to the client's address and port, so a new
 * source port would waste the cached id. A connected socket also means the
 * kernel drops datagrams from any other source and reports ICMP "port
 * unreachable" as ECONNREFUSED, so a dead tracker fails fast. The socket
 * comes from a UdpNetwork (net/): the host's by default, an in-memory one in
 * tests and simulations.
 */
import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { nodeUdp, type UdpNetwork, type UdpSocket, type UdpSource } from "../net/index.ts";
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  type ScrapeCounts,
  UDP_MAX_SCRAPE_HASHES,
  type UdpResponse,
} from "../tracker-proto/index.ts";
import { type Clock, formatIPv6, parseIPv6, realClock } from "../util/index.ts";
import { asTrackerClientError, TrackerClientError } from "./errors.ts";
import type { AnnounceParams, AnnounceResult, RequestOptions } from "./types.ts";

/** BEP 15: "A client can use a connection ID until one minute after it has received it." */
export const CONNECTION_ID_LIFETIME_MS = 60_000;
/** BEP 15: wait 15 · 2^n seconds before retransmitting, n = 0, 1, … */
export const UDP_BASE_TIMEOUT_MS = 15_000;
/** BEP 15: n goes up to 8 (3840 s), so 8 retransmissions after the first send. */
export const UDP_MAX_RETRIES = 8;

export interface UdpTrackerOptions {
  clock?: Clock;
  /** First wait for a reply; doubles after every retransmission (BEP 15: 15 s). */
  baseTimeoutMs?: number;
  /** Retransmissions before giving up (BEP 15: 8). */
  retries?: number;
  /** Where the socket comes from (default the host's network, net's `nodeUdp`). */
  udp?: UdpNetwork;
}

export interface UdpRequestOptions extends RequestOptions {
  /** Overrides the client's `retries` for this request (stopped announces use 0). */
  retries?: number;
  baseTimeoutMs?: number;
}

interface Target {
  address: string;
  port: number;
  family: 4 | 6;
}

interface Pending {
  expect: UdpResponse["action"];
  resolve: (r: UdpResponse | undefined) => void;
  reject: (err: Error) => void;
}

type Expected = "connect" | "announce" | "scrape";
type ReplyOf<A extends Expected> = Extract<UdpResponse, { action: A }>;

/** Parses udp://host:port[/path]; throws TrackerClientError. */
export function parseUdpUrl(text: string): { host: string; port: number; urlData?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TrackerClientError("invalid_url", `'${text}' is not a valid URL`);
  }
  if (url.protocol !== "udp:") {
    throw new TrackerClientError("unsupported_scheme", `${text}: not a udp:// tracker URL`);
  }
  const port = Number(url.port);
  if (!url.hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TrackerClientError("invalid_url", `${text}: a UDP tracker URL needs a host and port`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  // BEP 41: the path and query go along as URLData (some trackers route on them).
  const rest = `${url.pathname}${url.search}`;
  return rest && rest !== "/" ? { host, port, urlData: rest } : { host, port };
}

/** BEP 15's `key` is 32 bits; the announcer's key is hex text, so it is that number. */
export function udpKey(key: string | undefined): number {
  if (key === undefined) return 0;
  if (/^[0-9a-fA-F]{1,8}$/.test(key)) return Number.parseInt(key, 16) >>> 0;
  let h = 0x811c9dc5; // FNV-1a, for keys some caller chose freely
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The address as a datagram's source is reported (RFC 5952 for IPv6, as inet_ntop). */
function canonical(address: string, family: number): string {
  const bytes = family === 6 ? parseIPv6(address) : undefined;
  return bytes ? formatIPv6(bytes) : address;
}

function transactionId(): number {
  return randomBytes(4).readUInt32BE(0);
}

export class UdpTrackerClient {
  readonly url: string;
  /** The URL without its query, for messages (a query may hold a passkey). */
  readonly #label: string;
  readonly #host: string;
  readonly #port: number;
  readonly #urlData: string | undefined;
  readonly #clock: Clock;
  readonly #baseTimeoutMs: number;
  readonly #retries: number;
  readonly #udp: UdpNetwork;
  #target: Promise<Target> | undefined;
  #socket: Promise<UdpSocket> | undefined;
  #connection: { id: Buffer; at: number } | undefined;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  constructor(url: string, opts: UdpTrackerOptions = {}) {
    const parsed = parseUdpUrl(url);
    this.url = url;
    this.#label = url.split("?")[0]!;
    this.#host = parsed.host;
    this.#port = parsed.port;
    this.#urlData = parsed.urlData;
    this.#clock = opts.clock ?? realClock;
    this.#baseTimeoutMs = opts.baseTimeoutMs ?? UDP_BASE_TIMEOUT_MS;
    this.#retries = opts.retries ?? UDP_MAX_RETRIES;
    this.#udp = opts.udp ?? nodeUdp;
  }

  /** True while a connection id from this tracker is still usable (BEP 15: one minute). */
  get hasConnectionId(): boolean {
    return (
      this.#connection !== undefined &&
      this.#clock.now() - this.#connection.at < CONNECTION_ID_LIFETIME_MS
    );
  }

  async announce(params: AnnounceParams, opts: UdpRequestOptions = {}): Promise<AnnounceResult> {
    const reply = await this.#exchange(
      "announce",
      (connectionId, tid) =>
        encodeAnnounceRequest({
          connectionId,
          transactionId: tid,
          infoHash: params.infoHash,
          peerId: params.peerId,
          downloaded: params.downloaded,
          left: Math.max(0, params.left),
          uploaded: params.uploaded,
          event: params.event,
          key: udpKey(params.key),
          numwant: params.numwant,
          port: params.port,
          ...(this.#urlData !== undefined ? { urlData: this.#urlData } : {}),
        }),
      opts,
    );
    return {
      interval: reply.interval,
      complete: reply.seeders,
      incomplete: reply.leechers,
      peers: reply.peers,
    };
  }

  /** BEP 15 scrape; at most 74 info hashes fit in one packet. */
  async scrape(
    infoHashes: readonly Buffer[],
    opts: UdpRequestOptions = {},
  ): Promise<ScrapeCounts[]> {
    if (infoHashes.length === 0 || infoHashes.length > UDP_MAX_SCRAPE_HASHES) {
      throw new RangeError(`a UDP scrape takes 1 to ${UDP_MAX_SCRAPE_HASHES} info hashes`);
    }
    const reply = await this.#exchange(
      "scrape",
      (connectionId, tid) => encodeScrapeRequest({ connectionId, transactionId: tid, infoHashes }),
      opts,
    );
    return reply.files.slice(0, infoHashes.length).map((f, i) => ({
      infoHash: infoHashes[i]!,
      complete: f.seeders,
      downloaded: f.completed,
      incomplete: f.leechers,
    }));
  }

  /** Closes the socket; requests in flight reject with code "aborted". */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new TrackerClientError("aborted", `${this.#label}: client closed`));
    this.#socket?.then(
      (socket) => void socket.close(),
      () => {},
    );
    // (A socket still connecting is closed as soon as it resolves.)
    this.#socket = undefined;
  }

  /**
   * BEP 15's retransmission schedule, as in its "announce times out" example:
   * one counter n for the whole request; each send waits 15 · 2^n s; when the
   * connection id has expired meanwhile, a connect goes out first.
   */
  async #exchange<A extends "announce" | "scrape">(
    action: A,
    build: (connectionId: Buffer, tid: number) => Buffer,
    opts: UdpRequestOptions,
  ): Promise<ReplyOf<A>> {
    const retries = opts.retries ?? this.#retries;
    const base = opts.baseTimeoutMs ?? this.#baseTimeoutMs;
    const signal = opts.signal;
    let n = 0;
    const wait = () => base * 2 ** n;
    const giveUp = () =>
      new TrackerClientError(
        "timeout",
        `${this.#label}: no reply after ${retries + 1} attempt${retries === 0 ? "" : "s"}`,
      );
    let sent: { connection: object; tid: number; packet: Buffer } | undefined;
    let connectTid: number | undefined;
    try {
      const target = await this.#resolve();
      for (;;) {
        if (signal?.aborted) throw new TrackerClientError("aborted", `${this.#label}: aborted`);
        if (!this.hasConnectionId) {
          connectTid ??= transactionId();
          const packet = encodeConnectRequest(connectTid);
          const reply = await this.#send(target, packet, connectTid, "connect", wait(), signal);
          if (!reply) {
            if (++n > retries) throw giveUp();
            continue;
          }
          connectTid = undefined;
          this.#connection = { id: reply.connectionId, at: this.#clock.now() };
        }
        const connection = this.#connection!;
        // Retransmit the same packet (same transaction id) while the connection id holds,
        // so a late reply to an earlier copy still counts.
        if (!sent || sent.connection !== connection) {
          const tid = transactionId();
          sent = { connection, tid, packet: build(connection.id, tid) };
        }
        const reply = await this.#send(target, sent.packet, sent.tid, action, wait(), signal);
        if (reply) return reply as ReplyOf<A>;
        if (++n > retries) throw giveUp();
      }
    } catch (err) {
      throw asTrackerClientError(err, this.#label);
    }
  }

  /** Sends one packet and waits `ms` for its reply; undefined on timeout. */
  async #send<A extends Expected>(
    target: Target,
    packet: Buffer,
    tid: number,
    expect: A,
    ms: number,
    signal: AbortSignal | undefined,
  ): Promise<ReplyOf<A> | undefined> {
    const socket = await this.#openSocket(target);
    if (this.#closed) throw new TrackerClientError("aborted", `${this.#label}: client closed`);
    if (signal?.aborted) throw new TrackerClientError("aborted", `${this.#label}: aborted`);
    return new Promise<ReplyOf<A> | undefined>((resolve, reject) => {
      const finish = () => {
        this.#clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(tid);
        if (this.#pending.size === 0 && !this.#closed) socket.unref();
      };
      const onAbort = () => {
        finish();
        reject(new TrackerClientError("aborted", `${this.#label}: aborted`));
      };
      const timer = this.#clock.setTimeout(() => {
        finish();
        resolve(undefined);
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(tid, {
        expect,
        resolve: (r) => {
          finish();
          resolve(r as ReplyOf<A> | undefined);
        },
        reject: (err) => {
          finish();
          reject(err);
        },
      });
      // Keep the process alive while we wait for a reply (the socket is unref'd when idle).
      socket.ref();
      socket.send(packet, (err) => {
        if (err) this.#pending.get(tid)?.reject(err);
      });
    });
  }

  #resolve(): Promise<Target> {
    if (this.#closed) {
      return Promise.reject(new TrackerClientError("aborted", `${this.#label}: client closed`));
    }
    this.#target ??= (async () => {
      const literal = isIP(this.#host);
      if (literal) {
        return {
          address: canonical(this.#host, literal),
          port: this.#port,
          family: literal as 4 | 6,
        };
      }
      const found = await lookup(this.#host);
      const family = found.family as 4 | 6;
      return { address: canonical(found.address, family), port: this.#port, family };
    })();
    // A failed lookup is not cached: the next request tries again.
    this.#target.catch(() => {
      this.#target = undefined;
    });
    return this.#target;
  }

  /** The socket, connected to the tracker; created on first use. */
  #openSocket(target: Target): Promise<UdpSocket> {
    this.#socket ??= (async () => {
      const socket = this.#udp.createSocket(target.family);
      socket.on("message", (msg, source) => this.#onMessage(target, msg, source));
      try {
        await socket.connect(target.port, target.address);
      } catch (err) {
        void socket.close();
        throw err;
      }
      // ECONNREFUSED (ICMP port unreachable) and other socket errors fail what is waiting.
      socket.on("error", (err) => this.#failAll(asTrackerClientError(err, this.#label)));
      socket.unref();
      return socket;
    })();
    this.#socket.catch(() => {
      this.#socket = undefined;
    });
    return this.#socket;
  }

  #onMessage(target: Target, msg: Buffer, rinfo: UdpSource): void {
    // BEP 15: only the tracker's replies count (the connected socket already filters).
    if (rinfo.port !== target.port || rinfo.address !== target.address) return;
    const reply = decodeUdpResponse(msg, target.family);
    if (!reply) return;
    const pending = this.#pending.get(reply.transactionId);
    if (!pending) return;
    if (reply.action === "error") {
      // Often "bad connection id": forget ours so the next request connects afresh.
      this.#connection = undefined;
      pending.reject(
        new TrackerClientError("tracker_failure", reply.message || "the tracker returned an error"),
      );
      return;
    }
    if (reply.action !== pending.expect) return;
    pending.resolve(reply);
  }

  #failAll(err: Error): void {
    for (const p of [...this.#pending.values()]) p.reject(err);
  }
}

/** One announce with a client of its own (no connection id reuse across calls). */
export async function announceUdp(
  url: string,
  params: AnnounceParams,
  opts: UdpTrackerOptions & RequestOptions = {},
): Promise<AnnounceResult> {
  const client = new UdpTrackerClient(url, opts);
  try {
    return await client.announce(params, opts.signal ? { signal: opts.signal } : {});
  } finally {
    client.close();
  }
}

export async function scrapeUdp(
  url: string,
  infoHashes: readonly Buffer[],
  opts: UdpTrackerOptions & RequestOptions = {},
): Promise<ScrapeCounts[]> {
  const client = new UdpTrackerClient(url, opts);
  try {
    return await client.scrape(infoHashes, opts.signal ? { signal: opts.signal } : {});
  } finally {
    client.close();
  }
}
