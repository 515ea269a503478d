/**
 * Makes a tracker discoverable on the link: a multicast DNS responder
 * (RFC 6762) for one DNS-SD instance (RFC 6763, see tracker-service.ts).
 * It announces the instance when started, answers queries for it (multicast,
 * or unicast to one-shot queriers such as tracker-browser.ts), and
 * says goodbye when stopped.
 *
 * It first probes for its name (RFC 6762 §8.1, name-probe.ts) and refuses to
 * start when another responder answers for it. Not done: a conflict noticed
 * after the start (§9), and the tie-break of simultaneous probes (§8.2).
 */
import type { UdpFamily, UdpNetwork, UdpSocket, UdpSource } from "../net/index.ts";
import {
  type Clock,
  type Logger,
  parseIPv4,
  parseIPv6,
  type RandomSource,
  realClock,
  silentLogger,
  type TimerHandle,
} from "../util/index.ts";
import { decodeMessage, encodeMessage } from "./dns-codec.ts";
import { nameToText, sameName } from "./dns-name.ts";
import {
  DNS_TYPE,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  RESPONSE_FLAGS,
} from "./dns-types.ts";
import { DiscoveryError } from "./errors.ts";
import { LEGACY_UNICAST_TTL, MDNS_GROUP, MDNS_PORT, openMdnsSocket } from "./mdns.ts";
import { probeName } from "./name-probe.ts";
import {
  hostName,
  instanceName,
  SERVICE_TYPES,
  TRACKER_SERVICE,
  type TrackerAddress,
  type TrackerAdvertisement,
  trackerRecords,
} from "./tracker-service.ts";

/** RFC 6762 §8.3: the announcement is sent at least twice, one second apart. */
export const ANNOUNCE_REPEATS = 2;
export const ANNOUNCE_SPACING_MS = 1000;
/** RFC 6762 §6: an answer with shared records waits 20–120 ms, so many responders do not collide. */
const SHARED_DELAY_MS = { min: 20, max: 120 } as const;

export interface TrackerAdvertiserOptions {
  udp: UdpNetwork;
  advertisement: TrackerAdvertisement;
  /** This host's addresses to hand out (read again for every answer: interfaces change). */
  addresses: () => TrackerAddress[];
  /** Families to answer on (default both; an IPv6 socket that cannot join is left out). */
  families?: UdpFamily[];
  /** Probe for the name before announcing it (RFC 6762 §8.1; default true). */
  probe?: boolean;
  /** An address of this host naming the interface to join on (default: the system's choice). */
  iface?: { 4?: string; 6?: string };
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
}

function ipBytes(address: string): Buffer | undefined {
  return address.includes(":") ? parseIPv6(address) : parseIPv4(address);
}

/** Whether `a` and `b` share the first `bits` bits. */
function samePrefix(a: Buffer, b: Buffer, bits: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i & 7);
    if ((a[i >> 3]! & mask) !== (b[i >> 3]! & mask)) return false;
  }
  return true;
}

/**
 * RFC 6762 §11: answer only queriers on the link, so a responder reachable
 * from afar (a tracker on a public address) answers no unicast query from
 * there and cannot be used to amplify traffic. On the link: a loopback or
 * link-local source, or one inside the subnet of one of our addresses; when
 * none of our addresses of its family says its prefix, we cannot tell and
 * take it.
 */
export function onLink(all: readonly TrackerAddress[], querier: string): boolean {
  const from = ipBytes(querier);
  if (!from) return false;
  const v4 = from.length === 4;
  if (v4 ? from[0] === 127 || (from[0] === 169 && from[1] === 254) : isLocalV6(from)) return true;
  const known = all.filter((a) => (a.family === 4) === v4 && a.prefixLength !== undefined);
  if (known.length === 0) return true;
  return known.some((a) => {
    const mine = ipBytes(a.address);
    return mine !== undefined && samePrefix(mine, from, a.prefixLength!);
  });
}

/** ::1, or fe80::/10 (link-local). */
function isLocalV6(b: Buffer): boolean {
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return true;
  return b.subarray(0, 15).every((x) => x === 0) && b[15] === 1;
}

/**
 * RFC 6762 §6.2: answer with the addresses of the interface the query came
 * in on. The socket does not say which that was, so the addresses on the
 * querier's subnet stand in for it; when none is, all of them.
 */
export function addressesFor(all: readonly TrackerAddress[], querier: string): TrackerAddress[] {
  const from = ipBytes(querier);
  const near = from
    ? all.filter((a) => {
        const mine = ipBytes(a.address);
        return (
          mine !== undefined &&
          a.prefixLength !== undefined &&
          samePrefix(mine, from, a.prefixLength)
        );
      })
    : [];
  return near.length > 0 ? near : [...all];
}

export class TrackerAdvertiser {
  readonly #opts: TrackerAdvertiserOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #logger: Logger;
  readonly #sockets: UdpSocket[] = [];
  readonly #timers = new Set<TimerHandle>();
  #stopped = false;
  /** While probing, the name is not ours yet: no answers (RFC 6762 §8.1). */
  #probing = false;

  private constructor(opts: TrackerAdvertiserOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#logger = opts.logger ?? silentLogger;
  }

  /**
   * Joins the group and announces. Rejects (NetError) when IPv4's socket
   * cannot be opened; IPv6's is best effort, as a host may have no IPv6
   * route for ff02::fb.
   */
  static async start(opts: TrackerAdvertiserOptions): Promise<TrackerAdvertiser> {
    const self = new TrackerAdvertiser(opts);
    const families = opts.families ?? [4, 6];
    for (const family of families) {
      try {
        const socket = await openMdnsSocket(opts.udp, family, opts.iface?.[family]);
        socket.on("message", (msg, from) => self.#onMessage(socket, msg, from));
        socket.on("error", (err) =>
          self.#logger.debug("mdns socket error", { error: err.message }),
        );
        self.#sockets.push(socket);
      } catch (err) {
        if (family === 4 || families.length === 1) {
          await self.#closeSockets();
          throw err;
        }
        self.#logger.info("mdns: no IPv6 multicast", { error: (err as Error).message });
      }
    }
    if (opts.probe ?? true) {
      self.#probing = true;
      const all = self.#records(opts.addresses());
      const conflict = await probeName(
        self.#sockets,
        instanceName(opts.advertisement),
        [all.srv, all.txt],
        self.#clock,
      );
      self.#probing = false;
      if (conflict) {
        await self.#closeSockets();
        throw new DiscoveryError(
          "mdns_name_conflict",
          `the name '${opts.advertisement.name}' is taken on the local network ` +
            `(another responder answers for ${nameToText(conflict.name)}); choose another`,
        );
      }
    }
    self.#announce(0);
    return self;
  }

  /** The instance name it answers for. */
  get name(): string {
    return this.#opts.advertisement.name;
  }

  /** The families it answers on. */
  get families(): UdpFamily[] {
    return this.#sockets.map((s) => s.family);
  }

  /** Sends the goodbye (TTL 0, RFC 6762 §10.1) and closes. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    const sent = this.#sockets.map(
      (socket) =>
        new Promise<void>((done) => {
          const all = this.#records(this.#opts.addresses(), 0);
          this.#multicast(socket, [all.ptr, all.srv, all.txt, ...all.addresses], [], done);
        }),
    );
    await Promise.all(sent);
    await this.#closeSockets();
  }

  async #closeSockets(): Promise<void> {
    await Promise.all(this.#sockets.map((s) => s.close()));
  }

  #records(addresses: readonly TrackerAddress[], ttl?: number) {
    return trackerRecords(this.#opts.advertisement, addresses, ttl);
  }

  #later(ms: number, fn: () => void): void {
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      if (!this.#stopped) fn();
    }, ms);
    this.#timers.add(handle);
  }

  /** RFC 6762 §8.3: every record, unsolicited, ANNOUNCE_REPEATS times. */
  #announce(round: number): void {
    for (const socket of this.#sockets) {
      const all = this.#records(this.#opts.addresses());
      this.#multicast(socket, [all.ptr, all.srv, all.txt, ...all.addresses], []);
    }
    if (round + 1 < ANNOUNCE_REPEATS)
      this.#later(ANNOUNCE_SPACING_MS, () => this.#announce(round + 1));
  }

  #multicast(
    socket: UdpSocket,
    answers: DnsRecord[],
    additionals: DnsRecord[],
    sent?: () => void,
  ): void {
    const family = socket.family;
    const msg: DnsMessage = {
      id: 0,
      flags: RESPONSE_FLAGS,
      questions: [],
      answers,
      authorities: [],
      additionals,
    };
    socket.send(encodeMessage(msg), MDNS_PORT, MDNS_GROUP[family], (err) => {
      if (err) this.#logger.debug("mdns send failed", { error: err.message });
      sent?.();
    });
  }

  #onMessage(socket: UdpSocket, bytes: Buffer, from: UdpSource): void {
    if (this.#probing) return;
    let query: DnsMessage;
    try {
      query = decodeMessage(bytes);
    } catch {
      return; // RFC 6762 §18: anything we cannot read is not for us
    }
    // RFC 6762 §18.3, §18.11: only standard queries with no error code.
    if (query.flags.response || query.flags.opcode !== 0 || query.flags.rcode !== 0) return;
    const mine = this.#opts.addresses();
    if (!onLink(mine, from.address)) return;
    const addresses = addressesFor(mine, from.address);
    const { answers, additionals } = this.#answer(query.questions, query.answers, addresses);
    if (answers.length === 0) return;
    if (from.port !== MDNS_PORT) {
      // RFC 6762 §6.7: a one-shot querier gets its answer straight back, with
      // its id and questions, short TTLs and no cache-flush bits.
      const legacy = (r: DnsRecord): DnsRecord => ({
        ...r,
        ttl: Math.min(r.ttl, LEGACY_UNICAST_TTL),
        cacheFlush: false,
      });
      const reply: DnsMessage = {
        id: query.id,
        flags: RESPONSE_FLAGS,
        questions: query.questions,
        answers: answers.map(legacy),
        authorities: [],
        additionals: additionals.map(legacy),
      };
      socket.send(encodeMessage(reply), from.port, from.address, (err) => {
        if (err) this.#logger.debug("mdns send failed", { error: err.message });
      });
      return;
    }
    const wantsUnicast = query.questions.some((q) => q.unicastResponse);
    const send = () => {
      const msg: DnsMessage = {
        id: 0,
        flags: RESPONSE_FLAGS,
        questions: [],
        answers,
        authorities: [],
        additionals,
      };
      // RFC 6762 §5.4: a question with the QU bit may be answered by unicast.
      const to = wantsUnicast ? from.address : MDNS_GROUP[socket.family];
      socket.send(encodeMessage(msg), MDNS_PORT, to, (err) => {
        if (err) this.#logger.debug("mdns send failed", { error: err.message });
      });
    };
    // RFC 6762 §6: only an answer holding a shared record (a PTR, which other
    // responders may answer too) waits; one of unique records goes at once,
    // as a prober waits only 250 ms for it.
    if (!answers.some((r) => r.type === "PTR")) {
      send();
      return;
    }
    const delay =
      SHARED_DELAY_MS.min +
      Math.floor(this.#random() * (SHARED_DELAY_MS.max - SHARED_DELAY_MS.min));
    this.#later(delay, send);
  }

  /** The records answering `questions`, less those the querier says it knows (RFC 6762 §7.1). */
  #answer(
    questions: readonly DnsQuestion[],
    known: readonly DnsRecord[],
    addresses: readonly TrackerAddress[],
  ): { answers: DnsRecord[]; additionals: DnsRecord[] } {
    const ad = this.#opts.advertisement;
    const all = this.#records(addresses);
    const answers: DnsRecord[] = [];
    const add = (r: DnsRecord) => {
      if (!answers.includes(r)) answers.push(r);
    };
    const asks = (q: DnsQuestion, type: number) => q.type === type || q.type === DNS_TYPE.ANY;
    for (const q of questions) {
      if (asks(q, DNS_TYPE.PTR) && sameName(q.name, TRACKER_SERVICE)) add(all.ptr);
      if (asks(q, DNS_TYPE.PTR) && sameName(q.name, SERVICE_TYPES)) add(all.serviceType);
      if (sameName(q.name, instanceName(ad))) {
        if (asks(q, DNS_TYPE.SRV)) add(all.srv);
        if (asks(q, DNS_TYPE.TXT)) add(all.txt);
      }
      if (sameName(q.name, hostName(ad))) {
        for (const a of all.addresses) {
          if (asks(q, a.type === "A" ? DNS_TYPE.A : DNS_TYPE.AAAA)) add(a);
        }
      }
    }
    // Known-answer suppression: a PTR the querier holds with at least half our TTL.
    const suppressed = answers.filter(
      (r) =>
        r.type === "PTR" &&
        known.some(
          (k) =>
            k.type === "PTR" &&
            sameName(k.name, r.name) &&
            sameName(k.target, r.target) &&
            k.ttl >= r.ttl / 2,
        ),
    );
    const kept = answers.filter((r) => !suppressed.includes(r));
    // RFC 6763 §12: with a PTR go the SRV, TXT and addresses; with an SRV the addresses.
    const additionals: DnsRecord[] = [];
    const extra = (r: DnsRecord) => {
      if (!kept.includes(r) && !additionals.includes(r)) additionals.push(r);
    };
    if (kept.includes(all.ptr)) [all.srv, all.txt].forEach(extra);
    if (kept.includes(all.ptr) || kept.includes(all.srv)) all.addresses.forEach(extra);
    return { answers: kept, additionals };
  }
}
