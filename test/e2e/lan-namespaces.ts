/**
 * A two-host LAN for tests (DESIGN.md, "LAN and multi-host tests"): two
 * network namespaces made by the test, joined by a veth pair, with
 * addresses of a subnet the test chooses and a route for 224.0.0.0/4 in
 * each, so multicast (BEP 14, mDNS) crosses between them and goes nowhere
 * else. destroy() deletes both namespaces (the veth pair goes with them).
 * Programs run inside with `ip netns exec`, which execs them: the PID a
 * test holds is the program's, and only that PID is ever signalled.
 */
import { spawnSync } from "node:child_process";
import { type Child, type Children, findExecutable } from "../interop/helpers.ts";

export interface LanHost {
  /** The namespace's name (for `ip netns exec`). */
  ns: string;
  /** Its interface on the LAN. */
  iface: string;
  /** Its IPv4 address on the LAN. */
  address: string;
}

function ip(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function mustIp(args: string[]): void {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")} failed: ${r.out}`);
}

/**
 * Why LAN tests cannot run here (for node:test's `skip`), or false: they
 * need root and `ip netns`, tried once with a namespace made and deleted.
 */
export function lanSkipReason(): string | false {
  if (process.platform !== "linux") return "LAN tests need Linux network namespaces";
  if (process.getuid?.() !== 0)
    return "LAN tests need root (ip netns add); run them as root, as CI does";
  if (!findExecutable("ip"))
    return "LAN tests need ip (iproute2; scripts/test-programs.sh installs it)";
  const probe = `shoal-probe-${process.pid}`;
  const made = ip(["netns", "add", probe]);
  if (!made.ok) return `ip netns add is not available here: ${made.out}`;
  ip(["netns", "del", probe]);
  return false;
}

export class Lan {
  readonly hosts: readonly [LanHost, LanHost];
  #up = true;

  private constructor(hosts: [LanHost, LanHost]) {
    this.hosts = hosts;
  }

  /**
   * Makes the two hosts: `<subnet>.1` and `<subnet>.2` (subnet as "10.231.14",
   * one /24 per test file so files running at once never share one).
   * `tag` (a few letters) names the namespaces and interfaces.
   */
  static create(tag: string, subnet: string): Lan {
    const id = `${tag}${process.pid % 100_000}`;
    const hosts: [LanHost, LanHost] = [
      { ns: `shoal-${id}-a`, iface: `${id}a`.slice(-15), address: `${subnet}.1` },
      { ns: `shoal-${id}-b`, iface: `${id}b`.slice(-15), address: `${subnet}.2` },
    ];
    const lan = new Lan(hosts);
    try {
      for (const h of hosts) mustIp(["netns", "add", h.ns]);
      const [a, b] = hosts;
      const veth = ["link", "add", a.iface, "netns", a.ns, "type", "veth", "peer"];
      mustIp([...veth, "name", b.iface, "netns", b.ns]);
      for (const h of hosts) {
        mustIp(["-n", h.ns, "addr", "add", `${h.address}/24`, "dev", h.iface]);
        mustIp(["-n", h.ns, "link", "set", "lo", "up"]);
        mustIp(["-n", h.ns, "link", "set", h.iface, "up"]);
        mustIp(["-n", h.ns, "route", "add", "224.0.0.0/4", "dev", h.iface]);
      }
    } catch (err) {
      lan.destroy();
      throw err;
    }
    return lan;
  }

  /** Starts `command args` inside `host`'s namespace, as one of `children`. */
  exec(
    children: Children,
    host: LanHost,
    command: string,
    args: string[],
    opts: { name: string; timeoutMs: number; cwd?: string },
  ): Child {
    return children.start("ip", ["netns", "exec", host.ns, command, ...args], opts);
  }

  /** Adds or removes the route for 224.0.0.0/4 in both hosts (off: IPv4 multicast cannot be joined). */
  ipv4Multicast(on: boolean): void {
    for (const h of this.hosts) {
      mustIp(["-n", h.ns, "route", on ? "add" : "del", "224.0.0.0/4", "dev", h.iface]);
    }
  }

  /** What `ss -ulnH` lists in `host` (bound UDP sockets), one line each. */
  udpSockets(host: LanHost): string[] {
    const r = spawnSync("ip", ["netns", "exec", host.ns, "ss", "-ulnH"], { encoding: "utf8" });
    return (r.stdout ?? "").split("\n").filter((l) => l.trim() !== "");
  }

  /** Deletes both namespaces (and with them the veth pair); safe to call twice. */
  destroy(): void {
    if (!this.#up) return;
    this.#up = false;
    for (const h of this.hosts) ip(["netns", "del", h.ns]);
  }
}
