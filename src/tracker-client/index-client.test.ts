import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  fetchIndex,
  fetchTorrentFile,
  publishTorrent,
  trackerBaseUrl,
  trackerRequest,
} from "./index-client.ts";

describe("trackerBaseUrl", () => {
  it("takes the announce URL, the base URL or the UDP URL", () => {
    assert.equal(trackerBaseUrl("http://127.0.0.1:6969/announce"), "http://127.0.0.1:6969");
    assert.equal(trackerBaseUrl("http://h:1/x/announce.php"), "http://h:1/x");
    assert.equal(trackerBaseUrl("udp://127.0.0.1:6969/announce"), "http://127.0.0.1:6969");
    assert.equal(trackerBaseUrl("https://h/"), "https://h");
  });
  it("refuses what is not an http(s) or udp URL", () => {
    assert.throws(() => trackerBaseUrl("nonsense"), { code: "invalid_url" });
    assert.throws(() => trackerBaseUrl("wss://h/announce"), { code: "unsupported_scheme" });
  });
});

describe("the index client against an HTTP server on loopback", () => {
  let server: Server;
  let base = "";
  before(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith("/torrents?offset=") && req.method === "GET") {
        // The second page of two: the index holds 3.
        res.setHeader("x-total-count", "3");
        res.end(JSON.stringify([{ infoHash: "ef".repeat(20), name: "z" }]));
      } else if (req.url === "/torrents" && req.method === "GET") {
        res.setHeader("x-total-count", "3");
        res.end(
          JSON.stringify([
            { infoHash: "ab".repeat(20), name: "x" },
            { infoHash: "cd".repeat(20), name: "y" },
          ]),
        );
      } else if (req.url === "/torrents" && req.method === "POST") {
        const ok = req.headers.authorization === "Bearer good";
        res.statusCode = ok ? 201 : 401;
        res.end(JSON.stringify(ok ? { created: true, magnet: "m" } : { error: "bad token" }));
      } else if (req.url === `/torrents/${"ab".repeat(20)}.torrent`) {
        res.end(Buffer.from("d4:infod4:name1:xee"));
      } else if (req.url === "/huge-declared") {
        res.setHeader("content-length", String(2 ** 30));
        res.write("[");
      } else if (req.url === "/huge-streamed") {
        // Past the bound without saying so: a chunked reply that does not end.
        const chunk = Buffer.alloc(1 << 20, 0x20);
        const more = () => {
          while (res.write(chunk));
        };
        res.on("drain", more);
        req.on("close", () => res.off("drain", more));
        more();
      } else if (req.url === "/html") {
        res.end("<html>");
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: "no such thing" }));
      }
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((ok) => server.close(() => ok())));

  it("lists every page, publishes with a token and fetches the exact bytes", async () => {
    assert.deepEqual(
      (await fetchIndex(base)).map((t) => t.name),
      ["x", "y", "z"],
    );
    assert.equal((await publishTorrent(base, Buffer.from("d"), "good")).created, true);
    assert.equal((await fetchTorrentFile(base, "ab".repeat(20))).toString(), "d4:infod4:name1:xee");
  });

  it("says what went wrong: a wrong token, a missing torrent, not JSON, nobody there", async () => {
    await assert.rejects(publishTorrent(base, Buffer.from("d"), "bad"), {
      code: "unauthorized",
      message: /bad token \(wrong token\?\)/,
    });
    await assert.rejects(fetchTorrentFile(base, "cd".repeat(20)), { code: "not_found" });
    await assert.rejects(trackerRequest(base, "/html"), { code: "invalid_reply" });
    await assert.rejects(trackerRequest(base, "/huge-declared"), { code: "reply_too_large" });
    await assert.rejects(trackerRequest(base, "/huge-streamed"), { code: "reply_too_large" });
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, "127.0.0.1", ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    await assert.rejects(fetchIndex(`http://127.0.0.1:${port}`), { code: "network" });
  });
});
