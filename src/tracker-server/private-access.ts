/**
 * The gate of a private tracker (`--private`): every announce and scrape
 * names a member by the passkey in its URL (`/announce/<passkey>`,
 * `/scrape/<passkey>`, or `?passkey=`; over UDP, BEP 41's URL data), and
 * nobody without a valid, enabled one sees a swarm. What a member's
 * announces report is accounted per torrent (member-traffic.ts).
 */

import { MemberTraffic } from "./member-traffic.ts";
import type { Member, MemberStore } from "./members.ts";

export const UNKNOWN_PASSKEY = "unknown passkey: this tracker is for members only";
export const DISABLED_MEMBER = "this account is disabled";

export type Admission = { member: Member } | { refused: string };

/** Longest passkey text read as sent: 32 hex digits, each percent-encoded. */
export const MAX_SENT_PASSKEY = 3 * 32;

/**
 * A passkey as a client sent it in a URL, read the same way from the path
 * and from the query: percent-decoded (RFC 3986 §2.1: a client may encode
 * any byte) and in lower case (a passkey is hex digits, the same key in
 * either case); "" when it is too long or does not decode.
 */
export function sentPasskey(raw: string): string {
  if (raw.length > MAX_SENT_PASSKEY) return "";
  if (!raw.includes("%")) return raw.toLowerCase();
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return "";
  }
}

/** `/announce/<passkey>` → the passkey (sentPasskey; and `/announce` → ""), for `base` "/announce". */
export function passkeyFromPath(path: string, base: string): string | undefined {
  if (path === base) return "";
  if (!path.startsWith(`${base}/`)) return undefined;
  return sentPasskey(path.slice(base.length + 1));
}

/** `passkey=` of a query string as sent (sentPasskey), or "". */
export function passkeyFromQuery(query: string): string {
  for (const part of query.split("&")) {
    if (part.startsWith("passkey=")) return sentPasskey(part.slice(8));
  }
  return "";
}

/** What a member's peer reported in one announce (info hash and peer id as latin1 text). */
export interface TrafficReport {
  infoHash: string;
  peerId: string;
  uploaded: number;
  downloaded: number;
  stopped: boolean;
}

export class PrivateAccess {
  readonly members: MemberStore;
  readonly #traffic = new MemberTraffic();
  /** Reports capped as inflated (metrics). */
  inflated = 0;
  refused = 0;
  /**
   * Where reports go instead of this instance's accounting, when instances
   * share their members through Redis (shared-members.ts): there every
   * instance's reports of a peer are one series.
   */
  report?: (member: Member, r: TrafficReport) => void;

  constructor(members: MemberStore) {
    this.members = members;
  }

  admit(passkey: string, now = Date.now()): Admission {
    const member = this.members.byPasskey(passkey, now);
    if (!member) {
      this.refused++;
      return { refused: UNKNOWN_PASSKEY };
    }
    if (member.disabled) {
      this.refused++;
      return { refused: DISABLED_MEMBER };
    }
    return { member };
  }

  /** Accounts one announce of a member's peer. */
  account(member: Member, r: TrafficReport, now = Date.now()): void {
    if (this.report) {
      this.report(member, r);
      return;
    }
    const step = this.#traffic.step(
      `${member.id}:${r.infoHash}:${r.peerId}`,
      r.uploaded,
      r.downloaded,
      now,
      r.stopped,
    );
    if (step.inflated) this.inflated++;
    this.members.account(
      member.id,
      Buffer.from(r.infoHash, "latin1"),
      step.uploaded,
      step.downloaded,
    );
  }
}

/**
 * A member's own copy of a published torrent: its announce URL carries the
 * member's passkey, and the info dictionary is the published one byte for
 * byte (so the info hash does not change). Other top-level keys (comments,
 * other trackers) are left out: a member announces here only.
 */
export function memberTorrent(infoBytes: Uint8Array, announce: string): Buffer {
  const url = Buffer.from(announce, "utf8");
  // Bencode keys in order: "announce" before "info".
  return Buffer.concat([
    Buffer.from(`d8:announce${url.length}:`, "latin1"),
    url,
    Buffer.from("4:info", "latin1"),
    infoBytes,
    Buffer.from("e", "latin1"),
  ]);
}
