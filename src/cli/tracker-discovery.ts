/**
 * Finding a tracker on the local network for the commands that need one
 * (DNS-SD over mDNS, src/discovery): `--tracker auto`, `--tracker auto:NAME`,
 * or no --tracker at all where a command cannot do without one. Nothing is
 * sent on the network otherwise, nor for a missing --tracker when the user
 * set SHOAL_DISCOVERY=off.
 */
import { browseTrackers, DEFAULT_BROWSE_MS, type DiscoveredTracker } from "../discovery/index.ts";
import { nodeUdp } from "../net/index.ts";
import { printable, ShoalError } from "../util/index.ts";
import { trackerBaseUrl } from "./commands/tracker-client.ts";
import { type CliIO, UsageError } from "./io.ts";

export const AUTO_TRACKER = "auto";

/** Whether a command given no tracker may look for one (SHOAL_DISCOVERY=off says no). */
export function discoveryAllowed(io: CliIO): boolean {
  return (io.env.SHOAL_DISCOVERY ?? "").toLowerCase() !== "off";
}

/** Whether a --tracker value asks for discovery: `auto` or `auto:NAME`. */
export function isAutoTracker(text: string | undefined): text is string {
  return text === AUTO_TRACKER || (text?.startsWith(`${AUTO_TRACKER}:`) ?? false);
}

/** The trackers answering on the local network within `timeoutMs`. */
export function findTrackers(
  io: CliIO,
  timeoutMs = DEFAULT_BROWSE_MS,
): Promise<DiscoveredTracker[]> {
  return browseTrackers({ udp: io.udp ?? nodeUdp, timeoutMs });
}

const seconds = (ms: number) => `${ms / 1000} s`;

/**
 * The one tracker `spec` (`auto` or `auto:NAME`) designates: by its name
 * (exact, else without case) when one is given, else the only one found.
 */
export async function discoverTracker(spec: string, io: CliIO): Promise<DiscoveredTracker> {
  const wanted = spec === AUTO_TRACKER ? undefined : spec.slice(AUTO_TRACKER.length + 1);
  const found = await findTrackers(io);
  const names = found.map((t) => `'${printable(t.name)}'`).join(", ");
  if (found.length === 0) {
    throw new ShoalError(
      "no_tracker_found",
      `no tracker answered on the local network within ${seconds(DEFAULT_BROWSE_MS)} ` +
        "(start one with 'shoal tracker --advertise', or give --tracker <url>)",
    );
  }
  if (wanted === undefined) {
    if (found.length === 1) return found[0]!;
    throw new ShoalError(
      "several_trackers",
      `${found.length} trackers on the local network: ${names}; pick one with --tracker auto:NAME`,
    );
  }
  const pick =
    found.find((t) => t.name === wanted) ??
    found.find((t) => t.name.toLowerCase() === wanted.toLowerCase());
  if (!pick) {
    throw new ShoalError(
      "no_tracker_found",
      `no tracker named '${printable(wanted)}' on the local network (found ${names})`,
    );
  }
  return pick;
}

export interface ResolvedTracker {
  /** The base URL of its index and operator views. */
  base: string;
  /** The announce URL to put in torrents. */
  announce: string;
}

/** A discovered tracker's URLs, said on stderr so stdout keeps the command's own output. */
export function useDiscovered(t: DiscoveredTracker, io: CliIO, command: string): ResolvedTracker {
  io.stderr.write(
    `shoal ${command}: using tracker '${printable(t.name)}' at ${printable(t.announce)} (found on the local network)\n`,
  );
  return { base: trackerBaseUrl(t.index ?? t.announce), announce: t.announce };
}

/**
 * The tracker of a command that needs one: the URL given, or the one found
 * on the local network when none is given or `auto[:NAME]` is.
 */
export async function resolveTracker(
  text: string | undefined,
  io: CliIO,
  command: string,
): Promise<ResolvedTracker> {
  if (text !== undefined && !isAutoTracker(text)) {
    return { base: trackerBaseUrl(text), announce: text };
  }
  if (text === undefined && !discoveryAllowed(io))
    return { base: trackerBaseUrl(undefined), announce: "" };
  try {
    return useDiscovered(await discoverTracker(text ?? AUTO_TRACKER, io), io, command);
  } catch (err) {
    // Given nothing, the user hears first what they left out.
    if (text === undefined && (err as ShoalError).code === "no_tracker_found") {
      throw new UsageError(
        `missing --tracker/--url: no tracker answered on the local network within ${seconds(DEFAULT_BROWSE_MS)} ` +
          "(is one running with 'shoal tracker --advertise'?)",
      );
    }
    throw err;
  }
}
