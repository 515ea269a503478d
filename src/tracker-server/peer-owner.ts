/**
 * Who may act for a stored peer. A peer id is public: every peer of a swarm
 * learns it from the BEP 3 handshake, and dictionary-form replies list it. So
 * the tracker keeps a peer as (peer id, owner), and the owner is what another
 * client cannot simply say:
 *
 * - the announce's `key`, when it sends one. BEP 7: "an additional
 *   identification that is not shared with any other peers. It is intended to
 *   allow a client to prove their identity should their IP address change."
 *   BEP 15 sends it as a 32-bit number; HTTP keys are read as the same number
 *   (AnnounceFields.keyValue). A key of 0 counts as none: it is what a client
 *   that does not randomise its key sends.
 * - else the announce's source address: the IPv4 address itself, or a keyed
 *   hash (SipHash-2-4 with a secret) of the IPv6 address, so that nobody can
 *   search offline for an address of their own whose value matches another's.
 *
 * An owner is one number, kind * 2^32 + a 32-bit value, the kinds apart so a
 * key can never equal an address. Thirty-two bits is the key's own strength in
 * BEP 15; guessing it takes billions of announces, each one answered.
 *
 * The secret is kept with the peer snapshot (the tracker's database), so the
 * owners restored after a restart are the ones the same clients compute to.
 */
import { randomBytes } from "node:crypto";
import type { IpFamily } from "../tracker-proto/index.ts";
import { type SipKey, sipHash24, sipKey } from "./siphash.ts";

const KIND_UNIT = 0x1_0000_0000;
export const OWNER_IPV4 = 0;
export const OWNER_IPV6 = 1;
export const OWNER_KEY = 2;

export class PeerOwners {
  readonly #key: SipKey;
  readonly #msg = Buffer.allocUnsafe(16);
  readonly #mac = new Uint32Array(2);
  // The last IPv6 address hashed: an announce and its reply ask twice.
  #lastIp6 = "";
  #lastOwner6 = 0;

  constructor(secret: Uint8Array = randomBytes(16)) {
    this.#key = sipKey(secret);
  }

  /**
   * The owner of an announce: its key (BEP 7 / BEP 15 `key`, as
   * AnnounceFields.keyValue; ≤ 0 for none), else its source address (4 or 16
   * chars of latin1, as AnnounceSource.ip).
   */
  of(keyValue: number, family: IpFamily, ip: string): number {
    if (keyValue > 0) return OWNER_KEY * KIND_UNIT + keyValue;
    return this.ofAddress(family, ip);
  }

  /** The owner of an announce without a key, from its source address. */
  ofAddress(family: IpFamily, ip: string): number {
    if (family === 4) {
      return (
        ((ip.charCodeAt(0) << 24) |
          (ip.charCodeAt(1) << 16) |
          (ip.charCodeAt(2) << 8) |
          ip.charCodeAt(3)) >>>
        0
      );
    }
    if (ip === this.#lastIp6) return this.#lastOwner6;
    const msg = this.#msg;
    for (let i = 0; i < 16; i++) msg[i] = ip.charCodeAt(i);
    const mac = sipHash24(this.#key, msg, 16, this.#mac);
    this.#lastIp6 = ip;
    this.#lastOwner6 = OWNER_IPV6 * KIND_UNIT + mac[1]!;
    return this.#lastOwner6;
  }
}
