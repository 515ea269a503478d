/**
 * Peers that sent bad data, banned for the session: disconnected, never
 * dialled or accepted again. A ban needs proof, because a piece that fails
 * its hash (BEP 3) blames every peer that sent part of it, and an honest
 * seeder often shares a piece with the liar: proof is a failed piece sent
 * by one peer alone, or a block that differs from the piece's verified copy
 * (smart-ban.ts). A shared failure is a strike, shown and cleared when the
 * peer's blocks prove true; strikes alone never ban, so the honest peers
 * of a swarm with a liar in it are never all banned.
 */
export class BanList {
  // Made with the first strike and the first ban: most torrents never have one.
  #strikes: Map<string, number> | undefined;
  #banned: Set<string> | undefined;

  /**
   * Records a failed piece by the keys of the peers that sent its blocks:
   * one peer alone is banned (returned); several get a strike each.
   */
  pieceFailed(senders: readonly string[]): string[] {
    const distinct = [...new Set(senders)];
    if (distinct.length === 1) return this.ban(distinct);
    this.#strikes ??= new Map();
    const strikes = this.#strikes;
    for (const key of distinct) strikes.set(key, (strikes.get(key) ?? 0) + 1);
    return [];
  }

  /** Bans these keys; returns those not banned before. */
  ban(keys: readonly string[]): string[] {
    const added: string[] = [];
    for (const key of keys) {
      if (this.#banned?.has(key)) continue;
      this.#banned ??= new Set();
      this.#banned.add(key);
      this.#strikes?.delete(key);
      added.push(key);
    }
    return added;
  }

  /** Their blocks matched a verified piece: their strikes go. */
  cleared(keys: readonly string[]): void {
    for (const key of keys) this.#strikes?.delete(key);
  }

  isBanned(key: string): boolean {
    return this.#banned?.has(key) ?? false;
  }

  strikes(key: string): number {
    return this.#strikes?.get(key) ?? 0;
  }

  get size(): number {
    return this.#banned?.size ?? 0;
  }
}
