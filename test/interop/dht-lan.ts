/**
 * A LAN of several hosts for DHT interop (DESIGN.md, "LAN and multi-host
 * tests"): one network namespace per host, each joined by a veth pair to a
 * bridge in a namespace of its own, with addresses of a /24 the test
 * chooses. Each host has its own address, as libtorrent's DHT wants (it
 * limits nodes per address). destroy() deletes every namespace (the veth
 * pairs and the bridge go with them). Programs run inside with
 * `ip netns exec`, which execs them: the PID a test holds is the program's.
 */
import { spawnSync } from "node:child_process";
import type { Child, Children } from "./helpers.ts";

export interface LanHost {
  ns: string;
  iface: string;
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

export class BridgedLan {
  readonly hosts: readonly LanHost[];
  readonly #bridgeNs: string;
  #up = true;

  private constructor(hosts: LanHost[], bridgeNs: string) {
    this.hosts = hosts;
    this.#bridgeNs = bridgeNs;
  }

  /** `count` hosts at `<subnet>.1` … `<subnet>.<count>`; `tag` names namespaces and interfaces. */
  static create(tag: string, subnet: string, count: number): BridgedLan {
    const id = `${tag}${process.pid % 100_000}`;
    const bridgeNs = `shoal-${id}-br`;
    const hosts: LanHost[] = Array.from({ length: count }, (_, i) => ({
      ns: `shoal-${id}-${i + 1}`,
      iface: `${id}h${i + 1}`.slice(-15),
      address: `${subnet}.${i + 1}`,
    }));
    const lan = new BridgedLan(hosts, bridgeNs);
    try {
      mustIp(["netns", "add", bridgeNs]);
      mustIp(["-n", bridgeNs, "link", "add", "br0", "type", "bridge"]);
      mustIp(["-n", bridgeNs, "link", "set", "br0", "up"]);
      hosts.forEach((h, i) => {
        const port = `${id}p${i + 1}`.slice(-15);
        mustIp(["netns", "add", h.ns]);
        mustIp([
          "link",
          "add",
          h.iface,
          "netns",
          h.ns,
          "type",
          "veth",
          "peer",
          "name",
          port,
          "netns",
          bridgeNs,
        ]);
        mustIp(["-n", bridgeNs, "link", "set", port, "master", "br0"]);
        mustIp(["-n", bridgeNs, "link", "set", port, "up"]);
        mustIp(["-n", h.ns, "addr", "add", `${h.address}/24`, "dev", h.iface]);
        mustIp(["-n", h.ns, "link", "set", "lo", "up"]);
        mustIp(["-n", h.ns, "link", "set", h.iface, "up"]);
      });
    } catch (err) {
      lan.destroy();
      throw err;
    }
    return lan;
  }

  exec(
    children: Children,
    host: LanHost,
    command: string,
    args: string[],
    opts: { name: string; timeoutMs: number; cwd?: string },
  ): Child {
    return children.start("ip", ["netns", "exec", host.ns, command, ...args], opts);
  }

  destroy(): void {
    if (!this.#up) return;
    this.#up = false;
    for (const h of this.hosts) ip(["netns", "del", h.ns]);
    ip(["netns", "del", this.#bridgeNs]);
  }
}
