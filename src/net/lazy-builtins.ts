/**
 * node:dgram and node:dns taken when a socket is first made or a host name
 * first resolved, not imported: an ESM import of a built-in reads every one
 * of its exports, and these two load seven built-in modules (dgram, dns,
 * dns/promises and their internals) that a process only seeding over TCP,
 * with no UDP tracker, DHT or local discovery, never uses. Types stay
 * `import type` (erased).
 */
import type { LookupAddress } from "node:dns";

/** node:dgram, loaded on first call. */
export function dgram(): typeof import("node:dgram") {
  return process.getBuiltinModule("node:dgram");
}

/** A host name's first address (node:dns/promises lookup), loaded on first call. */
export function lookupHost(host: string): Promise<LookupAddress> {
  return process.getBuiltinModule("node:dns/promises").lookup(host);
}
