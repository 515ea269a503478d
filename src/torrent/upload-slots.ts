/**
 * Who we upload to, and when that is decided: the choke rounds (every 10 s by
 * default; the ranking itself is the Choker's) and what happens between them.
 *
 * Between rounds, a free upload slot goes to an interested peer at once
 * rather than at the next round: upload capacity left idle helps nobody, and
 * choking exists to ration slots that are all taken. The peer that sends us
 * most gets it (ties at random); while we download only a peer that has
 * shared with us (unchoked us or sent us data), or has no piece yet (it
 * could not have shared), gets one, and while we seed
 * likely free-riders (Choker.freeRider) come last. The others wait for the
 * round, which comes within a quarter second once a slot is free for them,
 * and within a second while a round leaves slots free (or, while seeding,
 * leechers waiting for their turn). An
 * unchoked peer that wants nothing more is choked and its slot passed on.
 * So is one that asks for blocks and does not read them: its transport backed
 * up with no write completing for a few seconds (PeerConnection's
 * "upload-stalled"), it is choked at once and waits out of the ranking until
 * its transport drains. Left unchoked, a few such peers hold every slot while
 * our answers sit in their send buffers and honest leechers wait. Likewise a
 * peer unchoked for a few seconds that has asked for nothing (an interested
 * peer that never requests) is choked, and for a while after it gets no slot
 * (SwarmPeer.wastedSlotAt): a slot is for moving data.
 * libtorrent does both (its "preemptive unchoke" of an interested peer while
 * slots are free, and choking a peer that loses interest); it fills free
 * slots without asking whether the peer ever shared.
 */
import { Choker } from "../choker/index.ts";
import type { Clock } from "../util/index.ts";
import type { SwarmPeer } from "./swarm-peer.ts";

/** When the first round runs after start, and the next after a round that left slots free. */
const QUICK_ROUND_MS = 1000;
/**
 * How soon the round comes once a slot is free and a peer waits that the
 * slot cannot go to between rounds (it has not shared with us yet). At a
 * swarm's start every leecher is such a peer to every other: nobody has
 * unchoked anybody, so no upload starts before a round. With the round a
 * second away, bench/swarm.ts's leechers uploaded nothing for the first
 * second after they had pieces to trade (0.6-1.4 s of the whole swarm's
 * capacity lost in the ramp, against T_min = 21.5 s; 0.5 s with this).
 */
const FREE_SLOT_ROUND_MS = 250;
/**
 * Connected this long, a peer that took our data while it had pieces we
 * wanted and never shared back is judged a likely free-rider (Choker): it
 * was a full optimistic period (30 s), longer than bench/swarm.ts's whole
 * download (about 24 s), so its free-rider was never judged and finished
 * with the fair leechers (0.87-1.03 of their mean). A fair peer that got
 * our data unchokes us within a round or two. test/sim, the bench's swarm
 * with a free-rider, seeds 1-2: its time over the fair mean 1.06, 0.79 ->
 * 1.12, 1.06 (T/T_min unchanged).
 */
const FREE_RIDER_MS = 10_000;
/** An unchoked peer that has asked for nothing in this long is not using its slot. */
export const IDLE_SLOT_MS = 3000;

export interface UploadSlotsOptions {
  clock: Clock;
  /** Upload slots, the optimistic one included (default 4). */
  slots?: number;
  /** Time between choke rounds (default 10 s). */
  intervalMs?: number;
  random?: () => number;
  /** The torrent's connected peers. */
  peers: () => Iterable<SwarmPeer>;
  /** Whether we are seeding (nobody can send us anything). */
  seeding: () => boolean;
}

export class UploadSlots {
  readonly #o: UploadSlotsOptions;
  /** Made for the first round: an idle seed never ranks anyone. */
  #chokerMade: Choker | undefined;
  readonly #slots: number;
  readonly #intervalMs: number;
  #timer: ReturnType<Clock["setTimeout"]> | undefined;
  /** Looks for unchoked peers that never asked for anything, while some may be. */
  #idleTimer: ReturnType<Clock["setTimeout"]> | undefined;
  /** Between start() and stop(): rounds run while there are peers. */
  #running = false;
  /** When the next round runs. */
  #roundAt = 0;

  constructor(o: UploadSlotsOptions) {
    this.#o = o;
    this.#slots = o.slots ?? 4;
    this.#intervalMs = o.intervalMs ?? 10_000;
  }

  get #choker(): Choker {
    this.#chokerMade ??= this.#newChoker();
    return this.#chokerMade;
  }

  #newChoker(): Choker {
    // The optimistic unchoke lasts three rounds (30 s with the usual 10 s
    // rounds). A seed's regular slots pass on every second while leechers
    // wait (rounds come that often then): a seed's turn gives a leecher
    // pieces nobody else has yet to trade, and the sooner every leecher has
    // some, the sooner all their uploads are busy. With turns of a round
    // (10 s) half the leechers sat with little anyone wanted for the first
    // 10 s. test/sim, T/T_min for seeds 1-3 (10 s turns -> 1 s turns): 20
    // leechers of 64 MiB with uplink caps 1.55-1.60 -> 1.16-1.22; 8 with
    // client caps 1.12-1.17 -> 1.07; 8 of 256 MiB at 20/10 MB/s, seeds 1-6,
    // mean 1.120 -> 1.117. (3 s turns: 1.38-1.42 for the 20.)
    const chokerOptions: ConstructorParameters<typeof Choker>[0] = {
      slots: this.#slots,
      optimisticMs: 3 * this.#intervalMs,
      freeRiderMs: Math.min(3 * this.#intervalMs, FREE_RIDER_MS),
      seedRotationMs: Math.min(this.#intervalMs, QUICK_ROUND_MS),
    };
    if (this.#o.random) chokerOptions.random = this.#o.random;
    return new Choker(chokerOptions);
  }

  /** The peer holding the optimistic unchoke, if any. */
  get optimistic(): string | undefined {
    return this.#chokerMade?.optimistic;
  }

  /**
   * Starts the rounds (the first comes soon). A torrent without peers has
   * nobody to choke or unchoke: its rounds wait for the first one
   * (peerJoined), so a thousand idle seeds cost no timer a second.
   */
  start(): void {
    this.stop();
    this.#running = true;
    if (this.#hasPeers()) this.#schedule(true);
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#idleTimer) this.#o.clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** A peer finished its handshake: the rounds run again if they rested. */
  peerJoined(): void {
    if (this.#running && !this.#timer) this.#schedule(true);
  }

  /** A peer became interested: a free slot may be its. */
  onInterested(): void {
    if (this.#running) this.#fillFreeSlots();
  }

  onNotInterested(peer: SwarmPeer): void {
    if (peer.conn.amChoking) return;
    peer.conn.choke();
    if (this.#running) this.#fillFreeSlots();
  }

  /** The peer stopped reading what we send: its slot goes to a peer that will. */
  onUploadStalled(peer: SwarmPeer): void {
    if (peer.conn.amChoking) return;
    peer.conn.choke();
    if (this.#running) this.#fillFreeSlots();
  }

  #unchoke(p: SwarmPeer): void {
    if (!p.conn.amChoking) return;
    p.conn.unchoke();
    p.unchokedAt = this.#o.clock.now();
    this.#idleTimer ??= this.#o.clock.setTimeout(() => this.#chokeIdle(), IDLE_SLOT_MS);
  }

  /** Chokes the peers unchoked for IDLE_SLOT_MS that asked for nothing since; their slots go on. */
  #chokeIdle(): void {
    this.#idleTimer = undefined;
    const now = this.#o.clock.now();
    let freed = false;
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.#o.peers()) {
      const since = p.unchokedAt;
      if (p.conn.amChoking || since === undefined) continue;
      if ((p.lastRequestAt ?? Number.NEGATIVE_INFINITY) >= since || p.conn.stats.peerRequests > 0)
        continue;
      if (now - since < IDLE_SLOT_MS) {
        next = Math.min(next, since + IDLE_SLOT_MS);
        continue;
      }
      p.wastedSlotAt = now;
      p.conn.choke();
      freed = true;
    }
    if (next < Number.POSITIVE_INFINITY)
      this.#idleTimer = this.#o.clock.setTimeout(() => this.#chokeIdle(), next - now);
    if (freed && this.#running) this.#fillFreeSlots();
  }

  #hasPeers(): boolean {
    for (const _ of this.#o.peers()) return true;
    return false;
  }

  /** The next round in `ms` (at most the interval): QUICK_ROUND_MS, or sooner for a waiting peer. */
  #schedule(soon: boolean, ms = QUICK_ROUND_MS): void {
    const delay = soon ? Math.min(this.#intervalMs, ms) : this.#intervalMs;
    this.#roundAt = this.#o.clock.now() + delay;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      const settled = this.#round();
      // The last peer gone: rest until the next one comes (peerJoined).
      if (this.#hasPeers()) this.#schedule(!settled);
    }, delay);
  }

  /**
   * Runs a choke round; true when the next may wait a full interval: every
   * slot is taken and, while seeding, no leecher waits for its turn.
   */
  #round(): boolean {
    const peers = [...this.#o.peers()];
    const now = this.#o.clock.now();
    const views = peers.filter((p) => p.conn.ready).map((p) => p.chokerView(now));
    const seeding = this.#o.seeding();
    const decision = this.#choker.decide(views, now, seeding);
    for (const p of peers) {
      if (decision.unchoke.has(p.id)) this.#unchoke(p);
      else p.conn.choke();
    }
    const waiting =
      seeding &&
      views.some((v) => v.peerInterested && !v.uploadStalled && !decision.unchoke.has(v.id));
    return decision.unchoke.size >= this.#slots && !waiting;
  }

  #fillFreeSlots(): void {
    let unchoked = 0;
    const now = this.#o.clock.now();
    const waiting: SwarmPeer[] = [];
    for (const p of this.#o.peers()) {
      if (!p.conn.amChoking) unchoked++;
      else if (p.conn.peerInterested && p.conn.ready && !p.conn.uploadStalled && !p.wastedSlot(now))
        waiting.push(p);
    }
    if (unchoked >= this.#slots || waiting.length === 0) return;
    const random = this.#o.random ?? Math.random;
    const seeding = this.#o.seeding();
    const ranked = waiting.map((p) => {
      const view = p.chokerView(now);
      return {
        p,
        rider: this.#choker.freeRider(view, now),
        shared: view.reciprocated === true,
        // Bytes/s, plus less than one to break ties at random.
        key: view.downloadRate + random(),
      };
    });
    // A peer with no piece yet could not have shared with anyone: it gets a
    // free slot at once too (at a swarm's start that is every leecher).
    const eligible = seeding ? ranked : ranked.filter((r) => r.shared || r.p.have.isEmpty());
    eligible.sort((a, b) => Number(a.rider) - Number(b.rider) || b.key - a.key);
    for (const { p } of eligible.slice(0, this.#slots - unchoked)) this.#unchoke(p);
    // Slots still free while others wait: their round comes soon, not up to
    // a full interval later. (A slot freed by a peer that lost interest in a
    // leecher that fell behind left its upload half idle for the rest of the
    // interval.)
    if (unchoked + eligible.length < this.#slots && this.#timer) {
      const soon = Math.min(this.#intervalMs, FREE_SLOT_ROUND_MS);
      if (this.#roundAt - this.#o.clock.now() > soon) {
        this.#o.clock.clearTimeout(this.#timer);
        this.#schedule(true, FREE_SLOT_ROUND_MS);
      }
    }
  }
}
