/**
 * HTTPS (issue 18): `shoal tracker --tls-cert/--tls-key` serves announces over
 * TLS, clients verify its certificate (trusting a private CA with
 * `--tracker-ca`), and a swarm finds its peers through it. The certificate is
 * made for 127.0.0.1 by Debian's openssl in a temp folder.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "../../src/session/index.ts";
import { httpGet } from "../../src/tracker-client/index.ts";
import type { Tracker } from "../../src/tracker-server/index.ts";
import { Children, NODE, runShoal, SHOAL_CLI, skipReason } from "../interop/helpers.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";
import { makeTestCertificate } from "./test-certificate.ts";
import { makeTorrent, startTracker } from "./tracker-helpers.ts";

describe("HTTPS trackers", { skip: skipReason([{ bin: "openssl", pkg: "openssl" }]) }, () => {
  let dir = "";
  let cert: Buffer;
  let certFile = "";
  let keyFile = "";
  let tracker: Tracker;
  let base = "";
  const clients: Client[] = [];
  const fixtures: Fixture[] = [];
  const children = new Children();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shoal-https-"));
    ({ cert: certFile, key: keyFile } = makeTestCertificate(dir));
    cert = await readFile(certFile);
    const started = await startTracker({
      tlsCert: certFile,
      tlsKey: keyFile,
      interval: 2,
      minInterval: 1,
    });
    tracker = started.tracker;
    base = `https://127.0.0.1:${started.port}`;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await tracker?.stop();
    await children.stopAll();
    for (const f of fixtures) await removeFixture(f);
    await rm(dir, { recursive: true, force: true });
  });

  it("the tracker says https; a client verifies its certificate, trusting it only when told", async () => {
    assert.match(tracker.urls.http, /^https:\/\/127\.0\.0\.1:\d+\/announce$/);
    await assert.rejects(httpGet(`${base}/announce`), /certificate is not trusted \(self-signed/);
    const reply = await httpGet(`${base}/announce`, { ca: cert });
    assert.equal(reply.status, 200);
    assert.match(
      reply.body.toString("latin1"),
      /failure reason/,
      "a bencoded refusal of an empty announce",
    );
  });

  it("the JSON views' magnet links announce over https, as the tracker serves", async () => {
    const torrent = makeTorrent("over-tls");
    const send = (method: string, path: string, body?: Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${base}${path}`, { method, ca: cert }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }),
          );
        });
        req.on("error", reject);
        req.end(body);
      });
    const published = await send("POST", "/torrents", torrent.bytes);
    assert.equal(published.status, 201, published.text);
    const announce = `https://127.0.0.1:${tracker.port}/announce`;
    const tr = `tr=${encodeURIComponent(announce)}`;
    const list = JSON.parse((await send("GET", "/torrents")).text) as { magnet: string }[];
    assert.equal(list.length, 1);
    assert.ok(list[0]!.magnet.includes(tr), list[0]!.magnet);
  });

  it("a seeder and a leecher find each other through the https tracker (--tracker-ca)", async () => {
    const f = await makeFixture(300_000, 16384, [[`${base}/announce`]]);
    fixtures.push(f);
    const announcer = { ca: cert, minIntervalMs: 500 };
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
    const t = await leecher.add(f.meta);
    await completed(t);
  });

  it("shoal publish and shoal list reach an https tracker's index with --tracker-ca, and refuse it in one line without", async () => {
    const torrent = makeTorrent("published-over-tls");
    const file = join(dir, "published-over-tls.torrent");
    await writeFile(file, torrent.bytes);
    const refused = await runShoal(["list", "--tracker", `${base}/announce`]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /certificate is not trusted .*--tracker-ca/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
    const ca = ["--tracker-ca", certFile];
    const published = await runShoal(["publish", file, "--tracker", `${base}/announce`, ...ca]);
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /published: published-over-tls/);
    const listed = await runShoal(["list", "--tracker", `${base}/announce`, ...ca, "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    const names = (JSON.parse(listed.stdout) as { name: string }[]).map((t) => t.name);
    assert.ok(names.includes("published-over-tls"), names.join(", "));
  });

  it("shoal tracker --tls-cert alone is one line naming what is missing", async () => {
    const child = children.start(
      NODE,
      [SHOAL_CLI, "tracker", "--port", "0", "--host", "127.0.0.1", "--tls-cert", certFile],
      { name: "shoal tracker", timeoutMs: 60_000 },
    );
    const { code } = await child.exited;
    assert.notEqual(code, 0);
    assert.match(child.tail(), /HTTPS needs both --tls-cert and --tls-key/);
    assert.doesNotMatch(child.tail(), /\n\s+at /, "no stack trace");
  });
});
