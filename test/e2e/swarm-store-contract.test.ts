/**
 * The swarm store contract, one suite run against both stores: the memory
 * store (the default) and the Redis store against a real redis-server of the
 * test's own, twice: with Redis 7's functions (FCALL) and on a Redis whose
 * FUNCTION and FCALL are renamed away, as on Redis 6 (EVALSHA). Each case drives the store as a tracker does, through the
 * announce handler (the memory store's fine-grained calls, the Redis store's
 * one request per announce), and asserts what clients would see.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { type AnnounceFields, newAnnounceFields } from "../../src/tracker-proto/index.ts";
import {
  AnnounceHandler,
  type AnnounceOutcome,
  type AnnounceSettings,
  MemorySwarmStore,
  RedisSwarmStore,
  TOO_MANY_SWARMS_REASON,
  TrackerMetrics,
  UNREGISTERED_REASON,
} from "../../src/tracker-server/index.ts";
import { FakeClock, seededRandom } from "../../src/util/index.ts";
import { TempDirs } from "../interop/helpers.ts";
import { RedisServer, redisSkip } from "./redis-helpers.ts";

const H = "\x01".repeat(20);
const EXPIRY_MS = 60_000;

interface Limits {
  maxSwarms?: number;
  maxPeersPerSwarm?: number;
  settings?: Partial<AnnounceSettings>;
}

/** What a client sees of one announce (copied: the memory path reuses its outcome). */
interface Seen {
  failure: string | null;
  complete: number;
  incomplete: number;
  downloaded: number;
  /** Compact entries as hex, IPv4 then IPv6. */
  peers4: string[];
  peers6: string[];
  /** Dictionary form: peer ids. */
  ids: string[];
}

interface Driver {
  announce(f: AnnounceFields, family?: 4 | 6, transport?: "udp" | "http"): Promise<Seen>;
  scrape(keys: string[]): Promise<{ complete: number; incomplete: number; downloaded: number }[]>;
  expire(): Promise<number>;
  advance(ms: number): void;
  publish(key: string): Promise<void>;
  close(): Promise<void>;
  /** Redis only: makes Redis forget every script (SCRIPT FLUSH), as a restart does. */
  flushScripts?(): Promise<void>;
  /** Redis only: makes Redis forget every function library (FUNCTION FLUSH). */
  flushFunctions?(): Promise<void>;
  /** Redis only: how the store calls the announce code (FCALL or EVALSHA). */
  scriptCall?(): string;
}

function seen(out: AnnounceOutcome): Seen {
  const list = (b: Buffer, n: number, size: number) =>
    Array.from({ length: n }, (_, i) => b.toString("hex", i * size, (i + 1) * size));
  return {
    failure: out.failure,
    complete: out.complete,
    incomplete: out.incomplete,
    downloaded: out.downloaded,
    peers4: list(out.compact4, out.count4, 6),
    peers6: list(out.compact6, out.count6, 18),
    ids: [...out.peers4, ...out.peers6].map((p) => p.peerId),
  };
}

function source(i: number, family: 4 | 6) {
  return family === 4
    ? { family: 4 as const, ip: String.fromCharCode(10, 0, i >> 8, i & 255) }
    : { family: 6 as const, ip: `\xfd${"\0".repeat(13)}${String.fromCharCode(i >> 8, i & 255)}` };
}

function settingsOf(limits: Limits): AnnounceSettings {
  return {
    interval: 1800,
    minInterval: 900,
    defaultNumwant: 50,
    maxNumwant: 200,
    registeredOnly: false,
    trustIpParam: false,
    ...limits.settings,
  };
}

function memoryDriver(limits: Limits): Driver {
  const clock = new FakeClock(1_000_000);
  const registered = new Set<string>();
  const store = new MemorySwarmStore({
    expiryMs: EXPIRY_MS,
    maxSwarms: limits.maxSwarms ?? 100,
    maxPeersPerSwarm: limits.maxPeersPerSwarm ?? 10_000,
    random: seededRandom(3),
    keepEmpty: (k) => registered.has(k),
  });
  const handler = new AnnounceHandler({
    store,
    clock,
    metrics: new TrackerMetrics(),
    settings: settingsOf(limits),
    isRegistered: (k) => registered.has(k),
  });
  return {
    announce: async (f, family = 4, transport = "udp") =>
      seen(handler.announce(f, source(Number(f.port) - 6000, family), transport)),
    scrape: async (keys) => keys.map((k) => ({ ...handler.scrape(k) })),
    expire: async () => store.expire(clock.now()),
    advance: (ms) => clock.advance(ms),
    publish: async (k) => {
      registered.add(k);
    },
    close: async () => {},
  };
}

let redis: RedisServer | undefined;
/** A Redis without functions, as before 7.0: FUNCTION and FCALL are unknown commands. */
let redis6: RedisServer | undefined;
const WITHOUT_FUNCTIONS = ["--rename-command", "FUNCTION", "", "--rename-command", "FCALL", ""];
const dirs = new TempDirs();
let prefixes = 0;

function redisDriver(
  limits: Limits,
  server = () => redis,
  prefix = `contract${++prefixes}:`,
): Driver {
  let now = 1_000_000;
  const store = new RedisSwarmStore({
    url: (server() as RedisServer).url,
    prefix,
    expiryMs: EXPIRY_MS,
    maxSwarms: limits.maxSwarms ?? 100,
    maxPeersPerSwarm: limits.maxPeersPerSwarm ?? 10_000,
    now: () => now,
  });
  const ready = store.connect();
  const handler = new AnnounceHandler({
    store: new MemorySwarmStore({
      expiryMs: EXPIRY_MS,
      maxSwarms: 1,
      maxPeersPerSwarm: 1,
      random: Math.random,
    }),
    shared: store,
    clock: new FakeClock(0),
    metrics: new TrackerMetrics(),
    settings: settingsOf(limits),
    isRegistered: () => false,
  });
  return {
    announce: async (f, family = 4, transport = "udp") => {
      await ready;
      // The outcome is the handler's, reused: seen() reads it inside done.
      return await new Promise<Seen>((resolve, reject) => {
        const done = (_w: unknown, out: AnnounceOutcome | null, err: unknown) =>
          out === null ? reject(err) : resolve(seen(out));
        handler.announceSharedTo(f, source(Number(f.port) - 6000, family), transport, { done });
      });
    },
    scrape: async (keys) => {
      await ready;
      const s = await handler.scrapeShared(keys);
      assert.ok(s, "the store answered");
      return s;
    },
    expire: () => store.expire(),
    advance: (ms) => {
      now += ms;
    },
    publish: async (k) => {
      await ready;
      await store.client.hset(`${store.prefix}torrents`, Buffer.from(k, "latin1"), "x");
    },
    close: async () => {
      await store.clear();
      await store.close();
    },
    flushScripts: async () => {
      await ready;
      await store.client.script("FLUSH");
    },
    flushFunctions: async () => {
      await ready;
      await store.client.call("FUNCTION", "FLUSH");
    },
    scriptCall: () => store.scriptCall,
  };
}

function fields(i: number, over: Partial<AnnounceFields> = {}): AnnounceFields {
  return {
    ...newAnnounceFields(),
    infoHash: H,
    peerId: `p${i}`.padEnd(20, "-"),
    port: 6000 + i,
    left: 10,
    ...over,
  };
}

const compact4 = (i: number) =>
  Buffer.from([10, 0, i >> 8, i & 255, (6000 + i) >> 8, (6000 + i) & 255]).toString("hex");

const compact6 = (i: number) =>
  Buffer.from(
    `\xfd${"\0".repeat(13)}${String.fromCharCode(i >> 8, i & 255, (6000 + i) >> 8, (6000 + i) & 255)}`,
    "latin1",
  ).toString("hex");

const STORES: { name: string; make: (l: Limits) => Driver; skip: string | false }[] = [
  { name: "memory", make: memoryDriver, skip: false },
  { name: "redis", make: (l) => redisDriver(l), skip: redisSkip() },
  {
    name: "redis without functions (as Redis 6)",
    make: (l) => redisDriver(l, () => redis6),
    skip: redisSkip(),
  },
];

before(async () => {
  if (redisSkip()) return;
  redis = await RedisServer.start(await dirs.make("redis-contract"));
  redis6 = await RedisServer.start(await dirs.make("redis6-contract"), { args: WITHOUT_FUNCTIONS });
});

after(async () => {
  await redis?.stop();
  await redis6?.stop();
  await dirs.removeAll();
});

for (const { name, make, skip } of STORES) {
  describe(`swarm store contract: ${name}`, { skip }, () => {
    /** A driver for one case, closed after it. */
    async function withStore(limits: Limits, run: (d: Driver) => Promise<void>): Promise<void> {
      const d = make(limits);
      try {
        await run(d);
      } finally {
        await d.close();
      }
    }

    test("peers see each other, never themselves; counts by left", () =>
      withStore({}, async (d) => {
        await d.announce(fields(1));
        await d.announce(fields(2, { left: 0 }));
        const r = await d.announce(fields(3));
        assert.equal(r.failure, null);
        assert.deepEqual(r.peers4.sort(), [compact4(1), compact4(2)].sort());
        assert.equal(r.complete, 1);
        assert.equal(r.incomplete, 2);
        const again = await d.announce(fields(1));
        assert.deepEqual(again.peers4.sort(), [compact4(2), compact4(3)].sort());
      }));

    test("numwant: the default, the cap, 0 for none; no peer twice", () =>
      withStore({}, async (d) => {
        for (let i = 0; i < 260; i++) await d.announce(fields(i, { numwant: 0 }));
        const r = await d.announce(fields(1));
        assert.equal(r.peers4.length, 50);
        assert.equal(new Set(r.peers4).size, 50);
        assert.ok(!r.peers4.includes(compact4(1)));
        assert.equal((await d.announce(fields(1, { numwant: 1000 }))).peers4.length, 200);
        assert.equal((await d.announce(fields(1, { numwant: 0 }))).peers4.length, 0);
      }));

    test("a sample is random: asked often, every other peer comes up", () =>
      withStore({}, async (d) => {
        for (let i = 0; i < 40; i++) await d.announce(fields(i, { numwant: 0, left: i % 2 }));
        const seenPeers = new Set<string>();
        for (let k = 0; k < 60; k++) {
          for (const p of (await d.announce(fields(0, { numwant: 10 }))).peers4) seenPeers.add(p);
        }
        assert.equal(seenPeers.size, 39, [...seenPeers].sort().join(" "));
        assert.ok(!seenPeers.has(compact4(0)));
      }));

    test("a small swarm: samples random, no peer twice nor the asker, an address change seen", () =>
      withStore({}, async (d) => {
        // Few enough peers that the Redis store keeps each list in the
        // swarm's hash (redis-scripts.ts): IPv4 lists of 4, IPv6 of 1 and 3.
        const k = (i: number) => ({ keyValue: 1000 + i, numwant: 0 });
        for (let i = 0; i < 8; i++) await d.announce(fields(i, { ...k(i), left: i % 2 }));
        for (let i = 20; i < 23; i++)
          await d.announce(fields(i, { ...k(i), left: i === 20 ? 0 : 5 }), 6);
        const seen4 = new Set<string>();
        const seen6 = new Set<string>();
        for (let n = 0; n < 60; n++) {
          const r4 = (await d.announce(fields(1, { ...k(1), left: 1, numwant: 3 }))).peers4;
          assert.equal(new Set(r4).size, 3, r4.join(" "));
          for (const p of r4) seen4.add(p);
          const r6 = (await d.announce(fields(30, { ...k(30), numwant: 2 }), 6)).peers6;
          assert.equal(new Set(r6).size, 2, r6.join(" "));
          for (const p of r6) seen6.add(p);
        }
        assert.deepEqual([...seen4].sort(), [0, 2, 3, 4, 5, 6, 7].map(compact4).sort());
        assert.deepEqual([...seen6].sort(), [20, 21, 22].map(compact6).sort());
        // Peer 3 moves to another address with the same status: its slot is rewritten.
        await d.announce(fields(3, { ...k(3), left: 1, port: 6050 }));
        const all = (await d.announce(fields(1, { ...k(1), left: 1, numwant: 50 }))).peers4;
        assert.deepEqual(all.sort(), [0, 2, 4, 5, 6, 7, 50].map(compact4).sort());
      }));

    test("a seeder gets leechers only", () =>
      withStore({}, async (d) => {
        for (let i = 1; i <= 4; i++) await d.announce(fields(i, { left: i <= 2 ? 0 : 5 }));
        const r = await d.announce(fields(1, { left: 0 }));
        assert.deepEqual(r.peers4.sort(), [compact4(3), compact4(4)].sort());
      }));

    test("completed: counted once, a leecher turning seeder moves between the counts", () =>
      withStore({}, async (d) => {
        await d.announce(fields(1));
        await d.announce(fields(2));
        let r = await d.announce(fields(1, { left: 0, event: "completed" }));
        assert.deepEqual([r.complete, r.incomplete, r.downloaded], [1, 1, 1]);
        r = await d.announce(fields(1, { left: 0, event: "completed" }));
        assert.equal(r.downloaded, 1, "a seeder's second completed does not count");
        r = await d.announce(fields(1, { left: 5 }));
        assert.deepEqual([r.complete, r.incomplete], [0, 2]);
      }));

    test("stopped: the peer leaves; another owner cannot stop it", () =>
      withStore({}, async (d) => {
        await d.announce(fields(1, { keyValue: 77 }));
        await d.announce(fields(2));
        // The same peer id with another key is another peer: this stop removes nothing of 1's.
        await d.announce(fields(1, { keyValue: 78, event: "stopped" }));
        let r = await d.announce(fields(2));
        assert.deepEqual(r.peers4, [compact4(1)]);
        r = await d.announce(fields(1, { keyValue: 77, event: "stopped" }));
        assert.equal(r.peers4.length, 0);
        assert.equal(r.incomplete, 1);
        r = await d.announce(fields(2));
        assert.deepEqual(r.peers4, []);
      }));

    test("expiry: a peer silent for the expiry time goes, one that announced stays", () =>
      withStore({}, async (d) => {
        await d.announce(fields(1));
        await d.announce(fields(2));
        d.advance(EXPIRY_MS / 2);
        await d.announce(fields(2));
        d.advance(EXPIRY_MS / 2 + 1);
        assert.equal(await d.expire(), 1);
        const [s] = await d.scrape([H]);
        assert.deepEqual(s, { complete: 0, incomplete: 1, downloaded: 0 });
        d.advance(EXPIRY_MS);
        assert.equal(await d.expire(), 1);
        assert.deepEqual((await d.scrape([H]))[0], { complete: 0, incomplete: 0, downloaded: 0 });
      }));

    test("announces sent together: a peer that comes and stops among them leaves nothing to expire", () =>
      withStore({}, async (d) => {
        // Not awaited one by one: on Redis they go in one script call, whose
        // last-announce times are written together (the stop must still win).
        const replies = await Promise.all([
          d.announce(fields(1)),
          d.announce(fields(2)),
          d.announce(fields(1, { event: "stopped" })),
          d.announce(fields(3, { left: 0 })),
        ]);
        assert.equal(replies.length, 4);
        const [s] = await d.scrape([H]);
        assert.deepEqual(s, { complete: 1, incomplete: 1, downloaded: 0 });
        d.advance(EXPIRY_MS / 2);
        assert.equal(await d.expire(), 0);
        d.advance(EXPIRY_MS / 2 + 1);
        // Peers 2 and 3 only: peer 1 left no last-announce time behind.
        assert.equal(await d.expire(), 2);
        assert.deepEqual((await d.scrape([H]))[0], { complete: 0, incomplete: 0, downloaded: 0 });
      }));

    test("scrape: the announce's counts, zeros for an unknown swarm", () =>
      withStore({}, async (d) => {
        await d.announce(fields(1, { left: 0 }));
        await d.announce(fields(2, { left: 3 }));
        await d.announce(fields(2, { left: 0, event: "completed" }));
        await d.announce(fields(3));
        const s = await d.scrape([H, "\x09".repeat(20)]);
        assert.deepEqual(s, [
          { complete: 2, incomplete: 1, downloaded: 1 },
          { complete: 0, incomplete: 0, downloaded: 0 },
        ]);
      }));

    test("limits: a full swarm takes no new peer, a full tracker no new swarm", () =>
      withStore({ maxSwarms: 2, maxPeersPerSwarm: 3 }, async (d) => {
        for (let i = 1; i <= 4; i++) await d.announce(fields(i));
        const s = await d.scrape([H]);
        assert.equal(s[0]!.incomplete, 3);
        const full = await d.announce(fields(9));
        assert.equal(full.failure, null, "a full swarm still answers with peers");
        assert.equal(full.peers4.length, 3);
        await d.announce(fields(1, { infoHash: "\x02".repeat(20) }));
        const refused = await d.announce(fields(1, { infoHash: "\x03".repeat(20) }));
        assert.equal(refused.failure, TOO_MANY_SWARMS_REASON);
      }));

    test("families: UDP answers the packet's family only, HTTP both, the asker's first", () =>
      withStore({}, async (d) => {
        await d.announce(fields(1), 4);
        await d.announce(fields(2), 6);
        const udp6 = await d.announce(fields(3), 6, "udp");
        assert.equal(udp6.peers4.length, 0);
        assert.equal(udp6.peers6.length, 1);
        assert.equal(udp6.peers6[0]!.slice(-4), (6002).toString(16).padStart(4, "0"));
        const http4 = await d.announce(fields(4), 4, "http");
        assert.deepEqual(http4.peers4, [compact4(1)]);
        assert.equal(http4.peers6.length, 2);
      }));

    test("dictionary form: peer records with their ids", () =>
      withStore({}, async (d) => {
        await d.announce(fields(1));
        await d.announce(fields(2));
        const r = await d.announce(fields(3, { compact: false }));
        assert.deepEqual(r.ids.sort(), [fields(1).peerId, fields(2).peerId].sort());
      }));

    test("churn: after random joins, leaves, status and address changes, one asking for all gets exactly the peers there", () =>
      withStore({}, async (d) => {
        const random = seededRandom(11);
        const pick = (n: number) => Math.floor(random() * n);
        // The model: peer i → its status and the families it announced from.
        const there = new Map<number, { left: number; families: Set<4 | 6> }>();
        const observer = 100;
        for (let step = 0; step < 300; step++) {
          const i = pick(30);
          const key = { keyValue: 1000 + i, numwant: 0 };
          if (random() < 0.2) {
            await d.announce(fields(i, { ...key, event: "stopped" }), 4);
            there.delete(i);
          } else {
            const left = random() < 0.4 ? 0 : 5;
            const family = random() < 0.6 ? 4 : 6;
            await d.announce(fields(i, { ...key, left }), family);
            const families = there.get(i)?.families ?? new Set<4 | 6>();
            families.add(family);
            there.set(i, { left, families });
          }
          if (step % 25 !== 24) continue;
          const r = await d.announce(
            fields(observer, { keyValue: 1, numwant: 200, left: 10 }),
            4,
            "http",
          );
          const want4: string[] = [];
          const want6: string[] = [];
          for (const [p, v] of there) {
            if (v.families.has(4)) want4.push(compact4(p));
            if (v.families.has(6)) want6.push(compact6(p));
          }
          assert.deepEqual(r.peers4.sort(), want4.sort(), `IPv4 peers after step ${step}`);
          assert.deepEqual(r.peers6.sort(), want6.sort(), `IPv6 peers after step ${step}`);
          const seeders = [...there.values()].filter((v) => v.left === 0).length;
          assert.equal(r.complete, seeders);
          assert.equal(r.incomplete, there.size - seeders + 1);
        }
        // A crowd comes and most of it goes (the lists shrink far below their peak).
        for (let i = 200; i < 350; i++) await d.announce(fields(i, { keyValue: i, numwant: 0 }));
        for (let i = 200; i < 350; i++) {
          if ((i - 200) % 30 === 0) there.set(i, { left: 10, families: new Set([4]) });
          else await d.announce(fields(i, { keyValue: i, event: "stopped" }));
        }
        const after = await d.announce(fields(observer, { keyValue: 1, numwant: 200 }), 4, "http");
        assert.deepEqual(
          after.peers4.sort(),
          [...there]
            .filter(([, v]) => v.families.has(4))
            .map(([p]) => compact4(p))
            .sort(),
        );
        const ids = await d.announce(
          fields(observer, { keyValue: 1, numwant: 200, left: 10, compact: false }),
          4,
          "http",
        );
        assert.deepEqual(
          ids.ids.sort(),
          [...there.keys()]
            .flatMap((p) => {
              const n = there.get(p)!.families.size;
              return Array.from({ length: n }, () => fields(p).peerId);
            })
            .sort(),
        );
      }));

    test("registered only: an unpublished torrent is refused, a published one served", () =>
      withStore({ settings: { registeredOnly: true } }, async (d) => {
        const r = await d.announce(fields(1));
        assert.equal(r.failure, UNREGISTERED_REASON);
        await d.publish(H);
        assert.equal((await d.announce(fields(1))).failure, null);
        assert.equal((await d.announce(fields(2))).incomplete, 2);
      }));
  });
}

describe("swarm store on redis: its scripts", { skip: redisSkip() }, () => {
  /** Runs `run` on a driver of its own, closed after it. */
  async function withRedis(d: Driver, run: (d: Driver) => Promise<void>): Promise<void> {
    try {
      await run(d);
    } finally {
      await d.close();
    }
  }

  test("a Redis that forgot the announce script is sent it again, and the announce answered", () =>
    withRedis(
      redisDriver({}, () => redis6),
      async (d) => {
        assert.equal((await d.announce(fields(1))).failure, null);
        assert.equal(d.scriptCall?.(), "EVALSHA");
        await d.flushScripts?.();
        const r = await d.announce(fields(2));
        assert.equal(r.failure, null);
        assert.deepEqual(r.peers4, [compact4(1)]);
        assert.equal(r.incomplete, 2);
      },
    ));

  test("on Redis 7 the announces are one function call a batch, its library loaded once", () =>
    withRedis(redisDriver({}), async (d) => {
      assert.equal((await d.announce(fields(1))).failure, null);
      assert.equal(d.scriptCall?.(), "FCALL");
      const client = new Redis((redis as RedisServer).url);
      const stats = async () => {
        const info = await client.info("commandstats");
        const calls = (c: string) =>
          Number(info.match(new RegExp(`cmdstat_${c}:calls=(\\d+)`))?.[1] ?? 0);
        return { fcall: calls("fcall"), evalsha: calls("evalsha"), load: calls("function\\|load") };
      };
      const before = await stats();
      for (let i = 2; i <= 4; i++) assert.equal((await d.announce(fields(i))).incomplete, i);
      const later = await stats();
      client.disconnect();
      assert.equal(later.fcall - before.fcall, 3, "one FCALL per batch");
      assert.equal(later.evalsha, before.evalsha, "no EVALSHA");
      assert.equal(later.load, before.load, "the library is not loaded again");
    }));

  test("a Redis that lost its functions (FUNCTION FLUSH) is sent the library again, and the announce answered", () =>
    withRedis(redisDriver({}), async (d) => {
      assert.equal((await d.announce(fields(1))).failure, null);
      await d.flushFunctions?.();
      const r = await d.announce(fields(2));
      assert.equal(r.failure, null);
      assert.deepEqual(r.peers4, [compact4(1)]);
      assert.equal(r.incomplete, 2);
      assert.equal(d.scriptCall?.(), "FCALL");
    }));

  test("a second instance finds the library loaded already; both answer the same swarm", async () => {
    const prefix = `contract${++prefixes}:`;
    const a = redisDriver({}, () => redis, prefix);
    const b = redisDriver({}, () => redis, prefix);
    try {
      assert.equal((await a.announce(fields(1))).failure, null);
      const r = await b.announce(fields(2));
      assert.equal(b.scriptCall?.(), "FCALL");
      assert.deepEqual(r.peers4, [compact4(1)]);
      assert.deepEqual((await a.announce(fields(1))).peers4, [compact4(2)]);
    } finally {
      await b.close();
      await a.close();
    }
  });

  test("Redis restarted without persistence: the library is loaded again, announces answered", () =>
    withRedis(redisDriver({}), async (d) => {
      assert.equal((await d.announce(fields(1))).failure, null);
      const server = redis as RedisServer;
      await server.stop();
      redis = await server.restart();
      // Wait (bounded) for the store to reconnect; its announces fail until then.
      const deadline = Date.now() + 30_000;
      const attempt = () => d.announce(fields(2)).catch(() => null);
      let r = await attempt();
      while ((r === null || r.failure !== null) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        r = await attempt();
      }
      assert.ok(r, "answered after the restart");
      assert.equal(r.failure, null);
      assert.equal(r.incomplete, 1, "the restarted Redis kept nothing");
      assert.equal(d.scriptCall?.(), "FCALL");
    }));
});
