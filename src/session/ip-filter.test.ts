import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { IpFilter } from "../net/index.ts";
import type { ClientOptions } from "./index.ts";
import { MemoryClients, smallTorrent } from "./test-clients.ts";

const { content, meta } = smallTorrent(8 * 16 * 1024 + 100, "f.bin");
const clients = new MemoryClients();
after(() => clients.close());
const client = (address: string, seed: boolean, extra: Partial<ClientOptions> = {}) =>
  clients.start(address, seed ? content : undefined, extra);

const until = async (what: string, f: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("the session's IP filter (block lists)", () => {
  it("a blocked address is neither dialled nor accepted; clearing the filter lets it in", async () => {
    const seeder = await client("10.18.0.1", true, {
      ipFilter: IpFilter.parse("lab:10.18.0.2-10.18.0.2").filter,
    });
    await seeder.add(meta);
    const leecher = await client("10.18.0.2", false, {
      ipFilter: IpFilter.parse("010.018.000.001 - 010.018.000.001 , 0 , seeder").filter,
    });
    const t = await leecher.add(meta);
    t.addPeers([{ ip: "10.18.0.1", port: 6881 }]);
    // The seeder dials the leecher too: refused there by its own list.
    seeder.torrents[0]!.addPeers([{ ip: "10.18.0.2", port: 6881 }]);
    // Waited for (not a fixed 300 ms, which a loaded machine's late turns could outlast).
    await until("both refusals", () => leecher.ipFilterBlocked > 0 && seeder.ipFilterBlocked > 0);
    assert.equal(t.peers().length, 0);
    leecher.setIpFilter(undefined);
    const refusedBefore = seeder.ipFilterBlocked;
    t.addPeers([{ ip: "10.18.0.1", port: 6881 }]);
    await until("the seeder's refusal", () => seeder.ipFilterBlocked > refusedBefore);
    assert.equal(t.peers().length, 0, "the seeder still refuses the leecher's connection");
    seeder.setIpFilter(IpFilter.empty());
    t.addPeers([{ ip: "10.18.0.1", port: 6881 }]);
    await until("the download", () => t.complete);
  });

  it("a new filter closes open connections to the addresses it blocks", async () => {
    const seeder = await client("10.18.1.1", true);
    await seeder.add(meta);
    // Slow, so the connection is still open when the filter comes.
    const leecher = await client("10.18.1.2", false, { downloadLimit: 16 * 1024 });
    const t = await leecher.add(meta);
    t.addPeers([{ ip: "10.18.1.1", port: 6881 }]);
    await until("a connection", () => seeder.torrents[0]!.peers().length === 1);
    seeder.setIpFilter(IpFilter.parse("x:10.18.1.0-10.18.1.255").filter);
    await until("the connection closed", () => seeder.torrents[0]!.peers().length === 0);
  });
});
