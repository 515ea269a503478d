/**
 * The DHT as a user drives it, on loopback: `shoal dht` as the lab's
 * bootstrap node, `shoal seed` of a trackerless torrent and `shoal get` of
 * it and of its magnet link (no tr=), all told only of that node
 * (--dht-bootstrap). No tracker runs and no
 * peer is named: the download can only find its seeder through the DHT.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseConfigText, resolveConfig } from "../../src/daemon/index.ts";
import { createTorrent, parseMetainfo } from "../../src/metainfo/index.ts";
import { CliProcess } from "./shell-helpers.ts";

const work = await mkdtemp(join(tmpdir(), "shoal-e2e-dht-"));
const processes: CliProcess[] = [];
after(async () => {
  for (const p of processes) p.kill();
  await rm(work, { recursive: true, force: true });
});

function run(args: string[]): CliProcess {
  const p = new CliProcess(args);
  processes.push(p);
  return p;
}

test("shoal get finds a trackerless torrent's seeder, and a magnet link's, through `shoal dht` alone", async () => {
  const node = run(["dht", "--host", "127.0.0.1", "--port", "0", "--interval", "1"]);
  const [, id, port] = await node.waitFor(
    /dht node ([0-9a-f]{40}) listening on udp 127\.0\.0\.1:(\d+)\n/,
  );
  assert.equal(id!.length, 40);
  const bootstrap = `127.0.0.1:${port}`;

  const content = join(work, "content");
  await mkdir(content);
  const data = randomBytes(300 * 1024);
  await writeFile(join(content, "lab.bin"), data);
  const { torrent } = await createTorrent(join(content, "lab.bin"), { pieceLength: 32 * 1024 });
  const torrentFile = join(work, "lab.torrent");
  await writeFile(torrentFile, torrent);

  const common = ["--host", "127.0.0.1", "--port", "0", "--dht-bootstrap", bootstrap, "-q"];
  const seed = run([
    "seed",
    torrentFile,
    content,
    "--data-dir",
    join(work, "seed-data"),
    ...common,
  ]);
  const get = run([
    "get",
    torrentFile,
    "-o",
    join(work, "out"),
    "--data-dir",
    join(work, "get-data"),
    ...common,
  ]);
  const code = await Promise.race([
    get.exited,
    new Promise<number>((r) => setTimeout(() => r(-2), 60_000).unref()),
  ]);
  assert.equal(code, 0, `get exited ${code}\n${get.stderr}\n--- seed ---\n${seed.stderr}`);
  assert.deepEqual(readFileSync(join(work, "out", "lab.bin")), data);
  // The node saw both: its counters say it stored an announced peer.
  // The latest counters line (one a second).
  const latest = () =>
    [...node.stdout.matchAll(/nodes (\d+) in \d+ buckets · peers stored (\d+)/g)].at(-1);
  let line = latest();
  for (let i = 0; i < 150 && !(line && Number(line[1]) >= 2 && Number(line[2]) >= 1); i++) {
    await new Promise((r) => setTimeout(r, 200));
    line = latest();
  }
  assert.ok(line, node.stdout);
  assert.ok(Number(line[1]) >= 2, line[0]);
  assert.ok(Number(line[2]) >= 1, line[0]);
  // The session kept its table for the next start.
  const saved = JSON.parse(readFileSync(join(work, "get-data", "dht.json"), "utf8"));
  assert.ok(saved.nodes.length >= 1);
  // A magnet link with no tracker (no tr=, no x.pe=): peers and then the
  // metadata (BEP 9) come through the DHT alone.
  const { infoHash } = parseMetainfo(torrent);
  const magnet = run([
    "get",
    `magnet:?xt=urn:btih:${infoHash.toString("hex")}`,
    "-o",
    join(work, "magnet-out"),
    "--data-dir",
    join(work, "magnet-data"),
    ...common,
  ]);
  const magnetCode = await Promise.race([
    magnet.exited,
    new Promise<number>((r) => setTimeout(() => r(-2), 60_000).unref()),
  ]);
  assert.equal(magnetCode, 0, `magnet get exited ${magnetCode}\n${magnet.stderr}`);
  assert.deepEqual(readFileSync(join(work, "magnet-out", "lab.bin")), data);
  // `shoal create` without -t writes `nodes` (BEP 5): the named ones, then the saved table's.
  const create = run([
    "create",
    join(content, "lab.bin"),
    "--no-date",
    "--piece-size",
    "32KiB",
    "--data-dir",
    join(work, "get-data"),
    "--dht-node",
    "192.0.2.9:6881",
    "-o",
    join(work, "nodes.torrent"),
  ]);
  assert.equal(await create.exited, 0, create.stderr);
  assert.match(create.stderr, /peers will come from the DHT through the \d+ node\(s\) written/);
  const withNodes = parseMetainfo(readFileSync(join(work, "nodes.torrent")));
  assert.deepEqual(withNodes.nodes[0], { host: "192.0.2.9", port: 6881 });
  assert.ok(withNodes.nodes.length >= 2, JSON.stringify(withNodes.nodes));
  assert.ok(withNodes.nodes.slice(1).every((n) => n.host === "127.0.0.1"));
  assert.equal(withNodes.infoHashHex, parseMetainfo(torrent).infoHashHex, "nodes are outside info");
  seed.child.kill("SIGINT");
  node.child.kill("SIGINT");
  assert.equal(await node.exited, 0);
});

test("shoal dht --enforce-node-id (and --dht-enforce-node-id) says BEP 42 is enforced", async () => {
  for (const flag of ["--enforce-node-id", "--dht-enforce-node-id"]) {
    const node = run(["dht", "--host", "127.0.0.1", "--port", "0", flag]);
    await node.waitFor(/listening on udp 127\.0\.0\.1:\d+ \(BEP 42 node ids enforced\)\n/);
    node.kill();
  }
});

test("DHT flags: one-line usage errors", async () => {
  const bad = run(["get", "x.torrent", "--dht-bootstrap", "nohostport"]);
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr, /--dht-bootstrap: 'nohostport' is not host:port/);
  assert.equal(bad.stderr.trim().split("\n").length <= 2, true, bad.stderr);
  const both = run(["get", "x.torrent", "--no-dht", "--dht-bootstrap", "127.0.0.1:1"]);
  assert.equal(await both.exited, 2);
  assert.match(both.stderr, /contradict/);
  const enforceOff = run(["get", "x.torrent", "--no-dht", "--dht-enforce-node-id"]);
  assert.equal(await enforceOff.exited, 2);
  assert.match(enforceOff.stderr, /--dht-enforce-node-id and --no-dht contradict/);
  const readOnlyOff = run(["seed", "x.torrent", ".", "--no-dht", "--dht-read-only"]);
  assert.equal(await readOnlyOff.exited, 2);
  assert.match(readOnlyOff.stderr, /--dht-read-only and --no-dht contradict/);
  const host = run(["dht", "--host", "not-an-ip"]);
  assert.equal(await host.exited, 2);
  assert.match(host.stderr, /--host: 'not-an-ip' is not an IPv4 address/);
});

test("the daemon's DHT: [peer] dht and dht-bootstrap in the config file, --dht-bootstrap and --no-dht over it", async () => {
  const file = parseConfigText(
    '[peer]\ndht = true\ndht-bootstrap = ["10.231.15.2:6881"]\n',
    "/etc/shoal.toml",
  );
  const fromFile = resolveConfig(file, {}, {}, "/");
  assert.equal(fromFile.dht, true);
  assert.deepEqual(fromFile.dhtBootstrap, ["10.231.15.2:6881"]);
  const env = { ...process.env, XDG_CONFIG_HOME: join(work, "no-config") };
  const onEnv = new CliProcess(["config", "--dht-bootstrap", "127.0.0.1:7000"], env);
  processes.push(onEnv);
  assert.equal(await onEnv.exited, 0, onEnv.stderr);
  assert.match(onEnv.stdout, /^dht = true$/m);
  assert.match(onEnv.stdout, /^dht-bootstrap = \["127\.0\.0\.1:7000"\]$/m);
  const off = new CliProcess(["config", "--no-dht"], env);
  processes.push(off);
  assert.equal(await off.exited, 0, off.stderr);
  assert.match(off.stdout, /^dht = false$/m);
  const byDefault = new CliProcess(["config"], env);
  processes.push(byDefault);
  assert.equal(await byDefault.exited, 0, byDefault.stderr);
  assert.match(byDefault.stdout, /^dht = true$/m, "on by default, as in get/seed/shell");
  assert.match(byDefault.stdout, /^dht-bootstrap = \[\]$/m, "no node built in");
  assert.match(byDefault.stdout, /^dht-enforce-node-id = false$/m);
  assert.match(byDefault.stdout, /^dht-read-only = false$/m);
  const enforce = new CliProcess(["config", "--dht-enforce-node-id", "--dht-read-only"], env);
  processes.push(enforce);
  assert.equal(await enforce.exited, 0, enforce.stderr);
  assert.match(enforce.stdout, /^dht-enforce-node-id = true$/m);
  assert.match(enforce.stdout, /^dht-read-only = true$/m);
  const enforceFile = resolveConfig(
    parseConfigText("[peer]\ndht-enforce-node-id = true\n", "/etc/shoal.toml"),
    {},
    {},
    "/",
  );
  assert.equal(enforceFile.dhtEnforceNodeId, true);
  assert.throws(
    () =>
      resolveConfig(
        parseConfigText('[peer]\ndht-enforce-node-id = "yes"\n', "/etc/shoal.toml"),
        {},
        {},
        "/",
      ),
    /\[peer\] dht-enforce-node-id: give true or false/,
  );
  const bad = new CliProcess(["config", "--dht-bootstrap", "nope"], env);
  processes.push(bad);
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr, /--dht-bootstrap: 'nope' is not host:port/);
});
