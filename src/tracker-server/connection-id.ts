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
 *
 * Several instances behind one name (a shared swarm store) must accept each
 * other's ids, as a client's connect and announce may reach different ones:
 * they share secrets from their config and a wall clock. The key of each day
 * is derived from the secret and the day's number, so the key in use rotates
 * by itself; and of several secrets the first issues and all are accepted,
 * so an operator rolls a new secret in without refusing anyone's id.
 */
import { createHash, randomBytes } from "node:crypto";
import { type Clock, readU32BE, writeU32BE } from "../util/index.ts";
import { type SipKey, sipHash24, sipKey } from "./siphash.ts";

export const CONNECTION_ID_WINDOW_MS = 120_000;

const DAY_MS = 86_400_000;

/** Ids that every instance knowing one of `secrets` issues and accepts alike. */
export interface SharedIdSecrets {
  secrets: string[];
}

function dayKey(secret: string, day: number): SipKey {
  return sipKey(
    createHash("sha256")
      .update(`shoal udp connection id\0${day}\0${secret}`)
      .digest()
      .subarray(0, 16),
  );
}

export class ConnectionIds {
  readonly #clock: Clock;
  #key: SipKey;
  readonly #windowMs: number;
  readonly #shared: string[] | undefined;
  /** The day whose keys are in #dayKeys (shared mode), and the keys of each secret for it. */
  #day = Number.NaN;
  #dayKeys: SipKey[] = [];
  readonly #msg = Buffer.allocUnsafe(64);
  readonly #mac = new Uint32Array(2);

  constructor(
    clock: Clock,
    secret: Uint8Array | SharedIdSecrets = randomBytes(16),
    windowMs = CONNECTION_ID_WINDOW_MS,
  ) {
    this.#clock = clock;
    this.#windowMs = windowMs;
    if (secret instanceof Uint8Array) {
      this.#shared = undefined;
      this.#key = sipKey(secret);
    } else {
      this.#shared = secret.secrets;
      this.#key = this.#keyOf(0, 0);
    }
  }

  /** Shared mode: the key of secret `i` for the day of `window`. */
  #keyOf(window: number, i: number): SipKey {
    const shared = this.#shared as string[];
    const day = Math.floor((window * this.#windowMs) / DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#dayKeys = shared.map((s) => dayKey(s, day));
    }
    return this.#dayKeys[i]!;
  }

  #compute(window: number, address: string, port: number, secret = 0): Uint32Array {
    if (this.#shared !== undefined) this.#key = this.#keyOf(window, secret);
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
    const secrets = this.#shared?.length ?? 1;
    for (let i = 0; i < secrets; i++) {
      let mac = this.#compute(window, address, port, i);
      if (mac[0] === hi && mac[1] === lo) return true;
      mac = this.#compute(window - 1, address, port, i);
      if (mac[0] === hi && mac[1] === lo) return true;
    }
    return false;
  }
}
