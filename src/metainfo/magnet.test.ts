import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { asInfoHash, type InfoHash, toBase32 } from "../util/index.ts";
import {
  formatMagnet,
  MAX_SELECT_ONLY,
  type MagnetLink,
  type Metainfo,
  MetainfoError,
  magnetFromMetainfo,
  parseMagnet,
} from "./index.ts";

const hash = (hex: string): InfoHash => asInfoHash(Buffer.from(hex, "hex"));

const SKODA = hash("d4b197dff199aad447a9a352e31528adbbd97922");
const V2 = Buffer.from("d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb", "hex");
const HYBRID_V1 = "631a31dd0a46257d5078c0dee4e66e26f73e42ac";

function link(partial: Partial<MagnetLink> & { infoHash: InfoHash }): MagnetLink {
  return { trackers: [], webSeeds: [], peers: [], ...partial };
}

function refused(uri: string, message: RegExp): void {
  assert.throws(
    () => parseMagnet(uri),
    (err: unknown) => {
      assert.ok(err instanceof MetainfoError, `expected MetainfoError, got ${String(err)}`);
      assert.equal(err.code, "invalid_magnet");
      assert.match(err.message, message);
      return true;
    },
  );
}

describe("formatMagnet encodes as other clients do", () => {
  // The exact strings anacrolix and its README assert are checked against the
  // corpus in test/conformance/magnet-corpus.test.ts; these use loopback URLs.
  it("xt first, then tr and ws, each value encodeURIComponent-encoded", () => {
    const m = link({
      infoHash: SKODA,
      trackers: ["http://127.0.0.1:6969/announce", "udp://[::1]:6969"],
      webSeeds: ["https://127.0.0.1/download/", "http://127.0.0.1/26/items/"],
    });
    const expected =
      "magnet:?xt=urn:btih:d4b197dff199aad447a9a352e31528adbbd97922" +
      "&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce" +
      "&tr=udp%3A%2F%2F%5B%3A%3A1%5D%3A6969" +
      "&ws=https%3A%2F%2F127.0.0.1%2Fdownload%2F" +
      "&ws=http%3A%2F%2F127.0.0.1%2F26%2Fitems%2F";
    assert.equal(formatMagnet(m), expected);
    assert.deepEqual(parseMagnet(expected), m);
  });

  it("dn comes before tr", () => {
    const expected =
      "magnet:?xt=urn:btih:4090c3c2a394a49974dfbbf2ce7ad0db3cdeddd7" +
      "&dn=netinst.iso&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce";
    const m = link({
      infoHash: hash("4090c3c2a394a49974dfbbf2ce7ad0db3cdeddd7"),
      displayName: "netinst.iso",
      trackers: ["http://127.0.0.1:6969/announce"],
    });
    assert.equal(formatMagnet(m), expected);
    assert.deepEqual(parseMagnet(expected), m);
  });

  it("Transmission's archlinux .magnet file parses", () => {
    const m = parseMagnet(
      "magnet:?xt=urn:btih:2e34989b1c60df821b2d046c884d8f4d1858b97a&dn=archlinux-2025.05.01-x86_64.iso\n",
    );
    assert.equal(m.infoHash.toString("hex"), "2e34989b1c60df821b2d046c884d8f4d1858b97a");
    assert.equal(m.displayName, "archlinux-2025.05.01-x86_64.iso");
  });
});

describe("formatMagnet", () => {
  it("writes every field in order: xt, dn, tr, ws, xl, x.pe, so", () => {
    const m = link({
      infoHash: hash(HYBRID_V1),
      infoHashV2: V2,
      displayName: "a b&c=d/é",
      trackers: ["udp://t.example:6969/announce?x=1&y=2"],
      webSeeds: ["http://w.example/files/"],
      exactLength: 898631684,
      peers: [
        { host: "10.0.0.1", port: 6881 },
        { host: "::1", port: 51413 },
      ],
      selectOnly: [6, 0, 2, 4, 5, 2],
    });
    assert.equal(
      formatMagnet(m),
      `magnet:?xt=urn:btih:${HYBRID_V1}&xt=urn:btmh:1220${V2.toString("hex")}` +
        "&dn=a%20b%26c%3Dd%2F%C3%A9" +
        "&tr=udp%3A%2F%2Ft.example%3A6969%2Fannounce%3Fx%3D1%26y%3D2" +
        "&ws=http%3A%2F%2Fw.example%2Ffiles%2F&xl=898631684" +
        "&x.pe=10.0.0.1:6881&x.pe=[::1]:51413&so=0,2,4-6",
    );
  });

  it("writes the info hash in base32 when asked", () => {
    const m = link({ infoHash: SKODA });
    const text = formatMagnet(m, { base32: true });
    assert.equal(text, `magnet:?xt=urn:btih:${toBase32(SKODA)}`);
    assert.equal(text.length, "magnet:?xt=urn:btih:".length + 32);
    assert.deepEqual(parseMagnet(text).infoHash, SKODA);
  });

  it("omits an empty select-only list", () => {
    assert.equal(
      formatMagnet(link({ infoHash: SKODA, selectOnly: [] })),
      formatMagnet(link({ infoHash: SKODA })),
    );
  });
});

describe("parseMagnet", () => {
  it("accepts hex in either case and base32 in either case", () => {
    const hex = "d4b197dff199aad447a9a352e31528adbbd97922";
    for (const h of [hex, hex.toUpperCase(), toBase32(SKODA), toBase32(SKODA).toLowerCase()]) {
      assert.deepEqual(parseMagnet(`magnet:?xt=urn:btih:${h}`).infoHash, SKODA, h);
    }
    assert.deepEqual(parseMagnet(`MAGNET:?XT=URN:BTIH:${hex}`).infoHash, SKODA);
  });

  it("refuses info hashes of the wrong length or alphabet", () => {
    refused("magnet:?xt=urn:btih:abcd", /40 hex or 32 base32 characters, not 4/);
    refused(`magnet:?xt=urn:btih:${"a".repeat(41)}`, /not 41/);
    refused(`magnet:?xt=urn:btih:${"g".repeat(40)}`, /40 characters but is not hex/);
    refused(`magnet:?xt=urn:btih:${"1".repeat(32)}`, /32 characters but is not base32/);
    refused("magnet:?xt=urn:btih:", /not 0/);
  });

  it("refuses what is not a magnet link or has no info hash", () => {
    refused("http://127.0.0.1/?xt=urn:btih:abc", /must start with 'magnet:\?'/);
    refused("magnet:xt=urn:btih:abc", /must start with 'magnet:\?'/);
    refused("magnet:?dn=foo", /no BitTorrent info hash/);
    refused("magnet:?xt=urn:ed2k:31d6cfe0d16ae931b73c59d7e0c089c0", /no BitTorrent info hash/);
    refused("", /must start/);
  });

  it("keeps the v2 hash of a hybrid link, refuses a v2-only link", () => {
    const btmh = `urn:btmh:1220${V2.toString("hex")}`;
    const m = parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&xt=${btmh}`);
    assert.equal(m.infoHash.toString("hex"), HYBRID_V1);
    assert.deepEqual(m.infoHashV2, V2);
    // Order does not matter.
    assert.deepEqual(parseMagnet(`magnet:?xt=${btmh}&xt=urn:btih:${HYBRID_V1}`), m);
    refused(`magnet:?xt=${btmh}&dn=x`, /^v2-only magnet links are not supported yet$/);
    refused(
      `magnet:?xt=urn:btih:${HYBRID_V1}&xt=urn:btmh:1114${"0".repeat(40)}`,
      /SHA-256 multihash/,
    );
    refused(`magnet:?xt=urn:btih:${HYBRID_V1}&xt=urn:btmh:1220abc`, /SHA-256 multihash/);
  });

  it("refuses two different info hashes, accepts the same one twice", () => {
    const other = "0".repeat(40);
    refused(`magnet:?xt=urn:btih:${HYBRID_V1}&xt=urn:btih:${other}`, /two different v1/);
    const base32 = toBase32(Buffer.from(HYBRID_V1, "hex"));
    const m = parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&xt.1=urn:btih:${base32}`);
    assert.equal(m.infoHash.toString("hex"), HYBRID_V1);
  });

  it("decodes percent-encoding and '+' in dn as a space (but not in tr)", () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HYBRID_V1}&dn=Big+Buck%20Bunny%2B%C3%A9&tr=http%3A%2F%2Ft%2Fa+b%3Fk%3D1%26x`,
    );
    assert.equal(m.displayName, "Big Buck Bunny+é");
    assert.deepEqual(m.trackers, ["http://t/a+b?k=1&x"]);
  });

  it("reads undecodable bytes as U+FFFD and refuses a broken escape", () => {
    assert.equal(
      parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&dn=caf%E9`).displayName,
      "caf\ufffd",
    );
    refused(
      `magnet:?xt=urn:btih:${HYBRID_V1}&dn=100%`,
      /'dn' has a '%' not followed by two hex digits/,
    );
    refused(`magnet:?xt=urn:btih:${HYBRID_V1}&tr=%zz`, /'tr' has a '%'/);
  });

  it("collects trackers and web seeds, de-duplicated in order, and numbered parameters", () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HYBRID_V1}&tr=udp%3A%2F%2Fb%3A1&tr=http%3A%2F%2Fa%2Fann&tr=udp://b:1` +
        "&tr.1=http://c/ann&tr=&ws=http://w/&ws=http%3A%2F%2Fw%2F&ws=http://v/",
    );
    assert.deepEqual(m.trackers, ["udp://b:1", "http://a/ann", "http://c/ann"]);
    assert.deepEqual(m.webSeeds, ["http://w/", "http://v/"]);
  });

  it("takes the first dn and ignores unknown parameters", () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&dn=one&dn=two&kt=a+b&x.foo=1&&as=x`);
    assert.equal(m.displayName, "one");
    assert.deepEqual(m.trackers, []);
    assert.equal(m.exactLength, undefined);
    assert.equal(m.selectOnly, undefined);
  });

  it("reads xl and refuses a size that is not one", () => {
    assert.equal(parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&xl=5448139`).exactLength, 5448139);
    assert.equal(parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&xl=0`).exactLength, 0);
    for (const bad of ["-1", "1.5", "abc", "", "99999999999999999"]) {
      refused(`magnet:?xt=urn:btih:${HYBRID_V1}&xl=${bad}`, /'xl' must be the size in bytes/);
    }
  });

  it("reads x.pe peers: host:port, ipv4:port, [ipv6]:port", () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HYBRID_V1}&x.pe=peer.example:6881&x.pe=127.0.0.1%3A51413` +
        "&x.pe=%5B::1%5D:1&x.pe=[2001:db8::7]:65535&x.pe=127.0.0.1:51413",
    );
    assert.deepEqual(m.peers, [
      { host: "peer.example", port: 6881 },
      { host: "127.0.0.1", port: 51413 },
      { host: "::1", port: 1 },
      { host: "2001:db8::7", port: 65535 },
    ]);
  });

  it("refuses malformed peers", () => {
    for (const bad of [
      "host",
      "host:",
      ":80",
      "host:0",
      "host:65536",
      "host:8x",
      "::1:80",
      "[::1]",
      "[::1]80",
      "[]:80",
      "[1.2.3.4]:80",
    ]) {
      refused(`magnet:?xt=urn:btih:${HYBRID_V1}&x.pe=${bad}`, /peer '/);
    }
  });

  it("expands BEP 53 select-only lists to sorted unique indices", () => {
    const so = (s: string) => parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&so=${s}`).selectOnly;
    assert.deepEqual(so("0,2,4,6-8"), [0, 2, 4, 6, 7, 8]);
    assert.deepEqual(so("6-8,0,7,2,2"), [0, 2, 6, 7, 8]);
    assert.deepEqual(so("3-3"), [3]);
    assert.deepEqual(so("1%2C2"), [1, 2]);
    assert.deepEqual(
      parseMagnet(`magnet:?xt=urn:btih:${HYBRID_V1}&so=5&so=1-2`).selectOnly,
      [1, 2, 5],
    );
    assert.deepEqual(so(`0-${MAX_SELECT_ONLY - 1}`)?.length, MAX_SELECT_ONLY);
  });

  it("refuses reversed, garbage and oversized select-only lists", () => {
    const uri = (s: string) => `magnet:?xt=urn:btih:${HYBRID_V1}&so=${s}`;
    refused(uri("6-4"), /range '6-4' runs backwards/);
    for (const bad of ["", "a", "1,", ",1", "1-", "-1", "1-2-3", "1;2", "1.5"]) {
      refused(uri(bad), /'so' must list file indices/);
    }
    refused(uri("0-4294967295"), /more than 100000 files/);
    refused(uri(`0-${MAX_SELECT_ONLY - 1},0`), /more than 100000 files/);
  });

  it("trims the pasted link", () => {
    assert.deepEqual(
      parseMagnet(`  magnet:?xt=urn:btih:${HYBRID_V1}\r\n`).infoHash,
      hash(HYBRID_V1),
    );
  });
});

describe("magnet round trip", () => {
  const text = fc
    .string({ unit: "binary", minLength: 1, maxLength: 20 })
    .filter((s) => s.trim() === s);
  const linkArb = fc.record({
    infoHash: fc
      .uint8Array({ minLength: 20, maxLength: 20 })
      .map((u) => asInfoHash(Buffer.from(u))),
    displayName: fc.option(text, { nil: undefined }),
    trackers: fc.uniqueArray(text, { maxLength: 4 }),
    webSeeds: fc.uniqueArray(text, { maxLength: 3 }),
    exactLength: fc.option(fc.maxSafeInteger().map(Math.abs), { nil: undefined }),
    peers: fc.uniqueArray(
      fc
        .tuple(fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()), fc.integer({ min: 1, max: 65535 }))
        .map(([host, port]) => ({ host, port })),
      { selector: (p) => `${p.host}|${p.port}`, maxLength: 3 },
    ),
    selectOnly: fc.option(
      fc
        .uniqueArray(fc.nat(5000), { minLength: 1, maxLength: 20 })
        .map((a) => a.sort((x, y) => x - y)),
      { nil: undefined },
    ),
    infoHashV2: fc.option(
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(u)),
      {
        nil: undefined,
      },
    ),
    base32: fc.boolean(),
  });

  it("parseMagnet(formatMagnet(link)) gives the link back", () => {
    fc.assert(
      fc.property(linkArb, ({ base32, ...l }) => {
        const m: MagnetLink = { ...l };
        for (const k of Object.keys(m) as (keyof MagnetLink)[]) if (m[k] === undefined) delete m[k];
        assert.deepEqual(parseMagnet(formatMagnet(m, { base32 })), m);
      }),
    );
  });
});

describe("magnetFromMetainfo", () => {
  const meta = {
    infoHash: SKODA,
    infoHashHex: SKODA.toString("hex"),
    name: "SKODAOCTAVIA336x280",
    totalLength: 5448139,
    announce: "http://127.0.0.1:6969/announce",
    announceList: [
      ["http://127.0.0.1:6969/announce", "http://127.0.0.2:6969/announce"],
      ["udp://backup:1", "http://127.0.0.1:6969/announce"],
    ],
    urlList: ["https://127.0.0.1/download/", "https://127.0.0.1/download/"],
  } as unknown as Metainfo;

  it("uses every tracker of every tier (flattened, de-duplicated), web seeds, name and size", () => {
    const m = magnetFromMetainfo(meta);
    assert.deepEqual(m, {
      infoHash: SKODA,
      displayName: "SKODAOCTAVIA336x280",
      trackers: [
        "http://127.0.0.1:6969/announce",
        "http://127.0.0.2:6969/announce",
        "udp://backup:1",
      ],
      exactLength: 5448139,
      webSeeds: ["https://127.0.0.1/download/"],
      peers: [],
    });
    assert.equal(
      formatMagnet(m),
      "magnet:?xt=urn:btih:d4b197dff199aad447a9a352e31528adbbd97922&dn=SKODAOCTAVIA336x280" +
        "&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce" +
        "&tr=http%3A%2F%2F127.0.0.2%3A6969%2Fannounce&tr=udp%3A%2F%2Fbackup%3A1" +
        "&ws=https%3A%2F%2F127.0.0.1%2Fdownload%2F&xl=5448139",
    );
  });

  it("falls back to announce without an announce-list and carries the v2 hash", () => {
    const m = magnetFromMetainfo({ ...meta, announceList: [], urlList: [], infoHashV2: V2 });
    assert.deepEqual(m.trackers, ["http://127.0.0.1:6969/announce"]);
    assert.deepEqual(m.infoHashV2, V2);
    assert.deepEqual(m.webSeeds, []);
  });
});
