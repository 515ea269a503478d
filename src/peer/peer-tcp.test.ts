import assert from "node:assert/strict";
import { after, test } from "node:test";
import { dialTcp, listenTcp } from "../net/index.ts";
import type { ShoalError } from "../util/index.ts";
import type { PeerConnection } from "./peer-connection.ts";
import {
  acceptIncoming,
  allBlocks,
  blockData,
  type Closed,
  dialOutgoing,
  full,
  ID_A,
  type SideOptions,
  until,
  watchClose,
} from "./test-helpers.ts";

const open: PeerConnection[] = [];
after(() => {
  for (const c of open) c.close("test over");
});

async function tcpPair(optsB: SideOptions = {}) {
  let closedB: Closed = {};
  const listener = await listenTcp({ port: 0, host: "127.0.0.1" });
  const accepted = new Promise<PeerConnection>((resolve, reject) => {
    listener.once("connection", (t) =>
      acceptIncoming(t, { bitfield: full(), ...optsB }, (b) => {
        closedB = watchClose(b);
        b.on("request", (r) =>
          b.sendPiece(r.index, r.begin, blockData(r.index, r.begin, r.length)),
        );
      }).then(resolve, reject),
    );
  });
  const transport = await dialTcp("127.0.0.1", listener.port, { timeoutMs: 5000 });
  const outgoing = dialOutgoing(transport, { listenPort: 6881 });
  const [a, b] = await Promise.allSettled([outgoing, accepted]);
  const conns = [a, b].flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  open.push(...conns);
  await listener.close();
  return {
    a: a.status === "fulfilled" ? a.value : undefined,
    b: b.status === "fulfilled" ? b.value : undefined,
    closedA: a.status === "rejected" ? (a.reason as ShoalError) : undefined,
    closedB: b.status === "rejected" ? { error: b.reason as ShoalError } : closedB,
  };
}

test("tcp: handshake, bitfield and a full download over 127.0.0.1", async () => {
  const pair = await tcpPair();
  const { closedB } = pair;
  const a = pair.a!;
  const b = pair.b!;
  await until(() => a.ready && b.ready && a.peerBitfield.isComplete(), "ready", 100_000);
  assert.equal(a.remoteAddress, "127.0.0.1");
  assert.equal(a.stats.client, "Transmission 3.00");
  await until(
    () => a.peerExtendedHandshake !== undefined && b.peerExtendedHandshake !== undefined,
    "extended handshakes",
    100_000,
  );
  assert.deepEqual(a.peerExtendedHandshake?.yourip, Buffer.from([127, 0, 0, 1]));
  assert.equal(b.peerExtendedHandshake?.p, 6881);
  b.unchoke();
  a.setInterested(true);
  await until(() => !a.peerChoking, "unchoke", 100_000);
  const got: Buffer[] = [];
  a.on("block", (blk) => got.push(Buffer.from(blk.data)));
  const blocks = allBlocks();
  for (const blk of blocks) a.request(blk);
  await until(() => got.length === blocks.length, "all blocks", 100_000);
  assert.deepEqual(
    Buffer.concat(got),
    Buffer.concat(blocks.map((x) => blockData(x.index, x.begin, x.length))),
  );
  a.close("finished");
  await until(() => b.closed, "remote close", 100_000);
  assert.equal(closedB.reason, "the peer closed the connection");
});

test("tcp: info hash mismatch and self-connection over 127.0.0.1", async () => {
  const mismatch = await tcpPair({ infoHash: Buffer.alloc(20, 9) });
  const closed = mismatch.closedB;
  assert.ok(mismatch.a === undefined && mismatch.b === undefined, "both closed");
  assert.equal(closed.error?.code, "info_hash_mismatch");
  const self = await tcpPair({ peerId: ID_A });
  const selfClosed = self.closedB;
  assert.ok(self.a === undefined && self.b === undefined, "both closed");
  assert.equal(selfClosed.error?.code, "self_connection");
});
