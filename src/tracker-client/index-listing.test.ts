import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trackerBaseUrl, trackerPasskey } from "./index-client.ts";
import { MAX_LISTINGS_PER_PAGE, readIndexPage, readPublishReply } from "./index-listing.ts";

const HASH = "ab".repeat(20);

describe("reading a shoal tracker's index replies", () => {
  it("takes listings, counts the tracker left out as 0", () => {
    const [t] = readIndexPage([{ infoHash: HASH.toUpperCase(), name: "x", seeders: 3 }]);
    assert.deepEqual(t, {
      infoHash: HASH,
      name: "x",
      size: 0,
      files: 0,
      seeders: 3,
      leechers: 0,
      completed: 0,
      added: "",
    });
  });

  it("refuses what a hostile or broken tracker could send, as invalid_reply", () => {
    const bad: unknown[] = [
      {},
      [null],
      [{ infoHash: HASH }],
      [{ infoHash: "zz", name: "x" }],
      [{ infoHash: HASH, name: 5 }],
      [{ infoHash: HASH, name: "x", size: -1 }],
      [{ infoHash: HASH, name: "x", seeders: 1.5 }],
      [{ infoHash: HASH, name: "x", magnet: {} }],
      [{ infoHash: HASH, name: "x".repeat(70_000) }],
      new Array(MAX_LISTINGS_PER_PAGE + 1).fill({ infoHash: HASH, name: "x" }),
    ];
    for (const body of bad) assert.throws(() => readIndexPage(body), { code: "invalid_reply" });
    assert.throws(() => readPublishReply({ created: "yes", magnet: "m" }), {
      code: "invalid_reply",
    });
    assert.throws(() => readPublishReply({ created: true }), { code: "invalid_reply" });
    assert.equal(readPublishReply({ created: true, magnet: "m" }).created, true);
  });
});

describe("a private tracker's member's announce URL", () => {
  it("gives the index's base URL and the passkey (in the path or the query)", () => {
    const key = "0123456789abcdef0123456789abcdef";
    assert.equal(trackerBaseUrl(`http://127.0.0.1:6969/announce/${key}`), "http://127.0.0.1:6969");
    assert.equal(trackerPasskey(`http://127.0.0.1:6969/announce/${key}`), key);
    assert.equal(trackerPasskey(`udp://127.0.0.1:6969/announce/${key}`), key);
    assert.equal(trackerPasskey(`http://h:1/announce?passkey=${key}`), key);
    assert.equal(trackerPasskey("http://h:1/announce"), undefined);
    assert.equal(trackerPasskey("not a url"), undefined);
  });
});
