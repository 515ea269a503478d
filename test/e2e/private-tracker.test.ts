/**
 * A private tracker (issue 18): `shoal tracker --private` answers only
 * members, named by the passkey in their announce URL; `shoal tracker users`
 * adds, disables and re-keys them while it runs; what members report is
 * accounted per torrent, capped against inflated reports; and two members'
 * clients share a torrent through it, their accounting matching the bytes
 * moved.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decode } from "../../src/bencode/index.ts";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import type { Client } from "../../src/session/index.ts";
import {
  type AnnounceQueryInput,
  buildAnnounceQuery,
  encodeAnnounceRequest,
  encodeScrapeRequest,
} from "../../src/tracker-proto/index.ts";
import { openMembers, type Tracker } from "../../src/tracker-server/index.ts";
import { NODE, SHOAL_CLI } from "../interop/helpers.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";
import { hash20, makeTorrent, peerId, startTracker, UdpClient } from "./tracker-helpers.ts";

function users(dataDir: string, ...args: string[]) {
  const r = spawnSync(NODE, [SHOAL_CLI, "tracker", "users", ...args, "--data-dir", dataDir], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("a private tracker (--private): members, passkeys, accounting", () => {
  let dataDir = "";
  let tracker: Tracker;
  let base = "";
  const clients: Client[] = [];
  const fixtures: Fixture[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "shoal-private-"));
    const started = await startTracker({
      private: true,
      dataDir,
      interval: 2,
      minInterval: 1,
      publishToken: "operator-token",
    });
    tracker = started.tracker;
    base = started.base;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await tracker?.stop();
    for (const f of fixtures) await removeFixture(f);
    await rm(dataDir, { recursive: true, force: true });
  });

  async function announceAt(path: string, q: Partial<AnnounceQueryInput>) {
    const query = buildAnnounceQuery({ infoHash: hash20(1), peerId: peerId(1), port: 6881, ...q });
    const sep = path.includes("?") ? "&" : "?";
    const res = await fetch(`${base}${path}${sep}${query}`);
    return decode(Buffer.from(await res.arrayBuffer())) as Map<string, unknown>;
  }
  const failure = (reply: Map<string, unknown>) => {
    const reason = reply.get("failure reason");
    return Buffer.isBuffer(reason) ? reason.toString() : undefined;
  };

  it("nobody without a member's passkey sees a swarm", async () => {
    assert.match(failure(await announceAt("/announce", {})) ?? "", /unknown passkey/);
    assert.match(
      failure(await announceAt(`/announce/${"0".repeat(32)}`, {})) ?? "",
      /unknown passkey/,
    );
    assert.match(failure(await announceAt("/announce/not-a-passkey", {})) ?? "", /unknown passkey/);
    const scrape = await fetch(`${base}/scrape`);
    assert.match(Buffer.from(await scrape.arrayBuffer()).toString(), /unknown passkey/);
  });

  it("users add prints a passkey that works in the path and in ?passkey=; disable and rotate revoke it", async () => {
    const passkey = users(dataDir, "add", "alice").trim();
    assert.match(passkey, /^[0-9a-f]{32}$/);
    assert.equal(typeof (await announceAt(`/announce/${passkey}`, {})).get("interval"), "number");
    assert.equal(
      typeof (await announceAt(`/announce?passkey=${passkey}`, {})).get("interval"),
      "number",
    );
    assert.match(users(dataDir, "disable", "alice"), /alice disabled/);
    // The tracker trusts its cache of a member for a few seconds at most.
    await new Promise((r) => setTimeout(r, 5200));
    assert.match(failure(await announceAt(`/announce/${passkey}`, {})) ?? "", /disabled/);
    users(dataDir, "enable", "alice");
    const fresh = users(dataDir, "rotate-passkey", "alice").trim();
    await new Promise((r) => setTimeout(r, 5200));
    assert.match(failure(await announceAt(`/announce/${passkey}`, {})) ?? "", /unknown passkey/);
    assert.equal(typeof (await announceAt(`/announce/${fresh}`, {})).get("interval"), "number");
  });

  it("a passkey in upper case or percent-encoded works in the path and in ?passkey= alike", async () => {
    const passkey = users(dataDir, "add", "casey").trim();
    const encoded = [...passkey].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
    for (const sent of [passkey.toUpperCase(), encoded]) {
      for (const path of [`/announce/${sent}`, `/announce?passkey=${sent}`]) {
        const reply = await announceAt(path, {});
        assert.equal(typeof reply.get("interval"), "number", `${path}: ${failure(reply)}`);
      }
    }
  });

  it("over UDP, the passkey comes in BEP 41's URL data; a UDP scrape is refused", async () => {
    const passkey = users(dataDir, "add", "frank").trim();
    const udp = await UdpClient.open(4);
    try {
      const announce = async (urlData?: string) => {
        const connectionId = await udp.connectionId(tracker.port);
        udp.send(
          encodeAnnounceRequest({
            connectionId,
            transactionId: 7,
            infoHash: hash20(3),
            peerId: peerId(3),
            downloaded: 0,
            left: 100,
            uploaded: 0,
            event: "started",
            port: 6881,
            ...(urlData !== undefined ? { urlData } : {}),
          }),
          tracker.port,
        );
        const reply = (await udp.next())!;
        return { action: reply.readUInt32BE(0), text: reply.subarray(8).toString() };
      };
      const refused = await announce();
      assert.equal(refused.action, 3, "an error reply");
      assert.match(refused.text, /unknown passkey/);
      assert.equal((await announce(`/announce/${passkey}`)).action, 1, "an announce reply");
      assert.equal((await announce(`/announce?passkey=${passkey}`)).action, 1);
      const connectionId = await udp.connectionId(tracker.port);
      udp.send(
        encodeScrapeRequest({ connectionId, transactionId: 8, infoHashes: [hash20(3)] }),
        tracker.port,
      );
      const scrape = (await udp.next())!;
      assert.equal(scrape.readUInt32BE(0), 3);
      assert.match(scrape.subarray(8).toString(), /scrape over HTTP/);
    } finally {
      udp.close();
    }
  });

  it("the index is for members, each .torrent their own; the other views are the operator's", async () => {
    const passkey = users(dataDir, "add", "gina").trim();
    const { bytes, infoHash } = makeTorrent("members.bin", 50_000, { private: 1 } as never);
    const auth = { Authorization: "Bearer operator-token" };
    const published = await fetch(`${base}/torrents`, {
      method: "POST",
      body: bytes,
      headers: auth,
    });
    assert.equal(published.status, 201);
    assert.equal((await fetch(`${base}/torrents`)).status, 401);
    assert.equal((await fetch(`${base}/torrents?passkey=${"1".repeat(32)}`)).status, 401);
    const list = await fetch(`${base}/torrents?passkey=${passkey}`);
    assert.equal(list.status, 200);
    assert.match(await list.text(), /members\.bin/);
    const file = await fetch(
      `${base}/torrents/${infoHash.toString("hex")}.torrent?passkey=${passkey}`,
    );
    assert.equal(file.status, 200);
    const meta = parseMetainfo(Buffer.from(await file.arrayBuffer()));
    assert.ok(meta.infoHash.equals(infoHash), "the info hash does not change");
    assert.equal(meta.announce, `${base}/announce/${passkey}`);
    // Publishing: a member with the right, by passkey; one without is refused.
    const hank = users(dataDir, "add", "hank", "--can-publish").trim();
    const other = makeTorrent("by-hank.bin", 30_000, { private: 1 } as never);
    const byGina = await fetch(`${base}/torrents?passkey=${passkey}`, {
      method: "POST",
      body: other.bytes,
    });
    assert.equal(byGina.status, 403);
    const byHank = await fetch(`${base}/torrents?passkey=${hank}`, {
      method: "POST",
      body: other.bytes,
    });
    assert.equal(byHank.status, 201);
    for (const view of ["/", "/swarms", "/stats", "/metrics"]) {
      assert.equal((await fetch(`${base}${view}`)).status, 403, view);
      assert.equal((await fetch(`${base}${view}`, { headers: auth })).status, 200, view);
    }
  });

  it("accounts the growth of what a member's peer reports, capping an inflated report", async () => {
    const passkey = users(dataDir, "add", "carol").trim();
    const at = (q: Partial<AnnounceQueryInput>) =>
      announceAt(`/announce/${passkey}`, { infoHash: hash20(9), peerId: peerId(9), ...q });
    await at({ event: "started", uploaded: 0, downloaded: 0 });
    await at({ uploaded: 5000, downloaded: 20_000 });
    await at({ uploaded: 7000, downloaded: 20_000 });
    // 10^15 bytes a few ms after the last announce: no link moves that.
    await at({ uploaded: 1e15, downloaded: 20_000, event: "stopped" });
    const { members, close } = openMembers(dataDir);
    try {
      const carol = members.list().find((m) => m.name === "carol")!;
      assert.equal(carol.downloaded, 20_000);
      assert.ok(carol.uploaded >= 7000 && carol.uploaded < 1e12, `capped: ${carol.uploaded}`);
    } finally {
      close();
    }
    assert.ok(tracker.access!.inflated >= 1);
  });

  it("two members share a torrent through it; the accounting matches the bytes moved within 1%", async () => {
    const seedKey = users(dataDir, "add", "dave").trim();
    const leechKey = users(dataDir, "add", "erin").trim();
    const size = 2 * 1024 * 1024;
    const f = await makeFixture(size, 64 * 1024, [[`${base}/announce/${seedKey}`]]);
    fixtures.push(f);
    const announcer = { minIntervalMs: 500 };
    const seeder = await startClient(f, "seeder", {
      downloadDir: f.seedDir,
      torrentDefaults: { trackers: true, announcer, chokeIntervalMs: 1000 },
    });
    clients.push(seeder);
    await seeder.add(f.meta);
    const leecher = await startClient(f, "leecher", {
      torrentDefaults: { trackers: true, announcer, chokeIntervalMs: 1000 },
    });
    clients.push(leecher);
    // The leecher's own announce URL: the same torrent, its member's passkey.
    const t = await leecher.add({
      ...f.meta,
      announceList: [[`${base}/announce/${leechKey}`]],
    } as never);
    await completed(t);
    await leecher.close();
    await seeder.close();
    clients.length = 0;
    const { members, close } = openMembers(dataDir);
    try {
      const all = members.list();
      const dave = all.find((m) => m.name === "dave")!;
      const erin = all.find((m) => m.name === "erin")!;
      assert.ok(
        Math.abs(erin.downloaded - size) <= size * 0.01,
        `erin downloaded ${erin.downloaded}`,
      );
      assert.ok(Math.abs(dave.uploaded - size) <= size * 0.01, `dave uploaded ${dave.uploaded}`);
    } finally {
      close();
    }
  });
});
