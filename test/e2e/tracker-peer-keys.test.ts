/**
 * Issue 13, item 8: a peer id is no credential. Peer ids are public (every
 * peer in a swarm learns them from the BEP 3 handshake, and BEP 3 replies
 * with compact=0 list them), so the tracker must not let whoever says a peer
 * id act for that peer.
 *
 * Decisions, written down here:
 * - A stored peer is (swarm, peer id, owner). The owner is the announce's
 *   `key` when it sends one (BEP 7: "an additional identification that is not
 *   shared with any other peers … to prove their identity should their IP
 *   address change"; HTTP `key`, BEP 15's key field), else its source address.
 *   An announce or a `stopped` from anyone else with the same peer id is
 *   another peer: it never removes, moves or changes the first one. With the
 *   same key a peer may move to a new address, as BEP 7 intends.
 * - Peer ids are handed out only in the BEP 3 dictionary form, which a client
 *   asks for with compact=0, and not when it also sends no_peer_id=1 (BEP 23
 *   and BEP 3's no_peer_id). Compact replies (the default) cannot carry them.
 *   Keeping them in dictionary replies follows BEP 3 and the clients that read
 *   them; once a peer id proves nothing, giving it away costs nothing.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import {
  type AnnounceQueryInput,
  buildAnnounceQuery,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  type PeerAddress,
  parseAnnounceReply,
  type UdpAnnounceRequest,
} from "../../src/tracker-proto/index.ts";
import { DATABASE_FILE, type Tracker } from "../../src/tracker-server/index.ts";
import { hash20, peerId, startTracker, UdpClient } from "./tracker-helpers.ts";

/** One announce over HTTP from a chosen loopback source address. */
function announceFrom(source: string, port: number, q: AnnounceQueryInput): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: source });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error("no reply within 15 s")), 15_000);
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks);
      const body = text.indexOf("\r\n\r\n");
      resolve(text.subarray(body + 4));
    });
    socket.write(
      `GET /announce?${buildAnnounceQuery(q)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
  });
}

function endpoints(peers: PeerAddress[]): string[] {
  return peers.map((p) => `${p.ip}:${p.port}`).sort();
}

describe("peer ids cannot be hijacked", () => {
  let tracker: Tracker;
  let port: number;
  before(async () => {
    ({ tracker, port } = await startTracker({ host: "127.0.0.1" }));
  });
  after(() => tracker.stop());

  /** The peers an observer (its own peer id, from 127.0.0.1) is given. */
  async function seen(ih: Buffer): Promise<string[]> {
    const body = await announceFrom("127.0.0.1", port, {
      infoHash: ih,
      peerId: peerId(99),
      port: 6999,
      left: 1,
      numwant: 50,
    });
    return endpoints(parseAnnounceReply(body).peers);
  }

  test("HTTP: a stopped or an announce from another address with the victim's id leaves the victim alone", async () => {
    const ih = hash20(1);
    const victim = { infoHash: ih, peerId: peerId(1), port: 7001, left: 1 };
    await announceFrom("127.0.0.1", port, victim);
    assert.deepEqual(await seen(ih), ["127.0.0.1:7001"]);

    await announceFrom("127.0.0.2", port, { ...victim, event: "stopped" });
    assert.deepEqual(await seen(ih), ["127.0.0.1:7001"], "not removed by another address");

    await announceFrom("127.0.0.2", port, { ...victim, port: 6666 });
    const after = await seen(ih);
    assert.ok(after.includes("127.0.0.1:7001"), `not moved: ${after}`);

    // The victim's own stopped still works.
    await announceFrom("127.0.0.1", port, { ...victim, event: "stopped" });
    assert.ok(!(await seen(ih)).includes("127.0.0.1:7001"));
  });

  test("HTTP: with a key the peer may move (BEP 7); without the key nobody else may", async () => {
    const ih = hash20(2);
    const victim = { infoHash: ih, peerId: peerId(1), port: 7001, left: 1, key: "8f3e29a1" };
    await announceFrom("127.0.0.1", port, victim);
    await announceFrom("127.0.0.3", port, { ...victim, key: "00c0ffee", event: "stopped" });
    await announceFrom("127.0.0.3", port, { ...victim, key: undefined, event: "stopped" });
    assert.deepEqual(await seen(ih), ["127.0.0.1:7001"]);
    // Same key, new address: the same peer, moved.
    await announceFrom("127.0.0.2", port, victim);
    assert.deepEqual(await seen(ih), ["127.0.0.2:7001"]);
    await announceFrom("127.0.0.2", port, { ...victim, event: "stopped" });
    assert.deepEqual(await seen(ih), []);
  });

  test("UDP: the same rules, with BEP 15's key field", async () => {
    const ih = hash20(3);
    const victim = await UdpClient.open(4);
    // The attacker's socket on another loopback address.
    const attacker = createSocket("udp4");
    await new Promise<void>((r) => attacker.bind(0, "127.0.0.2", r));
    const ask = (packet: Buffer) =>
      new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 1000);
        attacker.once("message", (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        attacker.send(packet, port, "127.0.0.1");
      });
    try {
      const announce = (over: Partial<UdpAnnounceRequest> & { connectionId: Buffer }) =>
        encodeAnnounceRequest({
          transactionId: 7,
          infoHash: ih,
          peerId: peerId(1),
          downloaded: 0,
          left: 1,
          uploaded: 0,
          event: "none",
          port: 7001,
          key: 0x1234abcd,
          ...over,
        });
      victim.send(announce({ connectionId: await victim.connectionId(port) }), port);
      assert.ok(await victim.next());
      const connected = await ask(encodeConnectRequest(9));
      assert.ok(connected);
      const connectionId = Buffer.from(connected.subarray(8, 16));
      // No key, and a wrong key: both are someone else.
      for (const key of [0, 0x0badf00d]) {
        assert.ok(await ask(announce({ connectionId, key, event: "stopped" })));
        const r = decodeUdpResponse((await ask(announce({ connectionId, key, port: 6666 })))!, 4);
        assert.ok(r?.action === "announce");
      }
      const list = await seen(ih);
      assert.ok(list.includes("127.0.0.1:7001"), `the victim is still there: ${list}`);
    } finally {
      victim.close();
      attacker.close();
    }
  });

  test("peer ids only in dictionary replies (compact=0), and not with no_peer_id=1", async () => {
    const ih = hash20(4);
    await announceFrom("127.0.0.1", port, { infoHash: ih, peerId: peerId(1), port: 7001, left: 1 });
    const ask = (over: Partial<AnnounceQueryInput>) =>
      announceFrom("127.0.0.1", port, {
        infoHash: ih,
        peerId: peerId(2),
        port: 7002,
        left: 1,
        ...over,
      }).then((b) => parseAnnounceReply(b).peers);
    assert.deepEqual(await ask({}), [{ ip: "127.0.0.1", port: 7001 }], "compact: no ids");
    assert.deepEqual(await ask({ compact: false }), [
      { ip: "127.0.0.1", port: 7001, peerId: peerId(1) },
    ]);
    assert.deepEqual(await ask({ compact: false, noPeerId: true }), [
      { ip: "127.0.0.1", port: 7001 },
    ]);
  });
});

describe("owners across a restart", () => {
  test("kept in the snapshot (and derived for a version 1 snapshot): the victim stays the one peer", async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), "shoal-owners-"));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const ih = hash20(5);
    const v4 = { infoHash: ih, peerId: peerId(1), port: 7001, left: 1 };
    const keyed = { infoHash: ih, peerId: peerId(2), port: 7002, left: 1, key: "1234abcd" };
    let { tracker, port } = await startTracker({ host: "127.0.0.1", dataDir });
    await announceFrom("127.0.0.1", port, v4);
    await announceFrom("127.0.0.1", port, keyed);
    await tracker.stop();

    const counts = async (p: number) => {
      const r = parseAnnounceReply(
        await announceFrom("127.0.0.1", p, { ...v4, peerId: peerId(99), event: "stopped" }),
      );
      return r.incomplete;
    };
    ({ tracker, port } = await startTracker({ host: "127.0.0.1", dataDir }));
    try {
      // Not someone else's to stop, after the restart either.
      await announceFrom("127.0.0.2", port, { ...v4, event: "stopped" });
      await announceFrom("127.0.0.2", port, { ...keyed, key: undefined, event: "stopped" });
      assert.equal(await counts(port), 2);
      // The same clients announce again: the same two peers, not four.
      await announceFrom("127.0.0.1", port, v4);
      await announceFrom("127.0.0.2", port, keyed);
      assert.equal(await counts(port), 2);
    } finally {
      await tracker.stop();
    }

    // A snapshot as version 1 wrote it: no owner column.
    const db = new DatabaseSync(join(dataDir, DATABASE_FILE));
    db.exec(`
      DROP TABLE peers;
      CREATE TABLE peers (
        info_hash BLOB NOT NULL, peer_id BLOB NOT NULL, addr4 BLOB NOT NULL, addr6 BLOB NOT NULL,
        left INTEGER NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY (info_hash, peer_id)
      ) WITHOUT ROWID;
    `);
    db.prepare("INSERT INTO peers VALUES (?, ?, ?, ?, 1, ?)").run(
      ih,
      peerId(1),
      Buffer.from([127, 0, 0, 1, 0x1b, 0x59]),
      Buffer.alloc(0),
      Date.now(),
    );
    db.close();
    ({ tracker, port } = await startTracker({ host: "127.0.0.1", dataDir }));
    try {
      assert.equal(await counts(port), 1);
      await announceFrom("127.0.0.2", port, { ...v4, event: "stopped" });
      await announceFrom("127.0.0.1", port, v4);
      assert.equal(await counts(port), 1, "the restored peer is the one its address announces as");
    } finally {
      await tracker.stop();
    }
  });
});
