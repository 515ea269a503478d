/**
 * The settings routes (issue 17's settings page) against a daemon started
 * from a config file, as `shoal daemon --config` starts it: read what runs,
 * per-field errors with the config file's own rules, save into the file
 * (comments kept), limits and queues applied at once, the port at the next
 * start, which keeps what was saved.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { call, type Json, startDaemonFromFile, startTestDaemon } from "./daemon-helpers.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const FILE = `# my daemon
[peer]
address = "127.0.0.1"
# the port my router forwards
port = 0
pex = true

[limits]
upload = "1MB"
`;

/** A loopback port free now, for the peer port saved and used at the next start. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function field(view: Json, key: string): Json {
  return view.fields.find((f: Json) => f.key === key);
}

test("settings: read, checked per field, saved into the config file (comments kept), applied live or at the next start", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-settings-"));
  dirs.push(dir);
  const file = join(dir, "config.toml");
  const PORT = await freePort();
  await writeFile(file, FILE);
  let { daemon, base } = await startDaemonFromFile(dir, file);
  try {
    const read = await call(base, "GET", "/api/v1/settings");
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.file, file);
    assert.equal(field(read.body, "limits.upload").value, 1_000_000);
    assert.equal(field(read.body, "limits.upload").live, true);
    assert.equal(field(read.body, "peer.pex").value, true);
    assert.equal(field(read.body, "download-dir").flag, true, "--download-dir overrides the file");
    assert.ok(field(read.body, "peer.encryption").choices.includes("required"));

    const bad = await call(base, "POST", "/api/v1/settings/validate", {
      json: {
        values: {
          "peer.port": 70000,
          "limits.download": "lots",
          "peer.encryption": "maybe",
          "queue.max-active-downloads": -1,
          "peer.nonsense": 1,
          "peer.pex": false,
        },
      },
    });
    assert.equal(bad.status, 200);
    assert.equal(bad.body.ok, false);
    assert.deepEqual(Object.keys(bad.body.errors).sort(), [
      "limits.download",
      "peer.encryption",
      "peer.nonsense",
      "peer.port",
      "queue.max-active-downloads",
    ]);
    assert.equal(bad.body.errors["peer.port"], "give a port from 0 to 65535");
    assert.match(bad.body.errors["peer.encryption"], /^give one of /);
    const refused = await call(base, "PUT", "/api/v1/settings", {
      json: { values: { "peer.port": "x" } },
    });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /^peer\.port: give a port/);
    assert.equal(await readFile(file, "utf8"), FILE, "nothing written");

    const good = await call(base, "POST", "/api/v1/settings/validate", {
      json: { values: { "limits.download": "2MiB", "peer.port": PORT } },
    });
    assert.deepEqual(good.body, { ok: true, errors: {} });
    const saved = await call(base, "PUT", "/api/v1/settings", {
      json: {
        values: {
          "limits.download": "2MiB",
          "queue.max-active-downloads": 3,
          "peer.port": PORT,
          "watch-dir": join(dir, "watch"),
        },
      },
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual(saved.body.applied.sort(), ["limits.download", "queue.max-active-downloads"]);
    assert.deepEqual(saved.body.restartNeeded.sort(), ["peer.port", "watch-dir"]);
    assert.equal(field(saved.body, "peer.port").value, PORT);
    assert.equal(field(saved.body, "peer.port").restartNeeded, true);
    // Applied live: the session's own routes say so.
    const session = await call(base, "GET", "/api/v1/session/settings");
    assert.deepEqual(session.body.limits, { download: 2 * 1024 * 1024, upload: 1_000_000 });
    const manage = await call(base, "GET", "/api/v1/session/manage");
    assert.equal(manage.body.maxActiveDownloads, 3);
    const text = await readFile(file, "utf8");
    assert.match(text, new RegExp(`# the port my router forwards\nport = ${PORT}\npex = true\n`));
    assert.match(text, /^# my daemon\nwatch-dir = /);
    assert.match(text, /\[limits\]\nupload = "1MB"\ndownload = "2MiB"\n/);
    assert.match(text, /\[queue\]\nmax-active-downloads = 3\n$/);

    // The next start reads them back.
    await daemon.stop();
    ({ daemon, base } = await startDaemonFromFile(dir, file));
    const again = await call(base, "GET", "/api/v1/settings");
    assert.equal(field(again.body, "peer.port").value, PORT);
    assert.equal(field(again.body, "peer.port").restartNeeded, false);
    assert.equal(daemon.client.port, PORT);
    assert.equal(field(again.body, "limits.download").value, 2 * 1024 * 1024);
    assert.equal(field(again.body, "queue.max-active-downloads").value, 3);
    assert.equal(field(again.body, "watch-dir").value, join(dir, "watch"));
  } finally {
    await daemon.stop();
  }
});

test("settings: a daemon made without a config file says the page cannot save", async () => {
  const d = await startTestDaemon();
  try {
    const r = await call(d.base, "GET", "/api/v1/settings");
    assert.equal(r.status, 503);
    assert.match(r.body.error.message, /without a config file/);
  } finally {
    await d.stop();
  }
});
