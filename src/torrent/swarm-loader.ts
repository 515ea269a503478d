/**
 * The swarm's modules (swarm.ts), imported with a torrent's first peer,
 * first address to dial, or first piece to fetch rather than with the
 * process: a daemon whose seeds have no peers never loads them (about forty
 * modules with the wire codecs, picker and choker under them). Whoever makes
 * a swarm part synchronously has awaited loadSwarm() first; the torrent
 * defers the few entry points that may come before (an address, an
 * incoming connection) until it resolves.
 */
import { loadPieceIo } from "../storage/index.ts";
import { LazyModule } from "../util/index.ts";
import { TorrentError } from "./errors.ts";

type Swarm = typeof import("./swarm.ts");

// With the storage's piece memory and writer (piece-io-loader.ts): the
// requester takes piece memory synchronously.
const swarm = new LazyModule<Swarm>(() =>
  Promise.all([import("./swarm.ts"), loadPieceIo()]).then(([loaded]) => loaded),
);

/** Imports the swarm's modules (once). */
export function loadSwarm(): Promise<Swarm> {
  return swarm.load();
}

/** Whether swarmNow() can be called (nothing to wait for). */
export function swarmLoaded(): boolean {
  return swarm.module !== undefined;
}

/** The swarm's modules; only after loadSwarm() resolved. */
export function swarmNow(): Swarm {
  const loaded = swarm.module;
  if (!loaded) throw new TorrentError("internal", "a swarm part made before loadSwarm resolved");
  return loaded;
}
