/**
 * announce_peer tokens (BEP 5): a get_peers answer carries a token that the
 * asker must bring back to announce. It is a hash of the asker's IP address
 * and a secret that changes every five minutes; tokens made with the current
 * or the previous secret are accepted, so a token is good for 5 to 10 minutes.
 */
import type { Clock } from "../util/index.ts";
import { normalizeIp, sha1 } from "../util/index.ts";

export const TOKEN_LIMITS = {
  /** BEP 5: "changes every five minutes", accepted "up to ten minutes old". */
  rotateMs: 5 * 60_000,
  length: 8,
} as const;

export class TokenSecret {
  readonly #clock: Clock;
  readonly #randomBytes: (n: number) => Buffer;
  #current: Buffer;
  #previous: Buffer;
  #rotatedAt: number;

  constructor(clock: Clock, randomBytes: (n: number) => Buffer) {
    this.#clock = clock;
    this.#randomBytes = randomBytes;
    this.#current = randomBytes(16);
    this.#previous = randomBytes(16);
    this.#rotatedAt = clock.now();
  }

  #rotate(): void {
    const now = this.#clock.now();
    const turns = Math.floor((now - this.#rotatedAt) / TOKEN_LIMITS.rotateMs);
    if (turns <= 0) return;
    // After two turns or more the old secrets are both stale.
    this.#previous = turns === 1 ? this.#current : this.#randomBytes(16);
    this.#current = this.#randomBytes(16);
    this.#rotatedAt += turns * TOKEN_LIMITS.rotateMs;
  }

  /** The token for an asker at `ip`. */
  tokenFor(ip: string): Buffer {
    this.#rotate();
    return make(this.#current, ip);
  }

  /** Whether `token` was given to `ip` within the last 5 to 10 minutes. */
  valid(token: Uint8Array, ip: string): boolean {
    this.#rotate();
    const t = Buffer.from(token);
    return t.equals(make(this.#current, ip)) || t.equals(make(this.#previous, ip));
  }
}

function make(secret: Buffer, ip: string): Buffer {
  const addr = normalizeIp(ip)?.bytes ?? Buffer.from(ip, "latin1");
  return sha1(Buffer.concat([secret, addr])).subarray(0, TOKEN_LIMITS.length);
}
