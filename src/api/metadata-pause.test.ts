import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { MemoryNetwork } from "../net/index.ts";
import { Client } from "../session/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { ApiError } from "./errors.ts";
import { ShoalApi } from "./shoal-api.ts";

const PIECE = 16 * 1024;
const network = new MemoryNetwork({ clock: realClock });
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** A two-file .torrent (folder "pair"). */
function pair() {
  const sizes = [40_000, 30_000];
  const files = sizes.map((length, i) => ({ length, path: [`part${i}.bin`] }));
  const content = randomBytes(70_000);
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += PIECE)
    hashes.push(sha1(content.subarray(at, at + PIECE)));
  const bytes = encode({
    info: { name: "pair", "piece length": PIECE, files, pieces: Buffer.concat(hashes) },
  } as never);
  return { bytes, content, meta: parseMetainfo(bytes) };
}

async function startApi(
  address: string,
  content?: Buffer,
): Promise<{ api: ShoalApi; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-metadata-pause-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const host = network.addHost(address);
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    torrentDefaults: {
      trackers: false,
      chokeIntervalMs: 200,
      ...(content ? { openStore: (m) => MemoryStorage.open(m, { content }) } : {}),
    },
  });
  cleanup.push(() => client.close());
  return { api: new ShoalApi(client), dir };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
}

test("a magnet added with pauseAfterMetadata fetches its metadata, pauses before any piece; files and folder chosen, it downloads only those", async () => {
  const { bytes, content, meta } = pair();
  const seed = await startApi("10.3.9.1", content);
  await seed.api.add({ torrent: bytes.toString("base64") });
  const leech = await startApi("10.3.9.2");
  const folder = join(leech.dir, "chosen");
  const added = await leech.api.add({
    magnet: `magnet:?xt=urn:btih:${meta.infoHashHex}&dn=pair`,
    peers: ["10.3.9.1:6881"],
    downloadDir: folder,
    pauseAfterMetadata: true,
  });
  assert.deepEqual([added.state, added.hasMetadata], ["metadata", false]);
  await until("paused once the metadata is here", () => {
    const t = leech.api.get(1);
    return t.hasMetadata && t.state === "paused";
  });
  const waiting = leech.api.get(1);
  assert.deepEqual([waiting.piecesHave, waiting.downloadDir], [0, folder]);
  assert.equal(existsSync(join(folder, "pair")), false, "nothing written before the choice");
  // Choose: the second file skipped, then start it.
  await leech.api.setFiles(1, { indices: [1], wanted: false });
  await leech.api.resume(1);
  await leech.api.whenComplete(1, { timeoutMs: 10_000 });
  assert.deepEqual(readFileSync(join(folder, "pair", "part0.bin")), content.subarray(0, 40_000));
  assert.equal(existsSync(join(folder, "pair", "part1.bin")), false, "the skipped file");
  assert.equal(leech.api.get(1).state, "seeding");

  // A .torrent has its metadata: added paused. A wrong value is refused.
  const other = pair();
  const paused = await leech.api.add({
    torrent: other.bytes.toString("base64"),
    pauseAfterMetadata: true,
  });
  assert.equal(paused.state, "paused");
  await assert.rejects(
    leech.api.add({
      magnet: `magnet:?xt=urn:btih:${"cd".repeat(20)}`,
      pauseAfterMetadata: "yes" as never,
    }),
    (err) => err instanceof ApiError && err.code === "invalid_input",
  );
});
