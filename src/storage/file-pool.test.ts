import assert from "node:assert/strict";
import { test } from "node:test";
import { fileDescriptorBudget, filePoolSizes, openFileLimit } from "./descriptor-budget.ts";
import { FilePool } from "./file-pool.ts";

/** A pool of fake files that records opens and closes. */
function fakePool(capacity: number) {
  const open = new Set<string>();
  let opens = 0;
  let most = 0;
  const pool = new FilePool<string>(capacity, async (f) => {
    assert.ok(open.delete(f), `${f} closed twice`);
  });
  const opener = (key: string) => async () => {
    assert.ok(!open.has(key), `${key} opened twice`);
    open.add(key);
    opens++;
    most = Math.max(most, open.size);
    return key;
  };
  const use = <T>(key: string, fn: (f: string) => Promise<T> = async () => undefined as T) =>
    pool.use(key, opener(key), fn);
  return { pool, open, use, stats: () => ({ opens, most }) };
}

test("FilePool: at most `capacity` files open, the least recently used closed first", async () => {
  const { pool, open, use, stats } = fakePool(3);
  for (const k of ["a", "b", "c"]) await use(k);
  await use("a"); // now b is the least recently used
  await use("d");
  assert.deepEqual([...open].sort(), ["a", "c", "d"]);
  for (let i = 0; i < 1000; i++) await use(`f${i % 10}`);
  assert.ok(stats().most <= 3, `at most 3 open, saw ${stats().most}`);
  assert.equal(pool.size, 3);
  await pool.closeAll();
  assert.equal(open.size, 0);
});

test("FilePool: a file in use is never closed; others wait for room", async () => {
  const { pool, open, use, stats } = fakePool(2);
  let releaseA!: () => void;
  let releaseB!: () => void;
  const a = use("a", () => new Promise<void>((r) => (releaseA = r)));
  const b = use("b", () => new Promise<void>((r) => (releaseB = r)));
  await new Promise((r) => setImmediate(r));
  let cDone = false;
  const c = use("c").then(() => (cDone = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(cDone, false, "c waits while a and b are in use");
  assert.deepEqual([...open].sort(), ["a", "b"]);
  releaseA();
  await a;
  await c;
  assert.ok(open.has("b") && open.has("c") && !open.has("a"));
  releaseB();
  await b;
  // Many users at once over few slots: everyone finishes, the bound holds.
  await Promise.all(Array.from({ length: 200 }, (_, i) => use(`k${i % 17}`)));
  assert.ok(stats().most <= 2);
  await pool.close("k3");
  await pool.closeAll();
  assert.equal(open.size, 0);
});

test("FilePool: a failed open is not kept; EMFILE closes idle files and tries again", async () => {
  const closed: string[] = [];
  const pool = new FilePool<string>(8, async (f) => {
    closed.push(f);
  });
  await assert.rejects(
    pool.use(
      "x",
      async () => {
        throw Object.assign(new Error("no"), { code: "ENOENT" });
      },
      async () => {},
    ),
    /no/,
  );
  assert.equal(pool.has("x"), false);
  for (const k of ["a", "b", "c"])
    await pool.use(
      k,
      async () => k,
      async () => {},
    );
  let tries = 0;
  const got = await pool.use(
    "d",
    async () => {
      if (++tries === 1) throw Object.assign(new Error("too many"), { code: "EMFILE" });
      return "d";
    },
    async (f) => f,
  );
  assert.equal(got, "d");
  assert.deepEqual(closed.sort(), ["a", "b", "c"]);
});

test("descriptor budget: libtorrent's 512 at most, never over a quarter of the limit", () => {
  assert.equal(fileDescriptorBudget(1_048_576), 512);
  assert.equal(fileDescriptorBudget(1024), 256);
  assert.equal(fileDescriptorBudget(256), 64);
  assert.equal(fileDescriptorBudget(16), 8);
  assert.equal(fileDescriptorBudget(undefined), 512);
  const { writer, reader } = filePoolSizes(256);
  // The writer's files may hold two descriptors each (one with O_DIRECT).
  assert.ok(2 * writer + reader <= 256, `${writer} ${reader}`);
  const limit = openFileLimit();
  if (limit !== undefined) assert.ok(limit > 0);
});
