/**
 * `shoal tracker --advertise`: the running tracker made discoverable on the
 * local network (DNS-SD over mDNS, src/discovery), off unless asked for.
 */
import { hostname, networkInterfaces } from "node:os";
import {
  DiscoveryError,
  MAX_INSTANCE_NAME_BYTES,
  type TrackerAddress,
  TrackerAdvertiser,
} from "../discovery/index.ts";
import { nodeUdp, type UdpNetwork } from "../net/index.ts";
import { type Logger, ShoalError } from "../util/index.ts";
import { UsageError } from "./io.ts";

/**
 * The host label of the SRV target: the instance name in DNS letters. Taken
 * from the name, not the host name, so that trackers on hosts of the same
 * name (cloned machines, containers) keep their addresses apart, as their
 * instance names must differ anyway; and never this host's own
 * `<hostname>.local`, which Avahi or mDNSResponder answers for.
 */
export function advertisedHost(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `${label || "shoal"}-tracker`;
}

/** The default instance name: this host's name and the port. */
export function defaultAdvertisedName(port: number, host = hostname()): string {
  return `${host.split(".")[0] || "shoal"}-${port}`;
}

/**
 * This host's addresses a LAN client can reach: every interface's but
 * loopback and IPv6 link-local (a URL cannot carry its zone), or only the
 * one the tracker listens on when it listens on one.
 */
export function lanAddresses(listenHost: string | undefined): TrackerAddress[] {
  const all: TrackerAddress[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || (a.family === "IPv6" && a.address.toLowerCase().startsWith("fe80:")))
        continue;
      const prefixLength = Number(a.cidr?.split("/")[1]);
      all.push({
        address: a.address,
        family: a.family === "IPv4" ? 4 : 6,
        ...(Number.isInteger(prefixLength) && { prefixLength }),
      });
    }
  }
  if (listenHost === undefined || listenHost === "0.0.0.0" || listenHost === "::") return all;
  return all.filter((a) => a.address === listenHost);
}

export interface AdvertiseOptions {
  port: number;
  /** The address the tracker listens on (undefined: all). */
  listenHost: string | undefined;
  name: string | undefined;
  logger: Logger;
  udp?: UdpNetwork;
}

/** Starts answering for the tracker; a name too long or no LAN address is the user's to fix. */
export async function advertiseTracker(opts: AdvertiseOptions): Promise<TrackerAdvertiser> {
  const name = opts.name ?? defaultAdvertisedName(opts.port);
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > MAX_INSTANCE_NAME_BYTES) {
    throw new UsageError(
      `--advertise-name: '${name}' is ${bytes} bytes (1 to ${MAX_INSTANCE_NAME_BYTES} allowed)`,
    );
  }
  const addresses = () => lanAddresses(opts.listenHost);
  if (addresses().length === 0) {
    throw new ShoalError(
      "nothing_to_advertise",
      opts.listenHost === undefined
        ? "--advertise: this host has no network address besides loopback"
        : `--advertise: the tracker listens on ${opts.listenHost}, which no LAN client can reach`,
    );
  }
  const v4 = opts.listenHost?.includes(".") ? opts.listenHost : undefined;
  return TrackerAdvertiser.start({
    udp: opts.udp ?? nodeUdp,
    advertisement: {
      name,
      host: advertisedHost(name),
      port: opts.port,
      udp: true,
      index: true,
    },
    addresses,
    ...(v4 !== undefined && { iface: { 4: v4 } }),
    // IPv6 only when the tracker listens there too.
    families: opts.listenHost === undefined || opts.listenHost.includes(":") ? [4, 6] : [4],
    logger: opts.logger,
  }).catch((err: unknown) => {
    if (err instanceof DiscoveryError && err.code === "mdns_name_conflict") {
      throw new ShoalError(err.code, `--advertise: ${err.message} with --advertise-name`);
    }
    throw err;
  });
}
