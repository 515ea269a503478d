/**
 * An iterative lookup (BEP 5): ask the closest nodes we know for nodes
 * closer to the target, ask those, and stop once the k closest nodes heard
 * of have all answered. get_peers collects peers (and each answering node's
 * token, for announce_peer) on the way.
 *
 * Two changes from the textbook version, after Jimenez, Osmani and Knutsson
 * (IEEE P2P 2011), both compatible with every other node: a query that
 * outlives its node's expected round trip stops counting against the
 * parallelism (another node is asked, the slow answer is still used when it
 * comes), so one dead or slow node never stalls the lookup; and the soft
 * timeout is the node's own measured round trip when the table knows it.
 */
import type { Clock, TimerHandle } from "../util/index.ts";
import type { Endpoint, NodeInfo } from "./compact.ts";
import type { KrpcResponse } from "./krpc.ts";
import { compareDistance, type NodeId } from "./node-id.ts";

export const LOOKUP_LIMITS = {
  /** BEP 5's k: the lookup ends when the k closest nodes have answered. */
  k: 8,
  /** Queries in flight (not yet slow) at once. */
  alpha: 6,
  /** Queries one lookup may send at most. */
  maxQueries: 200,
  /** Candidates remembered at most (the farthest are forgotten). */
  maxCandidates: 256,
} as const;

/** A node the lookup may ask: an id when known (bootstrap nodes have none yet). */
export interface Candidate extends Endpoint {
  id?: NodeId;
}

interface Entry extends Candidate {
  state: "new" | "asked" | "slow" | "answered" | "failed";
  token?: Buffer;
  timer?: TimerHandle;
}

export interface LookupOptions {
  target: NodeId;
  seeds: readonly Candidate[];
  /** Sends the query for this lookup to one node. */
  ask: (to: Candidate) => Promise<{ response: KrpcResponse; rtt: number }>;
  /** How long before a query is counted slow and another node is asked. */
  softTimeoutMs: (to: Candidate) => number;
  clock: Clock;
  /** Nodes from answers that may join the lookup (e.g. a BEP 42 check); default all. */
  accept?: (node: NodeInfo) => boolean;
  /** New peers as they arrive (get_peers). */
  onPeers?: (peers: Endpoint[]) => void;
  alpha?: number;
  k?: number;
}

export interface LookupResult {
  /** The closest nodes that answered, closest first, with the token each gave. */
  closest: (NodeInfo & { token?: Buffer })[];
  peers: Endpoint[];
  queries: number;
  /** ms from the start to the first peers (get_peers), if any came. */
  firstPeersMs: number | undefined;
  durationMs: number;
}

const key = (e: Endpoint) => `${e.address}|${e.port}`;

export function lookup(opts: LookupOptions): Promise<LookupResult> {
  return new Promise((resolve) => {
    const { target, clock } = opts;
    const alpha = opts.alpha ?? LOOKUP_LIMITS.alpha;
    const k = opts.k ?? LOOKUP_LIMITS.k;
    const started = clock.now();
    const seen = new Set<string>();
    const seenIds = new Set<string>();
    /** Candidates with ids, closest first; those without ids go first of all. */
    let list: Entry[] = [];
    const peers: Endpoint[] = [];
    const peerKeys = new Set<string>();
    let firstPeersMs: number | undefined;
    let queries = 0;
    let active = 0; // asked and not yet slow
    let inFlight = 0; // asked or slow
    let done = false;

    const add = (c: Candidate): void => {
      const k1 = key(c);
      if (seen.has(k1)) return;
      if (c.id) {
        const idKey = c.id.toString("latin1");
        if (seenIds.has(idKey)) return;
        seenIds.add(idKey);
      }
      seen.add(k1);
      const entry: Entry = { ...c, state: "new" };
      if (!c.id) {
        list.unshift(entry);
        return;
      }
      // Binary search for the place by distance (entries without ids sort first).
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const m = list[mid]!;
        if (!m.id || compareDistance(target, m.id, c.id) < 0) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, entry);
      if (list.length > LOOKUP_LIMITS.maxCandidates) {
        // Forget the farthest candidate nobody is waiting on.
        for (let i = list.length - 1; i >= 0; i--) {
          const s = list[i]!.state;
          if (s === "new" || s === "failed") {
            list.splice(i, 1);
            break;
          }
        }
      }
    };

    const finish = (): void => {
      if (done) return;
      done = true;
      for (const e of list) if (e.timer) clock.clearTimeout(e.timer);
      const closest = list
        .filter((e) => e.state === "answered" && e.id)
        .slice(0, k)
        .map((e) => ({ id: e.id!, address: e.address, port: e.port, token: e.token }));
      resolve({ closest, peers, queries, firstPeersMs, durationMs: clock.now() - started });
    };

    const step = (): void => {
      if (done) return;
      let rank = 0; // candidates among the k closest that still count
      for (const e of list) {
        if (active >= alpha || rank >= k) break;
        if (e.state === "failed") continue;
        rank++;
        if (e.state !== "new") continue;
        if (queries >= LOOKUP_LIMITS.maxQueries) break;
        send(e);
      }
      if (inFlight === 0) finish();
    };

    const send = (e: Entry): void => {
      e.state = "asked";
      queries++;
      active++;
      inFlight++;
      e.timer = clock.setTimeout(() => {
        e.timer = undefined;
        if (e.state !== "asked") return;
        e.state = "slow";
        active--;
        step();
      }, opts.softTimeoutMs(e));
      opts.ask(e).then(
        ({ response }) => settle(e, response),
        () => settle(e, undefined),
      );
    };

    const settle = (e: Entry, response: KrpcResponse | undefined): void => {
      if (e.timer) clock.clearTimeout(e.timer);
      e.timer = undefined;
      if (e.state === "asked") active--;
      inFlight--;
      if (done) return;
      if (!response) {
        e.state = "failed";
        step();
        return;
      }
      e.state = "answered";
      e.token = response.token;
      if (!e.id) {
        // A bootstrap node: now that its id is known, it takes its place by distance.
        list = list.filter((x) => x !== e);
        seen.delete(key(e));
        const idKey = response.id.toString("latin1");
        if (!seenIds.has(idKey)) {
          add({ address: e.address, port: e.port, id: response.id });
          const placed = list.find((x) => x.id?.equals(response.id));
          if (placed) {
            placed.state = "answered";
            placed.token = response.token;
          }
        }
      }
      if (response.values?.length) {
        const fresh = response.values.filter((p) => {
          const pk = key(p);
          if (peerKeys.has(pk)) return false;
          peerKeys.add(pk);
          return true;
        });
        if (fresh.length) {
          if (firstPeersMs === undefined) firstPeersMs = clock.now() - started;
          peers.push(...fresh);
          opts.onPeers?.(fresh);
        }
      }
      for (const n of [...(response.nodes ?? []), ...(response.nodes6 ?? [])]) {
        if (opts.accept && !opts.accept(n)) continue;
        add(n);
      }
      step();
    };

    for (const s of opts.seeds) add(s);
    step();
  });
}
