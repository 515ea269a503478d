/**
 * KRPC over one UDP socket: outgoing queries with their transaction ids and
 * timeouts, answers matched back by id and by the address they came from,
 * and the round-trip times measured on the way, which set the timeouts. A
 * datagram that does not decode is dropped and counted (no answer, so a
 * forged source address gets nothing back), except a query whose
 * transaction id could be read, which gets BEP 5's 203 or 204 error.
 */
import type { UdpSocket, UdpSource } from "../net/index.ts";
import type { Clock, TimerHandle } from "../util/index.ts";
import type { Endpoint } from "./compact.ts";
import { DhtError } from "./errors.ts";
import {
  decodeKrpc,
  encodeKrpc,
  isRefusal,
  KRPC_ERROR,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponse,
} from "./krpc.ts";

export const RPC_LIMITS = {
  /** Queries outstanding at once; more are refused at once rather than queued. */
  maxOutstanding: 4096,
  /** Bounds of the measured retransmission timeout. */
  minTimeoutMs: 250,
  maxTimeoutMs: 2_000,
  /** Before any round trip has been measured. */
  initialTimeoutMs: 1_000,
} as const;

export interface DhtCounters {
  queriesSent: number;
  responsesReceived: number;
  errorsReceived: number;
  timeouts: number;
  queriesReceived: number;
  responsesSent: number;
  errorsSent: number;
  /** Datagrams that were not KRPC (or broke a limit): dropped. */
  malformed: number;
  /** Queries dropped by the per-address rate limit. */
  rateLimited: number;
  /** Answers that matched no outstanding query (late, or forged). */
  unmatched: number;
  bytesSent: number;
  bytesReceived: number;
}

export function emptyCounters(): DhtCounters {
  return {
    queriesSent: 0,
    responsesReceived: 0,
    errorsReceived: 0,
    timeouts: 0,
    queriesReceived: 0,
    responsesSent: 0,
    errorsSent: 0,
    malformed: 0,
    rateLimited: 0,
    unmatched: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
}

interface Outstanding {
  to: Endpoint;
  sentAt: number;
  timer: TimerHandle;
  resolve: (r: { response: KrpcResponse; rtt: number }) => void;
  reject: (err: DhtError) => void;
}

export type QueryHandler = (query: KrpcQuery, from: Endpoint, size: number) => void;

export class KrpcSocket {
  readonly counters: DhtCounters = emptyCounters();
  readonly #socket: UdpSocket;
  readonly #clock: Clock;
  readonly #pending = new Map<number, Outstanding>();
  #nextT: number;
  #srtt: number | undefined;
  #rttvar = 0;
  #closed = false;
  onQuery: QueryHandler = () => {};

  constructor(socket: UdpSocket, clock: Clock, firstTransaction = 0) {
    this.#socket = socket;
    this.#clock = clock;
    this.#nextT = firstTransaction & 0xffff;
    socket.on("message", (msg, source) => this.#receive(msg, source));
    socket.on("error", () => {}); // ICMP errors: the query times out on its own
  }

  /** The timeout a query gets now: RFC 6298's srtt + 4·rttvar over measured answers, bounded. */
  timeoutMs(): number {
    if (this.#srtt === undefined) return RPC_LIMITS.initialTimeoutMs;
    const rto = this.#srtt + 4 * this.#rttvar;
    return Math.min(RPC_LIMITS.maxTimeoutMs, Math.max(RPC_LIMITS.minTimeoutMs, rto));
  }

  /** The smoothed round trip of all answers so far (undefined before the first). */
  get srtt(): number | undefined {
    return this.#srtt;
  }

  get outstanding(): number {
    return this.#pending.size;
  }

  /** Sends a query; resolves with the answer and its round trip, rejects with a DhtError. */
  query(
    to: Endpoint,
    msg: Omit<KrpcQuery, "t">,
    timeoutMs = this.timeoutMs(),
  ): Promise<{ response: KrpcResponse; rtt: number }> {
    if (this.#closed) return Promise.reject(new DhtError("closed", "the DHT node is closed"));
    if (this.#pending.size >= RPC_LIMITS.maxOutstanding) {
      return Promise.reject(new DhtError("timeout", "too many DHT queries outstanding"));
    }
    let t = this.#nextT;
    while (this.#pending.has(t)) t = (t + 1) & 0xffff;
    this.#nextT = (t + 1) & 0xffff;
    const tBytes = Buffer.from([t >> 8, t & 0xff]);
    const bytes = encodeKrpc({ ...msg, t: tBytes } as KrpcQuery);
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pending.delete(t);
        this.counters.timeouts++;
        reject(new DhtError("timeout", `no answer from ${to.address}:${to.port}`));
      }, timeoutMs);
      this.#pending.set(t, { to, sentAt: this.#clock.now(), timer, resolve, reject });
      this.counters.queriesSent++;
      this.#send(bytes, to);
    });
  }

  /** Sends an answer (response or error) to a query. */
  reply(to: Endpoint, msg: KrpcMessage): number {
    if (this.#closed) return 0;
    const bytes = encodeKrpc(msg);
    if (msg.y === "e") this.counters.errorsSent++;
    else this.counters.responsesSent++;
    this.#send(bytes, to);
    return bytes.length;
  }

  #send(bytes: Buffer, to: Endpoint): void {
    this.counters.bytesSent += bytes.length;
    this.#socket.send(bytes, to.port, to.address, () => {});
  }

  #receive(datagram: Buffer, source: UdpSource): void {
    if (this.#closed) return;
    this.counters.bytesReceived += datagram.length;
    const from: Endpoint = { address: source.address, port: source.port };
    const msg = decodeKrpc(datagram);
    if (isRefusal(msg)) {
      this.counters.malformed++;
      if (msg.query && msg.t) {
        const code = msg.error.krpcCode ?? KRPC_ERROR.protocol;
        const message = code === KRPC_ERROR.methodUnknown ? "Method Unknown" : "Protocol Error";
        this.reply(from, { y: "e", t: msg.t, code, message });
      }
      return;
    }
    if (msg.y === "q") {
      this.counters.queriesReceived++;
      this.onQuery(msg, from, datagram.length);
      return;
    }
    const t = msg.t.length === 2 ? msg.t.readUInt16BE(0) : -1;
    const pending = this.#pending.get(t);
    // An answer counts only from the address the query went to (no forged answers).
    if (!pending || pending.to.port !== from.port || pending.to.address !== from.address) {
      this.counters.unmatched++;
      return;
    }
    this.#pending.delete(t);
    this.#clock.clearTimeout(pending.timer);
    if (msg.y === "e") {
      this.counters.errorsReceived++;
      pending.reject(
        new DhtError(
          "remote_error",
          `KRPC error ${msg.code}: ${msg.message.slice(0, 80)}`,
          msg.code,
        ),
      );
      return;
    }
    this.counters.responsesReceived++;
    const rtt = this.#clock.now() - pending.sentAt;
    this.#measure(rtt);
    pending.resolve({ response: msg, rtt });
  }

  #measure(rtt: number): void {
    if (this.#srtt === undefined) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [, p] of this.#pending) {
      this.#clock.clearTimeout(p.timer);
      p.reject(new DhtError("closed", "the DHT node is closed"));
    }
    this.#pending.clear();
    await this.#socket.close();
  }
}
