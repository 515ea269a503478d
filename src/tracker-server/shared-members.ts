/**
 * A private tracker's members shared by instances on one Redis (issue 18 on
 * issue 19's store): a passkey added, disabled or rotated on any instance
 * works the same on all, and a member's traffic is the sum of what every
 * instance saw.
 *
 * Each instance keeps its members in its own SQLite file (members.ts), which
 * the announce path, the `users` commands and the admin API read and write
 * synchronously; sync() (every second) brings that copy and Redis's into
 * agreement:
 *   P members       hash  name → the account as JSON (passkey, disabled, canPublish, created)
 *   P members:ver   count bumped on every change: an instance reads the hash only when it moved
 *   P mt: name      hash  'u' .. ih, 'd' .. ih → bytes the member reported for a torrent
 *   P mchg          zset  name .. ih → when its traffic last grew (ms): what sync() copies back
 *   P mb: name ih peer  string  the peer's last report (uploaded downloaded ms), for 3 hours
 * An account changed here (by the `users` commands or the admin API) wins
 * over Redis's; one changed elsewhere is copied in. At an instance's first
 * sync Redis's accounts win (a stale data dir must not undo a rotation).
 *
 * Traffic: announces' reports go to Redis as they are (report()), batched
 * per turn of the event loop, and ACCOUNT_SCRIPT steps them against the
 * peer's last report there, the same rule as member-traffic.ts (growth since
 * the last report, capped at MAX_RATE), so a client announcing to one
 * instance and then another is counted once. The local copy holds the
 * totals, copied back by sync().
 */
import type { Redis } from "ioredis";
import type { Logger } from "../util/index.ts";
import { MAX_RATE } from "./member-traffic.ts";
import type { Member, MemberRecord, MemberStore } from "./members.ts";
import type { TrafficReport } from "./private-access.ts";

/** Reports per script call at most. */
const MAX_BATCH = 500;
/** A peer's last report is forgotten after this (it starts a new baseline). */
const BASELINE_SECONDS = 3 * 3600;
/** Changed traffic is looked up this far back before the last sync (clocks differ a little). */
const CHANGE_SLACK_MS = 10_000;
/** Changes are kept this long for instances to copy (older ones: a full copy at start). */
const CHANGES_KEPT_MS = 3600_000;

/**
 * ARGV: now (ms), max bytes per second, baseline seconds, then per report
 * five strings: member name, info hash .. peer id (40 bytes), uploaded,
 * downloaded, stopped (1|0). Returns how many reports were capped.
 */
const ACCOUNT_SCRIPT = `
local P = KEYS[1]
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local inflated = 0
for j = 4, #ARGV, 5 do
  local name, peer = ARGV[j], ARGV[j + 1]
  local up, down = tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3])
  local k = P .. 'mb:' .. name .. ':' .. peer
  local last = redis.call('GET', k)
  if last then
    local lu, ld, at = string.match(last, '^(%d+) (%d+) (%d+)$')
    lu, ld, at = tonumber(lu), tonumber(ld), tonumber(at)
    local cap = math.floor(math.max(0, now - at) * rate / 1000)
    -- A total that shrank: the client restarted the torrent, counting from zero.
    local du = (up >= lu) and (up - lu) or up
    local dd = (down >= ld) and (down - ld) or down
    if du > cap or dd > cap then inflated = inflated + 1 end
    du, dd = math.min(du, cap), math.min(dd, cap)
    if du > 0 or dd > 0 then
      local ih = string.sub(peer, 1, 20)
      redis.call('HINCRBY', P .. 'mt:' .. name, 'u' .. ih, string.format('%.0f', du))
      redis.call('HINCRBY', P .. 'mt:' .. name, 'd' .. ih, string.format('%.0f', dd))
      redis.call('ZADD', P .. 'mchg', now, name .. ih)
    end
  end
  if ARGV[j + 4] == '1' then
    redis.call('DEL', k)
  else
    redis.call('SET', k, string.format('%.0f %.0f %.0f', up, down, now), 'EX', ttl)
  end
end
return inflated
`;

/**
 * ARGV: since (ms; 0: every member's traffic), then the names of every
 * member (used when since is 0). Returns name, ih, uploaded, downloaded for
 * each pair whose traffic changed since then.
 */
const CHANGES_SCRIPT = `
local P = KEYS[1]
local out = {}
local function pair(name, ih)
  local v = redis.call('HMGET', P .. 'mt:' .. name, 'u' .. ih, 'd' .. ih)
  out[#out + 1] = name
  out[#out + 1] = ih
  out[#out + 1] = v[1] or '0'
  out[#out + 1] = v[2] or '0'
end
if ARGV[1] == '0' then
  for j = 2, #ARGV do
    local all = redis.call('HKEYS', P .. 'mt:' .. ARGV[j])
    for _, f in ipairs(all) do
      if string.sub(f, 1, 1) == 'u' then pair(ARGV[j], string.sub(f, 2)) end
    end
  end
else
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', P .. 'mchg', ARGV[1], '+inf')) do
    pair(string.sub(m, 1, #m - 20), string.sub(m, #m - 19))
  end
end
return out
`;

interface Report {
  name: string;
  /** Info hash and peer id, 40 latin1 chars. */
  peer: string;
  uploaded: number;
  downloaded: number;
  stopped: boolean;
}

interface ScriptedRedis {
  shoalAccount(prefix: string, ...args: (string | number | Buffer)[]): Promise<number>;
  shoalMemberChangesBuffer(
    prefix: string,
    ...args: (string | number | Buffer)[]
  ): Promise<Buffer[]>;
}

function recordJson(r: MemberRecord): string {
  return JSON.stringify({
    passkey: r.passkey,
    disabled: r.disabled,
    canPublish: r.canPublish,
    created: r.created,
  });
}

function parseRecord(name: string, json: string): MemberRecord | undefined {
  try {
    const v = JSON.parse(json) as Partial<MemberRecord>;
    if (typeof v.passkey !== "string" || !/^[0-9a-f]{32}$/.test(v.passkey)) return undefined;
    return {
      name,
      passkey: v.passkey,
      disabled: v.disabled === true,
      canPublish: v.canPublish === true,
      created: Number(v.created) || 0,
    };
  } catch {
    return undefined;
  }
}

export class SharedMembers {
  readonly #redis: Redis & ScriptedRedis;
  readonly #prefix: string;
  readonly #members: MemberStore;
  readonly #logger: Logger;
  readonly #onInflated: (count: number) => void;
  /** Each account as last agreed with Redis (JSON), by name; empty before the first sync. */
  #agreed = new Map<string, string>();
  #version = "";
  /** Wall-clock ms of the last sync that copied traffic back (0: none yet, copy everything). */
  #trafficSince = 0;
  #queue: Report[] = [];
  #flushing = false;
  /** Reports lost since Redis stopped taking them (logged once per outage). */
  #lost = 0;

  constructor(
    redis: Redis,
    prefix: string,
    members: MemberStore,
    logger: Logger,
    onInflated: (count: number) => void,
  ) {
    this.#redis = redis as Redis & ScriptedRedis;
    this.#prefix = prefix;
    this.#members = members;
    this.#logger = logger;
    this.#onInflated = onInflated;
    redis.defineCommand("shoalAccount", { numberOfKeys: 1, lua: ACCOUNT_SCRIPT });
    redis.defineCommand("shoalMemberChanges", { numberOfKeys: 1, lua: CHANGES_SCRIPT });
  }

  /** One announce's report of a member's peer (PrivateAccess.report); sent with the turn's others. */
  report(member: Member, r: TrafficReport): void {
    const n = this.#queue.push({
      name: member.name,
      peer: r.infoHash + r.peerId,
      uploaded: r.uploaded,
      downloaded: r.downloaded,
      stopped: r.stopped,
    });
    if (n === 1 && !this.#flushing) setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        const args: (string | number | Buffer)[] = [Date.now(), MAX_RATE, BASELINE_SECONDS];
        for (const r of batch) {
          args.push(
            r.name,
            Buffer.from(r.peer, "latin1"),
            Math.max(0, Math.floor(r.uploaded)),
            Math.max(0, Math.floor(r.downloaded)),
            r.stopped ? 1 : 0,
          );
        }
        try {
          const inflated = await this.#redis.shoalAccount(this.#prefix, ...args);
          if (inflated > 0) this.#onInflated(inflated);
          if (this.#lost > 0) {
            this.#logger.info("member traffic accounted again", { lost: this.#lost });
            this.#lost = 0;
          }
        } catch (err) {
          // Redis away: these reports are lost (the peers' next reports step from their
          // last ones that Redis took). Said once per outage, not once per batch.
          if (this.#lost === 0) {
            this.#logger.warn("member traffic not accounted: the store is unavailable", {
              err: String((err as Error)?.message),
            });
          }
          this.#lost += batch.length;
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Brings this instance's accounts and Redis's into agreement, then copies traffic totals in. */
  async sync(): Promise<void> {
    const key = `${this.#prefix}members`;
    const first = this.#agreed.size === 0 && this.#version === "";
    const local = new Map<string, MemberRecord>();
    for (const r of this.#members.records()) local.set(r.name, r);
    const changedHere = [...local.values()].filter(
      (r) => this.#agreed.get(r.name) !== recordJson(r),
    );
    const version = String((await this.#redis.get(`${key}:ver`)) ?? "0");
    if (version !== this.#version || first) {
      const remote = await this.#redis.hgetall(key);
      for (const [name, json] of Object.entries(remote)) {
        const mine = local.get(name);
        // Changed here since the last agreement (not at the first sync): this instance's wins.
        if (!first && mine && this.#agreed.get(name) !== recordJson(mine)) continue;
        if (this.#agreed.get(name) === json && mine) continue;
        const record = parseRecord(name, json);
        if (!record) continue;
        if (!mine || recordJson(mine) !== json) this.#members.upsertRecord(record);
        local.set(name, record);
        this.#agreed.set(name, json);
      }
    }
    const pushes: string[] = [];
    for (const r of changedHere) {
      const current = local.get(r.name) as MemberRecord;
      const json = recordJson(current);
      if (this.#agreed.get(r.name) === json) continue;
      pushes.push(r.name, json);
      this.#agreed.set(r.name, json);
    }
    let nextVersion = version;
    if (pushes.length > 0) {
      await this.#redis.hset(key, ...pushes);
      nextVersion = String(await this.#redis.incr(`${key}:ver`));
      this.#logger.debug("members shared", { members: pushes.length / 2 });
    }
    // Our own push moved the version; anything else moving it is read next time.
    this.#version = nextVersion === String(Number(version) + 1) ? nextVersion : version;
    await this.#copyTraffic([...local.keys()]);
  }

  async #copyTraffic(names: string[]): Promise<void> {
    const now = Date.now();
    const since = this.#trafficSince === 0 ? 0 : this.#trafficSince - CHANGE_SLACK_MS;
    const r = await this.#redis.shoalMemberChangesBuffer(
      this.#prefix,
      since,
      ...(since === 0 ? names : []),
    );
    for (let i = 0; i + 3 < r.length; i += 4) {
      this.#members.setTraffic(
        (r[i] as Buffer).toString("utf8"),
        r[i + 1] as Buffer,
        Number((r[i + 2] as Buffer).toString("latin1")),
        Number((r[i + 3] as Buffer).toString("latin1")),
      );
    }
    this.#trafficSince = Math.max(1, now);
    // Old changes are of no use to anyone (every instance syncs every second).
    await this.#redis.zremrangebyscore(`${this.#prefix}mchg`, "-inf", now - CHANGES_KEPT_MS);
  }
}
