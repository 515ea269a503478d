/**
 * Peer exchange (BEP 11, `ut_pex`) for one torrent: each connection that
 * speaks it hears, at most once a minute, which peers we connected to or
 * lost since we last told it, and what it tells us joins the candidate
 * list with "pex" as its source.
 *
 * Sending: the first message lists our current peers (up to
 * MAX_ADDED_FIRST, libtorrent's `max_peer_entries`), later ones the
 * difference from what that connection was told, at most MAX_ADDED added
 * and MAX_DROPPED dropped (BEP 11: 50 each after the first message;
 * Transmission's `MaxPexPeerCount` is 50 too). What did not fit goes next
 * time. Nothing is sent when nothing changed.
 *
 * Receiving: a malformed or oversized message is dropped and the
 * connection stays. A peer that sends more than FLOOD_MESSAGES within
 * FLOOD_WINDOW_MS is flooding (libtorrent counts six back for the same
 * reason: a rate-limited socket may deliver a minute's messages at once)
 * and its PEX is ignored for the rest of the connection. One connection
 * contributes at most MAX_LEARNT_PER_CONNECTION addresses, so no single
 * PEX source fills the candidate list (BEP 11, security considerations);
 * duplicate addresses are ignored, as are local ones from a peer that is
 * not local itself (as libtorrent does). The rest goes through the same
 * ban and port checks as a tracker's peers, into the bounded list.
 *
 * BEP 27: the torrent decides whether PEX is allowed (never for a private
 * torrent); while it is not, nothing is sent and nothing is learnt.
 */
import type { ExtensionHandler, ExtensionPeer } from "../peer/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import {
  type Clock,
  formatIPv4,
  formatIPv6,
  type Logger,
  type TimerHandle,
} from "../util/index.ts";
import {
  decodePex,
  encodePex,
  type PexAddedContact,
  type PexContact,
  PexFlags,
  type PexMessage,
} from "../wire/index.ts";
import { PEX_EXTENSION } from "./extension-names.ts";
import { canonicalIp, contactKey, contactOf, isLocalAddress } from "./pex-contacts.ts";
import { banKey, type SwarmPeer } from "./swarm-peer.ts";

export { PEX_EXTENSION };
/** BEP 11: no more than one PEX message per minute. */
export const PEX_INTERVAL_MS = 60_000;
/** The first message waits for the connections made at start to settle (BEP 11 allows waiting). */
export const PEX_FIRST_DELAY_MS = 2_000;
/** Contacts in the first message (libtorrent's `max_peer_entries`). */
export const MAX_ADDED_FIRST = 100;
/** BEP 11: after the first message, at most 50 added and 50 dropped (both families together). */
export const MAX_ADDED = 50;
export const MAX_DROPPED = 50;
/** Messages a peer may send within FLOOD_WINDOW_MS before it counts as flooding. */
export const FLOOD_MESSAGES = 6;
export const FLOOD_WINDOW_MS = 60_000;
/** Addresses one connection's PEX may give us (libtorrent's `max_pex_peers` is 50; we take 200). */
export const MAX_LEARNT_PER_CONNECTION = 200;
/** Addresses whose uTP flag we remember to pass on. */
const MAX_UTP_REMEMBERED = 2_000;

export interface PexHost {
  clock: Clock;
  logger: Logger;
  /** The torrent's connections. */
  peers(): Iterable<SwarmPeer>;
  /** Addresses heard from a peer's PEX (`seed`: its flag said so): to the candidate list, through the ban checks. */
  learn(addresses: (PeerAddress & { seed: boolean })[]): void;
  /** PEX may run now (a public torrent, BEP 27, that is running). */
  allowed(): boolean;
  /** Our listen port: a contact at it, on the address a peer says we have, is us. */
  listenPort?: number;
}

/** PEX with one connection. */
interface PexLink {
  readonly conn: ExtensionPeer;
  /** What this connection was told is connected, by contactKey. */
  readonly told: Map<string, PexContact>;
  /** Nothing was sent yet: the next message is the full list. */
  first: boolean;
  timer: TimerHandle | undefined;
  /** Clock times of their recent messages (at most FLOOD_MESSAGES). */
  readonly arrivals: number[];
  /** They flooded: their PEX is ignored from now on. */
  ignored: boolean;
  /** Addresses learnt from them (dedupe keys), bounded. */
  readonly learnt: Set<string>;
}

export class PeerExchange implements ExtensionHandler {
  readonly #host: PexHost;
  readonly #links = new Map<ExtensionPeer, PexLink>();
  /** Addresses heard (by PEX) to speak uTP: BEP 11's flag, passed on. */
  readonly #utp = new Set<string>();

  constructor(host: PexHost) {
    this.#host = host;
  }

  /** Connections we exchange peers with now. */
  get links(): number {
    return this.#links.size;
  }

  onHandshake(conn: ExtensionPeer): void {
    const link = this.#links.get(conn);
    if (!conn.supportsExtension(PEX_EXTENSION)) {
      // BEP 10: a later handshake may switch it off (id 0).
      if (link) this.#unlink(link);
      return;
    }
    if (link) return;
    const fresh: PexLink = {
      conn,
      told: new Map(),
      first: true,
      timer: undefined,
      arrivals: [],
      ignored: false,
      learnt: new Set(),
    };
    this.#links.set(conn, fresh);
    this.#schedule(fresh, PEX_FIRST_DELAY_MS);
  }

  onClose(conn: ExtensionPeer): void {
    const link = this.#links.get(conn);
    if (link) this.#unlink(link);
  }

  onMessage(conn: ExtensionPeer, payload: Buffer): void {
    // Only from a connection whose handshake named ut_pex, while PEX is allowed.
    const link = this.#links.get(conn);
    if (!link || link.ignored || !this.#host.allowed()) return;
    if (this.#flooding(link, this.#host.clock.now())) {
      link.ignored = true;
      this.#host.logger.debug("pex flood: the peer's pex is ignored", { peer: this.#name(conn) });
      return;
    }
    let message: PexMessage;
    try {
      message = decodePex(payload);
    } catch (err) {
      // The data is dropped; the connection stays (its pieces may still be of use).
      this.#host.logger.debug("pex message ignored", {
        peer: this.#name(conn),
        error: (err as Error).message,
      });
      return;
    }
    this.#learn(link, message);
  }

  /** The message FLOOD_MESSAGES back came within the window too (as libtorrent counts). */
  #flooding(link: PexLink, now: number): boolean {
    const a = link.arrivals;
    const flood = a.length === FLOOD_MESSAGES && now - a[0]! < FLOOD_WINDOW_MS;
    a.push(now);
    if (a.length > FLOOD_MESSAGES) a.shift();
    return flood;
  }

  #learn(link: PexLink, { added, dropped }: PexMessage): void {
    const { learnt, conn } = link;
    for (const c of dropped) {
      const ip = canonicalIp(c.ip);
      if (ip !== undefined) learnt.delete(banKey(ip, c.port));
    }
    const senderLocal = conn.remoteAddress !== undefined && isLocalAddress(conn.remoteAddress);
    const self = this.#self(conn);
    const fresh: (PeerAddress & { seed: boolean })[] = [];
    for (const c of added) {
      if (learnt.size >= MAX_LEARNT_PER_CONNECTION) break;
      const ip = canonicalIp(c.ip);
      if (ip === undefined || c.port === 0) continue;
      if (isLocalAddress(ip) && !senderLocal) continue;
      // libtorrent's list names the peer it goes to: not worth a dial to ourselves.
      if (self !== undefined && contactKey({ ip, port: c.port }) === self) continue;
      // BEP 11: one address with several ports is one peer (on loopback the port tells peers apart).
      const key = banKey(ip, c.port);
      if (learnt.has(key)) continue;
      learnt.add(key);
      if (c.flags & PexFlags.utp) this.#rememberUtp(contactKey({ ip, port: c.port }));
      fresh.push({ ip, port: c.port, seed: (c.flags & PexFlags.seed) !== 0 });
    }
    this.#host.logger.debug("pex message", {
      peer: this.#name(conn),
      added: added.length,
      dropped: dropped.length,
      learnt: fresh.map((a) => contactKey(a)),
    });
    if (fresh.length > 0) this.#host.learn(fresh);
  }

  /** Our contact as this peer sees us: BEP 10 `yourip` and our listen port. */
  #self(conn: ExtensionPeer): string | undefined {
    const port = this.#host.listenPort;
    const yourip = conn.peerExtendedHandshake?.yourip;
    if (port === undefined || !yourip) return undefined;
    const ip = canonicalIp(yourip.length === 4 ? formatIPv4(yourip) : formatIPv6(yourip));
    return ip === undefined ? undefined : contactKey({ ip, port });
  }

  #rememberUtp(key: string): void {
    if (this.#utp.has(key)) return;
    if (this.#utp.size >= MAX_UTP_REMEMBERED) {
      const oldest = this.#utp.values().next().value;
      if (oldest !== undefined) this.#utp.delete(oldest);
    }
    this.#utp.add(key);
  }

  #schedule(link: PexLink, ms: number): void {
    link.timer = this.#host.clock.setTimeout(() => {
      link.timer = undefined;
      if (this.#links.get(link.conn) !== link) return;
      // Not now (a magnet link's torrent checking its data): ask again next minute.
      if (this.#host.allowed()) this.#send(link);
      this.#schedule(link, PEX_INTERVAL_MS);
    }, ms);
  }

  #unlink(link: PexLink): void {
    if (link.timer) this.#host.clock.clearTimeout(link.timer);
    link.timer = undefined;
    this.#links.delete(link.conn);
  }

  /** Our peers now, as contacts, leaving out the connection being told. */
  #current(to: ExtensionPeer): Map<string, PexAddedContact> {
    const out = new Map<string, PexAddedContact>();
    for (const peer of this.#host.peers()) {
      if (peer.conn === to) continue;
      const contact = contactOf(peer);
      if (!contact) continue;
      const key = contactKey(contact);
      // A positive-only flag: passed on as heard (our own connections are TCP).
      if (this.#utp.has(key)) contact.flags |= PexFlags.utp;
      out.set(key, contact);
    }
    return out;
  }

  #send(link: PexLink): void {
    const current = this.#current(link.conn);
    const maxAdded = link.first ? MAX_ADDED_FIRST : MAX_ADDED;
    const added: PexAddedContact[] = [];
    const dropped: PexContact[] = [];
    for (const [key, c] of current) {
      if (added.length >= maxAdded) break;
      if (!link.told.has(key)) added.push(c);
    }
    for (const [key, c] of link.told) {
      if (dropped.length >= MAX_DROPPED) break;
      if (!current.has(key)) dropped.push(c);
    }
    if (added.length === 0 && dropped.length === 0) return;
    if (!link.conn.sendExtension(PEX_EXTENSION, encodePex({ added, dropped }))) return;
    link.first = false;
    for (const c of added) link.told.set(contactKey(c), { ip: c.ip, port: c.port });
    for (const c of dropped) link.told.delete(contactKey(c));
  }

  #name(conn: ExtensionPeer): string {
    return `${conn.remoteAddress ?? "?"}:${conn.remotePort ?? 0}`;
  }
}
