/**
 * The control plane's defences: credentials (scrypt password, tokens),
 * the Host allow-list against DNS rebinding, CSRF refusal of cross-site
 * browser requests, and the rule that only loopback may go without
 * credentials. A refused request changes nothing.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hashPassword, verifyPassword } from "../../src/api/index.ts";
import { ConfigError, checkControlPlaneSecurity, resolveConfig } from "../../src/daemon/index.ts";
import {
  call,
  makeSeededTorrent,
  rawCall,
  startTestDaemon,
  type TestDaemon,
} from "./daemon-helpers.ts";

let d: TestDaemon;
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
const GOOD = basic("admin", "correct horse battery staple");

before(async () => {
  const hash = await hashPassword("correct horse battery staple");
  d = await startTestDaemon({
    api: {
      username: "admin",
      "password-hash": hash,
      tokens: ["t0ken-for-scripts"],
      "allowed-hosts": ["seedbox.lan"],
    },
  });
});
after(() => d.stop());

test("passwords are kept as scrypt hashes that verify only the right password", async () => {
  const hash = await hashPassword("s3cret");
  assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.ok(!hash.includes("s3cret"));
  assert.equal(await verifyPassword("s3cret", hash), true);
  assert.equal(await verifyPassword("s3cret!", hash), false);
  assert.equal(await verifyPassword("s3cret", "scrypt$bogus"), false);
  assert.notEqual(await hashPassword("s3cret"), hash, "salted");
});

test("no or wrong credentials: 401 unauthenticated, with a Basic challenge; nothing added", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "guarded");
  const add = { json: { torrent: t.torrent.toString("base64") } };
  for (const authorization of [
    undefined,
    basic("admin", "wrong"),
    basic("root", "correct horse battery staple"),
    "Bearer nope",
    "Digest x",
  ]) {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    const r = await call(d.base, "POST", "/api/v1/torrents", { ...add, headers });
    assert.equal(r.status, 401, String(authorization));
    assert.equal(r.body.error.code, "unauthenticated");
    assert.match(r.headers.get("www-authenticate") ?? "", /^Basic realm=/);
    const rpc = await call(d.base, "POST", "/transmission/rpc", {
      json: { method: "session-get" },
      headers,
    });
    assert.equal(rpc.status, 401, "the RPC is guarded too");
  }
  const list = await call(d.base, "GET", "/api/v1/torrents", { headers: { authorization: GOOD } });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, [], "nothing was added");
  const token = await call(d.base, "GET", "/api/v1/torrents", {
    headers: { authorization: "Bearer t0ken-for-scripts" },
  });
  assert.equal(token.status, 200);
});

test("Host allow-list: a rebinding name is refused, loopback names and allowed hosts pass", async () => {
  for (const host of ["attacker.example", "attacker.example:9091", "127.0.0.1.attacker.example"]) {
    const r = await rawCall(d.base, "GET", "/api/v1/torrents", { host, authorization: GOOD });
    assert.equal(r.status, 403, host);
    assert.equal(r.body.error.code, "forbidden_host");
  }
  for (const host of [
    "localhost:9091",
    "127.0.0.1",
    "[::1]:9091",
    "seedbox.lan:9091",
    "SEEDBOX.LAN",
  ]) {
    const r = await rawCall(d.base, "GET", "/api/v1/torrents", { host, authorization: GOOD });
    assert.equal(r.status, 200, host);
  }
});

test("a torrent's file (streaming) is behind the same guard: credentials and the Host allow-list", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "guarded-file");
  const added = await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64") },
    headers: { authorization: GOOD },
  });
  assert.equal(added.status, 201);
  const path = `/api/v1/torrents/${t.infoHash}/files/0`;
  const bare = await rawCall(d.base, "GET", path, { range: "bytes=0-9" });
  assert.equal(bare.status, 401);
  assert.equal(bare.body.error.code, "unauthenticated");
  const rebound = await rawCall(d.base, "GET", path, {
    host: "attacker.example",
    authorization: GOOD,
  });
  assert.equal(rebound.status, 403);
  const ok = await rawCall(d.base, "GET", path, {
    authorization: "Bearer t0ken-for-scripts",
    range: "bytes=0-9",
  });
  assert.equal(ok.status, 206);
  // The other tests count on an empty list.
  const removed = await call(d.base, "DELETE", `/api/v1/torrents/${t.infoHash}`, {
    headers: { authorization: GOOD },
  });
  assert.equal(removed.status, 200);
});

test("CSRF: a cross-site browser request that changes something is refused", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "csrf");
  const body = JSON.stringify({ torrent: t.torrent.toString("base64") });
  const headers = { authorization: GOOD, "content-type": "application/json" };
  for (const extra of [
    { origin: "https://evil.example" } as Record<string, string>,
    { origin: "null" },
    { "sec-fetch-site": "cross-site" },
  ]) {
    const r = await rawCall(d.base, "POST", "/api/v1/torrents", { ...headers, ...extra }, body);
    assert.equal(r.status, 403, JSON.stringify(extra));
    assert.equal(r.body.error.code, "cross_site");
  }
  // A form post cannot carry JSON: refused before anything is read as a torrent.
  const form = await rawCall(
    d.base,
    "POST",
    "/api/v1/torrents",
    { authorization: GOOD, "content-type": "text/plain" },
    body,
  );
  assert.equal(form.status, 415);
  const list = await call(d.base, "GET", "/api/v1/torrents", { headers: { authorization: GOOD } });
  assert.deepEqual(list.body, [], "nothing was added");
  const same = await rawCall(
    d.base,
    "POST",
    "/api/v1/torrents",
    { ...headers, origin: d.base, "sec-fetch-site": "same-origin" },
    body,
  );
  assert.equal(same.status, 201, "the daemon's own origin may");
});

test("only loopback may go without credentials", () => {
  const env = { HOME: "/home/x" };
  const open = resolveConfig({ api: { address: "0.0.0.0" } }, {}, env, "/");
  assert.throws(
    () => checkControlPlaneSecurity(open),
    (e: unknown) => e instanceof ConfigError && /open to the network/.test((e as Error).message),
  );
  const tokens = resolveConfig(
    { api: { address: "0.0.0.0", tokens: ["x".repeat(32)] } },
    {},
    env,
    "/",
  );
  checkControlPlaneSecurity(tokens);
  checkControlPlaneSecurity(resolveConfig({}, {}, env, "/"));
  checkControlPlaneSecurity(resolveConfig({}, { apiHost: "::1" }, env, "/"));
});
