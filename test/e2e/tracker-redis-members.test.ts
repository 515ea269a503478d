/**
 * A private tracker's members across instances on one Redis (issues 18 and
 * 19): two `shoal tracker --private --store redis://…` processes, each with
 * its own data dir. A passkey added on one (by `users add` on its data dir,
 * or by the admin API) works on the other; disabling on one refuses on the
 * other; a member's peer announcing to one instance and then the other is
 * accounted once, and both instances show the same totals.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { decode } from "../../src/bencode/index.ts";
import { buildAnnounceQuery } from "../../src/tracker-proto/index.ts";
import { Child, delay, NODE, SHOAL_CLI, TempDirs } from "../interop/helpers.ts";
import { RedisServer, redisSkip } from "./redis-helpers.ts";
import { peerId } from "./tracker-helpers.ts";

const ADMIN = "admin-token-for-shared-members";
const INFO = Buffer.alloc(20, 0x6b);
const dirs = new TempDirs();

interface Instance {
  child: Child;
  base: string;
  dataDir: string;
}

let redis: RedisServer | undefined;
const instances: Instance[] = [];

async function startInstance(dataDir: string): Promise<Instance> {
  const child = new Child(
    NODE,
    [
      SHOAL_CLI,
      "tracker",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--private",
      "--data-dir",
      dataDir,
      "--admin-token",
      ADMIN,
      "--store",
      (redis as RedisServer).url,
      "--store-prefix",
      "members-test:",
      "--shared-secret",
      "a-secret-both-instances-know",
      "--log-level",
      "warn",
    ],
    { name: "shoal tracker --private", timeoutMs: 300_000 },
  );
  const m = await child.waitForLine(/tracker listening on http:\/\/127\.0\.0\.1:(\d+)\//, 60_000);
  return { child, base: `http://127.0.0.1:${m[1]}`, dataDir };
}

function users(dataDir: string, ...args: string[]): string {
  const r = spawnSync(NODE, [SHOAL_CLI, "tracker", "users", ...args, "--data-dir", dataDir], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

async function admin(inst: Instance, method: string, path: string, body?: unknown) {
  const res = await fetch(`${inst.base}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** The failure reason of an announce with this passkey, or null when it was answered. */
async function announce(
  inst: Instance,
  passkey: string,
  q: { uploaded?: number; downloaded?: number; event?: "started" | "stopped" } = {},
): Promise<string | null> {
  const query = buildAnnounceQuery({
    infoHash: INFO,
    peerId: peerId(7),
    port: 6881,
    left: 100,
    ...q,
  });
  const res = await fetch(`${inst.base}/announce/${passkey}?${query}`);
  const reply = decode(Buffer.from(await res.arrayBuffer())) as Map<string, unknown>;
  const reason = reply.get("failure reason");
  return Buffer.isBuffer(reason) ? reason.toString() : null;
}

/** Polls until `check` holds (the instances sync every second; a passkey is cached 5 s). */
async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(200);
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

before(async () => {
  if (redisSkip()) return;
  redis = await RedisServer.start(await dirs.make("redis-members"));
  instances.push(await startInstance(await dirs.make("tracker-a")));
  instances.push(await startInstance(await dirs.make("tracker-b")));
});

after(async () => {
  await Promise.all(instances.map((i) => i.child.stop()));
  await redis?.stop();
  await dirs.removeAll();
});

describe("private tracker members shared by instances on one Redis", { skip: redisSkip() }, () => {
  test("a member added on one instance is one everywhere; disabled on one, refused everywhere", async () => {
    const [a, b] = instances as [Instance, Instance];
    // `users add` on a's data dir while a runs: b learns the passkey through Redis.
    const alice = users(a.dataDir, "add", "alice").trim();
    assert.match(alice, /^[0-9a-f]{32}$/);
    await eventually("b accepts alice's passkey", async () => (await announce(b, alice)) === null);
    assert.equal(await announce(a, alice), null);
    // The admin API on b: a learns the new member.
    const bob = (await admin(b, "POST", "/members", { name: "bob" })).passkey as string;
    await eventually("a accepts bob's passkey", async () => (await announce(a, bob)) === null);
    // Disabled on a (its own users command): refused on b too.
    users(a.dataDir, "disable", "bob");
    await eventually("b refuses bob", async () => /disabled/.test((await announce(b, bob)) ?? ""));
    assert.match(users(b.dataDir, "list"), /bob/);
  });

  test("a peer announcing to both instances is accounted once; both show the sum", async () => {
    const [a, b] = instances as [Instance, Instance];
    const carol = (await admin(a, "POST", "/members", { name: "carol" })).passkey as string;
    await eventually("b accepts carol", async () => (await announce(b, carol)) === null);
    // One client's totals (BEP 3: since it started), its announces spread over the instances.
    assert.equal(await announce(a, carol, { event: "started", uploaded: 0, downloaded: 0 }), null);
    await delay(50);
    assert.equal(await announce(b, carol, { uploaded: 1000, downloaded: 200 }), null);
    await delay(50);
    assert.equal(await announce(a, carol, { uploaded: 3000, downloaded: 500 }), null);
    await delay(50);
    assert.equal(
      await announce(b, carol, { event: "stopped", uploaded: 3500, downloaded: 800 }),
      null,
    );
    for (const inst of [a, b]) {
      await eventually(`${inst.base} shows carol's 3500 up, 800 down`, async () => {
        const m = await admin(inst, "GET", "/members/carol");
        return m.uploaded === 3500 && m.downloaded === 800;
      });
    }
    const torrents = (await admin(b, "GET", "/members/carol")).torrents as {
      infoHash: string;
      uploaded: number;
    }[];
    assert.deepEqual(
      torrents.map((t) => [t.infoHash, t.uploaded]),
      [[INFO.toString("hex"), 3500]],
    );
  });
});
