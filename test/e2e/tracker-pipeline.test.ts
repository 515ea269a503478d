/**
 * Issue 13, item 11: a client that pipelines requests and does not read the
 * replies costs the tracker one reply's worth of memory and none of its
 * responsiveness. The HTTP front end stops parsing a connection's pipeline
 * while its replies are unread (the link reports when they are out), so the
 * bytes queued per connection stay within about one reply; it answers a
 * pipeline in time slices, so announces on other connections and over UDP
 * are answered in between; and the operator views are paged and cached.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  parseAnnounceReply,
} from "../../src/tracker-proto/index.ts";
import { announce, hash20, peerId, startTracker, UdpClient } from "./tracker-helpers.ts";

const SWARMS = 2000;
const PIPELINED = 500;

for (const httpTransport of ["auto", "net"] as const)
  test(`500 pipelined GET /swarms that are never read: announces stay fast, memory stays put (${httpTransport})`, async () => {
    const { tracker, port, base } = await startTracker({ host: "127.0.0.1" }, { httpTransport });
    const udp = await UdpClient.open(4);
    const socket = connect({ port, host: "127.0.0.1" });
    socket.on("error", () => {});
    const connected = new Promise<void>((r) => socket.once("connect", () => r()));
    try {
      // 2,000 swarms with a peer each, straight into the store.
      for (let i = 0; i < SWARMS; i++) {
        const key = Buffer.alloc(20, 0);
        key.writeUInt32BE(i + 1, 0);
        tracker.store.put(
          key.toString("latin1"),
          {
            peerId: peerId(i).toString("latin1"),
            ip4: 0x0a000001 + i,
            ip6: "",
            port: 6881,
            left: 1,
            previousLeft: 0,
          },
          0,
        );
      }
      const connectionId = await udp.connectionId(port);
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;

      // The hostile client: one write of the whole pipeline, and it never reads.
      await connected;
      socket.pause();
      socket.write("GET /swarms HTTP/1.1\r\nHost: x\r\n\r\n".repeat(PIPELINED));

      // Meanwhile: announces over UDP and HTTP, each timed. The tracker runs in this process:
      // the CPU time the process spent while an announce waited is the work that held it up
      // (answering the pipeline at once would be seconds of it). Wall time is only bounded
      // loosely: on a loaded machine it also counts time the process was not running
      // (one announce took 1049 ms of it in five runs here at load 12).
      const cpuMs: number[] = [];
      const wallMs: number[] = [];
      const timed = async (announceOnce: () => Promise<void>) => {
        const wall0 = performance.now();
        const cpu0 = process.cpuUsage();
        await announceOnce();
        const cpu = process.cpuUsage(cpu0);
        cpuMs.push((cpu.user + cpu.system) / 1000);
        wallMs.push(performance.now() - wall0);
      };
      for (let i = 0; i < 10; i++) {
        await timed(async () => {
          udp.send(
            encodeAnnounceRequest({
              connectionId,
              transactionId: i,
              infoHash: hash20(200),
              peerId: peerId(1),
              downloaded: 0,
              left: 1,
              uploaded: 0,
              event: "none",
              port: 7001,
            }),
            port,
          );
          const reply = decodeUdpResponse((await udp.next(10_000))!, 4);
          assert.ok(reply?.action === "announce");
        });
        await timed(async () => {
          const r = parseAnnounceReply(
            await announce(base, { infoHash: hash20(201), peerId: peerId(2), port: 7002, left: 1 }),
          );
          assert.equal(r.failureReason, undefined);
        });
        await new Promise((r) => setTimeout(r, 50));
      }
      const worstCpu = Math.max(...cpuMs);
      const worstWall = Math.max(...wallMs);
      const took = `${worstCpu.toFixed(0)} ms of CPU, ${worstWall.toFixed(0)} ms of wall time`;
      assert.ok(worstCpu < 1000, `the slowest announce took ${took}`);
      assert.ok(worstWall < 10_000, `the slowest announce took ${took}`);
      const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      assert.ok(grownMiB < 100, `RSS grew by ${grownMiB.toFixed(0)} MiB`);
      // The pipeline waits on its unread replies: that is what bounds them.
      const stats = (await (await fetch(`${base}/stats`)).json()) as { http: { waiting: number } };
      assert.equal(stats.http.waiting, 1);

      // And the tracker stops at once, the unread client still connected.
      const t0 = performance.now();
      await tracker.stop();
      // It would wait for ever for the client to read; 10 s leaves room for a loaded machine.
      assert.ok(performance.now() - t0 < 10_000, "stop() did not wait for the pipeline");
    } finally {
      socket.destroy();
      udp.close();
      await tracker.stop();
    }
  });

test("a pipeline that is read gets every reply, in order, views and announces mixed", async () => {
  const { tracker, port } = await startTracker({ host: "127.0.0.1" });
  try {
    const q = (i: number) =>
      `info_hash=${"%01".repeat(20)}&peer_id=-SH0100-${String(i).padStart(12, "0")}&port=${1000 + i}&left=1`;
    let pipeline = "";
    for (let i = 0; i < 300; i++) {
      pipeline +=
        i % 3 === 0
          ? `GET /swarms?limit=5&n=${i} HTTP/1.1\r\nHost: x\r\n\r\n`
          : `GET /announce?${q(i)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    }
    pipeline += "GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n";
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => socket.destroy(new Error("no close within 20 s")), 20_000);
      socket.on("data", (c) => chunks.push(c));
      socket.on("error", reject);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString("latin1"));
      });
      socket.write(pipeline);
    });
    const statuses = text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    assert.equal(statuses.length, 301);
    assert.ok(statuses.every((s) => s === "HTTP/1.1 200"));
    // In order: a view's JSON after every third status line, a bencoded reply otherwise.
    const bodies = text.split(/HTTP\/1\.1 200 OK\r\n/).slice(1);
    for (let i = 0; i < 300; i++) {
      const body = bodies[i]!.slice(bodies[i]!.indexOf("\r\n\r\n") + 4);
      assert.equal(body[0], i % 3 === 0 ? "{" : "d", `reply ${i}`);
    }
  } finally {
    await tracker.stop();
  }
});
