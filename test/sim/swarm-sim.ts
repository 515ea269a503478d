/**
 * A deterministic swarm: peers on the simulated network (src/net's
 * MemoryNetwork), each with its own upload and download rate and latency,
 * their data in memory (MemoryStorage sharing one PieceBank), every timer on
 * one SimClock and every random choice drawn from one seed. The same options
 * give the same swarm byte for byte: completion times, bytes each peer sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Metainfo } from "../../src/metainfo/index.ts";
import { loadMemoryNetwork } from "../../src/net/index.ts";
import { MemoryStorage, PieceBank, type PieceStore } from "../../src/storage/index.ts";
import type { Torrent } from "../../src/torrent/index.ts";
import { type RandomSource, seededRandom } from "../../src/util/index.ts";
import { simulatedContent, simulatedMetainfo } from "./content.ts";
import { runFor, runUntil } from "./driver.ts";
import { corruptPieces, type LiePolicy, LyingStore } from "./lying-store.ts";
import { SimClock } from "./sim-clock.ts";
import { type SimNode, startNode } from "./sim-node.ts";

const { MemoryNetwork } = await loadMemoryNetwork();
type MemoryNetwork = InstanceType<typeof MemoryNetwork>;

export interface SimPeerSpec {
  name: string;
  /** Starts with the whole content. */
  seed?: boolean;
  /** Bytes per second; absent: unlimited. */
  uploadRate?: number;
  downloadRate?: number;
  /** One-way latency to the network's core, ms (default 10). */
  latencyMs?: number;
  /** Upload slots (default 4); 0 makes a free-rider that never unchokes anyone. */
  uploadSlots?: number;
  /** A lying seeder: requests for these pieces are answered with corrupted data. */
  lieAbout?: (piece: number) => boolean;
  /** A liar with its own policy for each request (lying-store.ts); wins over lieAbout. */
  lie?: LiePolicy;
  /** Added by info hash alone: it waits in its metadata state until given the metadata. */
  byInfoHash?: boolean;
  /** Added by info hash alone: it fetches the metadata from its peers (BEP 9). */
  magnet?: boolean;
  /** A seeder that serves an info dictionary of the right size that is not the torrent's (BEP 9). */
  liesAboutMetadata?: boolean;
  /** Joins the swarm this long after the start (default 0). */
  joinAtMs?: number;
  /** Dials nobody when it joins: the others must find it (or be told of it). */
  dialsNobody?: boolean;
  /** The torrent's most connections (default the engine's, 50). */
  maxPeers?: number;
  /** Fetches pieces in order (streaming). */
  sequential?: boolean;
}

export interface SwarmOptions {
  seed: number;
  /** Content bytes. */
  size: number;
  /** Default 256 KiB. */
  pieceLength?: number;
  peers: SimPeerSpec[];
  /** Time between choke rounds (default the engine's, 10 s). */
  chokeIntervalMs?: number;
  /** Simulated time after which a run gives up (default 1 hour). */
  limitMs?: number;
  /**
   * Who dials whom: "tracker" (default), each peer dials those that joined
   * before it, as a tracker's peer list would have it; "mesh", every peer
   * dials every other at once, so every pair dials both ways together.
   */
  topology?: "tracker" | "mesh";
  /**
   * Where upload rates hold: "network" (default), the host's uplink, as a
   * home connection's; "client", the client's own upload limit (its token
   * bucket) over an unlimited uplink, as the e2e tests and benchmarks on
   * loopback have it.
   */
  capsAt?: "network" | "client";
  /** BEP 11 peer exchange (default on, as in the engine). */
  pex?: boolean;
}

export interface SimPeer {
  readonly spec: SimPeerSpec;
  readonly address: string;
  readonly store: PieceStore;
  node: SimNode | undefined;
  /** Simulated ms at which it held every piece. */
  completedAt: number | undefined;
}

const PORT = 6881;

/** The metainfo with other info bytes of the same length: what a metadata liar serves. */
function lyingMetadata(meta: Metainfo): Metainfo {
  const infoBytes = Buffer.from(meta.infoBytes);
  infoBytes[infoBytes.length - 2] = infoBytes[infoBytes.length - 2]! ^ 0x55;
  return { ...meta, infoBytes };
}

export class Swarm {
  readonly clock: SimClock;
  readonly network: MemoryNetwork;
  readonly meta: Metainfo;
  readonly content: Buffer;
  readonly peers: SimPeer[] = [];
  readonly #o: SwarmOptions;
  readonly #random: RandomSource;
  /** The clients' state folders (their data stays in memory). */
  readonly #dir = mkdtempSync(join(tmpdir(), "shoal-sim-"));

  private constructor(o: SwarmOptions) {
    this.#o = o;
    this.clock = new SimClock();
    this.network = new MemoryNetwork({ clock: this.clock });
    this.#random = seededRandom(o.seed);
    this.content = simulatedContent(o.seed, o.size);
    this.meta = simulatedMetainfo(`sim-${o.seed}.bin`, this.content, o.pieceLength ?? 256 * 1024);
  }

  /** Builds the swarm; peers that join at 0 are started and know each other. */
  static async create(o: SwarmOptions): Promise<Swarm> {
    const swarm = new Swarm(o);
    const bank = new PieceBank();
    for (const [i, spec] of o.peers.entries()) {
      const address = `10.0.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}`;
      const policy = spec.lie ?? (spec.lieAbout ? corruptPieces(spec.lieAbout) : undefined);
      const memory = await MemoryStorage.open(
        swarm.meta,
        spec.seed || policy ? { content: swarm.content, bank } : { bank },
      );
      const store = policy ? new LyingStore(memory, policy) : memory;
      const hostOptions: Parameters<MemoryNetwork["addHost"]>[1] = {
        latencyMs: spec.latencyMs ?? 10,
      };
      if (spec.uploadRate !== undefined && o.capsAt !== "client") {
        hostOptions.uploadRate = spec.uploadRate;
      }
      if (spec.downloadRate !== undefined) hostOptions.downloadRate = spec.downloadRate;
      swarm.network.addHost(address, hostOptions);
      swarm.peers.push({ spec, address, store, node: undefined, completedAt: undefined });
    }
    for (const peer of swarm.peers) {
      const at = peer.spec.joinAtMs ?? 0;
      if (at === 0) await swarm.#start(peer);
      else swarm.clock.setTimeout(() => void swarm.#start(peer), at);
    }
    return swarm;
  }

  async #start(peer: SimPeer): Promise<void> {
    // Each peer's own stream, drawn from the swarm's seed in peer order.
    const random = seededRandom(Math.floor(this.#random() * 2 ** 32));
    const node = await startNode({
      host: this.network.host(peer.address)!,
      port: PORT,
      meta: this.meta,
      store: peer.store,
      clock: this.clock,
      random,
      dataDir: join(this.#dir, peer.spec.name),
      ...(peer.spec.uploadSlots !== undefined ? { uploadSlots: peer.spec.uploadSlots } : {}),
      ...(peer.spec.byInfoHash ? { byInfoHash: true } : {}),
      ...(peer.spec.magnet ? { magnet: true } : {}),
      ...(peer.spec.liesAboutMetadata ? { addedMeta: lyingMetadata(this.meta) } : {}),
      ...(peer.spec.maxPeers !== undefined ? { maxPeers: peer.spec.maxPeers } : {}),
      ...(peer.spec.sequential ? { sequential: true } : {}),
      ...(this.#o.pex !== undefined ? { pex: this.#o.pex } : {}),
      ...(this.#o.capsAt === "client" && peer.spec.uploadRate !== undefined
        ? { uploadLimit: peer.spec.uploadRate }
        : {}),
      ...(this.#o.chokeIntervalMs !== undefined
        ? { chokeIntervalMs: this.#o.chokeIntervalMs }
        : {}),
    });
    peer.node = node;
    const done = () => {
      peer.completedAt ??= this.clock.now();
    };
    if (node.torrent.complete) done();
    node.torrent.on("complete", done);
    const mesh = this.#o.topology === "mesh";
    if (peer.spec.dialsNobody) return;
    node.torrent.addPeers(
      this.peers
        .filter((p) => p !== peer && (mesh || p.node))
        .map((p) => ({ ip: p.address, port: PORT })),
    );
  }

  peer(name: string): SimPeer {
    const p = this.peers.find((x) => x.spec.name === name);
    if (!p) throw new Error(`no peer named ${name}`);
    return p;
  }

  torrent(name: string): Torrent {
    const node = this.peer(name).node;
    if (!node) throw new Error(`${name} has not joined yet`);
    return node.torrent;
  }

  /** The peers that download (neither seeds nor liars). */
  get leechers(): SimPeer[] {
    return this.peers.filter((p) => !p.spec.seed && !p.spec.lieAbout && !p.spec.lie);
  }

  /** Runs until `done` holds (default: every leecher is complete). */
  async run(done: () => boolean = () => this.leechers.every((p) => p.completedAt !== undefined)) {
    await runUntil(this.clock, done, this.#o.limitMs ?? 3_600_000);
  }

  /** Runs `ms` of simulated time. */
  async runFor(ms: number): Promise<void> {
    await runFor(this.clock, ms);
  }

  /** Runs the clock until `promise` settles (a pause, a close), and returns its outcome. */
  async settle<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const done = promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await runUntil(this.clock, () => settled, Number.POSITIVE_INFINITY);
    await done;
    return promise;
  }

  async close(): Promise<void> {
    // Closing says goodbye on the simulated network: keep the clock moving.
    try {
      await this.settle(Promise.all(this.peers.map((p) => p.node?.close())));
    } finally {
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }

  /** The lower bound on the time to serve every leecher (the swarm's T_min). */
  minimumTimeMs(): number {
    const f = this.meta.totalLength;
    const seeds = this.peers.filter((p) => p.spec.seed);
    const us = seeds.reduce((n, p) => n + (p.spec.uploadRate ?? Number.POSITIVE_INFINITY), 0);
    const leechers = this.leechers;
    // A free-rider's capacity serves nobody.
    const ui = leechers.reduce(
      (n, p) =>
        n + (p.spec.uploadSlots === 0 ? 0 : (p.spec.uploadRate ?? Number.POSITIVE_INFINITY)),
      0,
    );
    const slowest = Math.min(
      ...leechers.map((p) => p.spec.downloadRate ?? Number.POSITIVE_INFINITY),
    );
    return 1000 * Math.max(f / us, (leechers.length * f) / (us + ui), f / slowest);
  }

  /** Payload bytes each peer has sent. */
  sent(): number[] {
    return this.peers.map((p) => p.node?.torrent.stats().uploaded ?? 0);
  }
}
