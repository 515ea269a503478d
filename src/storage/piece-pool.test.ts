import assert from "node:assert/strict";
import { test } from "node:test";
import { PieceCache } from "./piece-cache.ts";
import { PiecePool } from "./piece-pool.ts";

test("pool: a released buffer is reused once, on shared memory; foreign buffers are not taken", () => {
  const pool = new PiecePool(4 * 1024);
  const a = pool.acquire(1024);
  assert.ok(a.buffer instanceof SharedArrayBuffer);
  pool.release(a);
  pool.release(a); // a second release of the same buffer is ignored
  assert.equal(pool.idleBytes, 1024);
  assert.equal(pool.acquire(1024), a);
  assert.notEqual(pool.acquire(1024), a, "handed out once only");
  pool.release(Buffer.alloc(1024)); // not from a pool
  assert.equal(pool.idleBytes, 0);
  for (let i = 0; i < 6; i++) pool.release(pool.acquire(2048));
  assert.ok(pool.idleBytes <= 4 * 1024, "idle memory stays under its bound");
  assert.equal(PiecePool.owns(a.subarray(0, 512)), false, "a view is not a pool buffer");
});

test("pool: pieces of 64 KiB and more start on a page boundary (for direct I/O)", () => {
  const pool = new PiecePool(0);
  const small = pool.acquire(32 * 1024);
  const large = pool.acquire(100_000);
  assert.equal(PiecePool.aligned(small), false);
  assert.equal(PiecePool.aligned(large), true);
  assert.equal(large.length, 100_000);
  assert.ok(large.buffer instanceof SharedArrayBuffer, "still shared with the worker");
  assert.ok(PiecePool.owns(large));
});

test("cache: a piece evicted while a block of it is leased is freed only when the lease ends", () => {
  const freed: number[] = [];
  const cache = new PieceCache(2, (piece) => freed.push(piece[0]!));
  cache.set(1, Buffer.from([1]));
  cache.set(2, Buffer.from([2]));
  const lease = cache.lease(1)!; // 1 is now the most recent
  assert.equal(lease.piece[0], 1);
  cache.set(3, Buffer.from([3])); // evicts 2, the least recently used
  assert.deepEqual(freed, [2]);
  cache.set(4, Buffer.from([4])); // evicts 1, still leased
  assert.deepEqual(freed, [2]);
  assert.equal(cache.lease(1), undefined);
  lease.release();
  lease.release();
  assert.deepEqual(freed, [2, 1], "freed once, when its last lease ends");
  cache.set(5, Buffer.alloc(3)); // larger than the cache: freed at once
  assert.equal(freed.length, 3);
});
