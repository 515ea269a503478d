/**
 * Finding the tracker on a LAN made by the test (issue 14): two network
 * namespaces joined by a veth pair (lan-namespaces.ts, 10.231.16.0/24).
 * Host a runs `shoal tracker`; host b's commands are given no tracker URL.
 * With the flags off nothing reaches the mDNS group and no socket holds
 * port 5353; with `--advertise` the tracker is announced, `shoal tracker
 * find`, `create -t auto`, `publish` and a shell with no --tracker find it,
 * python-zeroconf (an ordinary DNS-SD browser) sees it too, a download
 * completes byte-exact through it, and stopping the tracker sends the
 * goodbye. Skipped, saying why, when not root or without `ip netns`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type DnsMessage, decodeMessage } from "../../src/discovery/index.ts";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import {
  assertTools,
  type Child,
  Children,
  delay,
  NODE,
  SHOAL_CLI,
  SYSTEM_PYTHON,
  skipReason,
  TempDirs,
  type ToolRequirement,
} from "../interop/helpers.ts";
import { Lan, type LanHost, lanSkipReason } from "./lan-namespaces.ts";

const SUBNET = "10.231.16";
const PORT = 6969;
const SIZE = 2 * 1024 * 1024 + 555;
const STEP_MS = 60_000;
const COMPLETE_MS = 120_000;
/** How long the flags-off case listens, besides the commands' own run, for a datagram that must not come. */
const QUIET_MS = 2_000;

function checkZeroconf(): string | undefined {
  const probe = spawnSync(SYSTEM_PYTHON, ["-c", "import zeroconf"], { timeout: 10_000 });
  return probe.status === 0
    ? undefined
    : `${SYSTEM_PYTHON} cannot import zeroconf: apt-get install python3-zeroconf, or set SHOAL_SKIP_INTEROP=1`;
}
const ZEROCONF: ToolRequirement[] = [
  { bin: SYSTEM_PYTHON, pkg: "python3-zeroconf", check: checkZeroconf },
];

/** Joins the mDNS IPv4 group on 5353 (shared port) and prints every datagram, in hex, as one line. */
const LISTENER = `
const dgram = require("node:dgram");
const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
s.on("message", (m, r) => console.log("HEARD " + r.address + " " + r.port + " " + m.toString("hex")));
s.bind(5353, () => { s.addMembership("224.0.0.251", process.argv[1]); console.log("READY"); });
`;

/** python-zeroconf browsing the service type on one interface, one line per instance resolved. */
const ZEROCONF_BROWSE = `
import json, sys, time
from zeroconf import ServiceBrowser, Zeroconf
zc = Zeroconf(interfaces=[sys.argv[1]])
class Listener:
    def add_service(self, zc, type_, name):
        info = zc.get_service_info(type_, name, timeout=3000)
        if info:
            txt = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
            print("FOUND " + json.dumps({"name": name, "port": info.port, "server": info.server,
                  "addresses": info.parsed_addresses(), "txt": txt}), flush=True)
    def update_service(self, zc, type_, name): pass
    def remove_service(self, zc, type_, name): pass
ServiceBrowser(zc, "_bittorrent-tracker._tcp.local.", Listener())
time.sleep(float(sys.argv[2]))
zc.close()
print("END", flush=True)
`;

describe("finding the tracker on a LAN of two network namespaces (DNS-SD over mDNS)", {
  skip: lanSkipReason(),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  let lan: Lan;
  let a: LanHost;
  let b: LanHost;
  let dir = "";
  let data: Buffer;

  before(async () => {
    lan = Lan.create("mdns", SUBNET);
    [a, b] = lan.hosts;
    dir = await temps.make("mdns-lan");
    data = randomBytes(SIZE);
    await mkdir(join(dir, "src"));
    await writeFile(join(dir, "src", "lan.bin"), data);
  });

  after(async () => {
    await children.stopAll();
    lan?.destroy();
    await temps.removeAll();
  });

  /** `shoal <args>` inside `host`. */
  const shoal = (host: LanHost, name: string, args: string[], timeoutMs = STEP_MS): Child =>
    lan.exec(children, host, NODE, [SHOAL_CLI, ...args], { name, timeoutMs });

  /** Runs `shoal <args>` in `host` to its end; fails the test unless it exits 0. */
  const done = async (host: LanHost, name: string, args: string[]): Promise<Child> => {
    const child = shoal(host, name, args);
    const { code } = await child.exited;
    assert.equal(code, 0, `${name}:\n${child.tail()}`);
    return child;
  };

  /** `shoal shell` in `host` reading `lines` as its script (stdin from a file), to the end. */
  const shellScript = async (host: LanHost, name: string, args: string[], lines: string[]) => {
    const script = join(dir, `${name}.script`);
    await writeFile(script, `${lines.join("\n")}\n`);
    const child = lan.exec(
      children,
      host,
      "sh",
      ["-c", 'f=$1; shift; exec "$@" < "$f"', "sh", script, NODE, SHOAL_CLI, "shell", ...args],
      { name, timeoutMs: COMPLETE_MS + 10_000 },
    );
    const { code } = await child.exited;
    assert.equal(code, 0, `${name}:\n${child.tail()}`);
    return child;
  };

  const listen = async (host: LanHost, name: string): Promise<Child> => {
    const ear = lan.exec(children, host, NODE, ["-e", LISTENER, host.address], {
      name,
      timeoutMs: 5 * COMPLETE_MS,
    });
    await ear.waitForLine(/^READY$/, 60_000);
    return ear;
  };

  /** What a listener heard: the sender and the message. */
  const heard = (ear: Child) =>
    ear.lines
      .filter((l) => l.startsWith("HEARD "))
      .map((l) => {
        const [, address, port, hex] = l.split(" ");
        return {
          from: `${address}:${port}`,
          msg: decodeMessage(Buffer.from(hex!, "hex")) as DnsMessage,
        };
      });

  const tracker = async (name: string, extra: string[]): Promise<Child> => {
    const t = shoal(
      a,
      name,
      ["tracker", "--port", String(PORT), "--log-level", "warn", ...extra],
      5 * COMPLETE_MS,
    );
    await t.waitForLine(/tracker listening on/, 60_000);
    return t;
  };

  it("flags off: a tracker and clients given its URL send nothing to the group, and nothing else holds 5353", async () => {
    const earA = await listen(a, "listener a (off)");
    const earB = await listen(b, "listener b (off)");
    const t = await tracker("tracker (off)", []);
    try {
      const url = `http://${a.address}:${PORT}/announce`;
      const torrent = join(dir, "off.torrent");
      await done(b, "create (off)", [
        "create",
        join(dir, "src", "lan.bin"),
        "-t",
        url,
        "-o",
        torrent,
      ]);
      await done(b, "publish (off)", ["publish", torrent, "--tracker", url]);
      await done(b, "list (off)", ["list", "--tracker", url]);
      await shellScript(
        b,
        "shell (off)",
        ["--data-dir", join(dir, "shell-off"), "--port", "0", "--tracker", url],
        ["list"],
      );
      await delay(QUIET_MS);
      assert.deepEqual(heard(earA), [], "host a's listener heard nothing");
      assert.deepEqual(heard(earB), [], "host b's listener heard nothing");
      for (const host of [a, b]) {
        assert.equal(
          lan.udpSockets(host).filter((l) => /:5353\b/.test(l)).length,
          1,
          `on ${host.address} only the listener holds 5353`,
        );
      }
    } finally {
      await t.stop();
      await earA.stop();
      await earB.stop();
    }
  });

  it("--advertise: b finds the tracker with no URL, lists it, creates, publishes and downloads through it", async () => {
    const ear = await listen(b, "listener b (advertise)");
    const t = await tracker("tracker (advertise)", ["--advertise", "--advertise-name", "lab"]);
    try {
      await t.waitForLine(
        /advertised on the local network as 'lab' \(_bittorrent-tracker\._tcp\.local\)/,
        20_000,
      );
      // RFC 6762 §8.3: announced twice, a second apart, from port 5353. Waited for (10 s at
      // most), not a fixed 1.5 s after the first packet heard: that left the second
      // announcement half a second, which late timers on a loaded machine can take.
      await ear.waitForLine(/^HEARD 10\.231\.16\.1 5353 /, 20_000);
      const answersFromA = () =>
        heard(ear).filter((h) => h.from === `${a.address}:5353` && h.msg.flags.response);
      for (let i = 0; i < 100 && answersFromA().length < 2; i++) await delay(100);
      const fromA = heard(ear).filter((h) => h.from === `${a.address}:5353`);
      // RFC 6762 §8.1: three probes (queries) for the name, then the announcements.
      assert.deepEqual(
        fromA.slice(0, 3).map((h) => h.msg.flags.response),
        [false, false, false],
      );
      const announced = fromA.filter((h) => h.msg.flags.response);
      assert.ok(announced.length >= 2, `announced ${announced.length} times`);
      const records = announced[0]!.msg.answers.map((r) => r.type);
      assert.deepEqual(records.slice(0, 3), ["PTR", "SRV", "TXT"]);
      assert.ok(records.includes("A"));

      const announce = `http://${a.address}:${PORT}/announce`;
      const find = await done(b, "tracker find", ["tracker", "find"]);
      assert.ok(
        find.lines.some((l) =>
          /^lab\s+http:\/\/10\.231\.16\.1:6969\/announce\s+udp:\/\/10\.231\.16\.1:6969\/announce\s+http:\/\/10\.231\.16\.1:6969$/.test(
            l,
          ),
        ),
        find.tail(),
      );

      const torrent = join(dir, "lan.torrent");
      const create = await done(b, "create -t auto", [
        "create",
        join(dir, "src", "lan.bin"),
        "-t",
        "auto",
        "-o",
        torrent,
      ]);
      assert.ok(
        create.lines.some((l) => l.includes(`using tracker 'lab' at ${announce}`)),
        create.tail(),
      );
      const meta = parseMetainfo(await readFile(torrent));
      assert.equal(meta.announce, announce, "the discovered announce URL is written");
      const publish = await done(b, "publish (no tracker)", ["publish", torrent]);
      assert.ok(
        publish.lines.some((l) => l.startsWith("published: lan.bin")),
        publish.tail(),
      );

      // The seeder (on the tracker's host) finds peers through the torrent's announce URL.
      const seeder = shoal(
        a,
        "seed",
        ["seed", torrent, join(dir, "src"), "-q", "--data-dir", join(dir, "seed-data")],
        5 * COMPLETE_MS,
      );
      // A shell with no --tracker: finds it, lists the index, downloads.
      const shell = await shellScript(
        b,
        "shell (no tracker)",
        ["--data-dir", join(dir, "shell-b"), "--port", "0"],
        ["list", `download ${meta.infoHashHex.slice(0, 8)}`, `wait 1 ${COMPLETE_MS / 1000 - 10}`],
      );
      assert.ok(
        shell.lines.some((l) => l.includes(`using tracker 'lab' at ${announce}`)),
        shell.tail(),
      );
      assert.ok(
        shell.lines.some((l) => l.includes(`${meta.infoHashHex.slice(0, 12)}  lan.bin`)),
        shell.tail(),
      );
      assert.ok(
        shell.lines.some((l) => /\[1\] lan\.bin: complete/.test(l)),
        shell.tail(),
      );
      const got = await readFile(join(dir, "shell-b", "downloads", "lan.bin"));
      assert.ok(got.equals(data), "byte-exact");
      await seeder.stop();

      // RFC 6762 §10.1: stopping sends the goodbye, every record with TTL 0.
      const before = heard(ear).length;
      await t.stop();
      for (let i = 0; i < 100 && heard(ear).length === before; i++) await delay(100);
      const goodbye = heard(ear)
        .slice(before)
        .find((h) => h.from === `${a.address}:5353`);
      assert.ok(goodbye, "a goodbye was heard");
      assert.ok(goodbye.msg.answers.length >= 4 && goodbye.msg.answers.every((r) => r.ttl === 0));
      const gone = await shoal(b, "list (tracker gone)", ["list"]).exited;
      assert.equal(gone.code, 2, "no tracker answers once it has stopped");
    } finally {
      await t.stop();
      await ear.stop();
    }
  });

  it("two trackers on the LAN: find lists both, a command asked for none of them says to pick, auto:NAME picks", async () => {
    const lab = await tracker("tracker lab", ["--advertise", "--advertise-name", "lab"]);
    const backup = shoal(
      b,
      "tracker backup",
      [
        "tracker",
        "--port",
        String(PORT),
        "--log-level",
        "warn",
        "--advertise",
        "--advertise-name",
        "backup",
      ],
      5 * COMPLETE_MS,
    );
    try {
      await backup.waitForLine(/advertised on the local network as 'backup'/, 20_000);
      const find = await done(b, "tracker find (two)", ["tracker", "find"]);
      assert.deepEqual(
        find.lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(" ")),
        [`backup http://${b.address}:${PORT}/announce`, `lab http://${a.address}:${PORT}/announce`],
        find.tail(),
      );
      const list = shoal(a, "list (two)", ["list"]);
      assert.equal((await list.exited).code, 1);
      assert.deepEqual(list.lines, [
        "shoal list: 2 trackers on the local network: 'backup', 'lab'; pick one with --tracker auto:NAME",
      ]);
      const pick = await done(a, "list auto:backup", ["list", "--tracker", "auto:backup"]);
      assert.ok(
        pick.lines.some((l) =>
          l.includes(`using tracker 'backup' at http://${b.address}:${PORT}/announce`),
        ),
        pick.tail(),
      );
    } finally {
      await backup.stop();
      await lab.stop();
    }
  });

  it("a second tracker asking for a name in use is refused in one line (RFC 6762 §8.1 probing)", async () => {
    const lab = await tracker("tracker lab (first)", ["--advertise", "--advertise-name", "lab"]);
    try {
      const twin = shoal(b, "tracker lab (second)", [
        "tracker",
        "--port",
        String(PORT),
        "--log-level",
        "warn",
        "--advertise",
        "--advertise-name",
        "Lab",
      ]);
      assert.equal((await twin.exited).code, 1);
      assert.deepEqual(twin.lines.slice(-1), [
        "shoal tracker: --advertise: the name 'Lab' is taken on the local network " +
          "(another responder answers for lab._bittorrent-tracker._tcp.local); choose another with --advertise-name",
      ]);
    } finally {
      await lab.stop();
    }
  });

  describe("an ordinary DNS-SD browser", { skip: skipReason(ZEROCONF) }, () => {
    before(() => assertTools(ZEROCONF));

    it("python-zeroconf sees the advertised tracker, its port, address and TXT", async () => {
      const t = await tracker("tracker (zeroconf)", ["--advertise", "--advertise-name", "lab"]);
      try {
        const browse = lan.exec(
          children,
          b,
          SYSTEM_PYTHON,
          ["-c", ZEROCONF_BROWSE, b.address, "4"],
          {
            name: "python-zeroconf",
            timeoutMs: STEP_MS,
          },
        );
        const line = await browse.waitForLine(/^FOUND /, 15_000);
        const found = JSON.parse(line.input!.slice("FOUND ".length)) as {
          name: string;
          port: number;
          server: string;
          addresses: string[];
          txt: Record<string, string>;
        };
        assert.equal(found.name, "lab._bittorrent-tracker._tcp.local.");
        assert.equal(found.port, PORT);
        assert.deepEqual(found.addresses, [a.address]);
        assert.equal(found.server, "lab-tracker.local.");
        const host = found.server.slice(0, -1);
        assert.deepEqual(found.txt, {
          txtvers: "1",
          name: "lab",
          announce: `http://${host}:${PORT}/announce`,
          udp: `udp://${host}:${PORT}/announce`,
          index: `http://${host}:${PORT}`,
        });
        await browse.exited;
      } finally {
        await t.stop();
      }
    });
  });
});
