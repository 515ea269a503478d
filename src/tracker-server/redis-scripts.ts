/**
 * The Lua scripts behind the Redis swarm store (redis-swarm-store.ts). Each
 * announce is one EVALSHA: put or remove the peer, count a completed
 * download, sample the reply's peers and read the swarm's counts, atomically
 * and in one round trip, so every instance answers every swarm the same way.
 *
 * Layout (P is the key prefix, ih the raw 20-byte info hash, pk a peer's
 * key: its 20-byte peer id and its owner in 6 bytes, peer-owner.ts):
 *   P h: ih    hash   pk → state: #addr4, #addr6 (one byte each), addr4, addr6, left (decimal)
 *   P 4s: ih   set    IPv4 seeders: pk .. addr4 (32 bytes; SRANDMEMBER samples it)
 *   P 4l: ih   set    IPv4 leechers; 6s:, 6l: the same for IPv6 (44 bytes)
 *   P c: ih    hash   s (seeders), l (leechers), d (completed downloads; kept when the swarm empties)
 *   P seen     zset   ih .. pk → last announce (ms): expiry walks it from the oldest
 *   P swarms   set    ih of every swarm with peers
 *   P totals   hash   s, l over all swarms
 *   P torrents hash   ih → the published .torrent (registered-only mode reads it)
 *
 * Keys are built inside the scripts from the prefix (KEYS[1]) and the info
 * hash: the store needs one Redis (or a primary with replicas), not a cluster.
 */

/** Functions shared by the scripts: parse a peer's state, drop a peer. */
const COMMON = `
local P = KEYS[1]
local function parse(state)
  local n4 = string.byte(state, 1)
  local n6 = string.byte(state, 2)
  return string.sub(state, 3, 2 + n4), string.sub(state, 3 + n4, 2 + n4 + n6), string.sub(state, 3 + n4 + n6)
end
local function setkey(fam, seeder, ih)
  if seeder then return P .. fam .. 's:' .. ih end
  return P .. fam .. 'l:' .. ih
end
local function drop(ih, pk, state)
  local a4, a6, left = parse(state)
  local seeder = left == '0'
  if a4 ~= '' then redis.call('SREM', setkey('4', seeder, ih), pk .. a4) end
  if a6 ~= '' then redis.call('SREM', setkey('6', seeder, ih), pk .. a6) end
  redis.call('HDEL', P .. 'h:' .. ih, pk)
  redis.call('ZREM', P .. 'seen', ih .. pk)
  local field = seeder and 's' or 'l'
  redis.call('HINCRBY', P .. 'c:' .. ih, field, -1)
  redis.call('HINCRBY', P .. 'totals', field, -1)
  if redis.call('HLEN', P .. 'h:' .. ih) == 0 then
    redis.call('SREM', P .. 'swarms', ih)
    redis.call('DEL', P .. '4s:' .. ih, P .. '4l:' .. ih, P .. '6s:' .. ih, P .. '6l:' .. ih)
  end
end
`;

/**
 * A batch of announces (every one the tracker read in one turn of its event
 * loop): one script call for all of them, as a call costs Redis and the
 * client more than the few commands each announce makes.
 *
 * ARGV: now (ms), max swarms, max peers per swarm, a random 31-bit number,
 * then one string per announce: ih (20), pk (26), #addr4, #addr6 (a byte
 * each), event (n|c|s), flags (1 leechers only, 2 compact, 4 registered
 * only), first family (4|6), second family (0|4|6), want (2 bytes), addr4,
 * addr6, left (decimal).
 *
 * Returns for each announce { result, was seeder (1|0|-1 not stored),
 * seeders, leechers, completed, peers of the first family, of the second }:
 * addresses concatenated when compact, else whole set members (pk .. addr).
 */
export const ANNOUNCE_SCRIPT = `${COMMON}
local now = tonumber(ARGV[1])
local maxSwarms = tonumber(ARGV[2])
local maxPeers = tonumber(ARGV[3])

-- Up to want peers of one family, never the asker (pk): seeders and leechers
-- in proportion to their numbers (leechers only for a seeder: BEP 3 leaves
-- the choice to the tracker). mine: the asker is in the family's sets.
local function sample(ih, pk, fam, want, lonly, compact, mine, seeder, rnd, out)
  if want <= 0 then return 0 end
  local sk, lk = setkey(fam, true, ih), setkey(fam, false, ih)
  local ns = lonly and 0 or redis.call('SCARD', sk)
  local nl = redis.call('SCARD', lk)
  local n = ns + nl
  if n == 0 then return 0 end
  local members
  if n <= want + 1 then
    members = redis.call('SMEMBERS', lk)
    if ns > 0 then
      for _, m in ipairs(redis.call('SMEMBERS', sk)) do members[#members + 1] = m end
    end
  else
    local ks = math.floor(want * ns / n + 0.5)
    if ks > ns then ks = ns end
    if want - ks > nl then ks = want - nl end
    -- The asker's own set gives one more, as the asker is left out.
    local extraS = (mine and seeder) and 1 or 0
    local extraL = (mine and not seeder) and 1 or 0
    members = {}
    if ks > 0 then members = redis.call('SRANDMEMBER', sk, ks + extraS) end
    for _, m in ipairs(redis.call('SRANDMEMBER', lk, want - ks + extraL)) do members[#members + 1] = m end
  end
  local got = 0
  for _, m in ipairs(members) do
    if string.sub(m, 1, 26) ~= pk then
      got = got + 1
      if compact then out[got] = string.sub(m, 27) else out[got] = m end
    end
  end
  -- One too many (the asker was not among them): drop one at random, not
  -- the last, as SRANDMEMBER returns its choice in the set's hash order.
  while got > want do
    local i = (rnd % got) + 1
    out[i] = out[got]
    out[got] = nil
    got = got - 1
  end
  return got
end

local function announce(b, rnd)
  local ih = string.sub(b, 1, 20)
  local pk = string.sub(b, 21, 46)
  local n4 = string.byte(b, 47)
  local n6 = string.byte(b, 48)
  local event = string.sub(b, 49, 49)
  local flags = string.byte(b, 50)
  local lonly = flags % 2 == 1
  local compact = math.floor(flags / 2) % 2 == 1
  local f1 = string.sub(b, 51, 51)
  local f2 = string.sub(b, 52, 52)
  local want = string.byte(b, 53) * 256 + string.byte(b, 54)
  local a4 = string.sub(b, 55, 54 + n4)
  local a6 = string.sub(b, 55 + n4, 54 + n4 + n6)
  local left = string.sub(b, 55 + n4 + n6)
  local hk = P .. 'h:' .. ih
  local ck = P .. 'c:' .. ih
  if math.floor(flags / 4) % 2 == 1 and redis.call('HEXISTS', P .. 'torrents', ih) == 0 then
    return { 'unregistered' }
  end
  local old = redis.call('HGET', hk, pk)
  local was = -1
  local o4, o6, oleft = '', '', ''
  if old then
    o4, o6, oleft = parse(old)
    was = (oleft == '0') and 1 or 0
  end
  local seeder = left == '0'
  if event == 's' then
    if old then drop(ih, pk, old) end
    local c = redis.call('HMGET', ck, 's', 'l', 'd')
    return { 'removed', was, tonumber(c[1]) or 0, tonumber(c[2]) or 0, tonumber(c[3]) or 0, '', '' }
  end
  local result = 'updated'
  if not old then
    if redis.call('SISMEMBER', P .. 'swarms', ih) == 0 and redis.call('SCARD', P .. 'swarms') >= maxSwarms then
      return { 'too_many_swarms' }
    end
    if redis.call('HLEN', hk) >= maxPeers then result = 'swarm_full' else result = 'added' end
  end
  local stored = result ~= 'swarm_full'
  if stored then
    -- An address not given keeps the one stored (an IPv6 announce keeps the IPv4 entry).
    if n4 == 0 then a4 = o4 end
    if n6 == 0 then a6 = o6 end
    local to = seeder and 's' or 'l'
    if old then
      -- A re-announce from the same address with the same status (most are) moves nothing.
      local oseeder = oleft == '0'
      local moved = oseeder ~= seeder
      if moved or o4 ~= a4 then
        if o4 ~= '' then redis.call('SREM', setkey('4', oseeder, ih), pk .. o4) end
        if a4 ~= '' then redis.call('SADD', setkey('4', seeder, ih), pk .. a4) end
      end
      if moved or o6 ~= a6 then
        if o6 ~= '' then redis.call('SREM', setkey('6', oseeder, ih), pk .. o6) end
        if a6 ~= '' then redis.call('SADD', setkey('6', seeder, ih), pk .. a6) end
      end
      if moved then
        local from = oseeder and 's' or 'l'
        redis.call('HINCRBY', ck, from, -1)
        redis.call('HINCRBY', ck, to, 1)
        redis.call('HINCRBY', P .. 'totals', from, -1)
        redis.call('HINCRBY', P .. 'totals', to, 1)
      end
    else
      redis.call('HINCRBY', ck, to, 1)
      redis.call('HINCRBY', P .. 'totals', to, 1)
      redis.call('SADD', P .. 'swarms', ih)
      if a4 ~= '' then redis.call('SADD', setkey('4', seeder, ih), pk .. a4) end
      if a6 ~= '' then redis.call('SADD', setkey('6', seeder, ih), pk .. a6) end
    end
    local state = string.char(#a4) .. string.char(#a6) .. a4 .. a6 .. left
    if state ~= old then redis.call('HSET', hk, pk, state) end
    redis.call('ZADD', P .. 'seen', now, ih .. pk)
    -- Count a download once: not again from a peer that was already a seeder.
    if event == 'c' and was ~= 1 then redis.call('HINCRBY', ck, 'd', 1) end
  end
  local p1, p2 = {}, {}
  local mine = { ['4'] = stored and a4 ~= '', ['6'] = stored and a6 ~= '' }
  local got = sample(ih, pk, f1, want, lonly, compact, mine[f1], seeder, rnd, p1)
  if f2 ~= '0' then sample(ih, pk, f2, want - got, lonly, compact, mine[f2], seeder, rnd, p2) end
  local c = redis.call('HMGET', ck, 's', 'l', 'd')
  return { result, was, tonumber(c[1]) or 0, tonumber(c[2]) or 0, tonumber(c[3]) or 0, table.concat(p1), table.concat(p2) }
end

local replies = {}
local rnd = tonumber(ARGV[4])
for j = 5, #ARGV do
  replies[#replies + 1] = announce(ARGV[j], rnd)
  rnd = (rnd * 48271) % 2147483647
end
return replies
`;

/**
 * Drops peers last seen at or before ARGV[1] (ms), at most ARGV[2] of them
 * (the caller repeats while a batch comes back full). Returns how many went.
 */
export const EXPIRE_SCRIPT = `${COMMON}
local gone = redis.call('ZRANGEBYSCORE', P .. 'seen', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(gone) do
  local ih = string.sub(m, 1, 20)
  local pk = string.sub(m, 21, 46)
  local state = redis.call('HGET', P .. 'h:' .. ih, pk)
  if state then drop(ih, pk, state) else redis.call('ZREM', P .. 'seen', m) end
end
return #gone
`;

/**
 * ARGV: info hashes (20 bytes each, concatenated). Returns seeders,
 * leechers, completed for each, in order (zeros for an unknown swarm).
 */
export const SCRAPE_SCRIPT = `
local P = KEYS[1]
local bin = ARGV[1]
local out = {}
for i = 1, #bin, 20 do
  local c = redis.call('HMGET', P .. 'c:' .. string.sub(bin, i, i + 19), 's', 'l', 'd')
  out[#out + 1] = tonumber(c[1]) or 0
  out[#out + 1] = tonumber(c[2]) or 0
  out[#out + 1] = tonumber(c[3]) or 0
end
return out
`;

/**
 * ARGV: ih, offset, limit. Returns pk, state, last seen (ms, as text) for
 * each of up to `limit` peers of the swarm from `offset` (operator views).
 */
export const PEERS_SCRIPT = `
local P = KEYS[1]
local ih = ARGV[1]
local all = redis.call('HGETALL', P .. 'h:' .. ih)
local out = {}
local first = tonumber(ARGV[2]) * 2 + 1
local last = math.min(#all, first - 1 + tonumber(ARGV[3]) * 2)
for i = first, last, 2 do
  out[#out + 1] = all[i]
  out[#out + 1] = all[i + 1]
  out[#out + 1] = redis.call('ZSCORE', P .. 'seen', ih .. all[i]) or '0'
end
return out
`;
