/**
 * `GET /api/v1/torrents/changes` on a running daemon (issue 17: the web UI
 * asks only for what changed): the whole list first, then the torrents
 * changed and removed after the version it gave, in the fields asked for.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { call, startTestDaemon, type TestDaemon } from "./daemon-helpers.ts";

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(() => d?.stop());

const hash = (n: number) => createHash("sha1").update(`changes-${n}`).digest("hex");

test("GET /torrents/changes: the whole list, then only what changed since its version", async () => {
  for (const n of [1, 2, 3]) {
    const r = await call(d.base, "POST", "/api/v1/torrents", {
      json: { infoHash: hash(n), name: `c${n}`, paused: true },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const changes = (since?: string) =>
    call(
      d.base,
      "GET",
      `/api/v1/torrents/changes?fields=name,state,labels${since ? `&since=${since}` : ""}`,
    );
  const first = await changes();
  assert.equal(first.status, 200);
  assert.equal(first.body.full, true);
  assert.deepEqual(
    first.body.torrents.map((t: { name: string }) => t.name),
    ["c1", "c2", "c3"],
  );
  assert.deepEqual(Object.keys(first.body.torrents[0]).sort(), ["labels", "name", "state"]);
  const quiet = await changes(first.body.version);
  assert.deepEqual([quiet.body.full, quiet.body.torrents, quiet.body.removed], [false, [], []]);

  await call(d.base, "PUT", `/api/v1/torrents/${hash(2)}/labels`, { json: { labels: ["x"] } });
  await call(d.base, "DELETE", `/api/v1/torrents/${hash(3)}`);
  const next = await changes(quiet.body.version);
  assert.deepEqual(next.body.torrents, [{ name: "c2", state: "paused", labels: ["x"] }]);
  assert.deepEqual(next.body.removed, [hash(3)]);
  assert.notEqual(next.body.version, quiet.body.version);

  // A version it cannot answer for: the whole list again; bad input refused.
  const stale = await changes("another-run.7");
  assert.deepEqual([stale.body.full, stale.body.torrents.length], [true, 2]);
  const bad = await call(d.base, "GET", "/api/v1/torrents/changes?fields=nope");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "invalid_input");
  const long = await call(d.base, "GET", `/api/v1/torrents/changes?since=${"9".repeat(100)}`);
  assert.equal(long.status, 400);
  // A torrent is still reached by its ref (the route sits beside /torrents/:ref).
  assert.equal((await call(d.base, "GET", `/api/v1/torrents/${hash(1)}`)).body.name, "c1");
});
