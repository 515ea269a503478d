/**
 * Drivers for what users hand shoal as files and links: bencode (strict and
 * lenient), .torrent metainfo, magnet URIs and IP block lists (eMule DAT,
 * PeerGuardian text, gzipped).
 */
import { crc32, gzipSync } from "node:zlib";
import { decode, decodeDocument, encode, TORRENT_LIMITS } from "../../../src/bencode/index.ts";
import { formatMagnet, parseMagnet, parseMetainfo } from "../../../src/metainfo/index.ts";
import { IpFilter } from "../../../src/net/index.ts";
import type { Driver } from "../driver.ts";
import { outcome, stable } from "./outcome.ts";

function sampleTorrents(): Buffer[] {
  const pieces = Buffer.alloc(40, 0x5a);
  const single = encode({
    announce: "http://127.0.0.1:6969/announce",
    "announce-list": [["http://127.0.0.1:6969/announce"], ["udp://127.0.0.1:6969"]],
    comment: "fuzz",
    "created by": "shoal",
    "creation date": 1_700_000_000,
    info: { length: 40_000, name: "a.bin", "piece length": 32_768, pieces },
    "url-list": ["http://127.0.0.1/seed/"],
  });
  const multi = encode({
    announce: "udp://127.0.0.1:6969",
    info: {
      files: [
        { length: 20_000, path: ["dir", "x.txt"] },
        { attr: "p", length: 12_768, path: [".pad", "12768"] },
        { length: 1, path: ["y"] },
      ],
      name: "multi",
      "piece length": 16_384,
      pieces: Buffer.alloc(60, 0x11),
      private: 1,
    },
  });
  return [single, multi];
}

/** Strict bencode: what it accepts is canonical, so encoding it gives the input back. */
export const bencodeDriver: Driver = {
  name: "bencode",
  seeds: () => [
    ...sampleTorrents(),
    Buffer.from("d1:ai-12e1:bl0:i0e3:xyzd1:cleeee", "latin1"),
    Buffer.from("i9007199254740993e", "latin1"),
  ],
  corpus: [
    { dir: "torrents/anacrolix/bencode/fuzz", goFuzz: true },
    { dir: "torrents/libtorrent", accept: (f) => f.endsWith(".torrent") },
    { dir: "wire/rqbit/dht" },
  ],
  run(input) {
    const strict = outcome(() => {
      const value = decode(input, { bigint: true });
      if (!encode(value).equals(input))
        throw new Error("strict bencode accepted a non-canonical form");
    });
    const lenient = outcome(() => {
      const doc = decodeDocument(input, { strict: false, ...TORRENT_LIMITS });
      // A lenient read re-encodes to something the strict reader takes, and reads the same.
      const again = decode(encode(doc.value));
      if (stable(again) !== stable(doc.value))
        throw new Error("re-encoded bencode reads differently");
    });
    return `${strict}/${lenient}`;
  },
};

export const metainfoDriver: Driver = {
  name: "metainfo",
  seeds: sampleTorrents,
  corpus: [{ dir: "torrents", accept: (f) => f.endsWith(".torrent") }],
  maxLength: 512 * 1024,
  run: (input) => outcome(() => parseMetainfo(input)),
};

const HASH_HEX = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

/** A magnet link is text: the input is read as UTF-8, as a link pasted on the command line. */
export const magnetDriver: Driver = {
  name: "magnet",
  seeds: () =>
    [
      `magnet:?xt=urn:btih:${HASH_HEX}&dn=Some%20name&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&tr=udp://127.0.0.1:6969&x.pe=127.0.0.1:6881&x.pe=[::1]:51413&so=0,2,4-6&ws=http://127.0.0.1/x&xl=1234`,
      "magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&dn=x",
    ].map((s) => Buffer.from(s, "utf8")),
  corpus: [{ dir: "torrents", accept: (f) => f.endsWith(".magnet") }],
  maxLength: 8192,
  run(input) {
    return outcome(() => {
      const link = parseMagnet(input.toString("utf8"));
      // What we read we can write, and read back the same.
      const again = parseMagnet(formatMagnet(link));
      if (stable(again.infoHash) !== stable(link.infoHash))
        throw new Error("a magnet link written back names another torrent");
    });
  },
};

const BLOCK_LIST = [
  "# comment",
  "// another",
  "001.002.003.000 - 001.002.003.255 , 000 , Some org",
  "010.000.000.000 - 010.255.255.255 , 200 , allowed (level over 127)",
  "2001:db8:: - 2001:db8::ffff , 0 , v6 range",
  "Bad people:192.168.0.1-192.168.0.20",
  "with: colons: inside:172.16.0.0-172.16.255.255",
  "garbage line",
  "",
].join("\n");

/** Gzip's header: a mutated gzipped list starts so. */
const GZIP_HEADER = 10;
/** One mutated gzip stream in this many goes to the parser as is. */
const CORRUPT_GZIP_EVERY = 64;

/**
 * The list a mutated input stands for. A mutated gzip stream is nearly
 * always corrupt, and Node 24's zlib keeps 4–16 KiB for every stream it
 * refuses (a plain loop over gunzipSync shows it): fed as is, they filled
 * the memory bound within a minute, a finding in Node, not in shoal's
 * parser. So most go as a valid gzip (stored, level 0: no cost to speak of)
 * of their mutated bytes, which reaches the parser through the gzip path,
 * and one in 64 as is, to keep the refusal of a corrupt stream tested.
 */
function blockList(input: Buffer): Buffer {
  if (input[0] !== 0x1f || input[1] !== 0x8b) return input;
  if (input.length % CORRUPT_GZIP_EVERY === 0) return input;
  return storedGzip(input.subarray(GZIP_HEADER));
}

/** Deflate's stored blocks hold at most this many bytes (RFC 1951 §3.2.4). */
const STORED_BLOCK = 65_535;

/**
 * `data` as a gzip file of stored blocks (RFC 1952, RFC 1951 §3.2.4), made
 * here: gzipSync cost a zlib object per execution (~40 KiB of native memory
 * each until collected, and a third of the driver's CPU).
 */
function storedGzip(data: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_BLOCK));
  const out = Buffer.alloc(GZIP_HEADER + blocks * 5 + data.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let at = GZIP_HEADER;
  for (let i = 0; i < blocks; i++) {
    const chunk = data.subarray(i * STORED_BLOCK, (i + 1) * STORED_BLOCK);
    out[at] = i === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(chunk.length, at + 1);
    out.writeUInt16LE(~chunk.length & 0xffff, at + 3);
    out.set(chunk, at + 5);
    at += 5 + chunk.length;
  }
  out.writeUInt32LE(crc32(data), at);
  out.writeUInt32LE(data.length, at + 4);
  return out;
}

/** A block list; the probe addresses are asked after it loads. */
export const ipFilterDriver: Driver = {
  name: "ip-filter",
  seeds: () => [Buffer.from(BLOCK_LIST, "latin1"), gzipSync(Buffer.from(BLOCK_LIST, "latin1"))],
  maxLength: 32 * 1024,
  run(input) {
    return outcome(() => {
      const { filter } = IpFilter.parse(blockList(input));
      for (const probe of ["1.2.3.4", "10.1.1.1", "::ffff:192.168.0.5", "2001:db8::1", "::1"]) {
        filter.blocked(probe);
      }
    });
  },
};
