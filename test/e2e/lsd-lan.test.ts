/**
 * Local service discovery (BEP 14) on a LAN made by the test: two network
 * namespaces joined by a veth pair (lan-namespaces.ts, 10.231.14.0/24), no
 * tracker anywhere. With --lsd a shoal leecher finds a shoal seeder and
 * completes byte-exact; without it nothing is sent (a listener on the group
 * on the other host hears nothing, and no socket holds port 6771); and
 * libtorrent with its LSD on and shoal find each other both ways.
 * Skipped, saying why, when not root or without `ip netns`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  assertTools,
  type Child,
  Children,
  checkLibtorrent,
  delay,
  NODE,
  SHOAL_CLI,
  SYSTEM_PYTHON,
  skipReason,
  TempDirs,
  type ToolRequirement,
} from "../interop/helpers.ts";
import { Lan, type LanHost, lanSkipReason } from "./lan-namespaces.ts";

const SUBNET = "10.231.14";
const SIZE = 3 * 1024 * 1024 + 777;
const COMPLETE_MS = 120_000;
/** How long the flags-off case listens for a datagram that must not come. */
const QUIET_MS = 4_000;
const LIBTORRENT: ToolRequirement[] = [
  { bin: SYSTEM_PYTHON, pkg: "python3-libtorrent", check: checkLibtorrent },
];

/** Joins BEP 14's IPv4 group on 6771 (shared port) and prints every datagram as one line. */
const LISTENER = `
const dgram = require("node:dgram");
const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
s.on("message", (m, r) => console.log("HEARD " + r.address + " " + JSON.stringify(m.toString("latin1"))));
s.bind(6771, () => { s.addMembership("239.192.152.143"); console.log("READY"); });
`;

/** libtorrent with LSD on (DHT, UPnP, NAT-PMP, PEX off), on every address of its host. */
const LIBTORRENT_LSD = `
import json, sys, time
import libtorrent as lt
cfg = json.loads(sys.argv[1])
cat = lt.alert.category_t
s = lt.session({
    "listen_interfaces": "0.0.0.0:6881",
    "enable_dht": False, "enable_lsd": True,
    "enable_upnp": False, "enable_natpmp": False,
    "alert_mask": cat.error_notification | cat.status_notification | cat.peer_notification,
})
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(cfg["torrent"])
atp.save_path = cfg["save_path"]
tf = lt.torrent_flags
atp.flags = (atp.flags | tf.disable_pex | tf.disable_dht) & ~tf.disable_lsd & ~tf.auto_managed & ~tf.paused
h = s.add_torrent(atp)
print("ADDED", flush=True)
deadline = time.time() + cfg["seconds"]
while time.time() < deadline:
    for a in s.pop_alerts():
        print("ALERT", type(a).__name__, a.message(), flush=True)
    if cfg["mode"] == "leech" and h.status().is_seeding:
        print("DONE", flush=True)
        sys.exit(0)
    time.sleep(0.2)
print("TIMEOUT", flush=True)
sys.exit(3)
`;

describe("LSD on a LAN of two network namespaces (BEP 14)", { skip: lanSkipReason() }, () => {
  const children = new Children();
  const temps = new TempDirs();
  let lan: Lan;
  let a: LanHost;
  let b: LanHost;
  let dir = "";
  let data: Buffer;
  let torrent = "";
  let infoHash = "";

  before(async () => {
    lan = Lan.create("lsd", SUBNET);
    [a, b] = lan.hosts;
    dir = await temps.make("lsd-lan");
    data = randomBytes(SIZE);
    await mkdir(join(dir, "src"));
    await writeFile(join(dir, "src", "lan.bin"), data);
    torrent = join(dir, "lan.torrent");
    const create = children.start(
      NODE,
      [SHOAL_CLI, "create", join(dir, "src", "lan.bin"), "-o", torrent, "--no-date"],
      { name: "shoal create", timeoutMs: 30_000 },
    );
    const m = await create.waitForLine(/lan\.bin\s+([0-9a-f]{40})/, 30_000);
    infoHash = m[1]!;
    assert.equal((await create.exited).code, 0);
  });

  after(async () => {
    await children.stopAll();
    lan?.destroy();
    await temps.removeAll();
  });

  /** `shoal <args>` inside `host`, with a data dir of its own. */
  const shoal = (host: LanHost, name: string, args: string[]): Child =>
    lan.exec(children, host, NODE, [SHOAL_CLI, ...args, "--data-dir", join(dir, `data-${name}`)], {
      name,
      timeoutMs: COMPLETE_MS + 10_000,
    });

  const listen = async (host: LanHost, name: string): Promise<Child> => {
    const ear = lan.exec(children, host, NODE, ["-e", LISTENER], { name, timeoutMs: 120_000 });
    await ear.waitForLine(/^READY$/, 60_000);
    return ear;
  };

  const heard = (ear: Child) => ear.lines.filter((l) => l.startsWith("HEARD "));

  it("without --lsd nothing is sent and no socket holds 6771", async () => {
    const ear = await listen(b, "listener b (flags off)");
    const seeder = shoal(a, "seed-off", ["seed", torrent, join(dir, "src"), "-q"]);
    const out = join(dir, "out-off");
    const leecher = shoal(b, "get-off", ["get", torrent, "--no-trackers", "-o", out]);
    await leecher.waitForLine(/listening on port/, 60_000);
    await delay(QUIET_MS);
    assert.deepEqual(heard(ear), [], "nothing reached the group");
    assert.deepEqual(
      lan.udpSockets(a).filter((l) => /:6771\b/.test(l)),
      [],
      "no socket on 6771 on the seeder's host",
    );
    assert.equal(existsSync(join(out, "lan.bin")) && leecher.hasExited, false);
    await leecher.stop();
    await seeder.stop();
    await ear.stop();
  });

  it("with --lsd a leecher with no tracker finds the seeder and completes byte-exact", async () => {
    const ear = await listen(b, "listener b (lsd)");
    const seeder = shoal(a, "seed-lsd", ["seed", torrent, join(dir, "src"), "--lsd", "-q"]);
    // The seeder's first announce, as the LAN hears it: BEP 14's layout, its port, a cookie.
    await ear.waitForLine(new RegExp(`HEARD ${a.address} .*Infohash: ${infoHash}`, "i"), 20_000);
    const line = heard(ear)[0]!;
    assert.match(
      line,
      /^HEARD \S+ "BT-SEARCH \* HTTP\/1\.1\\r\\nHost: 239\.192\.152\.143:6771\\r\\n/,
    );
    assert.match(line, /Port: 6881\\r\\n/);
    assert.match(line, /cookie: [0-9a-f]{16}\\r\\n\\r\\n\\r\\n"$/);
    const out = join(dir, "out-lsd");
    const leecher = shoal(b, "get-lsd", ["get", torrent, "--no-trackers", "--lsd", "-o", out]);
    const { code } = await leecher.exited;
    assert.equal(code, 0, leecher.tail());
    assert.ok((await readFile(join(out, "lan.bin"))).equals(data), "byte-exact");
    await seeder.stop();
    await ear.stop();
  });

  it("a magnet link with no tracker: metadata and data from the seeder found by LSD", async () => {
    const seeder = shoal(a, "seed-magnet", ["seed", torrent, join(dir, "src"), "--lsd", "-q"]);
    await seeder.waitForLine(/seeding/, 60_000);
    const out = join(dir, "out-magnet");
    const magnet = `magnet:?xt=urn:btih:${infoHash}&dn=lan.bin`;
    const leecher = shoal(b, "get-magnet", ["get", magnet, "--no-trackers", "--lsd", "-o", out]);
    const { code } = await leecher.exited;
    assert.equal(code, 0, leecher.tail());
    assert.ok((await readFile(join(out, "lan.bin"))).equals(data), "byte-exact");
    await seeder.stop();
  });

  it("the shell with --lsd downloads from the LAN, and keeps the setting in its session", async () => {
    const seeder = shoal(a, "seed-shell", ["seed", torrent, join(dir, "src"), "--lsd", "-q"]);
    await seeder.waitForLine(/seeding/, 60_000);
    const script = join(dir, "shell-script.txt");
    await writeFile(script, `download ${torrent}\nwait 1 50\nshow directory\n`);
    const shellDir = join(dir, "data-shell");
    // exec: the PID held is the shell's own; its stdin is the script.
    const cmd = `exec "$0" "$1" shell --data-dir "$2" --port 0 --lsd < "$3"`;
    const shell = lan.exec(children, b, "sh", ["-c", cmd, NODE, SHOAL_CLI, shellDir, script], {
      name: "shell-lsd",
      timeoutMs: COMPLETE_MS,
    });
    const { code } = await shell.exited;
    assert.equal(code, 0, shell.tail());
    const got = await readFile(join(shellDir, "downloads", "lan.bin"));
    assert.ok(got.equals(data), "byte-exact");
    const session = JSON.parse(await readFile(join(shellDir, "session.json"), "utf8"));
    assert.equal(session.settings.lsd, true);
    await seeder.stop();
  });

  it("over IPv6 alone (no IPv4 multicast route): listening on ::, found through ff15::efc0:988f", async () => {
    lan.ipv4Multicast(false);
    try {
      const seeder = shoal(a, "seed-v6", [
        "seed",
        torrent,
        join(dir, "src"),
        "--lsd",
        "--host",
        "::",
        "-q",
      ]);
      await seeder.waitForLine(/seeding/, 60_000);
      const out = join(dir, "out-v6");
      const leecher = shoal(b, "get-v6", [
        ...["get", torrent, "--no-trackers", "--lsd", "--host", "::", "-o", out],
      ]);
      const { code } = await leecher.exited;
      assert.equal(code, 0, leecher.tail());
      assert.ok((await readFile(join(out, "lan.bin"))).equals(data), "byte-exact");
      await seeder.stop();
    } finally {
      lan.ipv4Multicast(true);
    }
  });

  describe("with libtorrent", { skip: skipReason(LIBTORRENT) }, () => {
    before(() => assertTools(LIBTORRENT));

    const libtorrent = (host: LanHost, name: string, mode: "seed" | "leech", savePath: string) => {
      const config = { torrent, save_path: savePath, mode, seconds: COMPLETE_MS / 1000 };
      return lan.exec(
        children,
        host,
        SYSTEM_PYTHON,
        ["-c", LIBTORRENT_LSD, JSON.stringify(config)],
        {
          name,
          timeoutMs: COMPLETE_MS + 5_000,
        },
      );
    };

    it("libtorrent seeding with LSD on: shoal get --lsd finds it; libtorrent hears shoal's announce", async () => {
      const seeder = libtorrent(a, "libtorrent seeder", "seed", join(dir, "src"));
      await seeder.waitForLine(/state changed to: seeding/, 60_000);
      const out = join(dir, "out-lt");
      const leecher = shoal(b, "get-from-lt", [
        "get",
        torrent,
        "--no-trackers",
        "--lsd",
        "-o",
        out,
      ]);
      const { code } = await leecher.exited;
      assert.equal(code, 0, leecher.tail());
      assert.ok((await readFile(join(out, "lan.bin"))).equals(data), "byte-exact");
      assert.ok(
        seeder.lines.some(
          (l) => l.includes(`${b.address}:6881`) && /local service discovery/.test(l),
        ),
        `libtorrent took shoal's announce:\n${seeder.tail()}`,
      );
      await seeder.stop();
    });

    it("shoal seeding with --lsd: a libtorrent leecher with LSD on finds it and completes", async () => {
      const seeder = shoal(a, "seed-for-lt", ["seed", torrent, join(dir, "src"), "--lsd", "-q"]);
      await seeder.waitForLine(/seeding/, 60_000);
      const out = join(dir, "out-by-lt");
      await mkdir(out);
      const leecher = libtorrent(b, "libtorrent leecher", "leech", out);
      await leecher.waitForLine(/^DONE$/, COMPLETE_MS);
      assert.ok((await readFile(join(out, "lan.bin"))).equals(data), "byte-exact");
      await leecher.stop();
      await seeder.stop();
    });
  });
});
