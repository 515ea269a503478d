import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { MemoryNetwork } from "../net/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { Client, type ClientOptions } from "./index.ts";

const PIECE_LENGTH = 16 * 1024;
const content = randomBytes(6 * PIECE_LENGTH);
const pieces = Buffer.concat(
  Array.from({ length: 6 }, (_, i) =>
    sha1(content.subarray(i * PIECE_LENGTH, (i + 1) * PIECE_LENGTH)),
  ),
);
const meta = parseMetainfo(
  encode({ info: { length: content.length, name: "e.bin", "piece length": PIECE_LENGTH, pieces } }),
);

const tcp = new MemoryNetwork({ clock: realClock });
const dirs: string[] = [];
const clients: Client[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function client(address: string, seed: boolean, extra: Partial<ClientOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "shoal-mse-"));
  dirs.push(dir);
  const host = tcp.addHost(address);
  const c = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    torrentDefaults: {
      trackers: false,
      openStore: (m: Metainfo) => MemoryStorage.open(m, seed ? { content } : {}),
    },
    ...extra,
  });
  clients.push(c);
  return c;
}

test("a torrent's own policy wins over the client's: required refuses plaintext, takes MSE", async () => {
  const seeder = await client("10.19.0.1", true, { encryption: "enabled" });
  await seeder.add(meta, { encryption: "required" });
  const plain = await client("10.19.0.2", false, { encryption: "disabled" });
  const refused = await plain.add(meta);
  refused.addPeers([{ ip: "10.19.0.1", port: 6881 }]);
  const encrypted = await client("10.19.0.3", false, { encryption: "prefer" });
  const t = await encrypted.add(meta);
  const connections: boolean[] = [];
  t.on("peer-connected", (p) => connections.push(p.encrypted));
  t.addPeers([{ ip: "10.19.0.1", port: 6881 }]);
  const end = Date.now() + 10_000;
  while (!t.complete && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(t.complete, "the encrypted leecher completes");
  assert.deepEqual(connections, [true], "one connection, encrypted");
  assert.equal(refused.stats().progress, 0, "the plaintext leecher got nothing");
  assert.equal(refused.peers().length, 0);
});
