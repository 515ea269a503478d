import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, test } from "node:test";
import { libuvTcpAvailable } from "../net/index.ts";
import { silentLogger } from "../util/index.ts";
import { HttpFrontEnd, type HttpHandler } from "./http-server.ts";

const LIMITS = {
  maxHeaderBytes: 8192,
  maxBodyBytes: 1 << 20,
  idleTimeoutMs: 5000,
  // Well over the pieces' pauses below (60 ms), which a loaded machine's late timers stretch.
  requestTimeoutMs: 1500,
  maxConnections: 100,
};

/** Echoes method, path, query, body length and a body digest; /big answers 200 KB. */
const handler: HttpHandler = (req, client) => {
  if (req.path === "/big") {
    return { status: 200, contentType: "application/octet-stream", body: Buffer.alloc(200_000, 7) };
  }
  let sum = 0;
  for (const b of req.body) sum = (sum * 31 + b) >>> 0;
  return {
    status: 200,
    contentType: "text/plain",
    body: `${req.method} ${req.path} ${req.query} ${req.body.length} ${sum} ${client.family}`,
  };
};

/** Writes the pieces (pausing between them) and reads until the server closes. */
function exchange(port: number, pieces: (string | Buffer)[], pauseMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
    const timer = setTimeout(() => socket.destroy(new Error("no close within 15 s")), 15_000);
    socket.on("close", () => clearTimeout(timer));
    (async () => {
      for (const p of pieces) {
        socket.write(p);
        if (pauseMs) await new Promise((ok) => setTimeout(ok, pauseMs));
      }
    })();
  });
}

const transports = libuvTcpAvailable() ? (["net", "libuv"] as const) : (["net"] as const);

for (const transport of transports) {
  describe(`HTTP front end over ${transport}`, () => {
    const withServer = async (fn: (port: number) => Promise<void>) => {
      const front = new HttpFrontEnd(handler, LIMITS, silentLogger, transport);
      assert.equal(front.transport, transport);
      const port = await front.listen(0, "127.0.0.1");
      try {
        await fn(port);
      } finally {
        await front.close();
      }
    };

    test("keep-alive, pipelined requests in one write, then Connection: close", () =>
      withServer(async (port) => {
        const text = (
          await exchange(port, [
            "GET /a?x=1 HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\n\r\n" +
              "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n",
          ])
        ).toString("latin1");
        const bodies = text.split("\r\n\r\n").slice(1);
        assert.deepEqual(
          bodies.map((b) => b.split(/HTTP\/1\.1/)[0]),
          ["GET /a x=1 0 0 4", "GET /b  0 0 4", "GET /c  0 0 4"],
        );
        assert.equal(text.match(/Connection: close/g)?.length, 1);
      }));

    test("a body that arrives in pieces is read whole", () =>
      withServer(async (port) => {
        const body = Buffer.alloc(70_000);
        for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 255;
        let sum = 0;
        for (const b of body) sum = (sum * 31 + b) >>> 0;
        const head = `POST /up HTTP/1.1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        const reply = await exchange(
          port,
          [head, body.subarray(0, 10), body.subarray(10, 40_000), body.subarray(40_000)],
          20,
        );
        assert.match(reply.toString("latin1"), new RegExp(`POST /up  70000 ${sum} 4$`));
      }));

    test("a reply larger than the output buffer arrives whole", () =>
      withServer(async (port) => {
        const reply = await exchange(port, ["GET /big HTTP/1.0\r\n\r\n"]);
        const split = reply.indexOf("\r\n\r\n");
        assert.match(reply.toString("latin1", 0, split), /Content-Length: 200000/);
        assert.equal(reply.length - split - 4, 200_000);
      }));

    test("refusals: head too large (431), a request that trickles in too long (408)", () =>
      withServer(async (port) => {
        const big = await exchange(port, [`GET /${"a".repeat(10_000)} HTTP/1.1\r\n`]);
        assert.match(big.toString("latin1"), /^HTTP\/1\.1 431/);
        const slow = await exchange(port, ["GET / HTTP/1.1\r\n", "Host: x\r\n"], 50);
        assert.match(slow.toString("latin1"), /^HTTP\/1\.1 408/);
      }));
  });
}
