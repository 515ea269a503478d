import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../util/index.ts";
import { NetError } from "./errors.ts";
import { MemoryNetwork } from "./memory-network.ts";
import type { Transport } from "./transport.ts";

const KiB = 1024;

/** Settles promise callbacks (a dial's resolution) without moving the clock. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A network of hosts a, b, c; `rates` per host. */
function world(
  hosts: Record<string, { up?: number; down?: number; latency?: number }>,
  opts: { highWaterMark?: number; receiveWindow?: number } = {},
) {
  const clock = new FakeClock();
  const net = new MemoryNetwork({ clock, ...opts });
  for (const [address, h] of Object.entries(hosts)) {
    const o: { uploadRate?: number; downloadRate?: number; latencyMs?: number } = {};
    if (h.up !== undefined) o.uploadRate = h.up;
    if (h.down !== undefined) o.downloadRate = h.down;
    if (h.latency !== undefined) o.latencyMs = h.latency;
    net.addHost(address, o);
  }
  return { clock, net };
}

/** Dials from → to:port on a fake clock; returns both ends. */
async function connect(
  clock: FakeClock,
  net: MemoryNetwork,
  from: string,
  to: string,
  port = 6881,
): Promise<{ client: Transport; server: Transport }> {
  const listener = net.host(to)!.listen(port);
  let server: Transport | undefined;
  listener.once("connection", (t) => {
    server = t;
  });
  const dialing = net.host(from)!.dial(to, port);
  let client: Transport | undefined;
  void dialing.then((t) => {
    client = t;
  });
  for (let i = 0; i < 1000 && !client; i++) {
    clock.advance(1);
    await settle();
  }
  await listener.close();
  return { client: client!, server: server! };
}

/** Records when each byte count arrived. */
function record(clock: FakeClock, t: Transport): { at: number; bytes: number; chunk: Buffer }[] {
  const log: { at: number; bytes: number; chunk: Buffer }[] = [];
  t.on("data", (chunk) => log.push({ at: clock.now(), bytes: chunk.length, chunk }));
  return log;
}

const total = (log: { bytes: number }[]) => log.reduce((n, e) => n + e.bytes, 0);

describe("MemoryNetwork", () => {
  it("connects after a round trip: the listener sees it after one latency", async () => {
    const { clock, net } = world({ "10.0.0.1": { latency: 10 }, "10.0.0.2": { latency: 15 } });
    const listener = net.host("10.0.0.2")!.listen(6881);
    let acceptedAt = -1;
    let accepted: Transport | undefined;
    listener.on("connection", (t) => {
      acceptedAt = clock.now();
      accepted = t;
    });
    let dialledAt = -1;
    const dialing = net
      .host("10.0.0.1")!
      .dial("10.0.0.2", 6881)
      .then((t) => {
        dialledAt = clock.now();
        return t;
      });
    clock.advance(25);
    await settle();
    assert.equal(acceptedAt, 25);
    assert.equal(dialledAt, -1);
    clock.advance(25);
    const client = await dialing;
    assert.equal(dialledAt, 50);
    assert.equal(client.remoteAddress, "10.0.0.2");
    assert.equal(client.remotePort, 6881);
    assert.equal(accepted!.remoteAddress, "10.0.0.1");
    assert.ok(accepted!.remotePort! >= 49152, "the dialler's side has an ephemeral port");
  });

  it("refuses a closed port after a round trip and times out on an unknown address", async () => {
    const { clock, net } = world({ "10.0.0.1": { latency: 5 }, "10.0.0.2": { latency: 5 } });
    const refused = net.host("10.0.0.1")!.dial("10.0.0.2", 1234);
    const lost = net.host("10.0.0.1")!.dial("10.9.9.9", 1234);
    const outcome = Promise.allSettled([refused, lost]);
    clock.advance(20);
    await settle();
    clock.advance(10_000);
    const [r, l] = await outcome;
    assert.equal(r.status, "rejected");
    assert.ok(r.reason instanceof NetError && r.reason.code === "connect_failed");
    assert.equal(l.status, "rejected");
    assert.ok(l.reason instanceof NetError && l.reason.code === "connect_timeout");
  });

  it("sends at the sender's upload rate and delivers a latency later, in order, uncopied", async () => {
    const { clock, net } = world({
      "10.0.0.1": { up: 100 * KiB, latency: 20 },
      "10.0.0.2": { latency: 30 },
    });
    const { client, server } = await connect(clock, net, "10.0.0.1", "10.0.0.2");
    const log = record(clock, server);
    const start = clock.now();
    const first = Buffer.alloc(100, 1);
    client.write(first);
    client.writev([Buffer.alloc(50 * KiB, 2), Buffer.alloc(50 * KiB - 100, 3)]);
    clock.advance(2000);
    assert.equal(total(log), 100 * KiB);
    assert.equal(log[0]!.chunk, first, "a chunk that fits a segment arrives as written");
    const bytes = Buffer.concat(log.map((e) => e.chunk));
    assert.ok(bytes.subarray(0, 100).every((b) => b === 1));
    assert.ok(bytes.subarray(100, 100 + 50 * KiB).every((b) => b === 2));
    assert.ok(bytes.subarray(100 + 50 * KiB).every((b) => b === 3));
    // 100 KiB at 100 KiB/s: the last byte leaves after 1 s and lands 50 ms later.
    assert.equal(log.at(-1)!.at - start, 1050);
    assert.ok(log[0]!.at - start >= 50, "nothing arrives before the latency");
    assert.equal(net.host("10.0.0.1")!.bytesSent, 100 * KiB);
    assert.equal(net.host("10.0.0.2")!.bytesReceived, 100 * KiB);
  });

  it("shares a host's upload between its connections, one segment each in turn", async () => {
    const { clock, net } = world({
      "10.0.0.1": { up: 100 * KiB },
      "10.0.0.2": {},
      "10.0.0.3": {},
    });
    const ab = await connect(clock, net, "10.0.0.1", "10.0.0.2");
    const ac = await connect(clock, net, "10.0.0.1", "10.0.0.3");
    const toB = record(clock, ab.server);
    const toC = record(clock, ac.server);
    const start = clock.now();
    ab.client.write(Buffer.alloc(100 * KiB));
    ac.client.write(Buffer.alloc(100 * KiB));
    clock.advance(1000);
    // One second of 100 KiB/s, split evenly: three 16 KiB segments each, the seventh on the wire.
    assert.equal(total(toB), 48 * KiB);
    assert.equal(total(toC), 48 * KiB);
    clock.advance(1000);
    assert.equal(total(toB) + total(toC), 200 * KiB);
    assert.equal(Math.max(toB.at(-1)!.at, toC.at(-1)!.at) - start, 2000);
  });

  it("passes arrivals through the receiver's download rate", async () => {
    const { clock, net } = world({
      "10.0.0.1": {},
      "10.0.0.2": {},
      "10.0.0.3": { down: 64 * KiB },
    });
    const a = await connect(clock, net, "10.0.0.1", "10.0.0.3");
    const b = await connect(clock, net, "10.0.0.2", "10.0.0.3", 6882);
    const fromA = record(clock, a.server);
    const fromB = record(clock, b.server);
    const start = clock.now();
    a.client.write(Buffer.alloc(64 * KiB));
    b.client.write(Buffer.alloc(64 * KiB));
    clock.advance(1000);
    assert.equal(total(fromA) + total(fromB), 64 * KiB);
    clock.advance(1000);
    assert.equal(total(fromA) + total(fromB), 128 * KiB);
    assert.equal(Math.max(fromA.at(-1)!.at, fromB.at(-1)!.at) - start, 2000);
  });

  it("backs a writer up past the high-water mark until the bytes leave (drain)", async () => {
    const { clock, net } = world(
      { "10.0.0.1": { up: 10 * KiB }, "10.0.0.2": {} },
      { highWaterMark: 32 * KiB },
    );
    const { client, server } = await connect(clock, net, "10.0.0.1", "10.0.0.2");
    record(clock, server);
    let drainedAt = -1;
    client.on("drain", () => {
      drainedAt = clock.now();
    });
    const start = clock.now();
    assert.equal(client.write(Buffer.alloc(16 * KiB)), true);
    assert.equal(client.write(Buffer.alloc(16 * KiB)), false, "32 KiB queued: over the mark");
    clock.advance(5000);
    // The first 16 KiB segment left after 1.6 s: below the mark again.
    assert.equal(drainedAt - start, 1600);
  });

  it("stops the sender of a paused reader once its window is full, and goes on after resume", async () => {
    const { clock, net } = world(
      { "10.0.0.1": { up: 100 * KiB }, "10.0.0.2": {} },
      { receiveWindow: 32 * KiB },
    );
    const { client, server } = await connect(clock, net, "10.0.0.1", "10.0.0.2");
    const log = record(clock, server);
    server.pause();
    client.write(Buffer.alloc(100 * KiB));
    clock.advance(5000);
    assert.equal(total(log), 0, "paused: nothing is handed over");
    assert.equal(net.host("10.0.0.1")!.bytesSent, 32 * KiB, "the sender stopped at the window");
    server.resume();
    clock.advance(5000);
    assert.equal(total(log), 100 * KiB);
  });

  it("end() delivers what was written, then both ends close; destroy() closes the other end a latency later", async () => {
    const { clock, net } = world({ "10.0.0.1": { latency: 10 }, "10.0.0.2": { latency: 10 } });
    const one = await connect(clock, net, "10.0.0.1", "10.0.0.2");
    const log = record(clock, one.server);
    const closed: string[] = [];
    one.client.on("close", () => closed.push(`client@${clock.now()}`));
    one.server.on("close", () => closed.push(`server@${clock.now()}`));
    const start = clock.now();
    one.client.write(Buffer.from("bye"));
    one.client.end();
    assert.equal(one.client.destroyed, true);
    assert.equal(one.client.write(Buffer.from("late")), false);
    clock.advance(100);
    assert.equal(Buffer.concat(log.map((e) => e.chunk)).toString(), "bye");
    assert.deepEqual(closed, [`server@${start + 20}`, `client@${start + 40}`]);

    const two = await connect(clock, net, "10.0.0.1", "10.0.0.2");
    const events: string[] = [];
    two.server.on("close", () => events.push(`server@${clock.now()}`));
    two.client.on("close", () => events.push(`client@${clock.now()}`));
    const at = clock.now();
    two.client.destroy();
    assert.deepEqual(events, [`client@${at}`], "the destroyed end closes at once");
    clock.advance(100);
    assert.deepEqual(events, [`client@${at}`, `server@${at + 20}`]);
  });

  it("holds arrivals until somebody listens for data", async () => {
    const { clock, net } = world({ "10.0.0.1": {}, "10.0.0.2": {} });
    const { client, server } = await connect(clock, net, "10.0.0.1", "10.0.0.2");
    client.write(Buffer.from("early"));
    clock.advance(10);
    const log = record(clock, server);
    assert.equal(total(log), 0, "handed over on a later turn, not inside on()");
    clock.advance(0);
    assert.equal(Buffer.concat(log.map((e) => e.chunk)).toString(), "early");
  });

  it("repeats exactly: the same writes give the same deliveries at the same times", async () => {
    const run = async () => {
      const { clock, net } = world({
        "10.0.0.1": { up: 30 * KiB, latency: 7 },
        "10.0.0.2": { down: 20 * KiB, latency: 3 },
        "10.0.0.3": { up: 50 * KiB, latency: 11 },
      });
      const a = await connect(clock, net, "10.0.0.1", "10.0.0.2");
      const b = await connect(clock, net, "10.0.0.3", "10.0.0.2", 6882);
      const seen: string[] = [];
      a.server.on("data", (c) => seen.push(`a${c.length}@${clock.now()}`));
      b.server.on("data", (c) => seen.push(`b${c.length}@${clock.now()}`));
      for (let i = 0; i < 20; i++) {
        a.client.write(Buffer.alloc(1000 + i * 500));
        b.client.write(Buffer.alloc(3000 + i * 100));
      }
      clock.advance(10_000);
      return seen;
    };
    const first = await run();
    assert.ok(first.length > 20);
    assert.deepEqual(await run(), first);
  });
});
