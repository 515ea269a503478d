/**
 * Drivers for the peer sources' datagrams: KRPC (BEP 5 DHT, with BEP 32, 42,
 * 43), local service discovery announces (BEP 14) and the DNS messages of
 * DNS-SD over multicast DNS (RFC 1035, 6762, 6763).
 */
import { decodeKrpc, encodeKrpc, isRefusal } from "../../../src/dht/index.ts";
import {
  DNS_TYPE,
  decodeMessage as decodeDns,
  decodeLsdAnnounce,
  encodeMessage as encodeDns,
  encodeLsdAnnounce,
  nameFromText,
} from "../../../src/discovery/index.ts";
import { asInfoHash } from "../../../src/util/index.ts";
import type { Driver } from "../driver.ts";
import { outcome, REFUSED } from "./outcome.ts";

const ID = Buffer.alloc(20, 0x42);

export const krpcDriver: Driver = {
  name: "krpc",
  seeds: () => [
    encodeKrpc({ y: "q", q: "ping", t: Buffer.from("aa"), id: ID } as never),
    encodeKrpc({ y: "q", q: "get_peers", t: Buffer.from("ab"), id: ID, infoHash: ID } as never),
    encodeKrpc({
      y: "q",
      q: "announce_peer",
      t: Buffer.from("ac"),
      id: ID,
      infoHash: ID,
      port: 6881,
      impliedPort: true,
      token: Buffer.from("tok"),
    } as never),
    Buffer.from(
      "d1:rd2:id20:BBBBBBBBBBBBBBBBBBBB5:nodes26:AAAAAAAAAAAAAAAAAAAA\x7f\x00\x00\x01\x1a\xe15:token3:tok6:valuesl6:\x7f\x00\x00\x01\x1a\xe1ee1:t2:aa1:y1:re",
      "latin1",
    ),
    Buffer.from("d1:eli201e7:A Errore1:t2:aa1:y1:ee", "latin1"),
  ],
  corpus: [{ dir: "wire/rqbit/dht" }],
  maxLength: 2048,
  run(input) {
    const m = decodeKrpc(input);
    if (isRefusal(m)) return REFUSED + m.error.code;
    // What we read, we can write (a node echoes and forwards what it reads).
    encodeKrpc(m);
    return m.y === "q" ? m.q : m.y;
  },
};

export const lsdDriver: Driver = {
  name: "lsd",
  seeds: () => [
    encodeLsdAnnounce({
      host: "239.192.152.143:6771",
      port: 6881,
      infoHashes: [asInfoHash(Buffer.alloc(20, 1)), asInfoHash(Buffer.alloc(20, 2))],
      cookie: "abc123",
    }),
  ],
  maxLength: 8192,
  run: (input) => outcome(() => decodeLsdAnnounce(input)),
};

export const dnsDriver: Driver = {
  name: "dns",
  seeds: () => {
    const service = nameFromText("_bittorrent-tracker._tcp.local");
    const instance = ["Tracker 2.0", ...service];
    const host = nameFromText("lab.local");
    const base = { ttl: 120, cacheFlush: false };
    const flags = {
      response: true,
      opcode: 0,
      authoritative: true,
      truncated: false,
      recursionDesired: false,
      recursionAvailable: false,
      rcode: 0,
    };
    return [
      encodeDns({
        id: 0,
        flags,
        questions: [{ name: service, type: DNS_TYPE.PTR, unicastResponse: true }],
        answers: [{ ...base, name: service, type: "PTR", target: instance }],
        authorities: [],
        additionals: [
          {
            ...base,
            name: instance,
            type: "SRV",
            priority: 0,
            weight: 0,
            port: 6969,
            target: host,
          },
          { ...base, name: instance, type: "TXT", strings: [Buffer.from("path=/announce")] },
          { ...base, name: host, type: "A", address: "10.231.0.1" },
          { ...base, cacheFlush: true, name: host, type: "AAAA", address: "fe80::1" },
          { ...base, name: host, type: "other", code: 47, class: 1, data: Buffer.from([0, 1, 2]) },
        ],
      }),
    ];
  },
  maxLength: 9000,
  run(input) {
    return outcome(() => {
      const msg = decodeDns(input);
      // A responder answers with what it read: it must encode again.
      encodeDns(msg);
    });
  },
};
