/**
 * A private tracker's accounting as its admin sees it (issue 18), with a real
 * peer: two members are made through the admin API, each takes their own copy
 * of a published torrent from the members-only index, a libtorrent member
 * seeds it to a shoal member, and the admin API's traffic and ratios per
 * member and per torrent match the bytes moved within 1%.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import type { Client } from "../../src/session/index.ts";
import type { Tracker } from "../../src/tracker-server/index.ts";
import { publishWithToken, startTracker } from "../e2e/tracker-helpers.ts";
import {
  assertTools,
  Children,
  checkLibtorrent,
  freePort,
  SYSTEM_PYTHON,
  skipReason,
  startLibtorrent,
  TempDirs,
  waitFor,
} from "./helpers.ts";
import { completeWithin, makeSwarmCase, startCaseClient } from "./swarm-case.ts";

const TOOLS = [{ bin: SYSTEM_PYTHON, pkg: "python3-libtorrent", check: checkLibtorrent }];
const SIZE = 2 * 1024 * 1024 + 777;
const CASE_MS = 180_000;
const CLIENT_MS = 170_000;
const ADMIN = "interop-admin-token-0123";
const PUBLISH = "interop-publish-token";

interface MemberTraffic {
  uploaded: number;
  downloaded: number;
  ratio: number | null;
  passkey: string;
  torrents: { infoHash: string; uploaded: number; downloaded: number; ratio: number | null }[];
}

describe("interop: a private tracker's admin API accounts a libtorrent member's seeding", {
  skip: skipReason(TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  const clients: Client[] = [];
  let tracker: Tracker;
  let base = "";

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status}`);
    return (await res.json()) as MemberTraffic;
  };

  before(async () => {
    assertTools(TOOLS);
    ({ tracker, base } = await startTracker({
      private: true,
      dataDir: await temps.make("tracker"),
      interval: 2,
      minInterval: 1,
      publishToken: PUBLISH,
      adminToken: ADMIN,
    }));
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await children.stopAll();
    await tracker?.stop();
    await temps.removeAll();
  });

  it("libtorrent seeds to shoal; each member's traffic and ratio match the bytes moved", {
    timeout: CASE_MS,
  }, async () => {
    const c = await makeSwarmCase(temps, "accounted", `${base}/announce`, SIZE);
    assert.equal(await publishWithToken(base, await readFile(c.torrentPath), PUBLISH), 201);
    const lt = await admin("POST", "/members", { name: "lt-seedbox" });
    const sh = await admin("POST", "/members", { name: "shoal-home" });
    const hex = c.meta.infoHash.toString("hex");
    /** The member's own .torrent from the index: its announce URL carries their passkey. */
    const copyOf = async (passkey: string) => {
      const res = await fetch(`${base}/torrents/${hex}.torrent?passkey=${passkey}`);
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    };
    const ltTorrent = join(c.dir, "lt.torrent");
    await writeFile(ltTorrent, await copyOf(lt.passkey));
    const seeder = startLibtorrent(
      children,
      {
        torrent: ltTorrent,
        savePath: join(c.dir, "seed"),
        port: await freePort(),
        mode: "seed",
        // libtorrent waits 5 minutes between announces whatever the tracker says, by default.
        settings: { min_announce_interval: 1 },
      },
      CLIENT_MS,
    );
    const shMeta = parseMetainfo(await copyOf(sh.passkey));
    assert.ok(shMeta.infoHash.equals(c.meta.infoHash));
    const client = await startCaseClient(c, "leech", join(c.dir, "shoal"));
    clients.push(client);
    const t = await client.add(shMeta);
    await completeWithin(t, CLIENT_MS, seeder);
    assert.ok((await readFile(join(c.dir, "shoal", c.meta.name))).equals(c.data));

    // libtorrent reports its upload at its next announces (every 2 s here); shoal at completion.
    const within = (n: number) => n >= SIZE * 0.99 && n <= SIZE * 1.01;
    const seen = await waitFor(
      "both members' traffic to be accounted",
      async () => {
        const up = await admin("GET", "/members/lt-seedbox");
        const down = await admin("GET", "/members/shoal-home");
        return within(up.uploaded) && within(down.downloaded) ? { up, down } : undefined;
      },
      60_000,
      500,
    ).catch(async (err: Error) => {
      const now = [
        await admin("GET", "/members/lt-seedbox"),
        await admin("GET", "/members/shoal-home"),
      ];
      throw new Error(`${err.message}: ${JSON.stringify(now)}\n${seeder.tail()}`);
    });
    assert.equal(seen.up.downloaded, 0);
    assert.equal(seen.up.ratio, null, "nothing downloaded: no ratio");
    assert.ok(seen.down.uploaded < SIZE * 0.01, "the leecher uploaded next to nothing");
    assert.equal(seen.down.ratio, 0);
    assert.deepEqual(
      seen.down.torrents.map((x) => x.infoHash),
      [hex],
      "per torrent: the one it downloaded",
    );
    assert.ok(within(seen.down.torrents[0]!.downloaded));
    const totals = (await (
      await fetch(`${base}/admin/api/torrents`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as {
      torrents: { infoHash: string; uploaded: number; downloaded: number; members: number }[];
    };
    const row = totals.torrents.find((x) => x.infoHash === hex)!;
    assert.equal(row.members, 2);
    assert.ok(within(row.uploaded) && within(row.downloaded), JSON.stringify(row));
  });
});
