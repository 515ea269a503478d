/** What a DhtNode is made from, what it reports, and its named limits. */
import type { UdpNetwork } from "../net/index.ts";
import type { Clock, RandomSource } from "../util/index.ts";
import type { DhtFamily, Endpoint } from "./compact.ts";
import type { NodeId } from "./node-id.ts";
import type { DhtCounters } from "./rpc.ts";

export const NODE_LIMITS = {
  /** How often the table is looked after (stale buckets, questionable nodes). */
  maintenanceMs: 60_000,
  /** Questionable nodes pinged per maintenance round. */
  pingsPerRound: 8,
  /** An answer to a node that never answered us is at most this many times its query (no amplification). */
  unverifiedReplyFactor: 4,
  /** Any answer fits one Ethernet frame. */
  maxReplyBytes: 1400,
  /** Nodes pinged at once to fill the table from incoming queries. */
  maxJoinPings: 64,
} as const;

/** The id and nodes saved on exit and loaded on start (no cold bootstrap after a restart). */
export interface DhtState {
  id: string;
  nodes: { id: string; address: string; port: number }[];
}

export interface DhtNodeOptions {
  udp: UdpNetwork;
  family?: DhtFamily;
  /** Address to bind (default every address of the family). */
  host?: string;
  /** UDP port (default 0: a free one). */
  port?: number;
  /** Our node id (default random, or the saved one). */
  id?: NodeId;
  clock?: Clock;
  random?: RandomSource;
  /** Nodes to start from ("host" must be an IP address). */
  bootstrap?: readonly Endpoint[];
  /** A table saved by `state()` before. */
  state?: DhtState;
  /** BEP 43: never answer queries, and ask others not to add us. */
  readOnly?: boolean;
  /** BEP 42: refuse nodes whose id does not fit their (public) address. Default false. */
  enforceNodeId?: boolean;
  /**
   * Lookup tuning, for comparisons: `adaptive: false` is the textbook
   * lookup (a slow query holds its slot until it times out), `alpha` the
   * queries in flight at once (default LOOKUP_LIMITS.alpha).
   */
  lookupTuning?: LookupTuning;
}

export interface LookupTuning {
  adaptive?: boolean;
  alpha?: number;
}

export interface DhtStats extends DhtCounters {
  id: string;
  nodes: number;
  buckets: number;
  storedPeers: number;
  storedInfoHashes: number;
  lookups: number;
}
