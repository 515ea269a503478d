/**
 * The Lua scripts behind the Redis swarm store (redis-swarm-store.ts). Each
 * batch of announces is one EVALSHA: put or remove each peer, count a
 * completed download, sample the reply's peers and read the swarm's counts,
 * atomically and in one round trip, so every instance answers every swarm
 * the same way.
 *
 * Layout (P is the key prefix, ih the raw 20-byte info hash, pk a peer's
 * key: its 20-byte peer id and its owner in 6 bytes, peer-owner.ts):
 *   P p: ih    hash    pk → state: #addr4, #addr6 (a byte each), addr4, addr6,
 *                      slot4, slot6 (4 bytes each), left (decimal);
 *                      '#' → the swarm's counts: seeders, leechers, completed, then the
 *                      slots in use of 4s, 4l, 6s, 6l: 7 big-endian 32-bit numbers
 *                      (kept when the swarm empties, for completed; read with
 *                      the asker's state in one HMGET)
 *   P c4s: ih  string  the compact entries (BEP 23, 6 bytes) of the IPv4
 *                      seeders, one slot each; c4l: the leechers; c6s:, c6l: IPv6 (18 bytes)
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
const COMMON = `
local P = KEYS[1]
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

-- Puts a peer in the last slot of a list; returns the slot.
local function place(ih, c, list, pk, addr)
  local j = SLOTS[list]
  local n = c[j]
  redis.call('SETRANGE', P .. 'c' .. list .. ':' .. ih, n * #addr, addr)
  redis.call('SETRANGE', P .. 'k' .. list .. ':' .. ih, n * KEY, pk)
  c[j] = n + 1
  return n
end

-- Frees slot i of a list: the last slot's peer moves into it.
local function unplace(ih, c, list, i)
  local j = SLOTS[list]
  local last = c[j] - 1
  local w = WIDTH[string.sub(list, 1, 1)]
  local ak, kk = P .. 'c' .. list .. ':' .. ih, P .. 'k' .. list .. ':' .. ih
  c[j] = last
  if last <= 0 then
    redis.call('DEL', ak, kk)
    return
  end
  if i ~= last then
    local mpk = redis.call('GETRANGE', kk, last * KEY, last * KEY + KEY - 1)
    redis.call('SETRANGE', ak, i * w, redis.call('GETRANGE', ak, last * w, last * w + w - 1))
    redis.call('SETRANGE', kk, i * KEY, mpk)
    local hk = P .. 'p:' .. ih
    local moved = redis.call('HGET', hk, mpk)
    if moved then
      local a4, a6, i4, i6, left = parse(moved)
      if w == 6 then i4 = i else i6 = i end
      redis.call('HSET', hk, mpk, pack(a4, a6, i4, i6, left))
    end
  end
  -- Stale bytes past the slots: cut once they are as many as the slots in use.
  if redis.call('STRLEN', kk) > 2 * KEY * (last + 32) then
    redis.call('SET', ak, redis.call('GETRANGE', ak, 0, last * w - 1))
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
 * A batch of announces (every one the tracker read in one turn of its event
 * loop): one script call for all of them, as a call costs Redis and the
 * client more than the few commands each announce makes.
 *
 * ARGV: now (ms), max swarms, max peers per swarm, a random 31-bit number,
 * then the announces in one string, each its length (a byte) and: ih (20),
 * pk (26), #addr4, #addr6 (a byte each), event (n|c|s), flags (1 leechers
 * only, 2 compact, 4 registered only), first family (4|6), second family
 * (0|4|6), want (2 bytes), addr4, addr6, left (decimal).
 *
 * Returns one string, for each announce: result (a byte: a added, u updated,
 * f swarm full, t too many swarms, r removed, x unregistered), was a seeder
 * (a byte: 1, 0, or 2 not stored), seeders, leechers, completed, the lengths
 * of the two families' peers (big-endian 32-bit numbers), then the peers:
 * compact entries, or (dictionary form) pk .. entry for each.
 */
export const ANNOUNCE_SCRIPT = `${COMMON}
local now = ARGV[1]
local maxSwarms = tonumber(ARGV[2])
local maxPeers = tonumber(ARGV[3])
-- Built once per call, not once per announce (a Lua string made is a string hashed).
local KP = P .. 'p:'
local SEEN = P .. 'seen'
local SLOT_S = { ['4'] = SLOTS['4s'], ['6'] = SLOTS['6s'] }
local SLOT_L = { ['4'] = SLOTS['4l'], ['6'] = SLOTS['6l'] }
local CS = { ['4'] = P .. 'c4s:', ['6'] = P .. 'c6s:' }
local CL = { ['4'] = P .. 'c4l:', ['6'] = P .. 'c6l:' }
local KS = { ['4'] = P .. 'k4s:', ['6'] = P .. 'k6s:' }
local KL = { ['4'] = P .. 'k4l:', ['6'] = P .. 'k6l:' }
-- The swarm's counts of the announce being read (one table for the call:
-- nothing keeps them past their announce).
local C = { 0, 0, 0, 0, 0, 0, 0 }

-- Reads the slots [first, first + m) of a list of n slots (wrapping round)
-- from one of its strings, entries of w bytes, without the one at window
-- position cut (0-based; -1: none).
local function read(key, w, n, first, m, cut)
  local s
  if first == 0 and m == n then
    -- The whole list (most swarms are small): a GET, cut at the slots in use
    -- and without the asker's, costs Redis less than a GETRANGE, whose
    -- offsets it would format as text.
    s = redis.call('GET', key) or ''
    if cut >= 0 then return string.sub(s, 1, cut * w) .. string.sub(s, (cut + 1) * w + 1, n * w) end
    if #s > n * w then s = string.sub(s, 1, n * w) end
    return s
  elseif first + m <= n then
    s = redis.call('GETRANGE', key, first * w, (first + m) * w - 1)
  else
    s = redis.call('GETRANGE', key, first * w, n * w - 1) .. redis.call('GETRANGE', key, 0, (first + m - n) * w - 1)
  end
  if cut >= 0 then s = string.sub(s, 1, cut * w) .. string.sub(s, (cut + 1) * w + 1) end
  return s
end

-- Up to k peers of a list of n slots (entries of w bytes in the string at
-- key, their peers' keys at kprefix .. ih), never slot me (-1: the asker is
-- not in it): every one when k covers them, else a window of consecutive
-- slots from a random one (slots are in no meaningful order: joins and
-- departures shuffle them). Returns how many, and their compact entries (or
-- pk .. entry for each) as one string.
local function take(key, kprefix, ih, w, n, k, me, rnd, compact)
  local avail = (me >= 0) and (n - 1) or n
  if k <= 0 or avail <= 0 then return 0, '' end
  local first, m, cut = 0, n, me
  if k < avail then
    m = (me >= 0) and (k + 1) or k
    first = rnd % n
    cut = -1
    if me >= 0 then
      cut = (me - first) % n
      -- The asker is not in the window: the window's last entry is one too many.
      if cut >= m then cut = m - 1 end
    end
  end
  local addrs = read(key, w, n, first, m, cut)
  local got = #addrs / w
  if compact then return got, addrs end
  local keys = read(kprefix .. ih, KEY, n, first, m, cut)
  local out = {}
  for i = 0, got - 1 do
    out[#out + 1] = string.sub(keys, i * KEY + 1, (i + 1) * KEY) .. string.sub(addrs, i * w + 1, (i + 1) * w)
  end
  return got, table.concat(out)
end

-- Up to want peers of one family, never the asker: seeders and leechers in
-- proportion to their numbers (leechers only for a seeder: BEP 3 leaves the
-- choice to the tracker). slot: the asker's slot in the family's list of its
-- class (-1: not in it). Returns how many, and their entries as one string.
local function sample(ih, c, fam, want, lonly, compact, slot, seeder, rnd)
  if want <= 0 then return 0, '' end
  local ns = lonly and 0 or c[SLOT_S[fam]]
  local nl = c[SLOT_L[fam]]
  local meS = seeder and slot or -1
  local meL = seeder and -1 or slot
  local availS = (meS >= 0) and (ns - 1) or ns
  local availL = (meL >= 0) and (nl - 1) or nl
  if availS < 0 then availS = 0 end
  if availL < 0 then availL = 0 end
  local avail = availS + availL
  if avail == 0 then return 0, '' end
  if want >= avail and compact and ns > 0 and nl > 0 then
    -- Every peer of both classes (most swarms are small): both lists in one
    -- MGET, cut at their slots in use.
    local w = WIDTH[fam]
    local both = redis.call('MGET', CL[fam] .. ih, CS[fam] .. ih)
    local bl, bs = both[1] or '', both[2] or ''
    -- Each list up to its slots in use, without the asker's slot: the parts
    -- joined in one concatenation.
    local l1, l2, s1, s2 = '', '', '', ''
    if meL >= 0 then
      l1, l2 = string.sub(bl, 1, meL * w), string.sub(bl, (meL + 1) * w + 1, nl * w)
    else
      l1 = string.sub(bl, 1, nl * w)
    end
    if meS >= 0 then
      s1, s2 = string.sub(bs, 1, meS * w), string.sub(bs, (meS + 1) * w + 1, ns * w)
    else
      s1 = string.sub(bs, 1, ns * w)
    end
    return avail, l1 .. l2 .. s1 .. s2
  end
  local ks, kl = availS, availL
  if want < avail then
    ks = math.floor(want * availS / avail + 0.5)
    if ks > availS then ks = availS end
    if want - ks > availL then ks = want - availL end
    kl = want - ks
  end
  local w = WIDTH[fam]
  local gotL, l, gotS, s = 0, '', 0, ''
  if kl > 0 then gotL, l = take(CL[fam] .. ih, KL[fam], ih, w, nl, kl, meL, rnd, compact) end
  if ks > 0 then gotS, s = take(CS[fam] .. ih, KS[fam], ih, w, ns, ks, meS, math.floor(rnd / 7), compact) end
  return gotL + gotS, l .. s
end

-- The call's last-announce times, written in one ZADD (a command per
-- announce costs Redis more than the skiplist's work): before anything is
-- dropped (its ZREM must come after its ZADD) and at the end.
local stamps, ns = {}, 0
local function seen(member)
  stamps[ns + 1] = now
  stamps[ns + 2] = member
  ns = ns + 2
end
local function flushSeen()
  if ns > 0 then
    redis.call('ZADD', SEEN, unpack(stamps, 1, ns))
    ns = 0
  end
end

-- Appends one reply's parts to the call's reply (joined once, at the end).
local out, n = {}, 0
local function reply(result, was, c, p1, p2)
  n = n + 1
  out[n] = struct.pack('>c1BI4I4I4I4I4', result, was, c[1], c[2], c[3], #p1, #p2)
  if p1 ~= '' then n = n + 1; out[n] = p1 end
  if p2 ~= '' then n = n + 1; out[n] = p2 end
end
local NONE = { 0, 0, 0 }

-- The announce of len bytes at offset at of batch b, read in place (one
-- unpack for its fixed part, no copy of it first).
local function announce(b, at, len, rnd)
  local ih, pk, n4, n6, event, flags, f1, f2, want, o = struct.unpack('>c20c26BBc1Bc1c1H', b, at)
  local lonly = flags % 2 == 1
  local compact = flags % 4 >= 2
  local a4 = (n4 > 0) and string.sub(b, o, o + n4 - 1) or ''
  local a6 = (n6 > 0) and string.sub(b, o + n4, o + n4 + n6 - 1) or ''
  local left = string.sub(b, o + n4 + n6, at + len - 1)
  local hk = KP .. ih
  if flags % 8 >= 4 and redis.call('HEXISTS', P .. 'torrents', ih) == 0 then
    return reply('x', 2, NONE, '', '')
  end
  local got = redis.call('HMGET', hk, pk, '#')
  local old = got[1]
  local c = C
  if got[2] then
    c[1], c[2], c[3], c[4], c[5], c[6], c[7] = struct.unpack(COUNTS, got[2])
  else
    c[1], c[2], c[3], c[4], c[5], c[6], c[7] = 0, 0, 0, 0, 0, 0, 0
  end
  local was = 2
  local o4, o6, oi4, oi6, oleft = '', '', 0, 0, ''
  if old then
    o4, o6, oi4, oi6, oleft = parse(old)
    was = (oleft == '0') and 1 or 0
  end
  if event == 's' then
    if old then
      flushSeen()
      drop(ih, pk, old, c)
      saveCounts(ih, c)
    end
    return reply('r', was, c, '', '')
  end
  local result = 'u'
  if not old then
    if c[1] + c[2] == 0 and redis.call('SCARD', P .. 'live') >= maxSwarms then
      return reply('t', 2, NONE, '', '')
    end
    if c[1] + c[2] >= maxPeers then result = 'f' else result = 'a' end
  end
  local seeder = left == '0'
  local cls = seeder and 's' or 'l'
  local stored = result ~= 'f'
  local dirty = false
  local i4, i6 = oi4, oi6
  if stored then
    -- An address not given keeps the one stored (an IPv6 announce keeps the IPv4 entry).
    if n4 == 0 then a4 = o4 end
    if n6 == 0 then a6 = o6 end
    local ocls = (oleft == '0') and 's' or 'l'
    if old and ocls == cls then
      -- A re-announce from the same address with the same status (most are) moves nothing.
      if a4 ~= o4 then
        if o4 == '' then i4 = place(ih, c, '4' .. cls, pk, a4); dirty = true
        else redis.call('SETRANGE', P .. 'c4' .. cls .. ':' .. ih, oi4 * 6, a4) end
      end
      if a6 ~= o6 then
        if o6 == '' then i6 = place(ih, c, '6' .. cls, pk, a6); dirty = true
        else redis.call('SETRANGE', P .. 'c6' .. cls .. ':' .. ih, oi6 * 18, a6) end
      end
    else
      if old then
        if o4 ~= '' then unplace(ih, c, '4' .. ocls, oi4) end
        if o6 ~= '' then unplace(ih, c, '6' .. ocls, oi6) end
        local from = (ocls == 's') and 1 or 2
        c[from] = c[from] - 1
        redis.call('HINCRBY', P .. 'sum', ocls, -1)
      else
        redis.call('SADD', P .. 'live', ih)
      end
      if a4 ~= '' then i4 = place(ih, c, '4' .. cls, pk, a4) end
      if a6 ~= '' then i6 = place(ih, c, '6' .. cls, pk, a6) end
      local to = seeder and 1 or 2
      c[to] = c[to] + 1
      redis.call('HINCRBY', P .. 'sum', cls, 1)
      dirty = true
    end
    -- Built only when something changed (a re-announce of most peers changes nothing).
    if not old or a4 ~= o4 or a6 ~= o6 or i4 ~= oi4 or i6 ~= oi6 or left ~= oleft then
      redis.call('HSET', hk, pk, pack(a4, a6, i4, i6, left))
    end
    seen(ih .. pk)
    -- Count a download once: not again from a peer that was already a seeder.
    if event == 'c' and was ~= 1 then
      c[3] = c[3] + 1
      dirty = true
    end
    if dirty then saveCounts(ih, c) end
  end
  local slot4 = (stored and a4 ~= '') and i4 or -1
  local slot6 = (stored and a6 ~= '') and i6 or -1
  local got, p1 = sample(ih, c, f1, want, lonly, compact, (f1 == '4') and slot4 or slot6, seeder, rnd)
  local p2 = ''
  if f2 ~= '0' then
    got, p2 = sample(ih, c, f2, want - got, lonly, compact, (f2 == '4') and slot4 or slot6, seeder, math.floor(rnd / 3))
  end
  return reply(result, was, c, p1, p2)
end

local rnd = tonumber(ARGV[4])
local batch = ARGV[5]
local at = 1
while at <= #batch do
  local len = string.byte(batch, at)
  announce(batch, at + 1, len, rnd)
  at = at + 1 + len
  rnd = (rnd * 48271) % 2147483647
end
flushSeen()
return table.concat(out)
`;

/**
 * Drops peers last seen at or before ARGV[1] (ms), at most ARGV[2] of them
 * (the caller repeats while a batch comes back full). Returns how many went.
 */
export const EXPIRE_SCRIPT = `${COMMON}
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
local ih = ARGV[1]
local all = {}
local fields = redis.call('HGETALL', P .. 'p:' .. ih)
for i = 1, #fields, 2 do
  if fields[i] ~= '#' then
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
