/**
 * The Lua scripts behind the Redis swarm store (redis-swarm-store.ts): the
 * helpers every script shares (COMMON), expiry, scrape and the operator's
 * peer lists. Each batch of announces is one call of the announce code
 * (redis-announce-script.ts, a Redis 7 function or a script): put or remove
 * each peer, count a completed download, sample the reply's peers and read
 * the swarm's counts, atomically and in one round trip, so every instance
 * answers every swarm the same way.
 *
 * Layout (P is the key prefix, ih the raw 20-byte info hash, pk a peer's
 * key: its 20-byte peer id and its owner in 6 bytes, peer-owner.ts):
 *   P p: ih    hash    pk → state: #addr4, #addr6 (a byte each), addr4, addr6,
 *                      slot4, slot6 (4 bytes each), left (decimal);
 *                      '#' → the swarm's counts: seeders, leechers, completed, then the
 *                      slots in use of 4s, 4l, 6s, 6l: 7 big-endian 32-bit numbers
 *                      (kept when the swarm empties, for completed; read with
 *                      the asker's state and a small swarm's lists, one HMGET);
 *                      '4s' → the compact entries (BEP 23, 6 bytes) of the IPv4
 *                      seeders, one slot each, while they are at most 10;
 *                      '4l' the leechers; '6s', '6l' IPv6 (18 bytes, at most 3)
 *   P c4s: ih  string  a list past that: c4s:, c4l:, c6s:, c6l:
 *   P k4s: ih  string  the keys (pk, 26 bytes) of the same slots; k4l:, k6s:, k6l:
 *   P seen     zset    ih .. pk → last announce (ms): expiry walks it from the oldest
 *   P live     set     ih of every swarm with peers
 *   P sum      hash    s, l over all swarms
 *   P torrents hash    ih → the published .torrent (registered-only mode reads it)
 *
 * Why compact strings: a reply's peers are a slice of them (one GETRANGE, or
 * two where the window wraps), so sampling costs O(numwant) bytes and no
 * Lua string per peer; a set would cost a command per family and class and
 * a Lua string per member. Slots stay dense: a peer that leaves gives its
 * slot to the last one (whose state's slot is rewritten). Bytes past the
 * slots in use are stale; they are cut when they outgrow the slots in use.
 *
 * Keys are built inside the scripts from the prefix (KEYS[1]) and the info
 * hash: the store needs one Redis (or a primary with replicas), not a cluster.
 */

/** Functions shared by the scripts: states, counts, slots, dropping a peer. */
export const COMMON = `
-- The key prefix: set by each script (KEYS[1]) or function call before use.
local P
local WIDTH = { ['4'] = 6, ['6'] = 18 }
local KEY = 26
-- Index in the counts of each list's slots in use.
local SLOTS = { ['4s'] = 4, ['4l'] = 5, ['6s'] = 6, ['6l'] = 7 }
local COUNTS = '>I4I4I4I4I4I4I4'

-- A state's fixed part by its address lengths (an IPv4 address, an IPv6 one,
-- or both), read in one unpack; any other lengths the general way.
local STATE_FORMATS = { [6 * 32] = '>c6I4I4', [18] = '>c18I4I4', [6 * 32 + 18] = '>c6c18I4I4' }
local function parse(state)
  local n4, n6 = string.byte(state, 1, 2)
  local f = STATE_FORMATS[n4 * 32 + n6]
  if f then
    -- x, y, z (, w): the addresses there are, then the two slots, then where left starts.
    local x, y, z, w, at = struct.unpack(f, state, 3)
    if n6 == 0 then return x, '', y, z, string.sub(state, w) end
    if n4 == 0 then return '', x, y, z, string.sub(state, w) end
    return x, y, z, w, string.sub(state, at)
  end
  local i4, i6 = struct.unpack('>I4I4', state, 3 + n4 + n6)
  return string.sub(state, 3, 2 + n4), string.sub(state, 3 + n4, 2 + n4 + n6), i4, i6, string.sub(state, 11 + n4 + n6)
end
local function pack(a4, a6, i4, i6, left)
  return string.char(#a4, #a6) .. a4 .. a6 .. struct.pack('>I4I4', i4, i6) .. left
end

local function unpackCounts(s)
  if not s then return { 0, 0, 0, 0, 0, 0, 0 } end
  local c = { struct.unpack(COUNTS, s) }
  c[8] = nil
  return c
end
local function counts(ih)
  return unpackCounts(redis.call('HGET', P .. 'p:' .. ih, '#'))
end
local function saveCounts(ih, c)
  redis.call('HSET', P .. 'p:' .. ih, '#', struct.pack(COUNTS, c[1], c[2], c[3], c[4], c[5], c[6], c[7]))
end

-- A small list (up to SMALL slots: 60 bytes of IPv4 entries, 54 of IPv6)
-- lives in its swarm's hash, as the field named after it ('4s', '4l', '6s',
-- '6l'), so that a re-announce reads its state, its swarm's counts and a
-- small swarm's peers with one HMGET, not two more key names and two GETs.
-- Values of at most 64 bytes keep the hash in Redis's compact encoding
-- (listpack, hash-max-listpack-value's default). A larger list is a string
-- of its own (c<list>:ih), where its slots are written in place (SETRANGE).
-- Which one holds a list follows from its slots in use alone.
local SMALL = { ['4'] = 10, ['6'] = 3 }

-- s with the entry at slot i (w bytes) replaced by e ('' for the last slot:
-- cut there), cut to n slots.
local function splice(s, w, i, e, n)
  if e == '' then return string.sub(s, 1, n * w) end
  return string.sub(s, 1, i * w) .. e .. string.sub(s, (i + 1) * w + 1, n * w)
end

-- Writes addr in slot i of a list of n slots in use.
local function setSlot(ih, list, n, i, addr)
  if n <= SMALL[string.sub(list, 1, 1)] then
    local hk = P .. 'p:' .. ih
    redis.call('HSET', hk, list, splice(redis.call('HGET', hk, list) or '', #addr, i, addr, n))
  else
    redis.call('SETRANGE', P .. 'c' .. list .. ':' .. ih, i * #addr, addr)
  end
end

-- Puts a peer in the last slot of a list; returns the slot.
local function place(ih, c, list, pk, addr)
  local j = SLOTS[list]
  local n = c[j]
  local small = SMALL[string.sub(list, 1, 1)]
  if n < small then
    local hk = P .. 'p:' .. ih
    redis.call('HSET', hk, list, string.sub(redis.call('HGET', hk, list) or '', 1, n * #addr) .. addr)
  elseif n == small then
    -- It outgrows the hash: a string of its own from now on.
    local hk = P .. 'p:' .. ih
    redis.call('SET', P .. 'c' .. list .. ':' .. ih, (redis.call('HGET', hk, list) or '') .. addr)
    redis.call('HDEL', hk, list)
  else
    redis.call('SETRANGE', P .. 'c' .. list .. ':' .. ih, n * #addr, addr)
  end
  redis.call('SETRANGE', P .. 'k' .. list .. ':' .. ih, n * KEY, pk)
  c[j] = n + 1
  return n
end

-- Frees slot i of a list: the last slot's peer moves into it.
local function unplace(ih, c, list, i)
  local j = SLOTS[list]
  local n = c[j]
  local last = n - 1
  local w = WIDTH[string.sub(list, 1, 1)]
  local small = SMALL[string.sub(list, 1, 1)]
  local hk = P .. 'p:' .. ih
  local ak, kk = P .. 'c' .. list .. ':' .. ih, P .. 'k' .. list .. ':' .. ih
  c[j] = last
  if last <= 0 then
    if n <= small then
      redis.call('HDEL', hk, list)
      redis.call('DEL', kk)
    else
      redis.call('DEL', ak, kk)
    end
    return
  end
  if n <= small + 1 then
    -- The list is (or becomes) a field of the swarm's hash.
    local s
    if n <= small then s = redis.call('HGET', hk, list) or '' else s = redis.call('GET', ak) or '' end
    local e = ''
    if i ~= last then e = string.sub(s, last * w + 1, last * w + w) end
    redis.call('HSET', hk, list, splice(s, w, i, e, last))
    if n > small then redis.call('DEL', ak) end
  elseif i ~= last then
    redis.call('SETRANGE', ak, i * w, redis.call('GETRANGE', ak, last * w, last * w + w - 1))
  end
  if i ~= last then
    local mpk = redis.call('GETRANGE', kk, last * KEY, last * KEY + KEY - 1)
    redis.call('SETRANGE', kk, i * KEY, mpk)
    local moved = redis.call('HGET', hk, mpk)
    if moved then
      local a4, a6, i4, i6, left = parse(moved)
      if w == 6 then i4 = i else i6 = i end
      redis.call('HSET', hk, mpk, pack(a4, a6, i4, i6, left))
    end
  end
  -- Stale bytes past the slots: cut once they are as many as the slots in use.
  if redis.call('STRLEN', kk) > 2 * KEY * (last + 32) then
    if last > small then redis.call('SET', ak, redis.call('GETRANGE', ak, 0, last * w - 1)) end
    redis.call('SET', kk, redis.call('GETRANGE', kk, 0, last * KEY - 1))
  end
end

local function drop(ih, pk, state, c)
  local a4, a6, i4, i6, left = parse(state)
  local cls = (left == '0') and 's' or 'l'
  redis.call('HDEL', P .. 'p:' .. ih, pk)
  if a4 ~= '' then unplace(ih, c, '4' .. cls, i4) end
  if a6 ~= '' then unplace(ih, c, '6' .. cls, i6) end
  redis.call('ZREM', P .. 'seen', ih .. pk)
  local f = (cls == 's') and 1 or 2
  c[f] = c[f] - 1
  redis.call('HINCRBY', P .. 'sum', cls, -1)
  if c[1] + c[2] <= 0 then redis.call('SREM', P .. 'live', ih) end
end
`;

/**
 * Drops peers last seen at or before ARGV[1] (ms), at most ARGV[2] of them
 * (the caller repeats while a batch comes back full). Returns how many went.
 */
export const EXPIRE_SCRIPT = `${COMMON}
P = KEYS[1]
local gone = redis.call('ZRANGEBYSCORE', P .. 'seen', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local changed = {}
for _, m in ipairs(gone) do
  local ih = string.sub(m, 1, 20)
  local pk = string.sub(m, 21, 46)
  local state = redis.call('HGET', P .. 'p:' .. ih, pk)
  if state then
    local c = changed[ih] or counts(ih)
    changed[ih] = c
    drop(ih, pk, state, c)
  else
    redis.call('ZREM', P .. 'seen', m)
  end
end
for ih, c in pairs(changed) do saveCounts(ih, c) end
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
  local s = redis.call('HGET', P .. 'p:' .. string.sub(bin, i, i + 19), '#')
  local seeders, leechers, completed = 0, 0, 0
  if s then seeders, leechers, completed = struct.unpack('>I4I4I4', s) end
  out[#out + 1] = seeders
  out[#out + 1] = leechers
  out[#out + 1] = completed
end
return out
`;

/**
 * ARGV: ih, offset, limit. Returns pk, state (#addr4, #addr6, addr4, addr6,
 * left: without the slots), last seen (ms, as text) for each of up to
 * `limit` peers of the swarm from `offset` (operator views).
 */
export const PEERS_SCRIPT = `${COMMON}
P = KEYS[1]
local ih = ARGV[1]
local all = {}
local fields = redis.call('HGETALL', P .. 'p:' .. ih)
for i = 1, #fields, 2 do
  if #fields[i] == KEY then
    all[#all + 1] = fields[i]
    all[#all + 1] = fields[i + 1]
  end
end
local out = {}
local first = tonumber(ARGV[2]) * 2 + 1
local last = math.min(#all, first - 1 + tonumber(ARGV[3]) * 2)
for i = first, last, 2 do
  local a4, a6, _, _, left = parse(all[i + 1])
  out[#out + 1] = all[i]
  out[#out + 1] = string.char(#a4, #a6) .. a4 .. a6 .. left
  out[#out + 1] = redis.call('ZSCORE', P .. 'seen', ih .. all[i]) or '0'
end
return out
`;
