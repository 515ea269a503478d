import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { FakeClock, sha1 } from "../util/index.ts";
import type { Client, ClientOptions } from "./client.ts";
import type { SessionEvent } from "./dto.ts";
import {
  type MemoryClient,
  MemoryClients,
  smallTorrent as makeTorrent,
  waitUntil as until,
} from "./test-clients.ts";

const PIECE = 16 * 1024;

const clients = new MemoryClients({ chokeIntervalMs: 200 });
let hosts = 0;
after(() => clients.close());

/** A client on a new host, or (given an earlier one's `at`) started again on its folder and host. */
function startClient(
  contents: Buffer[],
  extra: Partial<ClientOptions> = {},
  at?: Pick<MemoryClient, "dir" | "address">,
) {
  return clients.open(at?.address ?? `10.4.0.${++hosts}`, contents, extra, at);
}

const states = (c: Client) =>
  c.summaries().map((s) => `${s.name}:${s.queued ? "queued" : s.state}`);

test("download queue: one at a time in queue order; moves, pauses and a lifted limit follow live; kept", async () => {
  const { client, dir, address } = await startClient([], { maxActiveDownloads: 1, persist: true });
  const [a, b, c] = ["a", "b", "c"].map((n) => makeTorrent(40_000, n));
  for (const t of [a, b, c]) await client.add(t!.meta);
  assert.deepEqual(states(client), ["a:downloading", "b:queued", "c:queued"]);
  assert.deepEqual(
    client.summaries().map((s) => s.queuePosition),
    [0, 1, 2],
  );

  await client.managed.move(c!.meta.infoHashHex, "top");
  assert.deepEqual(states(client), ["a:queued", "b:queued", "c:downloading"]);
  assert.deepEqual(
    client.managed.queue(),
    [c, a, b].map((t) => t!.meta.infoHashHex),
  );

  // The user's pause takes it out of the queue; the next one's turn.
  await client.pause(c!.meta.infoHashHex);
  assert.deepEqual(states(client), ["a:downloading", "b:queued", "c:paused"]);
  await client.resume(c!.meta.infoHashHex);
  assert.deepEqual(states(client), ["a:queued", "b:queued", "c:downloading"]);

  // Kept: the order and the limit come back.
  await client.close();
  const again = await startClient([], { persist: true }, { dir, address });
  const started: string[] = [];
  again.client.on("event", (e) => {
    if (e.type === "state" && e.state === "downloading") started.push(e.infoHash);
  });
  await again.client.restore();
  // The queue is decided once all are back: the waiting ones never start.
  assert.deepEqual(started, [c!.meta.infoHashHex]);
  assert.equal(again.client.managed.settings().maxActiveDownloads, 1);
  assert.deepEqual(states(again.client), ["a:queued", "b:queued", "c:downloading"]);

  await again.client.managed.setSettings({ maxActiveDownloads: 0 });
  assert.deepEqual(states(again.client), ["a:downloading", "b:downloading", "c:downloading"]);
  await assert.rejects(again.client.managed.setSettings({ maxActiveSeeds: -1 }), {
    code: "bad_setting",
  });
  await assert.rejects(again.client.managed.setSettings({ bogus: 1 } as never), {
    code: "bad_setting",
  });
});

test("seed queue: a finished download waits for a seeding slot", async () => {
  const x = makeTorrent(30_000, "x");
  const y = makeTorrent(31_000, "y");
  const { client } = await startClient([x.content, y.content], { maxActiveSeeds: 1 });
  await client.add(x.meta);
  await client.add(y.meta);
  assert.deepEqual(states(client), ["x:seeding", "y:queued"]);
});

test("a ratio goal pauses the seed and says so; labels are kept and shown", async () => {
  const t = makeTorrent(64 * 1024, "goal.bin");
  const seed = await startClient([t.content], { ratioLimit: 0.5, persist: true });
  const events: SessionEvent[] = [];
  seed.client.on("event", (e) => events.push(e));
  await seed.client.add(t.meta, { labels: ["linux", " iso ", "linux"] });
  assert.deepEqual(seed.client.summary(t.meta.infoHashHex).labels, ["linux", "iso"]);
  await assert.rejects(seed.client.managed.setLabels(t.meta.infoHashHex, ["a\nb"]), {
    code: "bad_setting",
  });

  const leech = await startClient([]);
  await leech.client.add(t.meta, { peers: [{ host: seed.address, port: 6881 }] });
  await leech.client.whenComplete(t.meta.infoHashHex, { timeoutMs: 10_000 });
  await until(() => events.some((e) => e.type === "finished"), "the goal");
  assert.equal(seed.client.summary(t.meta.infoHashHex).state, "paused");
  const finished = events.find((e) => e.type === "finished");
  assert.deepEqual(
    finished && { type: finished.type, reason: (finished as { reason: string }).reason },
    {
      type: "finished",
      reason: "ratio",
    },
  );
  const s = seed.client.summary(t.meta.infoHashHex);
  assert.ok(s.uploadedEver >= 0.5 * t.meta.totalLength);

  // Its own goal (none) beats the session's: resumed, it seeds on.
  await seed.client.managed.setSeedingGoals(t.meta.infoHashHex, { ratioLimit: null });
  await seed.client.resume(t.meta.infoHashHex);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(seed.client.summary(t.meta.infoHashHex).state, "seeding");
  assert.equal(seed.client.summary(t.meta.infoHashHex).ratioLimit, null);
  await seed.client.close();
  const again = await startClient([t.content], { persist: true }, seed);
  await again.client.restore();
  const back = again.client.summary(t.meta.infoHashHex);
  assert.deepEqual([back.labels, back.ratioLimit], [["linux", "iso"], null]);
  assert.equal(back.uploadedEver, s.uploadedEver, "totals survive a restart");
  assert.deepEqual(again.client.managed.labels(), ["iso", "linux"]);
});

test("a stalled download keeps running but leaves its slot to the next in the queue", async () => {
  const clock = new FakeClock(1_000_000);
  const { client } = await startClient([], { maxActiveDownloads: 1, stalledMinutes: 1, clock });
  const [a, b, c] = ["a", "b", "c"].map((n) => makeTorrent(20_000, n));
  for (const t of [a, b, c]) await client.add(t!.meta);
  assert.deepEqual(states(client), ["a:downloading", "b:queued", "c:queued"]);
  // Nothing arrives (no peers): after a minute a is stalled and b gets the slot.
  for (let s = 0; s < 59; s++) clock.advance(1000);
  assert.deepEqual(states(client), ["a:downloading", "b:queued", "c:queued"]);
  for (let s = 0; s < 2; s++) clock.advance(1000);
  assert.deepEqual(states(client), ["a:downloading", "b:downloading", "c:queued"]);
  for (let s = 0; s < 61; s++) clock.advance(1000);
  assert.deepEqual(states(client), ["a:downloading", "b:downloading", "c:downloading"]);
});

test("a magnet link's file selection (BEP 53 so=) is kept across a restart before its metadata", async () => {
  const files = [20_000, 30_000, 5_000].map((length, i) => ({ length, path: [`f${i}.bin`] }));
  const content = randomBytes(55_000);
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += PIECE)
    hashes.push(sha1(content.subarray(at, at + PIECE)));
  const meta = parseMetainfo(
    encode({
      info: { name: "so", "piece length": PIECE, files, pieces: Buffer.concat(hashes) },
    } as never),
  );
  const first = await startClient([], { persist: true });
  await first.client.add(`magnet:?xt=urn:btih:${meta.infoHashHex}&so=0,2`, { paused: true });
  await first.client.close();
  const again = await startClient([], { persist: true }, first);
  await again.client.restore();
  await again.client.get(meta.infoHashHex)!.setMetadata(meta);
  assert.deepEqual(
    again.client.files(meta.infoHashHex).map((f) => f.priority),
    ["normal", "skip", "normal"],
  );
});
