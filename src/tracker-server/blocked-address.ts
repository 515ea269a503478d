/**
 * The --ip-filter check of an announce, one for both front ends (HTTP and
 * UDP, BEP 3 and BEP 15): an address on the block list is refused with
 * BLOCKED_ADDRESS and counted under errors.blocked. Each front end words the
 * refusal in its own protocol.
 */
import type { IpFilter } from "../net/index.ts";
import { BLOCKED_ADDRESS } from "./errors.ts";
import type { TrackerMetrics } from "./metrics.ts";

/** The failure reason for an announce from `address`, or undefined when it may go on. */
export function blockedAnnounce(
  filter: IpFilter | undefined,
  metrics: TrackerMetrics,
  address: string,
): string | undefined {
  if (filter === undefined || !filter.blocked(address)) return undefined;
  metrics.errors.blocked++;
  return BLOCKED_ADDRESS;
}
