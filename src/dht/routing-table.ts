/**
 * The routing table (BEP 5): buckets of at most k = 8 nodes, each covering a
 * range of the id space by how many leading bits its nodes share with our
 * own id. Only the bucket that holds our own id splits, so the table knows
 * many nodes near us and a few far away. Node states as BEP 5 defines them:
 * good (answered us in the last 15 minutes, or answered once and queried us
 * since), questionable (silent for 15 minutes), bad (failed to answer
 * several queries in a row). A full bucket gives a bad node's place to a
 * newcomer at once; with only questionable nodes it asks the node to ping
 * the stalest first, and the newcomer waits in the bucket's replacement cache.
 */
import type { Clock } from "../util/index.ts";
import type { Endpoint, NodeInfo } from "./compact.ts";
import { commonPrefixBits, compareDistance, type NodeId } from "./node-id.ts";

export const ROUTING_LIMITS = {
  /** BEP 5: k, the size of a bucket. */
  k: 8,
  /** Candidates kept behind each bucket for when a node goes bad. */
  replacements: 8,
  /** One bucket per bit of the id space at most. */
  maxBuckets: 160,
  /** BEP 5: a node silent this long is questionable; a bucket this still wants a refresh. */
  goodForMs: 15 * 60_000,
  /** Failed queries in a row that make a node bad. */
  failuresToBad: 2,
  /**
   * With `extended`, the far buckets hold more (as libtorrent's extended
   * routing table): bucket 0 covers half the id space, so 128 nodes there
   * put a lookup's first hop some 7 bits closer to any target instead of 3,
   * which saves a round trip on every lookup for a few hundred more nodes.
   */
  extendedBuckets: [128, 64, 32, 16],
} as const;

export type NodeState = "good" | "questionable" | "bad";

export interface RoutingNode extends NodeInfo {
  /** When the node last answered one of our queries (undefined: never). */
  lastResponse: number | undefined;
  /** When we last heard anything from it (answer or query). */
  lastSeen: number;
  /** Queries it failed to answer since its last answer. */
  failures: number;
  /** Smoothed round-trip time of its answers in ms (undefined until one is timed). */
  rtt: number | undefined;
}

interface Bucket {
  nodes: RoutingNode[];
  replacements: RoutingNode[];
  /** When a node in it was last added or answered (BEP 5's "last changed"). */
  lastChanged: number;
}

export interface HeardResult {
  /** The node is now in the table (new or already there). */
  inTable: boolean;
  /** Questionable nodes the caller should ping so the bucket can make room. */
  ping: RoutingNode[];
}

const endpointKey = (e: Endpoint) => `${e.address}|${e.port}`;

export class RoutingTable {
  readonly ownId: NodeId;
  readonly #clock: Clock;
  readonly #k: number;
  readonly #extended: boolean;
  #buckets: Bucket[];
  /** Every node in the table (not the replacement caches) by endpoint: one entry per address and port. */
  readonly #byEndpoint = new Map<string, RoutingNode>();

  constructor(ownId: NodeId, clock: Clock, k: number = ROUTING_LIMITS.k, extended = false) {
    this.ownId = ownId;
    this.#clock = clock;
    this.#k = k;
    this.#extended = extended;
    this.#buckets = [{ nodes: [], replacements: [], lastChanged: clock.now() }];
  }

  get size(): number {
    return this.#byEndpoint.size;
  }

  get bucketCount(): number {
    return this.#buckets.length;
  }

  stateOf(node: RoutingNode): NodeState {
    if (node.failures >= ROUTING_LIMITS.failuresToBad) return "bad";
    const now = this.#clock.now();
    if (node.lastResponse !== undefined && now - node.lastSeen < ROUTING_LIMITS.goodForMs) {
      return "good";
    }
    return "questionable";
  }

  #bucketIndex(id: Uint8Array): number {
    return Math.min(commonPrefixBits(this.ownId, id), this.#buckets.length - 1);
  }

  /** The table's entry for this id at this endpoint, if any. */
  find(id: Uint8Array, at?: Endpoint): RoutingNode | undefined {
    const bucket = this.#buckets[this.#bucketIndex(id)]!;
    const node = bucket.nodes.find((n) => n.id.equals(id));
    if (node && at && (node.address !== at.address || node.port !== at.port)) return undefined;
    return node;
  }

  /**
   * We heard from a node: it answered a query of ours (`responded`, with the
   * round trip it took) or it queried us. Nodes only enter the table once
   * they have answered: a query alone proves nothing about reachability.
   */
  heard(info: NodeInfo, responded: boolean, rttMs?: number): HeardResult {
    const none: HeardResult = { inTable: false, ping: [] };
    if (info.id.equals(this.ownId)) return none;
    const now = this.#clock.now();
    const known = this.#byEndpoint.get(endpointKey(info));
    if (known && !known.id.equals(info.id)) {
      // One entry per address and port: a different id there is a restart
      // or a liar; the entry stays until it goes bad.
      if (this.stateOf(known) !== "bad") return none;
      this.remove(known);
    }
    const index = this.#bucketIndex(info.id);
    const bucket = this.#buckets[index]!;
    const existing = bucket.nodes.find((n) => n.id.equals(info.id));
    if (existing) {
      if (existing.address !== info.address || existing.port !== info.port) return none;
      existing.lastSeen = now;
      if (responded) {
        existing.lastResponse = now;
        existing.failures = 0;
        if (rttMs !== undefined) {
          existing.rtt = existing.rtt === undefined ? rttMs : existing.rtt * 0.75 + rttMs * 0.25;
        }
        bucket.lastChanged = now;
      }
      return { inTable: true, ping: [] };
    }
    if (!responded) return none;
    const node: RoutingNode = {
      id: Buffer.from(info.id),
      address: info.address,
      port: info.port,
      lastResponse: now,
      lastSeen: now,
      failures: 0,
      rtt: rttMs,
    };
    return this.#insert(node, index);
  }

  /** Whether a node with this id that answered would find a place (so it is worth a ping). */
  hasRoomFor(id: Uint8Array): boolean {
    if (id.length !== this.ownId.length || Buffer.from(id).equals(this.ownId)) return false;
    const index = this.#bucketIndex(id);
    const bucket = this.#buckets[index]!;
    if (bucket.nodes.some((n) => n.id.equals(id))) return false;
    if (bucket.nodes.length < this.#limit(index)) return true;
    if (index === this.#buckets.length - 1 && this.#buckets.length < ROUTING_LIMITS.maxBuckets)
      return true;
    return bucket.nodes.some((n) => this.stateOf(n) === "bad");
  }

  #insert(node: RoutingNode, index: number): HeardResult {
    const bucket = this.#buckets[index]!;
    if (bucket.nodes.length < this.#limit(index)) {
      this.#add(bucket, node);
      return { inTable: true, ping: [] };
    }
    const bad = bucket.nodes.find((n) => this.stateOf(n) === "bad");
    if (bad) {
      this.#drop(bucket, bad);
      this.#add(bucket, node);
      return { inTable: true, ping: [] };
    }
    if (index === this.#buckets.length - 1 && this.#buckets.length < ROUTING_LIMITS.maxBuckets) {
      this.#split();
      return this.#insert(node, this.#bucketIndex(node.id));
    }
    // Full of good or questionable nodes: the newcomer waits; the stalest
    // questionable node is asked whether it is still there.
    this.#remember(bucket, node);
    const questionable = bucket.nodes
      .filter((n) => this.stateOf(n) === "questionable")
      .sort((a, b) => a.lastSeen - b.lastSeen);
    return { inTable: false, ping: questionable.slice(0, 1) };
  }

  /** How many nodes bucket `index` holds. */
  #limit(index: number): number {
    return this.#extended ? Math.max(this.#k, ROUTING_LIMITS.extendedBuckets[index] ?? 0) : this.#k;
  }

  #add(bucket: Bucket, node: RoutingNode): void {
    bucket.nodes.push(node);
    bucket.replacements = bucket.replacements.filter((r) => !r.id.equals(node.id));
    bucket.lastChanged = this.#clock.now();
    this.#byEndpoint.set(endpointKey(node), node);
  }

  #drop(bucket: Bucket, node: RoutingNode): void {
    bucket.nodes = bucket.nodes.filter((n) => n !== node);
    this.#byEndpoint.delete(endpointKey(node));
  }

  #remember(bucket: Bucket, node: RoutingNode): void {
    const key = endpointKey(node);
    bucket.replacements = bucket.replacements.filter(
      (r) => !r.id.equals(node.id) && endpointKey(r) !== key,
    );
    bucket.replacements.push(node);
    if (bucket.replacements.length > ROUTING_LIMITS.replacements) bucket.replacements.shift();
  }

  #split(): void {
    const last = this.#buckets.length - 1;
    const old = this.#buckets[last]!;
    const near: Bucket = { nodes: [], replacements: [], lastChanged: old.lastChanged };
    const far: Bucket = { nodes: [], replacements: [], lastChanged: old.lastChanged };
    for (const n of old.nodes)
      (commonPrefixBits(this.ownId, n.id) > last ? near : far).nodes.push(n);
    for (const n of old.replacements) {
      (commonPrefixBits(this.ownId, n.id) > last ? near : far).replacements.push(n);
    }
    this.#buckets[last] = far;
    this.#buckets.push(near);
  }

  /**
   * A query to this node went unanswered. After enough failures it is bad,
   * and the freshest candidate of its bucket's replacement cache takes its place.
   */
  failed(id: Uint8Array, at: Endpoint): void {
    const index = this.#bucketIndex(id);
    const bucket = this.#buckets[index]!;
    const node = bucket.nodes.find((n) => n.id.equals(id));
    if (!node || node.address !== at.address || node.port !== at.port) {
      bucket.replacements = bucket.replacements.filter((r) => !r.id.equals(id));
      return;
    }
    node.failures++;
    if (this.stateOf(node) !== "bad") return;
    const replacement = bucket.replacements.pop();
    if (replacement) {
      this.#drop(bucket, node);
      this.#add(bucket, replacement);
    }
  }

  remove(node: NodeInfo): void {
    const bucket = this.#buckets[this.#bucketIndex(node.id)]!;
    const entry = bucket.nodes.find((n) => n.id.equals(node.id));
    if (entry) this.#drop(bucket, entry);
  }

  /**
   * The `count` nodes closest to `target` by XOR distance, good before
   * questionable and bad nodes left out, as find_node and get_peers answer.
   */
  closest(target: Uint8Array, count: number = this.#k): RoutingNode[] {
    const out: RoutingNode[] = [];
    for (const bucket of this.#buckets) {
      for (const n of bucket.nodes) if (this.stateOf(n) !== "bad") out.push(n);
    }
    out.sort((a, b) => compareDistance(target, a.id, b.id));
    return out.slice(0, count);
  }

  /** Every node in the table, for persistence and diagnostics. */
  nodes(): RoutingNode[] {
    return this.#buckets.flatMap((b) => b.nodes);
  }

  /**
   * Buckets nobody changed for 15 minutes (BEP 5: refresh them with a
   * find_node for a random id in their range), as their prefix lengths.
   */
  staleBuckets(): number[] {
    const now = this.#clock.now();
    const out: number[] = [];
    this.#buckets.forEach((b, i) => {
      if (now - b.lastChanged >= ROUTING_LIMITS.goodForMs) out.push(i);
    });
    return out;
  }

  /** Marks a bucket refreshed (the lookup for its range has started). */
  touchBucket(index: number): void {
    const b = this.#buckets[index];
    if (b) b.lastChanged = this.#clock.now();
  }

  /** Questionable nodes, stalest first (to ping, so buckets stay fresh). */
  questionable(): RoutingNode[] {
    return this.nodes()
      .filter((n) => this.stateOf(n) === "questionable")
      .sort((a, b) => a.lastSeen - b.lastSeen);
  }
}
