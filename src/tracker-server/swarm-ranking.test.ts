import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { seededRandom } from "../util/index.ts";
import type { TrackerContext } from "./context.ts";
import { MemorySwarmStore } from "./memory-swarm-store.ts";
import { SwarmRanking } from "./swarm-ranking.ts";
import { FRESH_MS, SAME_MS, ViewCache } from "./view-cache.ts";

function key(i: number): string {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(i, 0);
  return b.toString("latin1");
}

function world(swarms: number, busy: (i: number) => number, published: string[] = []) {
  const store = new MemorySwarmStore({
    expiryMs: 60_000,
    maxSwarms: 1_000_000,
    maxPeersPerSwarm: 1000,
    random: seededRandom(1),
  });
  for (let i = 0; i < swarms; i++) {
    for (let p = 0; p < busy(i); p++) {
      const peerId = `peer${String(p).padStart(16, "0")}`;
      store.put(key(i), { peerId, ip4: p + 1, ip6: "", port: 1, left: 1, previousLeft: 0 }, 0);
    }
  }
  const index = {
    size: published.length,
    keys: () => published.values(),
    has: (k: string) => published.includes(k),
  };
  return { store, index } as unknown as TrackerContext;
}

test("busiest first, published torrents without peers after them, each once", () => {
  const ctx = world(50, (i) => (i % 7) + 1, [key(3), key(999)]);
  const ranked = new SwarmRanking(ctx).ranked(0);
  assert.equal(ranked.length, 51);
  assert.equal(new Set(ranked).size, 51);
  const size = (k: string) => {
    const c = ctx.store.counts(k);
    return c ? c.seeders + c.leechers : 0;
  };
  for (let i = 1; i < ranked.length; i++) assert.ok(size(ranked[i - 1]!) >= size(ranked[i]!));
  assert.equal(ranked.at(-1), key(999), "a published torrent with no swarm is last");
});

test("more swarms than one chunk: ranked over several turns, the top kept, then reused", async () => {
  const n = 30_000;
  const ctx = world(n, (i) => (i % 1000 === 0 ? 3 : 1));
  const ranking = new SwarmRanking(ctx);
  ranking.ranked(0);
  for (let i = 0; i < 5; i++) await nextTurn();
  const ranked = ranking.ranked(10);
  assert.equal(ranked.length, 10_500, "only the top MAX_SWARM_OFFSET + MAX_SWARM_LIMIT are kept");
  assert.deepEqual(
    new Set(ranked.slice(0, 30)),
    new Set(Array.from({ length: 30 }, (_, k) => key(k * 1000))),
  );
  assert.equal(ranking.ranked(20), ranked, "nothing changed: the same ranking");
  ranking.stop();
});

test("view cache: fresh for FRESH_MS whatever changed, up to SAME_MS while nothing did; bounded", () => {
  const cache = new ViewCache(2, 1000);
  let renders = 0;
  const render = () => ({ body: Buffer.alloc(10, ++renders) });
  cache.get("a", 1, 0, render);
  cache.get("a", 2, FRESH_MS - 1, render);
  assert.equal(renders, 1);
  cache.get("a", 2, FRESH_MS, render);
  assert.equal(renders, 2, "the stamp moved and it is no longer fresh");
  cache.get("a", 2, FRESH_MS + SAME_MS - 1, render);
  assert.equal(renders, 2, "nothing moved");
  cache.get("b", 2, 0, render);
  cache.get("c", 2, 0, render);
  assert.equal(cache.size, 2);
  const big = cache.get("d", 2, 0, () => ({ body: Buffer.alloc(600) }));
  assert.equal(big.body.length, 600);
  assert.equal(cache.size, 2, "a view over a quarter of the bytes is not kept");
});
