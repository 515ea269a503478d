import assert from "node:assert/strict";
import { after, test } from "node:test";
import { album } from "../../test/fixtures/album.ts";
import type { Metainfo } from "../metainfo/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import type { Client, ClientOptions } from "./client.ts";
import { type MemoryClient, MemoryClients, waitUntil } from "./test-clients.ts";

const clients = new MemoryClients({ chokeIntervalMs: 200 });
let hosts = 0;
after(() => clients.close());

/**
 * A leecher whose torrents' data is in memory, counting the times a
 * torrent's data is opened; given an earlier one's `at`, started again there.
 */
async function leecher(extra: Partial<ClientOptions> = {}, at?: MemoryClient) {
  const opened: string[] = [];
  const c = await clients.open(
    at?.address ?? `10.17.0.${++hosts}`,
    [],
    {
      persist: true,
      torrentDefaults: {
        trackers: false,
        chokeIntervalMs: 200,
        openStore: (m: Metainfo) => {
          opened.push(m.infoHashHex);
          return MemoryStorage.open(m);
        },
      },
      ...extra,
    },
    at,
  );
  return { ...c, opened };
}

async function seeder(content: Buffer, meta: Metainfo) {
  const address = `10.17.0.${++hosts}`;
  const seed = await clients.start(address, content);
  await seed.add(meta);
  return { client: seed, address };
}

const pausedWithMetadata = (c: Client, hash: string) => () => {
  const s = c.summary(hash);
  return s.hasMetadata && s.state === "paused";
};

test("pauseAfterMetadata: the metadata arrives, the torrent rests paused with its data unopened and no piece asked for; files chosen, resume downloads only those; its queue slot goes to the next", async () => {
  const { content, meta } = album();
  const seed = await seeder(content, meta);
  const { client, opened } = await leecher({ maxActiveDownloads: 1 });
  const hash = meta.infoHashHex;
  // Its peer is given once both are added: the metadata cannot come before.
  const t = await client.add(`magnet:?xt=urn:btih:${hash}&dn=album`, {
    pauseAfterMetadata: true,
  });
  assert.equal(t.state, "metadata");
  // A second magnet (no peer has it) waits for the one download slot.
  const other = "ab".repeat(20);
  await client.add(`magnet:?xt=urn:btih:${other}`);
  assert.equal(client.summary(other).queued, true);
  t.addPeers([{ ip: seed.address, port: 6881 }]);

  await waitUntil(pausedWithMetadata(client, hash), "paused with its metadata", 20_000);
  const s = client.summary(hash);
  assert.deepEqual([s.piecesHave, s.queued], [0, false]);
  assert.deepEqual(opened, [], "its data is not opened before the user chooses");
  assert.equal(seed.client.get(hash)!.uploaded, 0, "no piece requested");
  await waitUntil(() => client.summary(other).state === "metadata", "the next in the queue runs");

  await client.setFilePriorities(hash, ["normal", "skip", "normal"]);
  // Paused as by the user: the queue does not start it when the slot frees.
  await client.pause(other);
  client.managed.tick();
  assert.equal(client.summary(hash).state, "paused");
  assert.deepEqual(opened, []);

  await client.resume(hash);
  await client.whenComplete(hash, { timeoutMs: 20_000 });
  const files = client.files(hash);
  assert.deepEqual(
    files.map((f) => [f.priority, f.progress]),
    [
      ["normal", 1],
      ["skip", files[1]!.progress],
      ["normal", 1],
    ],
  );
  assert.ok(files[1]!.progress < 1, "the skipped file's own pieces were not fetched");
  assert.deepEqual(opened, [hash]);
});

test("pauseAfterMetadata is kept with the session: a restart before the metadata still pauses when it comes, and after it the torrent stays paused", async () => {
  const { content, meta } = album();
  const hash = meta.infoHashHex;
  const first = await leecher();
  // No peer yet: the daemon stops before the metadata comes.
  await first.client.add(`magnet:?xt=urn:btih:${hash}&dn=album`, { pauseAfterMetadata: true });
  await first.client.close();

  const second = await leecher({}, first);
  await second.client.restore();
  assert.equal(second.client.summary(hash).state, "metadata", "runs to fetch its metadata");
  const seed = await seeder(content, meta);
  second.client.get(hash)!.addPeers([{ ip: seed.address, port: 6881 }]);
  await waitUntil(pausedWithMetadata(second.client, hash), "paused with its metadata", 20_000);
  assert.deepEqual(second.opened, []);
  assert.equal(seed.client.get(hash)!.uploaded, 0, "no piece requested");
  await second.client.close();

  const third = await leecher({}, first);
  await third.client.restore();
  const s = third.client.summary(hash);
  assert.deepEqual([s.hasMetadata, s.state], [true, "paused"]);
  await third.client.resume(hash);
  third.client.get(hash)!.addPeers([{ ip: seed.address, port: 6881 }]);
  await third.client.whenComplete(hash, { timeoutMs: 20_000 });
});

test("pauseAfterMetadata with a .torrent: added paused (its metadata is here)", async () => {
  const { meta } = album();
  const { client } = await leecher();
  await client.add(meta, { pauseAfterMetadata: true });
  assert.equal(client.summary(meta.infoHashHex).state, "paused");
});
