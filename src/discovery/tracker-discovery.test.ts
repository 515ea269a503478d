import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { loadMemoryNetwork, type UdpSource } from "../net/index.ts";
import { FakeClock } from "../util/index.ts";
import { decodeMessage, encodeMessage } from "./dns-codec.ts";
import { nameFromText } from "./dns-name.ts";
import { DNS_TYPE, type DnsMessage, type DnsRecord, QUERY_FLAGS } from "./dns-types.ts";
import { DiscoveryError } from "./errors.ts";
import { MDNS_GROUP, MDNS_PORT, openMdnsSocket } from "./mdns.ts";
import { PROBE_COUNT, PROBE_SPACING_MS } from "./name-probe.ts";
import { addressesFor, onLink, TrackerAdvertiser } from "./tracker-advertiser.ts";
import { browseTrackers } from "./tracker-browser.ts";
import { TRACKER_SERVICE, type TrackerAdvertisement } from "./tracker-service.ts";

const { MemoryUdpNetwork } = await loadMemoryNetwork();
type MemoryUdpNetwork = InstanceType<typeof MemoryUdpNetwork>;

const AD: TrackerAdvertisement = {
  name: "lab tracker",
  host: "lab-pc",
  port: 6969,
  udp: true,
  index: true,
};

function describeRecord(r: DnsRecord): string {
  const name = r.name.join(".");
  const data =
    r.type === "PTR"
      ? r.target.join(".")
      : r.type === "SRV"
        ? `${r.port} ${r.target.join(".")}`
        : r.type === "TXT"
          ? r.strings.map(String).join(" ")
          : r.type === "A" || r.type === "AAAA"
            ? r.address
            : r.code;
  return `${name} ${r.type} ${r.ttl}${r.cacheFlush ? "!" : ""} ${data}`;
}

/** Every mDNS message the group carries, as seen by a listener on `host`. */
async function groupListener(net: MemoryUdpNetwork, address: string) {
  const socket = await openMdnsSocket(net.host(address), 4, undefined);
  const seen: { msg: DnsMessage; from: UdpSource }[] = [];
  socket.on("message", (bytes, from) => seen.push({ msg: decodeMessage(bytes), from }));
  return { socket, seen };
}

function query(
  name = TRACKER_SERVICE,
  type: number = DNS_TYPE.PTR,
  id = 0x4242,
  known: DnsRecord[] = [],
): Buffer {
  return encodeMessage({
    id,
    flags: QUERY_FLAGS,
    questions: [{ name, type, unicastResponse: false }],
    answers: known,
    authorities: [],
    additionals: [],
  });
}

/** Lets a start with a FakeClock run its probes (RFC 6762 §8.1) to the end. */
async function started(clock: FakeClock, starting: Promise<TrackerAdvertiser>) {
  for (let i = 0; i < 5; i++) await tick(); // the sockets bound, the first probe sent
  clock.advance(PROBE_COUNT * PROBE_SPACING_MS);
  return starting;
}

describe("TrackerAdvertiser", () => {
  it("announces every record twice, a second apart, and says goodbye when stopped (RFC 6762 §8.3, §10.1)", async () => {
    const clock = new FakeClock();
    const net = new MemoryUdpNetwork({ clock });
    const listener = await groupListener(net, "10.231.15.9");
    const host = net.host("10.231.15.1");
    const ad = await started(
      clock,
      TrackerAdvertiser.start({
        udp: host,
        advertisement: AD,
        addresses: () => [{ address: "10.231.15.1", family: 4, prefixLength: 24 }],
        clock,
        families: [4],
      }),
    );
    clock.advance(0);
    // §8.1: three probes first, 250 ms apart: the name, any type, QU; the records proposed.
    const probes = listener.seen.filter((s) => !s.msg.flags.response);
    assert.equal(probes.length, 3);
    assert.deepEqual(probes[0]!.msg.questions, [
      { name: ["lab tracker", ...TRACKER_SERVICE], type: DNS_TYPE.ANY, unicastResponse: true },
    ]);
    assert.deepEqual(
      probes[0]!.msg.authorities.map((r) => r.type),
      ["SRV", "TXT"],
    );
    listener.seen.splice(
      0,
      listener.seen.length,
      ...listener.seen.filter((s) => s.msg.flags.response),
    );
    assert.equal(listener.seen.length, 1);
    const first = listener.seen[0]!;
    assert.deepEqual(first.from, { address: "10.231.15.1", port: MDNS_PORT, family: "IPv4" });
    assert.deepEqual(first.msg.answers.map(describeRecord), [
      "_bittorrent-tracker._tcp.local PTR 4500 lab tracker._bittorrent-tracker._tcp.local",
      "lab tracker._bittorrent-tracker._tcp.local SRV 120! 6969 lab-pc.local",
      "lab tracker._bittorrent-tracker._tcp.local TXT 4500! txtvers=1 name=lab tracker " +
        "announce=http://lab-pc.local:6969/announce udp=udp://lab-pc.local:6969/announce index=http://lab-pc.local:6969",
      "lab-pc.local A 120! 10.231.15.1",
    ]);
    clock.advance(999);
    assert.equal(listener.seen.length, 1);
    clock.advance(1);
    assert.equal(listener.seen.length, 2, "the second announcement");
    clock.advance(10_000);
    assert.equal(listener.seen.length, 2, "and no more");
    const stopping = ad.stop();
    clock.advance(0);
    await stopping;
    assert.equal(listener.seen.length, 3);
    assert.ok(
      listener.seen[2]!.msg.answers.every((r) => r.ttl === 0),
      "goodbye: TTL 0",
    );
    await listener.socket.close();
  });

  it("answers a one-shot query straight to the asker with its id and question, TTLs at most 10 s (§6.7)", async () => {
    const net = new MemoryUdpNetwork();
    const ad = await TrackerAdvertiser.start({
      udp: net.host("10.231.15.1"),
      advertisement: AD,
      addresses: () => [{ address: "10.231.15.1", family: 4 }],
      families: [4],
    });
    const asker = net.host("10.231.15.2").createSocket(4);
    const got: DnsMessage[] = [];
    asker.on("message", (bytes, from) => {
      assert.equal(from.port, MDNS_PORT);
      got.push(decodeMessage(bytes));
    });
    asker.send(query(), MDNS_PORT, MDNS_GROUP[4]);
    // Not for us: another service, a response, junk.
    asker.send(query(nameFromText("_http._tcp.local")), MDNS_PORT, MDNS_GROUP[4]);
    asker.send(Buffer.from("not dns"), MDNS_PORT, MDNS_GROUP[4]);
    await tick();
    await tick();
    assert.equal(got.length, 1);
    const reply = got[0]!;
    assert.equal(reply.id, 0x4242);
    assert.deepEqual(reply.questions, [
      { name: TRACKER_SERVICE, type: DNS_TYPE.PTR, unicastResponse: false },
    ]);
    assert.deepEqual(reply.answers.map(describeRecord), [
      "_bittorrent-tracker._tcp.local PTR 10 lab tracker._bittorrent-tracker._tcp.local",
    ]);
    assert.deepEqual(
      reply.additionals.map((r) => `${r.type} ${r.ttl}${r.cacheFlush ? "!" : ""}`),
      ["SRV 10", "TXT 10", "A 10"],
      "SRV, TXT and the address ride along (RFC 6763 §12.1)",
    );
    await ad.stop();
  });

  it("answers a querier on port 5353 by multicast after 20–120 ms, and honours known answers (§6, §7.1)", async () => {
    const clock = new FakeClock();
    const net = new MemoryUdpNetwork({ clock });
    const ad = await started(
      clock,
      TrackerAdvertiser.start({
        udp: net.host("10.231.15.1"),
        advertisement: AD,
        addresses: () => [{ address: "10.231.15.1", family: 4 }],
        families: [4],
        clock,
        random: () => 0.5,
      }),
    );
    const peer = await groupListener(net, "10.231.15.3");
    clock.advance(2000); // the announcements
    peer.seen.length = 0;
    peer.socket.send(query(nameFromText("_services._dns-sd._udp.local")), MDNS_PORT, MDNS_GROUP[4]);
    clock.advance(0);
    const fromTracker = () => peer.seen.filter((s) => s.from.address === "10.231.15.1");
    assert.equal(fromTracker().length, 0, "not at once");
    clock.advance(70);
    assert.deepEqual(fromTracker()[0]?.msg.answers.map(describeRecord), [
      "_services._dns-sd._udp.local PTR 4500 _bittorrent-tracker._tcp.local",
    ]);
    const ptr = fromTracker()[0]!;
    assert.equal(ptr.msg.id, 0);
    // A querier that already holds the PTR with most of its TTL hears nothing.
    const known: DnsRecord = {
      name: TRACKER_SERVICE,
      ttl: 4000,
      cacheFlush: false,
      type: "PTR",
      target: ["lab tracker", ...TRACKER_SERVICE],
    };
    peer.socket.send(query(TRACKER_SERVICE, DNS_TYPE.PTR, 0, [known]), MDNS_PORT, MDNS_GROUP[4]);
    clock.advance(200);
    assert.equal(fromTracker().length, 1);
    // Questions for the SRV and TXT (unique records: answered at once), case aside.
    peer.socket.send(
      query(nameFromText("LAB TRACKER._bittorrent-tracker._tcp.local"), DNS_TYPE.ANY),
      MDNS_PORT,
      MDNS_GROUP[4],
    );
    clock.advance(0);
    assert.deepEqual(
      fromTracker()[1]?.msg.answers.map((r) => r.type),
      ["SRV", "TXT"],
    );
    assert.deepEqual(
      fromTracker()[1]?.msg.additionals.map((r) => r.type),
      ["A"],
    );
    const stopping = ad.stop();
    clock.advance(0);
    await stopping;
    await peer.socket.close();
  });

  it("refuses a name another responder already answers for (§8.1 probing)", async () => {
    const net = new MemoryUdpNetwork();
    const first = await TrackerAdvertiser.start({
      udp: net.host("10.231.15.1"),
      advertisement: AD,
      addresses: () => [{ address: "10.231.15.1", family: 4 }],
      families: [4],
    });
    const start = (address: string, name: string) =>
      TrackerAdvertiser.start({
        udp: net.host(address),
        advertisement: { ...AD, name, host: "other", port: 7000 },
        addresses: () => [{ address, family: 4 }],
        families: [4],
      });
    await assert.rejects(start("10.231.15.2", "LAB TRACKER"), (err) => {
      assert.ok(err instanceof DiscoveryError);
      assert.equal(err.code, "mdns_name_conflict");
      assert.equal(
        err.message,
        "the name 'LAB TRACKER' is taken on the local network (another responder answers for lab tracker._bittorrent-tracker._tcp.local); choose another",
      );
      return true;
    });
    const other = await start("10.231.15.3", "lab tracker 2");
    assert.deepEqual(
      // Browses that must hear answers get 1.5 s on this real clock (answers may wait
      // 20-120 ms, RFC 6762 §6): a short window lost them when a loaded machine ran late.
      (await browseTrackers({ udp: net.host("10.231.15.4"), timeoutMs: 1500 })).map((t) => t.name),
      ["lab tracker", "lab tracker 2"],
    );
    await other.stop();
    await first.stop();
  });

  it("answers queriers on the link only (§11): a unicast query from afar gets nothing", async () => {
    const net = new MemoryUdpNetwork();
    const ad = await TrackerAdvertiser.start({
      udp: net.host("10.231.15.1", "192.0.2.1"),
      advertisement: AD,
      addresses: () => [{ address: "10.231.15.1", family: 4, prefixLength: 24 }],
      families: [4],
    });
    const replies: string[] = [];
    for (const address of ["10.231.15.2", "198.51.100.7"]) {
      const asker = net.host(address).createSocket(4);
      asker.on("message", () => replies.push(address));
      // Straight to the tracker's address, as a host anywhere could send it.
      asker.send(query(), MDNS_PORT, address.startsWith("10.") ? "10.231.15.1" : "192.0.2.1");
    }
    await tick();
    await tick();
    assert.deepEqual(replies, ["10.231.15.2"]);
    const all = [
      { address: "10.231.15.1", family: 4 as const, prefixLength: 24 },
      { address: "fd00::1", family: 6 as const },
    ];
    assert.equal(onLink(all, "10.231.15.200"), true);
    assert.equal(onLink(all, "10.231.16.1"), false);
    assert.equal(onLink(all, "169.254.3.4"), true, "IPv4 link-local");
    assert.equal(onLink(all, "fe80::1"), true, "IPv6 link-local");
    assert.equal(onLink(all, "2001:db8::1"), true, "no IPv6 prefix known: cannot tell");
    assert.equal(onLink(all, "not an address"), false);
    await ad.stop();
  });

  it("hands out the addresses on the querier's subnet (§6.2)", () => {
    const all = [
      { address: "10.231.15.1", family: 4 as const, prefixLength: 24 },
      { address: "192.168.1.7", family: 4 as const, prefixLength: 16 },
      { address: "fd00::7", family: 6 as const, prefixLength: 64 },
    ];
    assert.deepEqual(
      addressesFor(all, "10.231.15.200").map((a) => a.address),
      ["10.231.15.1"],
    );
    assert.deepEqual(
      addressesFor(all, "192.168.44.2").map((a) => a.address),
      ["192.168.1.7"],
    );
    assert.deepEqual(
      addressesFor(all, "fd00::99").map((a) => a.address),
      ["fd00::7"],
    );
    assert.equal(addressesFor(all, "172.16.0.1").length, 3, "no subnet matches: all");
  });
});

describe("browseTrackers", () => {
  it("lists every tracker on the link by name, its URLs at an address it gave", async () => {
    const net = new MemoryUdpNetwork();
    const a = await TrackerAdvertiser.start({
      udp: net.host("10.231.15.1", "fd00::1"),
      advertisement: AD,
      addresses: () => [
        { address: "fd00::1", family: 6 },
        { address: "10.231.15.1", family: 4 },
      ],
      families: [4],
    });
    const b = await TrackerAdvertiser.start({
      udp: net.host("10.231.15.4"),
      advertisement: { name: "backup", host: "nas", port: 7000, udp: false, index: false },
      addresses: () => [{ address: "10.231.15.4", family: 4 }],
      families: [4],
    });
    const found = await browseTrackers({ udp: net.host("10.231.15.2"), timeoutMs: 1500 });
    assert.deepEqual(found, [
      {
        name: "backup",
        host: "nas.local",
        port: 7000,
        addresses: ["10.231.15.4"],
        announce: "http://10.231.15.4:7000/announce",
      },
      {
        name: "lab tracker",
        host: "lab-pc.local",
        port: 6969,
        addresses: ["10.231.15.1", "fd00::1"],
        announce: "http://10.231.15.1:6969/announce",
        udp: "udp://10.231.15.1:6969/announce",
        index: "http://10.231.15.1:6969",
      },
    ]);
    await b.stop();
    assert.deepEqual(
      (await browseTrackers({ udp: net.host("10.231.15.3"), timeoutMs: 1500 })).map((t) => t.name),
      ["lab tracker"],
      "a stopped tracker no longer answers",
    );
    await a.stop();
    assert.deepEqual(await browseTrackers({ udp: net.host("10.231.15.5"), timeoutMs: 400 }), []);
  });

  it("takes answers only from port 5353, drops malformed ones and keeps to its time", async () => {
    const clock = new FakeClock();
    const net = new MemoryUdpNetwork({ clock });
    const impostor = net.host("10.231.15.6").createSocket(4, { reuseAddr: true });
    await impostor.bind({ port: 5300 });
    impostor.addMembership(MDNS_GROUP[4]);
    const liar = await openMdnsSocket(net.host("10.231.15.7"), 4, undefined);
    const answer = (id: number) =>
      encodeMessage({
        id,
        flags: { ...QUERY_FLAGS, response: true },
        questions: [],
        answers: [
          {
            name: TRACKER_SERVICE,
            ttl: 10,
            cacheFlush: false,
            type: "PTR",
            target: ["x", ...TRACKER_SERVICE],
          },
          {
            name: ["x", ...TRACKER_SERVICE],
            ttl: 10,
            cacheFlush: false,
            type: "SRV",
            priority: 0,
            weight: 0,
            port: 1,
            target: ["x", "local"],
          },
          { name: ["x", "local"], ttl: 10, cacheFlush: false, type: "A", address: "10.231.15.7" },
        ],
        authorities: [],
        additionals: [],
      });
    const asked: number[] = [];
    liar.on("message", (bytes, from) => {
      asked.push(decodeMessage(bytes).id);
      liar.send(Buffer.from([1, 2, 3]), from.port, from.address);
      liar.send(answer(decodeMessage(bytes).id + 1), from.port, from.address); // the wrong id (ids run 1 to 0xfffe)
    });
    impostor.on("message", (bytes, from) =>
      impostor.send(answer(decodeMessage(bytes).id), from.port, from.address),
    );
    let done = false;
    const browsing = browseTrackers({ udp: net.host("10.231.15.2"), timeoutMs: 1000, clock }).then(
      (r) => {
        done = true;
        return r;
      },
    );
    await tick();
    clock.advance(0);
    clock.advance(0);
    assert.equal(asked.length, 1, "one query");
    clock.advance(999);
    await tick();
    assert.equal(done, false);
    clock.advance(1);
    assert.deepEqual(await browsing, []);
    await impostor.close();
    await liar.close();
  });

  it("says at once when the query cannot be sent; an advertiser, when 5353 is held alone", async () => {
    const net = new MemoryUdpNetwork();
    const host = net.host("10.231.15.2");
    // A host with no route for multicast: every send to the group fails as Linux's does.
    const noRoute = {
      createSocket: (family: 4 | 6, opts?: { reuseAddr?: boolean }) => {
        const s = host.createSocket(family, opts);
        s.send = ((
          _msg: Uint8Array,
          _port: number,
          _to: string,
          sent?: (e: Error | null) => void,
        ) =>
          queueMicrotask(() =>
            sent?.(Object.assign(new Error("send ENETUNREACH"), { code: "ENETUNREACH" })),
          )) as typeof s.send;
        return s;
      },
    };
    const started = Date.now();
    // A browse of a minute against a bound of 20 s: telling "at once" from "waited it out"
    // without a sub-second deadline that a loaded machine can miss.
    await assert.rejects(browseTrackers({ udp: noRoute, timeoutMs: 60_000 }), (err) => {
      assert.ok(err instanceof DiscoveryError);
      assert.equal(err.code, "mdns_unavailable");
      assert.match(err.message, /224\.0\.0\.251: ENETUNREACH/);
      return true;
    });
    assert.ok(Date.now() - started < 20_000, "without waiting out the browse");
    const h8 = net.host("10.231.15.8");
    const greedy = h8.createSocket(4); // no SO_REUSEADDR: it keeps 5353 to itself
    await greedy.bind({ port: MDNS_PORT });
    await assert.rejects(
      TrackerAdvertiser.start({
        udp: h8,
        advertisement: AD,
        addresses: () => [{ address: "10.231.15.8", family: 4 }],
        families: [4],
      }),
      /^DiscoveryError: cannot join the mDNS group 224\.0\.0\.251:5353: EADDRINUSE/,
    );
    await greedy.close();
  });
});
