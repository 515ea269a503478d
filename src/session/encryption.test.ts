import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { ClientOptions } from "./index.ts";
import { MemoryClients, smallTorrent } from "./test-clients.ts";

const { content, meta } = smallTorrent(6 * 16 * 1024, "e.bin");
const clients = new MemoryClients();
after(() => clients.close());
const client = (address: string, seed: boolean, extra: Partial<ClientOptions> = {}) =>
  clients.start(address, seed ? content : undefined, extra);

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
