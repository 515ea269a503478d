import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { TrackerAdvertiser } from "../discovery/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork, type UdpNetwork } from "../net/index.ts";
import { run } from "./main.ts";
import { advertisedHost, defaultAdvertisedName } from "./tracker-advertising.ts";

const { MemoryUdpNetwork } = await loadMemoryNetwork();
type MemoryUdpNetwork = InstanceType<typeof MemoryUdpNetwork>;

/**
 * The commands that find a tracker on the LAN, over an in-memory network
 * (io.udp): nothing here reaches a real interface. The LAN test in
 * test/e2e/tracker-discovery-lan.test.ts does the same across namespaces.
 */
const work = mkdtempSync(join(tmpdir(), "shoal-discovery-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

async function shoal(args: string[], udp: UdpNetwork, env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await run(args, { stdout, stderr, cwd: work, env, udp });
  return { code, stdout: out, stderr: err };
}

/** Counts every query the group carries, seen from a host of its own. */
async function watch(net: MemoryUdpNetwork) {
  const s = net.host("10.231.15.99").createSocket(4, { reuseAddr: true });
  await s.bind({ port: 5353 });
  s.addMembership("224.0.0.251");
  const seen: Buffer[] = [];
  s.on("message", (m) => seen.push(m));
  return { seen, close: () => s.close() };
}

function advertise(net: MemoryUdpNetwork, address: string, name: string, port: number) {
  return TrackerAdvertiser.start({
    udp: net.host(address),
    advertisement: { name, host: advertisedHost(name), port, udp: true, index: true },
    addresses: () => [{ address, family: 4 }],
    families: [4],
  });
}

describe("finding a tracker from the CLI", () => {
  const content = join(work, "talk.txt");
  before(() => writeFileSync(content, "a talk worth sharing\n".repeat(100)));

  it("'tracker find' lists them; 'create -t auto:NAME' writes the one named", async () => {
    const net = new MemoryUdpNetwork();
    const a = await advertise(net, "10.231.15.1", "lab", 6969);
    const b = await advertise(net, "10.231.15.4", "backup", 7000);
    try {
      let r = await shoal(["tracker", "find"], net.host("10.231.15.2"));
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split("\n"), [
        "NAME    ANNOUNCE                          UDP                              INDEX",
        "backup  http://10.231.15.4:7000/announce  udp://10.231.15.4:7000/announce  http://10.231.15.4:7000",
        "lab     http://10.231.15.1:6969/announce  udp://10.231.15.1:6969/announce  http://10.231.15.1:6969",
        "",
      ]);
      r = await shoal(
        ["create", content, "-t", "auto", "-o", join(work, "x.torrent")],
        net.host("10.231.15.3"),
      );
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        "shoal create: 2 trackers on the local network: 'backup', 'lab'; pick one with --tracker auto:NAME\n",
      );
      const out = join(work, "talk.torrent");
      r = await shoal(["create", content, "-t", "auto:LAB", "-o", out], net.host("10.231.15.5"));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /using tracker 'lab' at http:\/\/10\.231\.15\.1:6969\/announce/);
      assert.equal(parseMetainfo(readFileSync(out)).announce, "http://10.231.15.1:6969/announce");
      r = await shoal(["list", "--tracker", "auto:nope"], net.host("10.231.15.6"));
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        "shoal list: no tracker named 'nope' on the local network (found 'backup', 'lab')\n",
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("none found is one line; SHOAL_DISCOVERY=off or a tracker given sends nothing", async () => {
    const net = new MemoryUdpNetwork();
    const group = await watch(net);
    let r = await shoal(["list"], net.host("10.231.15.2"), { SHOAL_DISCOVERY: "off" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^shoal list: missing --tracker\/--url \(e\.g\. http/);
    r = await shoal(
      ["publish", join(work, "none.torrent"), "--tracker", "http://127.0.0.1:1/announce"],
      net.host("10.231.15.3"),
    );
    assert.equal(r.code, 1);
    r = await shoal(["tracker", "find", "--timeout", "1"], net.host("10.231.15.4"), {
      SHOAL_DISCOVERY: "off",
    });
    assert.equal(group.seen.length, 1, "only the find, asked for by name, sent a query");
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      "no tracker answered on the local network (is one running with --advertise?)\n",
    );
    r = await shoal(["list"], net.host("10.231.15.5"));
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.split("\n")[0],
      "shoal list: missing --tracker/--url: no tracker answered on the local network within 1.5 s " +
        "(is one running with 'shoal tracker --advertise'?) (see 'shoal help list')",
    );
    assert.equal(group.seen.length, 2);
    await group.close();
  });

  it("names an advertised tracker after its host and port by default, its SRV target after its name", () => {
    assert.equal(defaultAdvertisedName(6969, "lab-pc.example.org"), "lab-pc-6969");
    assert.equal(advertisedHost("Lab PC.example.org"), "lab-pc-example-org-tracker");
    assert.equal(advertisedHost("Ünïcode ✓"), "n-code-tracker");
  });
});
