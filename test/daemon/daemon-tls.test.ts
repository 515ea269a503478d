/**
 * The daemon's security options (issue 18): its API over HTTPS with
 * --tls-cert/--tls-key (a certificate openssl made for 127.0.0.1), and the
 * peer-side switches it shares with get/seed/shell (--encryption, --lsd,
 * --ip-filter) in its effective settings; a bad value is one line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { httpGet } from "../../src/tracker-client/index.ts";
import { makeTestCertificate } from "../e2e/test-certificate.ts";
import { Children, freePorts, NODE, SHOAL_CLI, skipReason, TempDirs } from "../interop/helpers.ts";

const dirs = new TempDirs();
const children = new Children();
after(async () => {
  await children.stopAll();
  await dirs.removeAll();
});

test("the API over HTTPS; --encryption, --lsd and --ip-filter in the effective settings", {
  skip: skipReason([{ bin: "openssl", pkg: "openssl" }]),
}, async () => {
  const root = await dirs.make("daemon-tls");
  const { cert, key } = makeTestCertificate(root);
  const list = join(root, "list.p2p");
  writeFileSync(list, "lab:10.0.0.0-10.255.255.255\n");
  const [peerPort, apiPort] = await freePorts(2);
  const env = { ...process.env, XDG_CONFIG_HOME: join(root, "cfg") };
  const args = [
    "--data-dir",
    join(root, "data"),
    "--port",
    String(peerPort),
    "--api-port",
    String(apiPort),
    "--tls-cert",
    cert,
    "--tls-key",
    key,
    "--encryption",
    "prefer",
    "--lsd",
    "--ip-filter",
    list,
  ];
  const shown = spawnSync(NODE, [SHOAL_CLI, "config", ...args], { encoding: "utf8", env });
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /encryption = "prefer"/);
  assert.match(shown.stdout, /lsd = true/);
  assert.match(shown.stdout, /ip-filter = ".*list\.p2p"/);
  assert.match(shown.stdout, /tls-cert = ".*cert\.pem"/);

  const bad = spawnSync(NODE, [SHOAL_CLI, "config", ...args, "--encryption", "maybe"], {
    encoding: "utf8",
    env,
  });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1);

  const daemon = children.start(NODE, [SHOAL_CLI, "daemon", ...args], {
    name: "shoal daemon",
    env,
    timeoutMs: 60_000,
  });
  await daemon.waitForLine(/started/, 60_000);
  const url = `https://127.0.0.1:${apiPort}/api/v1/torrents`;
  await assert.rejects(httpGet(url), /certificate is not trusted/);
  const reply = await httpGet(url, { ca: readFileSync(cert) });
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.body.toString()), []);
});
