/**
 * The Client's side of managing many torrents (issue 16): queue limits and
 * seeding goals for the session, and per torrent its queue place, labels
 * and own goals; every change live and kept with the session. The Client
 * holds one of these as `client.managed`.
 */
import type { Clock } from "../util/index.ts";
import type { ClientOptions } from "./client-options.ts";
import type { SessionEvent } from "./dto.ts";
import { ClientError } from "./errors.ts";
import {
  DEFAULT_MANAGE_SETTINGS,
  type ManagedState,
  type ManageSettings,
  TorrentManager,
} from "./manager.ts";
import { moveInQueue, type QueueMove } from "./queue.ts";
import type { TorrentEntry } from "./registry.ts";
import type { TorrentGoals } from "./seeding-goals.ts";
import type { SessionSettings } from "./session-store.ts";

export interface ManagedClientHost {
  entries(): readonly TorrentEntry[];
  /** The entry, or ClientError `unknown_torrent`. */
  entry(infoHashHex: string): TorrentEntry;
  /** Pauses as the user would (kept paused across restarts). */
  pause(infoHashHex: string): Promise<void>;
  emit(event: SessionEvent): void;
  /** Something the session file keeps changed: written soon. */
  changed(): void;
  /** Writes the session file now. */
  save(): Promise<void>;
}

/** Named limits on labels, as they come from front ends. */
export const MAX_LABELS = 32;
export const MAX_LABEL_LENGTH = 128;

const SETTING_KEYS = Object.keys(DEFAULT_MANAGE_SETTINGS) as (keyof ManageSettings)[];

function given(o: ClientOptions): Partial<ManageSettings> {
  const out: Partial<ManageSettings> = {};
  if (o.maxActiveDownloads !== undefined) out.maxActiveDownloads = o.maxActiveDownloads;
  if (o.maxActiveSeeds !== undefined) out.maxActiveSeeds = o.maxActiveSeeds;
  if (o.stalledMinutes !== undefined) out.stalledMinutes = o.stalledMinutes;
  if (o.ratioLimit !== undefined) out.ratioLimit = o.ratioLimit;
  if (o.idleSeedingLimitMinutes !== undefined) out.idleLimitMinutes = o.idleSeedingLimitMinutes;
  return out;
}

function badSetting(message: string): never {
  throw new ClientError("bad_setting", message);
}

function checkNumber(key: string, value: unknown, whole: boolean): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (whole && !Number.isSafeInteger(value))
  ) {
    badSetting(
      `${key}: ${JSON.stringify(value)} is not ${whole ? "a whole number" : "a number"} ≥ 0 (0: none)`,
    );
  }
  return value;
}

export class ManagedClient {
  readonly #host: ManagedClientHost;
  readonly #manager: TorrentManager;
  readonly #given: Partial<ManageSettings>;

  constructor(o: ClientOptions, clock: Clock, host: ManagedClientHost) {
    this.#host = host;
    this.#given = given(o);
    for (const [key, value] of Object.entries(this.#given))
      checkNumber(key, value, key !== "ratioLimit");
    this.#manager = new TorrentManager(
      {
        entries: () => host.entries(),
        start: (e) => e.torrent.start(),
        wait: (e) => void e.torrent.pause(),
        reached: (e, reason) => {
          void host.pause(e.infoHashHex).then(
            () =>
              host.emit({
                type: "finished",
                id: e.id,
                infoHash: e.infoHashHex,
                name: e.torrent.name,
                reason,
              }),
            () => {},
          );
        },
      },
      clock,
      this.#given,
    );
  }

  // ---- for the Client ------------------------------------------------------------

  newState(saved: Partial<ManagedState>): ManagedState {
    return this.#manager.newState(saved);
  }

  /**
   * The user wants it running: now, or when its turn in the queue comes
   * (with `defer`, the queue is left to decide at the next released() or tick).
   */
  schedule(entry: TorrentEntry, defer = false): void {
    this.#manager.schedule(entry, defer);
  }

  /** A torrent was paused or removed: the next in the queue may run. */
  released(): void {
    this.#manager.goalsChanged();
    this.#manager.apply();
  }

  tick(): void {
    this.#manager.tick();
  }

  /** The persisted session's settings, where none were given when the client started. */
  restoreSettings(saved: SessionSettings): void {
    const next = { ...this.#manager.settings };
    for (const key of SETTING_KEYS) {
      const v = saved[key];
      if (this.#given[key] === undefined && v !== undefined) next[key] = v;
    }
    this.#manager.settings = next;
  }

  // ---- for front ends ------------------------------------------------------------

  settings(): ManageSettings {
    return { ...this.#manager.settings };
  }

  /** Changes queue limits and seeding goals live; kept with the session. ClientError `bad_setting`. */
  async setSettings(changes: Partial<ManageSettings>): Promise<ManageSettings> {
    const next = { ...this.#manager.settings };
    for (const [key, value] of Object.entries(changes)) {
      if (!SETTING_KEYS.includes(key as keyof ManageSettings)) {
        badSetting(`'${key}' is not a queue or seeding setting (${SETTING_KEYS.join(", ")})`);
      }
      if (value === undefined) continue;
      next[key as keyof ManageSettings] = checkNumber(key, value, key !== "ratioLimit");
    }
    this.#manager.settings = next;
    this.#manager.apply();
    await this.#host.save();
    return this.settings();
  }

  /** The queue order, first first (info hashes). */
  queue(): string[] {
    return this.#manager.order();
  }

  /** Moves a torrent in the queue: to a place (0 first) or a step; the queues follow. */
  async move(infoHashHex: string, to: number | QueueMove): Promise<void> {
    const entry = this.#host.entry(infoHashHex);
    if (typeof to === "number" && !(Number.isSafeInteger(to) && to >= 0)) {
      badSetting(`queue position: ${to} is not a whole number ≥ 0`);
    }
    this.#manager.reorder(moveInQueue(this.#manager.order(), entry.infoHashHex, to));
    await this.#host.save();
  }

  /** Replaces a torrent's labels (trimmed, without duplicates; none clears them). */
  async setLabels(infoHashHex: string, labels: readonly string[]): Promise<void> {
    const entry = this.#host.entry(infoHashHex);
    entry.manage.labels = checkLabels(labels);
    await this.#host.save();
  }

  /** A torrent's own seeding goals: a number, null for none, undefined for the session's. */
  async setSeedingGoals(infoHashHex: string, goals: TorrentGoals): Promise<void> {
    const entry = this.#host.entry(infoHashHex);
    const next: TorrentGoals = { ...entry.manage.goals };
    for (const key of ["ratioLimit", "idleLimitMinutes"] as const) {
      if (!(key in goals)) continue;
      const v = goals[key];
      if (v === undefined) delete next[key];
      else next[key] = v === null ? null : checkNumber(key, v, key !== "ratioLimit");
    }
    entry.manage.goals = next;
    this.#manager.goalsChanged();
    await this.#host.save();
  }

  /** Every label in use, sorted. */
  labels(): string[] {
    const all = new Set<string>();
    for (const e of this.#host.entries()) for (const l of e.manage.labels) all.add(l);
    return [...all].sort();
  }
}

export function checkLabels(labels: readonly unknown[]): string[] {
  if (!Array.isArray(labels)) badSetting("labels: give a list of labels");
  const out: string[] = [];
  for (const raw of labels) {
    if (typeof raw !== "string") badSetting(`labels: ${JSON.stringify(raw)} is not text`);
    const label = raw.trim();
    if (label === "" || label.length > MAX_LABEL_LENGTH || /[\u0000-\u001f\u007f]/.test(label)) {
      badSetting(
        `labels: '${label.slice(0, 40)}' is not a label (1 to ${MAX_LABEL_LENGTH} printable characters)`,
      );
    }
    if (!out.includes(label)) out.push(label);
  }
  if (out.length > MAX_LABELS) badSetting(`labels: at most ${MAX_LABELS}`);
  return out;
}
