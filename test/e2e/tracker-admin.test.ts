/**
 * A private tracker's admin API and admin pages (issue 18): every route with
 * the admin token, and each refused — no token, a wrong one, an unknown
 * member, a bad body — with nothing changed; guessing is throttled; members'
 * traffic and ratios per member and per torrent, from their announces; and
 * the token is refused where it would cross a network in clear.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildAnnounceQuery } from "../../src/tracker-proto/index.ts";
import { resolveConfig, type Tracker } from "../../src/tracker-server/index.ts";
import { makeTorrent, peerId, startTracker } from "./tracker-helpers.ts";

const ADMIN = "admin-token-0123456789";
const PUBLISH = "publish-token-for-admin-tests";

describe("the admin API of a private tracker", () => {
  let tracker: Tracker;
  let base = "";
  let dataDir = "";
  const film = makeTorrent("admin film");

  const api = async (method: string, path: string, body?: unknown, auth = `Bearer ${ADMIN}`) => {
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = auth;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json: json as Record<string, unknown>, headers: res.headers };
  };
  /** Every member as the store has them: what "nothing changed" is checked against. */
  const snapshot = () => JSON.stringify(tracker.access!.members.list());

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "shoal-admin-"));
    ({ tracker, base } = await startTracker({
      private: true,
      dataDir,
      publishToken: PUBLISH,
      adminToken: ADMIN,
    }));
    const res = await fetch(`${base}/torrents`, {
      method: "POST",
      body: film.bytes,
      headers: { authorization: `Bearer ${PUBLISH}` },
    });
    assert.equal(res.status, 201);
  });

  after(async () => {
    await tracker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("add, list, get, disable, enable, rotate a passkey, grant and revoke the publish right", async () => {
    const added = await api("POST", "/admin/api/members", { name: "dora", canPublish: false });
    assert.equal(added.status, 201);
    assert.equal(added.json.name, "dora");
    assert.match(added.json.passkey as string, /^[0-9a-f]{32}$/);
    const first = added.json.passkey as string;
    const list = await api("GET", "/admin/api/members");
    assert.equal(list.status, 200);
    const names = (list.json.members as { name: string }[]).map((m) => m.name);
    assert.ok(names.includes("dora"));
    const one = await api("GET", "/admin/api/members/dora");
    assert.equal(one.status, 200);
    assert.deepEqual(one.json.torrents, []);

    assert.equal((await api("POST", "/admin/api/members/dora/disable")).json.disabled, true);
    const refused = await fetch(`${base}/?passkey=${first}`);
    assert.equal(refused.status, 401, "a disabled member's pages are refused");
    assert.equal((await api("POST", "/admin/api/members/dora/enable")).json.disabled, false);

    const rotated = await api("POST", "/admin/api/members/dora/rotate-passkey");
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.json.passkey, first);
    assert.equal((await fetch(`${base}/?passkey=${first}`)).status, 401, "the old passkey is dead");
    assert.equal((await fetch(`${base}/?passkey=${rotated.json.passkey}`)).status, 200);

    assert.equal(
      (await api("POST", "/admin/api/members/dora/grant-publish")).json.canPublish,
      true,
    );
    const byDora = await fetch(`${base}/torrents?passkey=${rotated.json.passkey}`, {
      method: "POST",
      body: makeTorrent("by dora").bytes,
    });
    assert.equal(byDora.status, 201, "the right takes effect at once");
    assert.equal(
      (await api("POST", "/admin/api/members/dora/revoke-publish")).json.canPublish,
      false,
    );
    const again = await fetch(`${base}/torrents?passkey=${rotated.json.passkey}`, {
      method: "POST",
      body: makeTorrent("by dora again").bytes,
    });
    assert.equal(again.status, 403);
  });

  test("traffic and ratios per member and per torrent, from the member's announces", async () => {
    const eve = await api("POST", "/admin/api/members", { name: "eve" });
    const passkey = eve.json.passkey as string;
    const at = async (uploaded: number, downloaded: number, event?: "started") => {
      const q = buildAnnounceQuery({
        infoHash: film.infoHash,
        peerId: peerId(5),
        port: 6881,
        uploaded,
        downloaded,
        left: 0,
        ...(event ? { event } : {}),
      });
      const reply = await (await fetch(`${base}/announce/${passkey}?${q}`)).text();
      assert.match(reply, /^d8:complete/);
    };
    await at(0, 0, "started");
    await at(3000, 1000);
    const one = await api("GET", "/admin/api/members/eve");
    assert.equal(one.json.uploaded, 3000);
    assert.equal(one.json.downloaded, 1000);
    assert.equal(one.json.ratio, 3);
    assert.deepEqual(one.json.torrents, [
      {
        infoHash: film.infoHash.toString("hex"),
        name: "admin film",
        uploaded: 3000,
        downloaded: 1000,
        ratio: 3,
      },
    ]);
    const totals = await api("GET", "/admin/api/torrents");
    const row = (
      totals.json.torrents as { infoHash: string; members: number; ratio: number }[]
    ).find((t) => t.infoHash === film.infoHash.toString("hex"));
    assert.equal(row?.members, 1);
    assert.equal(row?.ratio, 3);
    // The operator's page shows the same ratios, behind the same token (a browser's Basic prompt).
    const basic = `Basic ${Buffer.from(`admin:${ADMIN}`).toString("base64")}`;
    const pageRes = await fetch(`${base}/admin`, { headers: { authorization: basic } });
    assert.equal(pageRes.status, 200);
    const html = await pageRes.text();
    assert.match(html, /<tr data-member="eve">.*<td class="num ratio">3\.00<\/td><\/tr>/);
    const member = await (
      await fetch(`${base}/admin/members/eve`, { headers: { authorization: basic } })
    ).text();
    assert.match(
      member,
      /admin film<\/td><td class="num">2\.93 KiB<\/td><td class="num">1000 B<\/td><td class="num ratio">3\.00/,
    );
  });

  test("no token or a wrong one: 401 on every route, and nothing changes", async () => {
    await api("POST", "/admin/api/members", { name: "fred" });
    const before = snapshot();
    const routes: [string, string, unknown?][] = [
      ["GET", "/admin/api/members"],
      ["POST", "/admin/api/members", { name: "mallory" }],
      ["GET", "/admin/api/members/fred"],
      ["POST", "/admin/api/members/fred/disable"],
      ["POST", "/admin/api/members/fred/enable"],
      ["POST", "/admin/api/members/fred/rotate-passkey"],
      ["POST", "/admin/api/members/fred/grant-publish"],
      ["POST", "/admin/api/members/fred/revoke-publish"],
      ["GET", "/admin/api/torrents"],
    ];
    for (const [method, path, body] of routes) {
      const none = await api(method, path, body, "");
      assert.equal(none.status, 401, `${method} ${path} without a token`);
      assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
    }
    // The publish token is not the admin token.
    assert.equal(
      (await api("GET", "/admin/api/members", undefined, `Bearer ${PUBLISH}`)).status,
      401,
    );
    const page = await fetch(`${base}/admin`);
    assert.equal(page.status, 401);
    assert.match(page.headers.get("www-authenticate")!, /^Basic/);
    assert.equal(snapshot(), before, "nothing changed");
  });

  test("an unknown member, an unknown action, a bad body: refused, nothing changes", async () => {
    const before = snapshot();
    assert.equal((await api("GET", "/admin/api/members/nobody")).status, 404);
    assert.equal((await api("POST", "/admin/api/members/nobody/disable")).status, 404);
    assert.equal((await api("POST", "/admin/api/members/nobody/rotate-passkey")).status, 404);
    assert.equal((await api("POST", "/admin/api/members/fred/explode")).status, 404);
    assert.equal((await api("DELETE", "/admin/api/members/fred")).status, 405);
    assert.equal((await api("GET", "/admin/api/nothing")).status, 404);
    const bad: [unknown, RegExp][] = [
      ["{not json", /not JSON/],
      [[1, 2], /one JSON object/],
      [{}, /'name' is required/],
      [{ name: "x y/z" }, /is not a member name/],
      [{ name: "ok", canPublish: "yes" }, /true or false/],
      [{ name: "ok", admin: true }, /unknown field 'admin'/],
    ];
    for (const [body, why] of bad) {
      const res = await api("POST", "/admin/api/members", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.json.error as string, why);
    }
    assert.equal((await api("POST", "/admin/api/members", { name: "fred" })).status, 409);
    const huge = await api("POST", "/admin/api/members", { name: "a".repeat(5000) });
    assert.equal(huge.status, 413);
    assert.equal(snapshot(), before, "nothing changed");
  });

  test("wrong admin tokens from one address are throttled, the right one too until the window ends", async () => {
    let last = 0;
    for (let i = 0; i < 6; i++) {
      last = (await api("GET", "/admin/api/members", undefined, `Bearer wrong-${i}`)).status;
    }
    assert.equal(last, 429);
    assert.equal((await api("GET", "/admin/api/members")).status, 429);
  });
});

describe("where the admin token may be used", () => {
  const base = { private: true, dataDir: "/tmp/x", adminToken: ADMIN };
  test("a private tracker's only, 16 characters or more", () => {
    assert.throws(
      () => resolveConfig({ host: "127.0.0.1", adminToken: ADMIN }),
      /private tracker's members/,
    );
    assert.throws(
      () => resolveConfig({ ...base, host: "127.0.0.1", adminToken: "short" }),
      /16 characters/,
    );
  });

  test("not over plain HTTP beyond loopback, unless TLS or allowed", () => {
    assert.throws(() => resolveConfig(base), /cross the network in clear/);
    assert.throws(() => resolveConfig({ ...base, host: "0.0.0.0" }), /cross the network in clear/);
    assert.throws(() => resolveConfig({ ...base, host: "10.0.0.1" }), /--admin-over-plain-http/);
    for (const host of ["127.0.0.1", "::1", "localhost"]) {
      assert.equal(resolveConfig({ ...base, host }).adminToken, ADMIN);
    }
    assert.equal(resolveConfig({ ...base, adminOverPlainHttp: true }).adminToken, ADMIN);
    assert.equal(
      resolveConfig({ ...base, tlsCert: "cert.pem", tlsKey: "key.pem" }).adminToken,
      ADMIN,
    );
  });
});
