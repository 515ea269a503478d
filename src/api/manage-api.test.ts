import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { album } from "../../test/fixtures/album.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { Client, type ClientOptions } from "../session/index.ts";
import { MemoryStorage, partFileName } from "../storage/index.ts";
import { realClock } from "../util/index.ts";
import { ApiError } from "./errors.ts";
import { ShoalApi } from "./shoal-api.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

const network = new MemoryNetwork({ clock: realClock });
let hosts = 0;
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "shoal-manage-"));
  cleanup.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function startClient(
  dir: string,
  address: string,
  extra: Partial<ClientOptions> = {},
): Promise<{ api: ShoalApi; client: Client }> {
  const host = network.host(address) ?? network.addHost(address);
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    torrentDefaults: { trackers: false, chokeIntervalMs: 200 },
    ...extra,
  });
  cleanup.push(() => client.close());
  return { api: new ShoalApi(client), client };
}

async function code(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof ApiError, `an ApiError, not ${String(err)}`);
    return err.code;
  }
  assert.fail("it did not fail");
}

/** A client seeding the album (its bytes in memory); its address. */
async function seedAlbum(bytes: Buffer, content: Buffer): Promise<string> {
  const address = `10.3.0.${++hosts}`;
  const seed = await startClient(await tempDir(), address, {
    torrentDefaults: {
      trackers: false,
      chokeIntervalMs: 200,
      openStore: (m) => MemoryStorage.open(m, { content }),
    },
  });
  await seed.api.add({ torrent: bytes.toString("base64") });
  return address;
}

test("selective download through the api: only the files asked for, kept across a restart, more wanted live", async () => {
  const { bytes, content, meta } = album();
  const seedAddress = await seedAlbum(bytes, content);

  const dir = await tempDir();
  const address = `10.3.0.${++hosts}`;
  let { api, client } = await startClient(dir, address, { persist: true });
  const added = await api.add({
    torrent: bytes.toString("base64"),
    files: [0, 2],
    peers: [`${seedAddress}:6881`],
  });
  assert.equal(added.sizeWanted, 45_000);
  await api.whenComplete(1, { timeoutMs: 60_000 });
  const root = join(dir, "download", "album");
  assert.deepEqual(readFileSync(join(root, "track0.flac")), content.subarray(0, 20_000));
  assert.deepEqual(readFileSync(join(root, "track2.flac")), content.subarray(90_000));
  assert.equal(existsSync(join(root, "track1.flac")), false, "a skipped file is not created");
  assert.deepEqual(
    api.files(1).map((f) => [f.priority, f.wanted]),
    [
      ["normal", true],
      ["skip", false],
      ["normal", true],
    ],
  );
  const done = api.get(1);
  assert.deepEqual([done.state, done.leftWanted, done.sizeWanted], ["seeding", 0, 45_000]);
  assert.ok(done.left > 0, "the skipped file's own pieces are missing");

  // Bad requests change nothing.
  assert.equal(
    await code(() => api.setFiles(1, { indices: [3], priority: "high" })),
    "invalid_input",
  );
  assert.equal(await code(() => api.setFiles(1, { priority: "urgent" as never })), "invalid_input");
  assert.equal(await code(() => api.setFiles(1, {})), "invalid_input");
  assert.equal(
    await code(() => api.setFiles(1, { priority: "skip", wanted: true })),
    "invalid_input",
  );
  assert.equal(await code(() => api.setFiles(9, { wanted: true })), "not_found");
  assert.equal(
    await code(() => api.setPieceOrder(1, { sequential: "yes" as never })),
    "invalid_input",
  );
  assert.equal(
    await code(() => api.add({ magnet: `magnet:?xt=urn:btih:${"ab".repeat(20)}`, files: [-1] })),
    "invalid_input",
  );
  assert.deepEqual(
    api.files(1).map((f) => f.priority),
    ["normal", "skip", "normal"],
  );
  const order = await api.setPieceOrder(1, { sequential: true, firstLastPiecePriority: true });
  assert.deepEqual([order.sequential, order.firstLastPiecePriority], [true, true]);

  // A restart keeps the selection, the piece order and the part file's bytes (no recheck).
  await client.close();
  ({ api, client } = await startClient(dir, address, { persist: true }));
  await client.restore();
  const back = api.get(1);
  assert.deepEqual(
    [back.state, back.sequential, back.firstLastPiecePriority],
    ["seeding", true, true],
  );
  assert.deepEqual(
    api.files(1).map((f) => f.priority),
    ["normal", "skip", "normal"],
  );
  assert.equal(existsSync(join(dir, "download", partFileName(meta.infoHashHex))), true);

  // Wanted now: fetched, the part file's bytes moved into it.
  const files = await api.setFiles(1, { indices: [1], wanted: true });
  assert.deepEqual(
    files.map((f) => f.priority),
    ["normal", "normal", "normal"],
  );
  assert.equal(api.get(1).state, "downloading");
  client.get(meta.infoHashHex)!.addPeers([{ ip: seedAddress, port: 6881 }]);
  await api.whenComplete(1, { timeoutMs: 60_000 });
  assert.deepEqual(readFileSync(join(root, "track1.flac")), content.subarray(20_000, 90_000));
  assert.equal(existsSync(join(dir, "download", partFileName(meta.infoHashHex))), false);
});

test("queue, labels and seeding goals through the api; bad input refused, nothing changed", async () => {
  const { api } = await startClient(await tempDir(), `10.3.0.${++hosts}`);
  const torrents = [1, 2, 3].map(() => album());
  for (const t of torrents) {
    await api.add({ torrent: t.bytes.toString("base64"), labels: ["music"] });
  }
  assert.deepEqual(await api.setManageSettings({ maxActiveDownloads: 2, ratioLimit: 1.5 }), {
    maxActiveDownloads: 2,
    maxActiveSeeds: 0,
    stalledMinutes: 30,
    ratioLimit: 1.5,
    idleLimitMinutes: 0,
  });
  assert.deepEqual(api.list({ fields: ["id", "queued", "queuePosition"] }), [
    { id: 1, queued: false, queuePosition: 0 },
    { id: 2, queued: false, queuePosition: 1 },
    { id: 3, queued: true, queuePosition: 2 },
  ]);
  const moved = await api.moveInQueue(3, { to: "top" });
  assert.deepEqual([moved.queuePosition, moved.queued, moved.state], [0, false, "downloading"]);
  assert.equal(api.get(2).queued, true);
  assert.deepEqual((await api.setLabels(1, { labels: ["music", "flac"] })).labels, [
    "music",
    "flac",
  ]);
  assert.deepEqual(api.labels(), ["flac", "music"]);
  const goals = await api.setSeedingGoals(1, { ratioLimit: 3, idleLimitMinutes: null });
  assert.deepEqual([goals.ratioLimit, goals.idleLimitMinutes], [3, null]);
  const back = await api.setSeedingGoals(1, { ratioLimit: "global" });
  assert.deepEqual([back.ratioLimit, back.idleLimitMinutes], [undefined, null]);

  for (const bad of [
    () => api.setManageSettings({ maxActiveDownloads: 1.5 }),
    () => api.setManageSettings({ ratioLimit: -1 }),
    () => api.setManageSettings({ nope: 1 } as never),
    () => api.moveInQueue(1, { to: "sideways" as never }),
    () => api.moveInQueue(1, { to: -2 }),
    () => api.setLabels(1, { labels: [""] }),
    () => api.setLabels(1, { labels: "x" as never }),
    () => api.setSeedingGoals(1, { ratioLimit: "lots" as never }),
    () => api.add({ torrent: album().bytes.toString("base64"), labels: [7 as never] }),
  ]) {
    assert.equal(await code(bad), "invalid_input");
  }
  assert.equal(await code(() => api.setLabels(99, { labels: [] })), "not_found");
  assert.equal(api.manageSettings().maxActiveDownloads, 2);
  assert.deepEqual(api.get(1).labels, ["music", "flac"]);
  assert.equal(api.list().length, 3);
});

test("a magnet added with pauseAfterMetadata fetches its metadata, pauses before any piece; files and folder chosen, it downloads only those", async () => {
  const { bytes, content, meta } = album();
  const seedAddress = await seedAlbum(bytes, content);
  const dir = await tempDir();
  const { api, client } = await startClient(dir, `10.3.0.${++hosts}`);
  const folder = join(dir, "chosen");
  const added = await api.add({
    magnet: `magnet:?xt=urn:btih:${meta.infoHashHex}&dn=album`,
    downloadDir: folder,
    pauseAfterMetadata: true,
  });
  assert.deepEqual([added.state, added.hasMetadata], ["metadata", false]);
  // Its peer once the add has answered: on an in-memory link the metadata
  // could otherwise come before the add's own reply.
  client.get(meta.infoHashHex)!.addPeers([{ ip: seedAddress, port: 6881 }]);
  for (let i = 0; i < 200 && !(api.get(1).hasMetadata && api.get(1).state === "paused"); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const waiting = api.get(1);
  assert.deepEqual(
    [waiting.hasMetadata, waiting.state, waiting.piecesHave, waiting.downloadDir],
    [true, "paused", 0, folder],
    "paused once the metadata is here, before any piece",
  );
  assert.equal(existsSync(join(folder, "album")), false, "nothing written before the choice");
  // Choose: the middle file skipped, then start it.
  await api.setFiles(1, { indices: [1], wanted: false });
  await api.resume(1);
  await api.whenComplete(1, { timeoutMs: 60_000 });
  const root = join(folder, "album");
  assert.deepEqual(readFileSync(join(root, "track0.flac")), content.subarray(0, 20_000));
  assert.deepEqual(readFileSync(join(root, "track2.flac")), content.subarray(90_000));
  assert.equal(existsSync(join(root, "track1.flac")), false, "the skipped file");

  // A .torrent has its metadata: added paused. A wrong value is refused.
  const paused = await api.add({
    torrent: album().bytes.toString("base64"),
    pauseAfterMetadata: true,
  });
  assert.equal(paused.state, "paused");
  assert.equal(
    await code(() =>
      api.add({
        magnet: `magnet:?xt=urn:btih:${"cd".repeat(20)}`,
        pauseAfterMetadata: "yes" as never,
      }),
    ),
    "invalid_input",
  );
});
