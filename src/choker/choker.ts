/**
 * Who we upload to (BEP 3 "choking"; the algorithm is BitTorrent's classic one,
 * as libtorrent and Transmission run it). Called every round (10 s):
 *
 * - downloading: the `slots - 1` interested peers that sent us data fastest
 *   are unchoked (tit-for-tat); a peer that has sent us nothing for 60 s while
 *   we wanted its data is "snubbing" us and loses that reciprocity;
 * - seeding: nobody sends us anything, so peers are ranked by how fast they
 *   take from us, and a peer that has had its turn for a full rotation gives
 *   way to one that has waited, so every leecher is served;
 * - one optimistic slot goes to a random choked, interested peer, rotated every
 *   30 s; newly connected peers are three times as likely to get it, since they
 *   have nothing yet to trade;
 * - a peer that took data from us while it had pieces we wanted, and a full
 *   optimistic period (or freeRiderMs, if shorter) after connecting has
 *   still never unchoked us nor sent us anything, is a likely free-rider:
 *   while we download it gets no slot at all (the optimistic slot is for
 *   finding partners, and it has shown it is none; a fair peer that has not
 *   unchoked us yet has only to do so once), and while we seed it waits
 *   behind the peers that did share and is four times less likely to win
 *   the optimistic slot. A newcomer with
 *   nothing we want is never one: it could not have shared.
 * - a slot is for moving data: a peer that does not read what we send
 *   (uploadStalled) gets none until it does, and one that lately asked for
 *   nothing in its slot (wastedSlot) comes after every other peer and wins
 *   the optimistic slot only when nobody else can.
 *
 * Pure: it sees peer snapshots and a time; its only state is the rotation.
 */

export interface ChokerPeer {
  id: string;
  /** The peer wants data from us. */
  peerInterested: boolean;
  /** We want data from the peer. */
  amInterested: boolean;
  /** Bytes/s the peer sent us over the last round. */
  downloadRate: number;
  /** Bytes/s we sent the peer over the last round. */
  uploadRate: number;
  /**
   * Our writes to the peer are backed up with none completing: it is not
   * reading what it asked for, so a slot would be wasted on it.
   */
  uploadStalled?: boolean;
  /** The peer lately let a slot of ours go unused (asked for nothing): its turn comes after the others'. */
  wastedSlot?: boolean;
  /** When the connection was made (ms, the caller's clock). */
  connectedAt: number;
  /** When the peer last sent us a block (ms), or undefined if never. */
  lastBlockAt?: number;
  /** Whether the peer is a seed (it cannot reciprocate; never worth a regular slot while we download). */
  isSeed: boolean;
  /** The peer has unchoked us or sent us data at some point: it shares. */
  reciprocated?: boolean;
  /** We have sent the peer data and wanted some of its pieces: it could have shared back. */
  owesUs?: boolean;
}

export interface ChokerOptions {
  /** Upload slots, the optimistic one included. */
  slots?: number;
  /** How long the optimistic unchoke lasts before rotating. */
  optimisticMs?: number;
  /** Connected this long without ever sharing back, a peer that owes us is a likely free-rider (default: optimisticMs). */
  freeRiderMs?: number;
  /** Silence after which an uploader counts as snubbing us. */
  snubMs?: number;
  /** Peers connected for less than this are "new" for the optimistic draw. */
  newPeerMs?: number;
  /** While seeding, how long a peer keeps its slot when others wait. */
  seedRotationMs?: number;
  random?: () => number;
}

export interface ChokeDecision {
  /** Every peer to unchoke (the rest are choked). */
  unchoke: Set<string>;
  /** The optimistic one, included in `unchoke`. */
  optimistic?: string;
  /** Peers judged to be snubbing us. */
  snubbed: Set<string>;
}

export class Choker {
  readonly #o: Required<ChokerOptions>;
  #optimistic: string | undefined;
  #optimisticSince = Number.NEGATIVE_INFINITY;
  /** While seeding: when each peer got its current regular slot. */
  readonly #slotSince = new Map<string, number>();
  /** While seeding: when each waiting peer started waiting. */
  readonly #waitingSince = new Map<string, number>();

  constructor(opts: ChokerOptions = {}) {
    this.#o = {
      slots: 4,
      optimisticMs: 30_000,
      freeRiderMs: opts.freeRiderMs ?? opts.optimisticMs ?? 30_000,
      snubMs: 60_000,
      newPeerMs: 60_000,
      seedRotationMs: 30_000,
      random: Math.random,
      ...opts,
    };
  }

  /** The current optimistic peer, if any. */
  get optimistic(): string | undefined {
    return this.#optimistic;
  }

  decide(peers: readonly ChokerPeer[], now: number, seeding: boolean): ChokeDecision {
    if (this.#o.slots <= 0) return { unchoke: new Set(), snubbed: new Set() };
    const slots = this.#o.slots;
    const snubbed = new Set(
      peers
        .filter(
          (p) =>
            !seeding && p.amInterested && now - (p.lastBlockAt ?? p.connectedAt) >= this.#o.snubMs,
        )
        .map((p) => p.id),
    );
    // While we download, a likely free-rider is nobody's candidate (see above).
    const candidates = peers.filter(
      (p) => p.peerInterested && !p.uploadStalled && (seeding || !this.freeRider(p, now)),
    );
    const ranked = seeding
      ? this.#seedingOrder(candidates, now)
      : this.#shuffled(candidates.filter((p) => !snubbed.has(p.id) && !p.isSeed)).sort(
          (a, b) =>
            b.downloadRate - a.downloadRate ||
            // Among equals, peers that ever sent us data before those that never did.
            Number(b.lastBlockAt !== undefined) - Number(a.lastBlockAt !== undefined),
        );
    // A peer that let its last slot go unused waits behind every other (the sort is stable).
    const regular = ranked.sort(
      (a, b) => Number(a.wastedSlot ?? false) - Number(b.wastedSlot ?? false),
    );
    const unchoke = new Set(regular.slice(0, slots - 1).map((p) => p.id));
    if (seeding) this.#recordSlots(candidates, unchoke, now);

    const optimistic = this.#chooseOptimistic(candidates, unchoke, now);
    if (optimistic) unchoke.add(optimistic);
    // Slots the optimistic draw could not fill go to the next best regular peers.
    for (const p of regular) {
      if (unchoke.size >= slots) break;
      unchoke.add(p.id);
    }
    const decision: ChokeDecision = { unchoke, snubbed };
    if (optimistic) decision.optimistic = optimistic;
    return decision;
  }

  /**
   * A likely free-rider: it owes us (took our data, had pieces we wanted) and
   * has never shared with us, though connected for freeRiderMs (by default a
   * full optimistic period).
   */
  freeRider(p: ChokerPeer, now: number): boolean {
    return (
      p.reciprocated === false && p.owesUs === true && now - p.connectedAt >= this.#o.freeRiderMs
    );
  }

  /** A random order, so ties (often all zero at the start) are broken fairly. */
  #shuffled<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.#o.random() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** Seeding: peers still within their turn first (by upload rate), then those waiting longest. */
  #seedingOrder(candidates: readonly ChokerPeer[], now: number): ChokerPeer[] {
    const waiting = candidates.filter((p) => !this.#slotSince.has(p.id)).length > 0;
    const inTurn = (p: ChokerPeer) => {
      const since = this.#slotSince.get(p.id);
      return since !== undefined && (!waiting || now - since < this.#o.seedRotationMs);
    };
    const waitedFor = (p: ChokerPeer) => now - (this.#waitingSince.get(p.id) ?? now);
    return [...candidates].sort((a, b) => {
      const ta = inTurn(a);
      const tb = inTurn(b);
      if (ta !== tb) return ta ? -1 : 1;
      if (ta) return b.uploadRate - a.uploadRate;
      const fa = this.freeRider(a, now);
      if (fa !== this.freeRider(b, now)) return fa ? 1 : -1;
      return waitedFor(b) - waitedFor(a) || b.uploadRate - a.uploadRate;
    });
  }

  #recordSlots(candidates: readonly ChokerPeer[], regular: Set<string>, now: number): void {
    const present = new Set(candidates.map((p) => p.id));
    for (const id of [...this.#slotSince.keys()]) if (!regular.has(id)) this.#slotSince.delete(id);
    for (const id of [...this.#waitingSince.keys()])
      if (!present.has(id) || regular.has(id)) this.#waitingSince.delete(id);
    for (const id of regular) if (!this.#slotSince.has(id)) this.#slotSince.set(id, now);
    for (const id of present)
      if (!regular.has(id) && !this.#waitingSince.has(id)) this.#waitingSince.set(id, now);
  }

  #chooseOptimistic(
    candidates: readonly ChokerPeer[],
    regular: Set<string>,
    now: number,
  ): string | undefined {
    const current = candidates.find((p) => p.id === this.#optimistic);
    // A peer that let the optimistic slot go unused has had its chance.
    if (
      current &&
      !current.wastedSlot &&
      !regular.has(current.id) &&
      now - this.#optimisticSince < this.#o.optimisticMs
    ) {
      return current.id;
    }
    const pool = candidates.filter(
      (p) => !regular.has(p.id) && p.id !== this.#optimistic && !p.wastedSlot,
    );
    const eligible = pool.length > 0 ? pool : candidates.filter((p) => !regular.has(p.id));
    if (eligible.length === 0) {
      this.#optimistic = undefined;
      return undefined;
    }
    const weight = (p: ChokerPeer) =>
      this.freeRider(p, now) ? 0.25 : now - p.connectedAt < this.#o.newPeerMs ? 3 : 1;
    const total = eligible.reduce((s, p) => s + weight(p), 0);
    let r = this.#o.random() * total;
    let chosen = eligible[eligible.length - 1]!;
    for (const p of eligible) {
      r -= weight(p);
      if (r < 0) {
        chosen = p;
        break;
      }
    }
    this.#optimistic = chosen.id;
    this.#optimisticSince = now;
    return chosen.id;
  }
}
