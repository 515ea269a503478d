/**
 * Peers that sent bad data. Every peer that contributed to a piece that failed
 * its hash gets a strike (two when it sent the whole piece alone); at the
 * threshold its address is banned for the session: disconnected, never dialled
 * or accepted again. An honest peer that shared a piece with a liar may get a
 * strike, so one shared failure never bans on its own.
 */
export class BanList {
  readonly #threshold: number;
  readonly #strikes = new Map<string, number>();
  readonly #banned = new Set<string>();

  constructor(threshold = 2) {
    this.#threshold = threshold;
  }

  /** Records a failed piece; returns the hosts banned by it. */
  pieceFailed(contributorHosts: readonly string[]): string[] {
    const hosts = [...new Set(contributorHosts)];
    const weight = hosts.length === 1 ? 2 : 1;
    const banned: string[] = [];
    for (const host of hosts) {
      const strikes = (this.#strikes.get(host) ?? 0) + weight;
      this.#strikes.set(host, strikes);
      if (strikes >= this.#threshold && !this.#banned.has(host)) {
        this.#banned.add(host);
        banned.push(host);
      }
    }
    return banned;
  }

  isBanned(host: string): boolean {
    return this.#banned.has(host);
  }

  strikes(host: string): number {
    return this.#strikes.get(host) ?? 0;
  }

  get size(): number {
    return this.#banned.size;
  }
}
