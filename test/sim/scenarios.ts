/** The swarms the simulator runs by name: swarm.ts's headline run and the tests' scenarios. */
import { type SimPeerSpec, Swarm } from "./swarm-sim.ts";

const MiB = 1024 * 1024;

export interface SwarmRunOptions {
  seed: number;
  leechers: number;
  size: number;
  /** The last leecher never uploads (no upload slots). */
  freeRider?: boolean;
  pieceLength?: number;
  /** Upload caps in bytes/s (default: seeder 2 MiB/s, leechers 1 MiB/s). */
  seederRate?: number;
  leecherRate?: number;
  chokeIntervalMs?: number;
  /** Where the upload caps hold (SwarmOptions.capsAt; default the network). */
  capsAt?: "network" | "client";
}

export interface SwarmRun {
  /** The one line swarm.ts prints. */
  line: string;
  /** Simulated ms until the last leecher completed. */
  timeMs: number;
  minimumMs: number;
  /** Completion time (ms) and payload bytes sent, by peer name. */
  finish: Map<string, number>;
  sent: Map<string, number>;
}

/** One seeder and `leechers` leechers with upload caps, every one told of every other. */
export function swarmSpecs(o: SwarmRunOptions): SimPeerSpec[] {
  const peers: SimPeerSpec[] = [{ name: "s", seed: true, uploadRate: o.seederRate ?? 2 * MiB }];
  for (let i = 1; i <= o.leechers; i++) {
    const rider = o.freeRider && i === o.leechers;
    const spec: SimPeerSpec = { name: rider ? "rider" : `l${i}`, uploadRate: o.leecherRate ?? MiB };
    if (rider) spec.uploadSlots = 0;
    peers.push(spec);
  }
  return peers;
}

export async function runSwarm(o: SwarmRunOptions): Promise<SwarmRun> {
  const swarm = await Swarm.create({
    seed: o.seed,
    size: o.size,
    peers: swarmSpecs(o),
    ...(o.pieceLength !== undefined ? { pieceLength: o.pieceLength } : {}),
    ...(o.chokeIntervalMs !== undefined ? { chokeIntervalMs: o.chokeIntervalMs } : {}),
    ...(o.capsAt ? { capsAt: o.capsAt } : {}),
  });
  await swarm.run();
  const finish = new Map<string, number>();
  const sent = new Map<string, number>();
  const bytes = swarm.sent();
  swarm.peers.forEach((p, i) => {
    if (p.completedAt !== undefined && !p.spec.seed) finish.set(p.spec.name, p.completedAt);
    sent.set(p.spec.name, bytes[i]!);
  });
  await swarm.close();
  const timeMs = Math.max(...finish.values());
  const minimumMs = swarm.minimumTimeMs();
  let line =
    `seed=${o.seed} leechers=${o.leechers} size=${o.size} caps=${o.capsAt ?? "network"} ` +
    `T=${(timeMs / 1000).toFixed(3)}s T_min=${(minimumMs / 1000).toFixed(3)}s ` +
    `T/T_min=${(timeMs / minimumMs).toFixed(3)}`;
  const rider = finish.get("rider");
  if (rider !== undefined) {
    const fair = [...finish].filter(([name]) => name !== "rider").map(([, t]) => t);
    line += ` rider=${(rider / 1000).toFixed(3)}s fair_last=${(Math.max(...fair) / 1000).toFixed(3)}s`;
  }
  line += ` sent=${[...sent].map(([name, n]) => `${name}:${n}`).join(",")}`;
  return { line, timeMs, minimumMs, finish, sent };
}
