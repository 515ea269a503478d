import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  buildAnnounceReply,
  buildFailureReply,
  buildScrapeReply,
  encodeCompactPeers,
} from "../tracker-proto/index.ts";
import { FakeClock } from "../util/index.ts";
import { Announcer, type AnnouncerOptions } from "./announcer.ts";
import { BACKOFF_MAX_MS, backoffDelay } from "./backoff.ts";
import { deadPorts, FakeHttpTracker, FakeUdpTracker } from "./fake-trackers.ts";
import type { TrackerStatus } from "./types.ts";

const infoHash = Buffer.alloc(20, 0x11);
const peerId = Buffer.from("-SH0100-announcer001");
const S = 1000;

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function http(reply?: Parameters<typeof buildAnnounceReply>[0]): Promise<FakeHttpTracker> {
  const t = await FakeHttpTracker.start();
  if (reply) t.handler = (_c, res) => res.end(buildAnnounceReply(reply));
  cleanups.push(() => t.close());
  return t;
}

async function dead(count = 1): Promise<string[]> {
  return (await deadPorts(count)).map((port) => `http://127.0.0.1:${port}/announce`);
}

/** An announcer on a FakeClock; random 0.5 keeps jitter neutral; 0.999 keeps tier order. */
function announcer(announceList: string[][], over: Partial<AnnouncerOptions> = {}) {
  const clock = new FakeClock(0);
  const stats = { uploaded: 0, downloaded: 0, left: 1000 };
  const a = new Announcer({
    infoHash,
    peerId,
    port: 6881,
    announceList,
    stats: () => stats,
    clock,
    random: () => 0.999,
    key: "feedbeef",
    minIntervalMs: 0,
    ...over,
  });
  const errors: [string, string][] = [];
  const warnings: [string, string][] = [];
  a.on("trackerError", (url, msg) => errors.push([url, msg]));
  a.on("warning", (url, msg) => warnings.push([url, msg]));
  cleanups.push(() => a.stop());
  return { a, clock, stats, errors, warnings };
}

function byUrl(a: Announcer, url: string): TrackerStatus {
  const s = a.status().find((x) => x.url === url);
  assert.ok(s, `no status for ${url}`);
  return s;
}

/** Polls real time (at most 5 s) until `cond` holds. */
async function waitFor(cond: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!cond()) {
    assert.ok(performance.now() < deadline, "timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Moves the fake clock and waits for the round it triggers, if any. */
async function advance(a: Announcer, clock: FakeClock, ms: number): Promise<void> {
  clock.advance(ms);
  await a.idle();
}

describe("Announcer: tiers (BEP 12)", () => {
  it("falls back through a failing tier to the next, and announces only to the first that works", async () => {
    const [d1, d2] = (await dead(2)) as [string, string];
    const good = await http({
      interval: 600,
      peers: encodeCompactPeers([{ ip: "10.0.0.2", port: 7 }], 4),
    });
    const spare = await http();
    const { a, errors } = announcer([[d1, d2], [good.url], [spare.url]]);
    const peers: [unknown, string][] = [];
    a.on("peers", (p, url) => peers.push([p, url]));
    a.start();
    await a.idle();
    assert.deepEqual(good.events, ["started"]);
    assert.equal(spare.calls.length, 0, "lower tiers are not used while one above works");
    assert.deepEqual(peers, [[[{ ip: "10.0.0.2", port: 7 }], good.url]]);
    assert.equal(byUrl(a, d1).state, "failed");
    assert.equal(byUrl(a, d2).state, "failed");
    assert.equal(byUrl(a, good.url).state, "working");
    assert.equal(byUrl(a, spare.url).state, "idle");
    assert.deepEqual(
      errors.map(([u]) => u),
      [d1, d2],
    );
  });

  it("moves a tracker that answers to the front of its tier and tries it first next time", async () => {
    const [d] = (await dead()) as [string];
    const good = await http({ interval: 600 });
    const { a, clock } = announcer([[d, good.url]]);
    assert.deepEqual(a.tierOrder(0), [d, good.url]);
    a.start();
    await a.idle();
    assert.deepEqual(a.tierOrder(0), [good.url, d]);
    await advance(a, clock, 600 * S);
    assert.deepEqual(good.events, ["started", "none"]);
    assert.equal(byUrl(a, d).failures, 1, "the dead tracker was not tried again");
  });

  it("skips an upper tier while it is backed off and returns to it once it answers", async () => {
    const upper = await http();
    upper.handler = (_c, res) => res.end(buildFailureReply("maintenance"));
    const lower = await http({ interval: 10 });
    const { a, clock } = announcer([[upper.url], [lower.url]], { random: () => 0.5 });
    a.start();
    await a.idle();
    assert.deepEqual([upper.calls.length, lower.events], [1, ["started"]]);
    await advance(a, clock, 10 * S);
    assert.equal(upper.calls.length, 1, "backed off until 30 s");
    assert.deepEqual(lower.events, ["started", "none"]);
    await advance(a, clock, 20 * S);
    assert.equal(upper.calls.length, 1);
    upper.handler = (_c, res) => res.end(buildAnnounceReply({ interval: 10 }));
    await advance(a, clock, 10 * S);
    assert.deepEqual(upper.events, ["started", "started"]);
    assert.equal(lower.calls.length, 3, "the lower tier is not used once the upper one answers");
    assert.equal(byUrl(a, upper.url).state, "working");
    assert.equal(byUrl(a, lower.url).state, "idle");
    // Both may list us now, so both get stopped.
    await a.stop();
    assert.equal(upper.events.at(-1), "stopped");
    assert.equal(lower.events.at(-1), "stopped");
  });

  it("shuffles each tier once with the random source", () => {
    const urls = ["http://127.0.0.1:1/a", "http://127.0.0.1:2/a", "http://127.0.0.1:3/a"];
    const { a } = announcer([urls], { random: () => 0 });
    // Fisher–Yates with random() = 0 rotates the list left by one.
    assert.deepEqual(a.tierOrder(0), [urls[1], urls[2], urls[0]]);
  });

  it("skips unsupported schemes with a trackerError, and drops duplicates", async () => {
    const good = await http({ interval: 600 });
    const { a, errors } = announcer([["wss://127.0.0.1:1/", good.url], [good.url]]);
    a.start();
    await a.idle();
    assert.deepEqual(good.events, ["started"]);
    assert.equal(a.status().length, 2);
    assert.equal(byUrl(a, "wss://127.0.0.1:1/").state, "unsupported");
    assert.match(errors[0]![1], /unsupported/);
  });
});

describe("Announcer: timing", () => {
  it("re-announces on the tracker's interval, never sooner than its min interval", async () => {
    const t = await http({ interval: 120, minInterval: 300 });
    const { a, clock } = announcer([[t.url]]);
    a.start();
    await a.idle();
    assert.equal(byUrl(a, t.url).nextAnnounce, 300 * S);
    await advance(a, clock, 299 * S);
    assert.equal(t.calls.length, 1);
    await advance(a, clock, 1 * S);
    assert.deepEqual(t.events, ["started", "none"]);
    t.handler = (_c, res) => res.end(buildAnnounceReply({ interval: 900, minInterval: 60 }));
    await advance(a, clock, 300 * S);
    assert.equal(t.calls.length, 3);
    await advance(a, clock, 899 * S);
    assert.equal(t.calls.length, 3);
    await advance(a, clock, 1 * S);
    assert.equal(t.calls.length, 4);
  });

  it("applies the minIntervalMs floor to what the tracker asks", async () => {
    const t = await http({ interval: 5 });
    const { a, clock } = announcer([[t.url]], { minIntervalMs: 60 * S });
    a.start();
    await a.idle();
    await advance(a, clock, 59 * S);
    assert.equal(t.calls.length, 1);
    await advance(a, clock, 1 * S);
    assert.equal(t.calls.length, 2);
  });

  it("backs off exponentially on failure and resets after a success", async () => {
    const t = await http();
    t.handler = (_c, res) => res.end(buildFailureReply("overloaded, try later"));
    const { a, clock, errors } = announcer([[t.url]], { random: () => 0.5 });
    a.start();
    await a.idle();
    const s1 = byUrl(a, t.url);
    assert.equal(s1.failures, 1);
    assert.equal(s1.lastError, "overloaded, try later");
    assert.equal(s1.nextAnnounce, 30 * S);
    await advance(a, clock, 30 * S);
    assert.equal(byUrl(a, t.url).nextAnnounce, 30 * S + 60 * S);
    await advance(a, clock, 60 * S);
    assert.equal(byUrl(a, t.url).nextAnnounce, 90 * S + 120 * S);
    assert.equal(t.calls.length, 3);
    assert.deepEqual(t.events, ["started", "started", "started"]);
    assert.equal(errors.length, 3);
    t.handler = (_c, res) => res.end(buildAnnounceReply({ interval: 1800 }));
    await advance(a, clock, 120 * S);
    const ok = byUrl(a, t.url);
    assert.equal(ok.failures, 0);
    assert.equal(ok.state, "working");
    assert.equal(ok.lastError, undefined);
    assert.equal(ok.nextAnnounce, 210 * S + 1800 * S);
    // The next failure starts again from the base delay.
    t.handler = (_c, res) => res.end(buildFailureReply("down again"));
    await advance(a, clock, 1800 * S);
    assert.equal(byUrl(a, t.url).nextAnnounce, 2010 * S + 30 * S);
  });

  it("caps the back-off and jitters it by ±25 %", () => {
    assert.equal(
      backoffDelay(1, () => 0.5),
      30_000,
    );
    assert.equal(
      backoffDelay(4, () => 0.5),
      240_000,
    );
    assert.equal(
      backoffDelay(50, () => 0.5),
      BACKOFF_MAX_MS,
    );
    assert.equal(
      backoffDelay(1, () => 0),
      22_500,
    );
    assert.equal(
      backoffDelay(1, () => 0.999_999),
      37_500,
    );
  });

  it("announceNow waits for min interval unless forced, and retries backed-off trackers", async () => {
    const t = await http({ interval: 1800, minInterval: 120 });
    const { a, clock } = announcer([[t.url]]);
    a.start();
    await a.idle();
    await advance(a, clock, 10 * S);
    a.announceNow();
    await a.idle();
    assert.equal(t.calls.length, 1, "deferred to min interval");
    await advance(a, clock, 110 * S);
    assert.equal(t.calls.length, 2);
    a.announceNow(true);
    await a.idle();
    assert.equal(t.calls.length, 3);
    t.handler = (_c, res) => res.end(buildFailureReply("nope"));
    a.announceNow(true);
    await a.idle();
    assert.equal(byUrl(a, t.url).state, "failed");
    t.handler = (_c, res) => res.end(buildAnnounceReply({ interval: 1800 }));
    a.announceNow(true);
    await a.idle();
    assert.equal(byUrl(a, t.url).state, "working", "back-off skipped on request");
    assert.deepEqual(t.events, ["started", "none", "none", "none", "started"]);
  });
});

describe("Announcer: replies and events", () => {
  it("echoes the tracker id and reports warnings", async () => {
    const t = await http({ interval: 60, trackerId: "tid-7", warning: "client is old" });
    const { a, clock, warnings } = announcer([[t.url]]);
    a.start();
    await a.idle();
    assert.equal(t.calls[0]!.announce!.trackerId, undefined);
    assert.deepEqual(warnings, [[t.url, "client is old"]]);
    assert.equal(byUrl(a, t.url).lastWarning, "client is old");
    await advance(a, clock, 60 * S);
    assert.equal(t.calls[1]!.announce!.trackerId, "tid-7");
  });

  it("sends the stats, numwant and key; completed once; stopped on stop()", async () => {
    const t = await http({ interval: 600, complete: 3, incomplete: 4 });
    const idle = await http();
    const { a, clock, stats } = announcer([[t.url], [idle.url]], { numwant: 80 });
    a.start();
    await a.idle();
    const first = t.calls[0]!.announce!;
    assert.deepEqual(
      [first.left, first.numwant, first.key, first.port],
      [1000, 80, "feedbeef", 6881],
    );
    assert.equal(byUrl(a, t.url).seeders, 3);
    assert.equal(byUrl(a, t.url).leechers, 4);
    stats.left = 0;
    stats.downloaded = 1000;
    a.completed();
    await a.idle();
    assert.deepEqual(t.events, ["started", "completed"]);
    assert.equal(t.calls[1]!.announce!.left, 0);
    await advance(a, clock, 600 * S);
    assert.deepEqual(t.events, ["started", "completed", "none"]);
    await a.stop();
    assert.deepEqual(t.events, ["started", "completed", "none", "stopped"]);
    assert.equal(t.calls[3]!.announce!.numwant, 0);
    assert.equal(idle.calls.length, 0, "stopped goes only to trackers that were announced to");
    await advance(a, clock, 3600 * S);
    assert.equal(t.calls.length, 4, "no timers after stop()");
  });

  it("BEP 21: a partial seed's regular announces say paused; started, completed and stopped win", async () => {
    const t = await http({ interval: 600 });
    let partial = false;
    const { a, clock, stats } = announcer([[t.url]], { partialSeed: () => partial });
    a.start();
    await a.idle();
    await advance(a, clock, 600 * S);
    assert.deepEqual(t.events, ["started", "none"]);
    partial = true; // the wanted files are here; a skipped one is not
    stats.left = 400;
    await advance(a, clock, 600 * S);
    assert.deepEqual(t.events, ["started", "none", "paused"]);
    assert.equal(t.calls[2]!.announce!.left, 400, "left still counts the skipped bytes");
    partial = false; // every file wanted again and here
    stats.left = 0;
    a.completed();
    await a.idle();
    await a.stop();
    assert.deepEqual(t.events, ["started", "none", "paused", "completed", "stopped"]);
  });

  it("completed() during a round is announced right after it", async () => {
    const t = await http({ interval: 600 });
    let release: (() => void) | undefined;
    t.handler = (_c, res) => {
      release = () => res.end(buildAnnounceReply({ interval: 600 }));
    };
    const { a } = announcer([[t.url]]);
    a.start();
    await waitFor(() => release !== undefined);
    a.completed();
    t.handler = (_c, res) => res.end(buildAnnounceReply({ interval: 600 }));
    release!();
    await a.idle();
    assert.deepEqual(t.events, ["started", "completed"]);
  });

  it("stop() right after completed() lets the completed land first (BEP 3)", async () => {
    const t = await http({ interval: 600 });
    const { a } = announcer([[t.url]]);
    a.start();
    await a.idle();
    // What `shoal get` does: the download ends, and the client closes at once.
    a.completed();
    await a.stop();
    assert.deepEqual(t.events, ["started", "completed", "stopped"]);
  });

  it("stop() is bounded when a tracker does not answer the stopped", async () => {
    const t = await http({ interval: 600 });
    const { a, clock } = announcer([[t.url]], { stopTimeoutMs: 2 * S });
    a.start();
    await a.idle();
    t.handler = () => {};
    const stopping = a.stop();
    await waitFor(() => t.calls.length === 2);
    clock.advance(2 * S);
    await stopping;
    assert.deepEqual(t.events, ["started", "stopped"]);
  });

  it("works over UDP: started, re-announce reusing nothing stale, stopped, scrape", async () => {
    const u = await FakeUdpTracker.start();
    cleanups.push(() => u.close());
    u.peers = [{ ip: "10.9.8.7", port: 6000 }];
    u.interval = 300;
    const { a, clock } = announcer([[u.url]]);
    const got: unknown[] = [];
    a.on("peers", (p) => got.push(p));
    a.start();
    await a.idle();
    assert.deepEqual(got, [[{ ip: "10.9.8.7", port: 6000 }]]);
    assert.equal(byUrl(a, u.url).seeders, 2);
    await advance(a, clock, 300 * S);
    // 300 s later the connection id has expired: connect again first (BEP 15).
    assert.deepEqual(
      u.received.map((r) => r.action),
      ["connect", "announce", "connect", "announce"],
    );
    const counts = await a.scrape();
    assert.ok(counts?.infoHash.equals(infoHash));
    await a.stop();
    const last = u.received.at(-1)!;
    assert.ok(last.action === "announce" && last.event === "stopped");
  });

  it("scrapes the working HTTP tracker", async () => {
    const t = await http({ interval: 600 });
    const base = t.handler;
    t.handler = (call, res) => {
      if (call.path === "/scrape") {
        res.end(buildScrapeReply([{ infoHash, complete: 1, downloaded: 2, incomplete: 3 }]));
      } else base(call, res);
    };
    const { a } = announcer([[t.url]]);
    const counts = await a.scrape();
    assert.deepEqual([counts?.complete, counts?.downloaded, counts?.incomplete], [1, 2, 3]);
    assert.equal(byUrl(a, t.url).downloaded, 2);
  });

  it("reports when every tracker fails and retries at the first back-off end", async () => {
    const [d1, d2] = (await dead(2)) as [string, string];
    const { a } = announcer([[d1], [d2]], { random: () => 0.5 });
    a.start();
    await a.idle();
    assert.deepEqual(
      a.status().map((s) => [s.state, s.nextAnnounce]),
      [
        ["failed", 30 * S],
        ["failed", 30 * S],
      ],
    );
  });
});
