/**
 * BEP 15 connection ids, stateless: the id is a keyed MAC (SipHash-2-4 with a
 * random per-process secret) of the client's address, port and a time window.
 * A client can only learn an id by receiving the connect reply, so a spoofed
 * source address cannot get the tracker to answer announces or scrapes.
 *
 * BEP 15: "Trackers should accept the connection ID until two minutes after it
 * has been sent." Windows are two minutes long and both the current and the
 * previous window are accepted, so an id lives between two and four minutes:
 * clients that reuse ids a little longer than BEP 15 says keep working.
 */
import { randomBytes } from "node:crypto";
import { type Clock, readU32BE, writeU32BE } from "../util/index.ts";
import { type SipKey, sipHash24, sipKey } from "./siphash.ts";

export const CONNECTION_ID_WINDOW_MS = 120_000;

export class ConnectionIds {
  readonly #clock: Clock;
  readonly #key: SipKey;
  readonly #windowMs: number;
  readonly #msg = Buffer.allocUnsafe(64);
  readonly #mac = new Uint32Array(2);

  constructor(
    clock: Clock,
    secret: Uint8Array = randomBytes(16),
    windowMs = CONNECTION_ID_WINDOW_MS,
  ) {
    this.#clock = clock;
    this.#key = sipKey(secret);
    this.#windowMs = windowMs;
  }

  #compute(window: number, address: string, port: number): Uint32Array {
    const msg = this.#msg;
    msg[0] = window;
    msg[1] = window >>> 8;
    msg[2] = window >>> 16;
    msg[3] = window >>> 24;
    msg[4] = port;
    msg[5] = port >>> 8;
    // The address as the socket reports it (at most 45 chars for IPv6 text),
    // copied here rather than by Buffer.write, a call into C++.
    const n = Math.min(address.length, msg.length - 6);
    for (let i = 0; i < n; i++) msg[6 + i] = address.charCodeAt(i);
    return sipHash24(this.#key, msg, 6 + n, this.#mac);
  }

  /** Writes the id for this address and port into `out[offset, offset + 8)`. */
  issue(address: string, port: number, out: Buffer, offset: number): void {
    const mac = this.#compute(Math.floor(this.#clock.now() / this.#windowMs), address, port);
    writeU32BE(out, offset, mac[0]!);
    writeU32BE(out, offset + 4, mac[1]!);
  }

  /** True when `id[offset, offset + 8)` was issued to this address and port in this window or the last. */
  verify(address: string, port: number, id: Buffer, offset: number): boolean {
    const hi = readU32BE(id, offset);
    const lo = readU32BE(id, offset + 4);
    const window = Math.floor(this.#clock.now() / this.#windowMs);
    let mac = this.#compute(window, address, port);
    if (mac[0] === hi && mac[1] === lo) return true;
    mac = this.#compute(window - 1, address, port);
    return mac[0] === hi && mac[1] === lo;
  }
}
