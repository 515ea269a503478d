/** The tracker's --ip-filter (issue 18): announces from a listed address are refused, HTTP and UDP. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeAnnounceRequest } from "../../src/tracker-proto/index.ts";
import { type Tracker, TrackerError } from "../../src/tracker-server/index.ts";
import { announce, hash20, peerId, startTracker, UdpClient } from "./tracker-helpers.ts";

const trackers: Tracker[] = [];
const dirs: string[] = [];
after(async () => {
  for (const t of trackers) await t.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function list(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-tracker-filter-"));
  dirs.push(dir);
  await writeFile(join(dir, "list.p2p"), text);
  return join(dir, "list.p2p");
}

test("a listed address gets a failure reason over HTTP and UDP; others are served", async () => {
  const blocked = await startTracker({
    ipFilter: await list("loopback:127.0.0.0-127.255.255.255\n"),
  });
  trackers.push(blocked.tracker);
  const reply = await announce(blocked.base, {
    infoHash: hash20(1),
    peerId: peerId(1),
    port: 6881,
  });
  assert.match(reply.toString("latin1"), /block list/);
  const udp = await UdpClient.open(4);
  try {
    const connectionId = await udp.connectionId(blocked.port);
    const request = {
      connectionId,
      transactionId: 5,
      infoHash: hash20(1),
      peerId: peerId(1),
      downloaded: 0,
      left: 1,
      uploaded: 0,
      event: "started" as const,
      port: 6881,
    };
    udp.send(encodeAnnounceRequest(request), blocked.port);
    const answer = (await udp.next())!;
    assert.equal(answer.readUInt32BE(0), 3, "an error reply");
    assert.match(answer.subarray(8).toString(), /block list/);
  } finally {
    udp.close();
  }
  assert.ok(blocked.tracker.metrics.errors.blocked >= 2);

  const open = await startTracker({ ipFilter: await list("lab:10.0.0.0-10.255.255.255\n") });
  trackers.push(open.tracker);
  const served = await announce(open.base, { infoHash: hash20(1), peerId: peerId(1), port: 6881 });
  assert.match(served.toString("latin1"), /8:interval/);
});

test("a list it cannot read stops the start with one clear error", async () => {
  await assert.rejects(
    startTracker({ ipFilter: "/nonexistent/list.p2p" }),
    (err: Error) =>
      err instanceof TrackerError && /--ip-filter \/nonexistent\/list\.p2p/.test(err.message),
  );
});
