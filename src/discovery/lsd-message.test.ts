import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { asInfoHash, infoHashHex } from "../util/index.ts";
import {
  DiscoveryError,
  decodeLsdAnnounce,
  encodeLsdAnnounce,
  LSD_IPV4_HOST,
  LSD_IPV6_HOST,
  LSD_MAX_DATAGRAM,
  LSD_MAX_INFO_HASHES,
  LSD_MAX_SEND_BYTES,
  lsdAnnounceLength,
} from "./index.ts";

const hash = (byte: number) => asInfoHash(Buffer.alloc(20, byte));
const HEX_A = "aa".repeat(20);

function refused(text: string | Buffer, why: RegExp): void {
  const bytes = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  assert.throws(
    () => decodeLsdAnnounce(bytes),
    (e: unknown) =>
      e instanceof DiscoveryError && e.code === "lsd_malformed" && why.test(e.message),
  );
}

describe("LSD announce codec (BEP 14)", () => {
  it("writes BEP 14's layout: request line, Host, Port, Infohash lines, cookie, two blank lines", () => {
    const bytes = encodeLsdAnnounce({
      host: LSD_IPV4_HOST,
      port: 6881,
      infoHashes: [hash(0xaa), hash(0x01)],
      cookie: "0123abcd",
    });
    assert.equal(
      bytes.toString("latin1"),
      "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n" +
        `Infohash: ${HEX_A}\r\nInfohash: ${"01".repeat(20)}\r\ncookie: 0123abcd\r\n\r\n\r\n`,
    );
    assert.equal(LSD_IPV6_HOST, "[ff15::efc0:988f]:6771");
  });

  it("reads what libtorrent and Transmission send (header case, no cookie, one trailing CRLF or two)", () => {
    // libtorrent 2.0 (lsd.cpp): lower-case cookie, the extra CRLF.
    const lt = decodeLsdAnnounce(
      Buffer.from(
        `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: ${HEX_A.toUpperCase()}\r\ncookie: 1a2b3c\r\n\r\n\r\n`,
      ),
    );
    assert.equal(lt.port, 6881);
    assert.equal(infoHashHex(lt.infoHashes[0]!), HEX_A);
    assert.equal(lt.cookie, "1a2b3c");
    // Transmission 3.00 (tr-lpd.c): no cookie, one blank line, upper-case names.
    const tr = decodeLsdAnnounce(
      Buffer.from(
        `BT-SEARCH * HTTP/1.1\r\nHOST: 239.192.152.143:6771\r\nPORT: 51413\r\nINFOHASH: ${HEX_A}\r\nX-Other: skipped\r\n\r\n`,
      ),
    );
    assert.deepEqual(
      { port: tr.port, host: tr.host, cookie: tr.cookie, n: tr.infoHashes.length },
      { port: 51413, host: LSD_IPV4_HOST, cookie: undefined, n: 1 },
    );
  });

  it("round-trips any announce, and a repeated info hash counts once", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 20, maxLength: 20 }), {
          minLength: 1,
          maxLength: LSD_MAX_INFO_HASHES,
        }),
        fc.integer({ min: 1, max: 65535 }),
        fc.option(fc.stringMatching(/^[0-9a-zA-Z]{1,32}$/), { nil: undefined }),
        fc.constantFrom(LSD_IPV4_HOST, LSD_IPV6_HOST),
        (raw, port, cookie, host) => {
          const infoHashes = raw.map((u) => asInfoHash(Buffer.from(u)));
          const a = { host, port, infoHashes, ...(cookie === undefined ? {} : { cookie }) };
          const bytes = encodeLsdAnnounce(a);
          assert.equal(bytes.length, lsdAnnounceLength(host, port, infoHashes.length, cookie));
          const back = decodeLsdAnnounce(bytes);
          const distinct = [...new Set(infoHashes.map(infoHashHex))];
          assert.deepEqual(back.infoHashes.map(infoHashHex), distinct);
          assert.deepEqual({ ...back, infoHashes: [] }, { ...a, infoHashes: [] });
        },
      ),
    );
  });

  it("packs 24 info hashes under BEP 14's 1400 bytes", () => {
    const len = lsdAnnounceLength(LSD_IPV6_HOST, 65535, 24, "f".repeat(16));
    assert.ok(len <= LSD_MAX_SEND_BYTES, `${len}`);
  });

  it("refuses every malformed class, under named limits", () => {
    const head = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\n";
    const ok = `${head}Port: 6881\r\nInfohash: ${HEX_A}\r\n\r\n`;
    assert.doesNotThrow(() => decodeLsdAnnounce(Buffer.from(ok)));
    refused(`M-SEARCH * HTTP/1.1\r\n${ok.slice(head.indexOf("\r\n") + 2)}`, /not a BT-SEARCH/);
    refused(ok.replaceAll("\r\n", "\n"), /blank line/);
    refused(ok.slice(0, -2), /blank line/);
    refused(`${ok}junk`, /after the headers/);
    refused(`${head}Infohash: ${HEX_A}\r\n\r\n`, /no Port/);
    refused(`${head}Port: 6881\r\n\r\n`, /no Infohash/);
    refused(ok.replace("Host: 239.192.152.143:6771\r\n", ""), /no Host/);
    for (const port of ["0", "65536", "06881", "+1", "68 81", "", "0x10"]) {
      refused(ok.replace("6881", port), /not a TCP port/);
    }
    refused(ok.replace("Port: 6881\r\n", "Port: 6881\r\nport: 6882\r\n"), /two Port/);
    refused(ok.replace(HEX_A, HEX_A.slice(1)), /40 hex/);
    refused(ok.replace(HEX_A, `${HEX_A.slice(1)}g`), /40 hex/);
    refused(ok.replace("Port", "Po rt"), /name/);
    refused(ok.replace("Port: ", "Port"), /Name: value/);
    refused(ok.replace("\r\nPort", "\r\n: x\r\nPort"), /Name: value/);
    refused(ok.replace("6881", "6881\u00e9"), /non-ASCII/);
    refused(ok.replace("\r\n\r\n", `\r\ncookie: ${"c".repeat(65)}\r\n\r\n`), /bad cookie/);
    refused(ok.replace("\r\n\r\n", "\r\ncookie: a\r\ncookie: b\r\n\r\n"), /two cookies/);
    const many = Array.from(
      { length: LSD_MAX_INFO_HASHES + 1 },
      (_, i) => `Infohash: ${i.toString(16).padStart(40, "0")}\r\n`,
    ).join("");
    refused(`${head}Port: 1\r\n${many}\r\n`, /more than 64 info hashes/);
    refused(`${head}Port: 1\r\n${"X-A: b\r\n".repeat(100)}\r\n`, /more than 96 headers/);
    refused(Buffer.alloc(LSD_MAX_DATAGRAM + 1, 0x41), /longer than 4096/);
  });

  it("never throws anything but DiscoveryError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (u) => {
        try {
          decodeLsdAnnounce(u);
        } catch (e) {
          assert.ok(e instanceof DiscoveryError, String(e));
        }
      }),
    );
  });
});
