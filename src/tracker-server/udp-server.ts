/**
 * The UDP front end (BEP 15, IPv4 and IPv6). Requests are read straight from
 * the packet at BEP 15's offsets (ids as latin1 strings, no intermediate
 * objects). Nothing is sent back to a packet that is malformed, too large or
 * carries a connection id this tracker did not issue to that address and port:
 * a spoofed source cannot make the tracker send anything but a 16-byte
 * connect reply (BEP 15's design limit).
 */
import {
  createUdpLink,
  type IpFilter,
  type UdpLink,
  type UdpLinkKind,
  type UdpSource,
} from "../net/index.ts";
import {
  encodeErrorResponse,
  FAILURE_REASONS,
  newAnnounceFields,
  normalizeIp,
  parseUdpOptions,
  readU64,
  UDP_ANNOUNCE_LENGTH,
  UDP_EVENTS,
  UDP_MAX_SCRAPE_HASHES,
  UdpAction,
} from "../tracker-proto/index.ts";
import { ipv4Latin1, type Logger, latin1String, readU32BE, writeU32BE } from "../util/index.ts";
import {
  type AnnounceHandler,
  type AnnounceOutcome,
  type AnnounceSource,
  type SharedWaiter,
  STORE_UNAVAILABLE_REASON,
} from "./announce-handler.ts";
import { blockedAnnounce } from "./blocked-address.ts";
import type { ConnectionIds } from "./connection-id.ts";
import type { TrackerMetrics } from "./metrics.ts";
import { type PrivateAccess, passkeyFromPath, passkeyFromQuery } from "./private-access.ts";

const PROTOCOL_ID_HI = 0x417;
const PROTOCOL_ID_LO = 0x27101980;

export interface UdpFrontEndDeps {
  handler: AnnounceHandler;
  ids: ConnectionIds;
  metrics: TrackerMetrics;
  logger: Logger;
  maxPacket: number;
  /** Which datagram transport (net/udp-link.ts); "auto" by default. */
  transport?: UdpLinkKind;
  /** A private tracker's gate (--private): the passkey comes in BEP 41's URL data. */
  access?: PrivateAccess | undefined;
  /** --ip-filter: announces from these addresses are refused. */
  ipFilter?: IpFilter | undefined;
}

/** Over UDP a scrape has no room for BEP 41's options, so no passkey: a private tracker scrapes over HTTP. */
const PRIVATE_UDP_SCRAPE = "this tracker is for members only: scrape over HTTP with your passkey";

/**
 * An announce waiting for the shared store: where its reply goes. Reused: an
 * object per announce that lives a round trip to Redis would outlive the
 * young generation's collections and cost the old generation's.
 */
interface WaitingAnnounce extends UdpSource, SharedWaiter {
  tid: number;
  v4: boolean;
}

/** WaitingAnnounce objects kept for reuse at most. */
const MAX_KEPT_WAITING = 4096;

/** The reply buffer's first size: an announce reply with 50 IPv6 peers fits. */
const REPLY_BUFFER_BYTES = 1024;

export class UdpFrontEnd {
  readonly #deps: UdpFrontEndDeps;
  readonly #fields = newAnnounceFields();
  readonly #source: AnnounceSource = { family: 4, ip: "" };
  #link: UdpLink | undefined;
  /**
   * Connect and announce replies are written here and sent from here: no
   * buffer per reply. The kernel copies a datagram it takes at once, so the
   * buffer is free again as soon as send() returns, unless the datagram had
   * to wait in the socket's send queue; that one keeps it (see #sendReply).
   */
  #reply = Buffer.allocUnsafe(REPLY_BUFFER_BYTES);
  /** Free WaitingAnnounce objects. */
  readonly #waiting: WaitingAnnounce[] = [];

  constructor(deps: UdpFrontEndDeps) {
    this.#deps = deps;
  }

  /** Binds; with no host, one dual-stack IPv6 socket (IPv4-only where IPv6 is missing). */
  async bind(port: number, host: string | undefined): Promise<number> {
    const link = createUdpLink(
      this.#deps.transport ?? "auto",
      (msg, source) => this.#message(msg, source),
      (err) => this.#deps.logger.warn("udp socket error", { err: String(err) }),
    );
    const bound = await link.bind(port, host, 4 << 20);
    this.#link = link;
    return bound;
  }

  close(): Promise<void> {
    const link = this.#link;
    this.#link = undefined;
    return link ? link.close() : Promise.resolve();
  }

  #send(buf: Buffer, rinfo: UdpSource): void {
    this.#link?.send(buf, buf.length, rinfo.port, rinfo.address);
  }

  /** The reply buffer, at least `bytes` long. */
  #replyBuffer(bytes: number): Buffer {
    if (this.#reply.length < bytes) this.#reply = Buffer.allocUnsafe(bytes);
    return this.#reply;
  }

  /** Sends the first `length` bytes of the reply buffer. */
  #sendReply(length: number, rinfo: UdpSource): void {
    const link = this.#link;
    if (!link) return;
    // Queued (the socket buffer was full): that send still reads this buffer.
    if (!link.send(this.#reply, length, rinfo.port, rinfo.address)) {
      this.#reply = Buffer.allocUnsafe(this.#reply.length);
    }
  }

  #message(msg: Buffer, rinfo: UdpSource): void {
    try {
      this.#dispatch(msg, rinfo);
    } catch (err) {
      // A bug must not take the tracker down; the packet is dropped and logged.
      this.#deps.logger.error("udp request failed", { err: String((err as Error)?.stack ?? err) });
    }
  }

  #dispatch(msg: Buffer, rinfo: UdpSource): void {
    const { metrics, ids } = this.#deps;
    if (msg.length < 16 || msg.length > this.#deps.maxPacket) {
      metrics.errors.malformed_packet++;
      return;
    }
    const action = readU32BE(msg, 8);
    if (action === UdpAction.CONNECT) {
      if (readU32BE(msg, 0) !== PROTOCOL_ID_HI || readU32BE(msg, 4) !== PROTOCOL_ID_LO) {
        metrics.errors.malformed_packet++;
        return;
      }
      const out = this.#replyBuffer(16);
      writeU32BE(out, 0, UdpAction.CONNECT);
      writeU32BE(out, 4, readU32BE(msg, 12)); // the transaction id
      ids.issue(rinfo.address, rinfo.port, out, 8);
      metrics.connects++;
      this.#sendReply(16, rinfo);
      return;
    }
    if (action !== UdpAction.ANNOUNCE && action !== UdpAction.SCRAPE) {
      metrics.errors.malformed_packet++;
      return;
    }
    if (!ids.verify(rinfo.address, rinfo.port, msg, 0)) {
      metrics.errors.bad_connection_id++;
      return;
    }
    if (!this.#setSource(rinfo)) {
      metrics.errors.malformed_packet++;
      return;
    }
    if (action === UdpAction.ANNOUNCE) this.#announce(msg, rinfo);
    else this.#scrape(msg, rinfo);
  }

  #setSource(rinfo: UdpSource): boolean {
    const src = this.#source;
    if (rinfo.family === "IPv4") {
      const ip = ipv4Latin1(rinfo.address);
      if (!ip) return false;
      src.family = 4;
      src.ip = ip;
      return true;
    }
    const addr = normalizeIp(rinfo.address);
    if (!addr) return false;
    src.family = addr.family;
    src.ip = addr.bytes.toString("latin1");
    return true;
  }

  #announce(msg: Buffer, rinfo: UdpSource): void {
    const { metrics, handler } = this.#deps;
    const tid = readU32BE(msg, 12);
    const eventCode = readU32BE(msg, 80);
    if (msg.length < UDP_ANNOUNCE_LENGTH || eventCode >= UDP_EVENTS.length) {
      metrics.errors.malformed_packet++;
      return;
    }
    const f = this.#fields;
    f.infoHash = latin1String(msg, 16, 20);
    f.peerId = latin1String(msg, 36, 20);
    f.downloaded = readU64(msg, 56);
    f.left = readU64(msg, 64);
    f.uploaded = readU64(msg, 72);
    f.event = UDP_EVENTS[eventCode]!;
    const ip = readU32BE(msg, 84);
    f.ip = ip === 0 ? "" : `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    f.key = "";
    // BEP 15's key: who may act for this peer id (peer-owner.ts).
    f.keyValue = readU32BE(msg, 88);
    const numwant = readU32BE(msg, 92) | 0;
    f.numwant = numwant < 0 ? -1 : numwant;
    f.port = (msg[96]! << 8) | msg[97]!;
    f.compact = true;
    const blocked = blockedAnnounce(this.#deps.ipFilter, metrics, rinfo.address);
    if (blocked) {
      this.#send(encodeErrorResponse(tid, blocked), rinfo);
      return;
    }
    // BEP 41 options (from byte 98): URLData, a private tracker's passkey.
    const access = this.#deps.access;
    let member: ReturnType<PrivateAccess["admit"]> | undefined;
    if (access) {
      const url = parseUdpOptions(msg).urlData ?? "";
      const q = url.indexOf("?");
      const path = q < 0 ? url : url.slice(0, q);
      const passkey =
        passkeyFromPath(path, "/announce") || passkeyFromQuery(q < 0 ? "" : url.slice(q + 1));
      member = access.admit(passkey);
      if ("refused" in member) {
        this.#send(encodeErrorResponse(tid, member.refused), rinfo);
        return;
      }
    }
    if (f.port === 0) {
      metrics.errors.bad_request++;
      this.#send(encodeErrorResponse(tid, FAILURE_REASONS.invalid_port), rinfo);
      return;
    }
    if (member && "member" in member) {
      access!.account(member.member, {
        infoHash: f.infoHash,
        peerId: f.peerId,
        uploaded: f.uploaded,
        downloaded: f.downloaded,
        stopped: f.event === "stopped",
      });
    }
    const source = this.#source;
    if (handler.shared) {
      // The reply waits for the shared store: keep what the link may reuse.
      const to = this.#waiting.pop() ?? {
        address: "",
        port: 0,
        family: "IPv4",
        tid: 0,
        v4: true,
        done: this.#sharedReply,
      };
      to.address = rinfo.address;
      to.port = rinfo.port;
      to.family = rinfo.family;
      to.tid = tid;
      to.v4 = source.family === 4;
      handler.announceSharedTo(f, source, "udp", to);
      return;
    }
    this.#announceReply(handler.announce(f, source, "udp"), tid, rinfo, source.family === 4);
  }

  /** The shared store's outcome of an announce, sent to whoever is waiting for it. */
  readonly #sharedReply = (w: SharedWaiter, out: AnnounceOutcome | null, err: unknown) => {
    const to = w as WaitingAnnounce;
    if (out === null) this.#failed(err);
    else this.#announceReply(out, to.tid, to, to.v4);
    // Kept for the next announce (a few, however many waited at once).
    if (this.#waiting.length < MAX_KEPT_WAITING) this.#waiting.push(to);
  };

  #failed(err: unknown): void {
    this.#deps.logger.error("udp request failed", { err: String((err as Error)?.stack ?? err) });
  }

  #announceReply(out: AnnounceOutcome, tid: number, rinfo: UdpSource, v4: boolean): void {
    if (out.failure !== null) {
      this.#send(encodeErrorResponse(tid, out.failure), rinfo);
      return;
    }
    const bytes = v4 ? 6 * out.count4 : 18 * out.count6;
    const res = this.#replyBuffer(20 + bytes);
    writeU32BE(res, 0, UdpAction.ANNOUNCE);
    writeU32BE(res, 4, tid);
    writeU32BE(res, 8, out.interval);
    writeU32BE(res, 12, out.incomplete >>> 0);
    writeU32BE(res, 16, out.complete >>> 0);
    (v4 ? out.compact4 : out.compact6).copy(res, 20, 0, bytes);
    this.#sendReply(20 + bytes, rinfo);
  }

  #scrape(msg: Buffer, rinfo: UdpSource): void {
    const { metrics, handler } = this.#deps;
    if (this.#deps.access) {
      this.#send(encodeErrorResponse(readU32BE(msg, 12), PRIVATE_UDP_SCRAPE), rinfo);
      return;
    }
    const count = Math.min(Math.floor((msg.length - 16) / 20), UDP_MAX_SCRAPE_HASHES);
    if (count < 1) {
      metrics.errors.malformed_packet++;
      return;
    }
    metrics.scrapes.udp++;
    const res = Buffer.allocUnsafe(8 + 12 * count);
    writeU32BE(res, 0, UdpAction.SCRAPE);
    const tid = readU32BE(msg, 12);
    writeU32BE(res, 4, tid);
    if (handler.shared) {
      const keys: string[] = [];
      for (let i = 0; i < count; i++) keys.push(latin1String(msg, 16 + 20 * i, 20));
      const to = { address: rinfo.address, port: rinfo.port, family: rinfo.family };
      handler.scrapeShared(keys).then(
        (all) => {
          if (all === null) {
            this.#send(encodeErrorResponse(tid, STORE_UNAVAILABLE_REASON), to);
            return;
          }
          for (let i = 0; i < count; i++) {
            const s = all[i]!;
            writeU32BE(res, 8 + 12 * i, s.complete >>> 0);
            writeU32BE(res, 12 + 12 * i, s.downloaded >>> 0);
            writeU32BE(res, 16 + 12 * i, s.incomplete >>> 0);
          }
          this.#send(res, to);
        },
        (err: unknown) => this.#failed(err),
      );
      return;
    }
    for (let i = 0; i < count; i++) {
      const s = handler.scrape(latin1String(msg, 16 + 20 * i, 20));
      writeU32BE(res, 8 + 12 * i, s.complete >>> 0);
      writeU32BE(res, 12 + 12 * i, s.downloaded >>> 0);
      writeU32BE(res, 16 + 12 * i, s.incomplete >>> 0);
    }
    this.#send(res, rinfo);
  }
}
