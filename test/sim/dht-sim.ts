/**
 * A simulated Mainline DHT of shoal nodes (issue 15): every node on a host
 * of its own on the in-memory UDP network, one SimClock for all, a seeded
 * random source, so a run repeats exactly. Round-trip times between two
 * hosts are drawn once per pair from a log-normal distribution (median
 * 80 ms); a share of the nodes stop answering after the table is built
 * (they left, or sit behind a NAT), and churn keeps flipping nodes between
 * answering and silent while the lookups run.
 *
 * Used by test/sim/dht.test.ts (a few hundred nodes) and bench/dht.ts (10,000).
 */
import { DhtNode, type DhtNode as DhtNodeT, type Endpoint } from "../../src/dht/index.ts";
import { loadMemoryNetwork, type UdpSource } from "../../src/net/index.ts";
import { randomBytesFrom, seededRandom } from "../../src/util/index.ts";
import { SimClock } from "./sim-clock.ts";

const { MemoryUdpNetwork } = await loadMemoryNetwork();

export interface DhtSimOptions {
  nodes: number;
  seed: number;
  /** Median round trip in ms (log-normal). */
  medianRttMs: number;
  /** σ of the round trip's logarithm. */
  rttSigma: number;
  /** Share of nodes that never answer once the table is built. */
  silentShare: number;
  /** Nodes flipping between answering and silent per simulated second, as a share of all. */
  churnPerSecond: number;
  swarms: number;
  announcersPerSwarm: number;
  lookups: number;
  /** Lookups running at once. */
  concurrency: number;
  /**
   * Besides shoal's lookups, as many textbook ones (α = 3, a slow query
   * holds its slot until its timeout) on the same network at the same
   * time: the reference the benchmark compares against.
   */
  reference: boolean;
}

export interface LookupSample {
  firstPeersMs: number | undefined;
  durationMs: number;
  queries: number;
  peers: number;
}

export interface DhtSimResult {
  samples: LookupSample[];
  /** The textbook lookups (empty unless `reference`). */
  reference: LookupSample[];
  /** Mean routing table size after the build. */
  meanTable: number;
  /** Simulated ms the build took. */
  buildMs: number;
  datagrams: number;
  queriesSent: number;
  timers: number;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Fires every timer due until `done` holds (draining promise callbacks after each instant). */
async function runUntil(clock: SimClock, done: () => boolean, limitMs: number): Promise<void> {
  await turn();
  const end = clock.now() + limitMs;
  while (!done()) {
    const at = clock.nextAt();
    if (at === undefined || at > end)
      throw new Error(`simulation stalled or over time at ${clock.now()} ms`);
    while (clock.nextAt() === at) clock.fireNext();
    await turn();
  }
}

function addressOf(i: number): string {
  const host = (i % 250) + 1;
  const rest = Math.floor(i / 250);
  return `10.${Math.floor(rest / 250) % 250}.${rest % 250}.${host}`;
}

/** A deterministic hash of an unordered pair of addresses into [0, 1). */
function pairUnit(a: string, b: string, salt: number): number {
  const [x, y] = a < b ? [a, b] : [b, a];
  let h = 2166136261 ^ salt;
  for (const s of [x, "|", y]) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return ((h >>> 0) + 0.5) / 4294967296;
}

export async function runDhtSim(o: DhtSimOptions): Promise<DhtSimResult> {
  const clock = new SimClock();
  const random = seededRandom(o.seed);
  const silent = new Set<string>();
  let datagrams = 0;
  const rttCache = new Map<string, number>();
  const oneWay = (from: UdpSource, to: UdpSource): number => {
    datagrams++;
    const key =
      from.address < to.address ? `${from.address}|${to.address}` : `${to.address}|${from.address}`;
    let rtt = rttCache.get(key);
    if (rtt === undefined) {
      // Box–Muller over two hashed uniforms: the pair's own log-normal draw.
      const u1 = pairUnit(from.address, to.address, o.seed);
      const u2 = pairUnit(from.address, to.address, o.seed * 31 + 7);
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      rtt = o.medianRttMs * Math.exp(o.rttSigma * z);
      if (rttCache.size < 5_000_000) rttCache.set(key, rtt);
    }
    return Math.max(1, Math.round(rtt / 2));
  };
  const net = new MemoryUdpNetwork({
    clock,
    latencyMs: oneWay,
    // A silent node receives nothing (so it answers nothing).
    loss: (_from, to) => (silent.has(to.address) ? 1 : 0),
    random,
  });
  const nodes: DhtNodeT[] = [];
  const where: Endpoint[] = [];
  for (let i = 0; i < o.nodes; i++) {
    const address = addressOf(i);
    const node = new DhtNode({
      udp: net.host(address),
      port: 6881,
      clock,
      random,
    });
    nodes.push(node);
    where.push({ address, port: 6881 });
  }
  for (const n of nodes) await n.start();

  // Build: nodes join in waves, each through a random node that joined before.
  const buildStart = clock.now();
  const wave = 200;
  for (let first = 1; first < nodes.length; first += wave) {
    let pending = 0;
    for (let i = first; i < Math.min(nodes.length, first + wave); i++) {
      const via = where[Math.floor(random() * i)]!;
      pending++;
      void nodes[i]!.bootstrap([via]).finally(() => pending--);
    }
    await runUntil(clock, () => pending === 0, 600_000);
  }
  // A second round, as a node's first bucket refresh would: tables fill from the whole network.
  {
    let pending = 0;
    for (const n of nodes) {
      pending++;
      void n.findNode(n.id).finally(() => pending--);
    }
    await runUntil(clock, () => pending === 0, 600_000);
  }
  // Then lookups for random ids, as a node's bucket refreshes do over its first half hour.
  for (let round = 0; round < 2; round++) {
    let pending = 0;
    for (const n of nodes) {
      pending++;
      void n.findNode(randomBytesFrom(random)(20)).finally(() => pending--);
    }
    await runUntil(clock, () => pending === 0, 600_000);
  }
  const buildMs = clock.now() - buildStart;
  const meanTable = nodes.reduce((a, n) => a + n.table.size, 0) / nodes.length;

  // Swarms announced by their peers (all answering nodes at this point).
  const infoHashes = Array.from({ length: o.swarms }, () => randomBytesFrom(random)(20));
  {
    let pending = 0;
    for (const ih of infoHashes) {
      for (let a = 0; a < o.announcersPerSwarm; a++) {
        const n = nodes[Math.floor(random() * nodes.length)]!;
        pending++;
        void n.announce(ih, 20_000 + a).finally(() => pending--);
      }
    }
    await runUntil(clock, () => pending === 0, 600_000);
  }

  // Then a share of the network goes silent; churn flips nodes while lookups run.
  const order = nodes.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const silentCount = Math.round(o.silentShare * nodes.length);
  for (const i of order.slice(0, silentCount)) silent.add(where[i]!.address);
  const alive = () => {
    for (;;) {
      const i = Math.floor(random() * nodes.length);
      if (!silent.has(where[i]!.address)) return i;
    }
  };
  let churning = true;
  const flipsPerTick = Math.max(1, Math.round(o.churnPerSecond * nodes.length));
  const churn = () => {
    if (!churning) return;
    const silentList = [...silent];
    for (let f = 0; f < flipsPerTick; f++) {
      // One leaves, one comes back: the silent share stays the same.
      const back = silentList[Math.floor(random() * silentList.length)];
      if (back) silent.delete(back);
      silent.add(where[alive()]!.address);
    }
    clock.setTimeout(churn, 1000);
  };
  clock.setTimeout(churn, 1000);

  const samples: LookupSample[] = [];
  const reference: LookupSample[] = [];
  const total = o.reference ? 2 * o.lookups : o.lookups;
  let started = 0;
  const startOne = () => {
    const i = started++;
    // Alternate the two kinds so both meet the same network, churn included.
    const textbook = o.reference && i % 2 === 1;
    const ih = infoHashes[Math.floor(i / (o.reference ? 2 : 1)) % infoHashes.length]!;
    const tuning = textbook ? { adaptive: false, alpha: 3 } : undefined;
    void nodes[alive()]!.getPeers(ih, undefined, tuning)
      .then((r) => {
        (textbook ? reference : samples).push({
          firstPeersMs: r.firstPeersMs,
          durationMs: r.durationMs,
          queries: r.queries,
          peers: r.peers.length,
        });
      })
      .finally(() => {
        if (started < total) startOne();
      });
  };
  for (let i = 0; i < Math.min(o.concurrency, total); i++) startOne();
  await runUntil(clock, () => samples.length + reference.length >= total, 3_600_000);
  churning = false;
  const queriesSent = nodes.reduce((a, n) => a + n.stats().queriesSent, 0);
  for (const n of nodes) await n.close();
  return { samples, reference, meanTable, buildMs, datagrams, queriesSent, timers: clock.fired };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Summary {
  lookups: number;
  found: number;
  firstPeers: { p50: number; p90: number; p99: number };
  end: { p50: number; p90: number; p99: number };
  messages: { mean: number; p50: number; p99: number };
}

export function summarize(samples: LookupSample[]): Summary {
  // A lookup that found nobody counts as never reaching its first peers.
  const first = samples.map((s) => s.firstPeersMs ?? Number.POSITIVE_INFINITY);
  const end = samples.map((s) => s.durationMs);
  const msgs = samples.map((s) => s.queries);
  const three = (v: number[]) => ({
    p50: percentile(v, 50),
    p90: percentile(v, 90),
    p99: percentile(v, 99),
  });
  return {
    lookups: samples.length,
    found: samples.filter((s) => s.peers > 0).length,
    firstPeers: three(first),
    end: three(end),
    messages: {
      mean: msgs.reduce((a, b) => a + b, 0) / msgs.length,
      p50: percentile(msgs, 50),
      p99: percentile(msgs, 99),
    },
  };
}
