/**
 * The DHT routing table a session keeps in <dataDir>/dht.json (BEP 5): read
 * here without loading the DHT itself, for dht-source.ts on start and for
 * `shoal create`'s trackerless `nodes`.
 */
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import type { DhtState } from "../dht/index.ts";

export const DHT_STATE_FILE = "dht.json";

/**
 * Up to `max` nodes of the table a session saved in `dataDir` (for a
 * trackerless torrent's `nodes`, BEP 5); none when there is no saved table.
 */
export async function savedDhtNodes(
  dataDir: string,
  max = 8,
): Promise<{ host: string; port: number }[]> {
  const state = await loadDhtState(join(dataDir, DHT_STATE_FILE));
  return (state?.nodes ?? []).slice(0, max).map((n) => ({ host: n.address, port: n.port }));
}

export async function loadDhtState(path: string): Promise<DhtState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as DhtState;
    if (typeof parsed?.id !== "string" || !Array.isArray(parsed.nodes)) return undefined;
    const nodes = parsed.nodes
      .filter(
        (n) =>
          typeof n?.id === "string" &&
          typeof n.address === "string" &&
          isIP(n.address) !== 0 &&
          Number.isInteger(n.port) &&
          n.port > 0 &&
          n.port < 65536,
      )
      .slice(0, 2000);
    return { id: parsed.id, nodes };
  } catch {
    return undefined; // none yet, or unreadable: start from the bootstrap nodes
  }
}
