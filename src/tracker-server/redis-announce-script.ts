/**
 * The announce script of the Redis swarm store (redis-swarm-store.ts), in
 * two forms with one body: a Redis 7 function library (FUNCTION LOAD once,
 * then FCALL) and, for a Redis 6 that has no functions, a script (EVALSHA).
 *
 * Why a function: an EVALSHA runs the whole script's chunk on every call,
 * so each call made again every helper function (a closure each), every
 * table of constants and every key name before its first announce; Redis
 * counted some 55,000 instructions of that per call (callgrind). A library's
 * chunk runs once, when it is loaded: its helpers, constants and the keys of
 * a prefix live on from call to call, and a call costs only its announces.
 *
 * A batch of announces (every one the tracker read in one turn of its event
 * loop) is one call, as a call costs Redis and the client more than the few
 * commands each announce makes. Layout of the keys: redis-scripts.ts.
 *
 * Arguments: KEYS[1] the prefix; ARGV now (ms), max swarms, max peers per
 * swarm, a random 31-bit number, then the announces in one string, each its
 * length (a byte) and: ih (20), pk (26), #addr4, #addr6 (a byte each), event
 * (n|c|s), flags (1 leechers only, 2 compact, 4 registered only), first
 * family (4|6), second family (0|4|6), want (2 bytes), then addr4, addr6
 * and left (decimal), each after its length (a byte).
 *
 * Returns one string, for each announce: result (a byte: a added, u updated,
 * f swarm full, t too many swarms, r removed, x unregistered), was a seeder
 * (a byte: 1, 0, or 2 not stored), seeders, leechers, completed, the lengths
 * of the two families' peers (big-endian 32-bit numbers), then the peers:
 * compact entries, or (dictionary form) pk .. entry for each.
 */
import { scriptSha } from "./redis-announce-call.ts";
import { COMMON } from "./redis-scripts.ts";

/** Helpers, constants and announceAll(prefix, argv): the same in both forms. */
const BODY = `${COMMON}
-- The call's arguments (set by announceAll).
local now, maxSwarms, maxPeers
local SLOT_S = { ['4'] = SLOTS['4s'], ['6'] = SLOTS['6s'] }
local SLOT_L = { ['4'] = SLOTS['4l'], ['6'] = SLOTS['6l'] }
-- The swarm hash's fields of a small family's lists (redis-scripts.ts): a
-- constant string costs nothing per announce, one made with .. is hashed.
local FS, FL = { ['4'] = '4s', ['6'] = '6s' }, { ['4'] = '4l', ['6'] = '6l' }
-- Keys built once per prefix, not once per announce (a Lua string made is a
-- string hashed): a function library keeps them from call to call.
local KP, SEEN, TORRENTS, LIVE, SUM
local CS, CL, KS, KL = {}, {}, {}, {}
local function usePrefix(p)
  if p == P then return end
  P = p
  KP, SEEN, TORRENTS, LIVE, SUM = p .. 'p:', p .. 'seen', p .. 'torrents', p .. 'live', p .. 'sum'
  CS['4'], CS['6'] = p .. 'c4s:', p .. 'c6s:'
  CL['4'], CL['6'] = p .. 'c4l:', p .. 'c6l:'
  KS['4'], KS['6'] = p .. 'k4s:', p .. 'k6s:'
  KL['4'], KL['6'] = p .. 'k4l:', p .. 'k6l:'
end
-- The swarm's counts of the announce being read (one table for the call:
-- nothing keeps them past their announce).
local C = { 0, 0, 0, 0, 0, 0, 0 }

-- Reads the slots [first, first + m) of a list of n slots (wrapping round),
-- entries of w bytes, without the one at window position cut (0-based; -1:
-- none): from the string at key, or (field given) from that field of the
-- hash at key, whole (pre: its value, when read already).
local function read(key, field, w, n, first, m, cut, pre)
  local s
  if field then
    s = pre or redis.call('HGET', key, field) or ''
    if first + m > n then s = string.sub(s, first * w + 1, n * w) .. string.sub(s, 1, (first + m - n) * w)
    elseif first > 0 or m < n then s = string.sub(s, first * w + 1, (first + m) * w) end
  elseif first == 0 and m == n then
    -- The whole list: a GET, cut at the slots in use and without the
    -- asker's, costs Redis less than a GETRANGE, whose offsets it would
    -- format as text.
    s = redis.call('GET', key) or ''
  elseif first + m <= n then
    s = redis.call('GETRANGE', key, first * w, (first + m) * w - 1)
  else
    s = redis.call('GETRANGE', key, first * w, n * w - 1) .. redis.call('GETRANGE', key, 0, (first + m - n) * w - 1)
  end
  if cut >= 0 then return string.sub(s, 1, cut * w) .. string.sub(s, (cut + 1) * w + 1, m * w) end
  if #s > m * w then s = string.sub(s, 1, m * w) end
  return s
end

-- Up to k peers of a list (fam, cls) of n slots (entries of w bytes, their
-- peers' keys in the string at KS/KL[fam] .. ih), never slot me (-1: the
-- asker is not in it): every one when k covers them, else a window of
-- consecutive slots from a random one (slots are in no meaningful order:
-- joins and departures shuffle them). pre: a small list's value, when read
-- already. Returns how many, and their compact entries (or pk .. entry for
-- each) as one string.
local function take(ih, fam, cls, w, n, k, me, rnd, compact, pre)
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
  local addrs
  if n <= SMALL[fam] then
    addrs = read(KP .. ih, ((cls == 's') and FS or FL)[fam], w, n, first, m, cut, pre)
  else
    addrs = read(((cls == 's') and CS or CL)[fam] .. ih, nil, w, n, first, m, cut)
  end
  local got = #addrs / w
  if compact then return got, addrs end
  local keys = read(((cls == 's') and KS or KL)[fam] .. ih, nil, KEY, n, first, m, cut)
  local out = {}
  for i = 0, got - 1 do
    out[#out + 1] = string.sub(keys, i * KEY + 1, (i + 1) * KEY) .. string.sub(addrs, i * w + 1, (i + 1) * w)
  end
  return got, table.concat(out)
end

-- The call's reply, in parts joined once at the end: each announce's head
-- (reply), then its peers' parts as sample puts them (no string made to join
-- them first: in Redis's Lua every string made costs some 1,300
-- instructions, callgrind, about what a whole GET costs).
local out, n = {}, 0

-- Puts s[i..j] in the reply (s itself when that is all of it: no new
-- string). Returns its length.
local function put(s, i, j)
  local p = s
  if i ~= 1 or j < #s then p = string.sub(s, i, j) end
  if p == '' then return 0 end
  n = n + 1
  out[n] = p
  return #p
end

-- Up to want peers of one family, never the asker: seeders and leechers in
-- proportion to their numbers (leechers only for a seeder: BEP 3 leaves the
-- choice to the tracker). slot: the asker's slot in the family's list of its
-- class (-1: not in it). hl, hs: the family's leecher and seeder lists as
-- the swarm's hash holds them, when read with the asker's state (else nil).
-- Puts their entries in the reply; returns how many, and their length in bytes.
local function sample(ih, c, fam, want, lonly, compact, slot, seeder, rnd, hl, hs)
  if want <= 0 then return 0, 0 end
  local ns = lonly and 0 or c[SLOT_S[fam]]
  local nl = c[SLOT_L[fam]]
  local meS = seeder and slot or -1
  local meL = seeder and -1 or slot
  local availS = (meS >= 0) and (ns - 1) or ns
  local availL = (meL >= 0) and (nl - 1) or nl
  if availS < 0 then availS = 0 end
  if availL < 0 then availL = 0 end
  local avail = availS + availL
  if avail == 0 then return 0, 0 end
  if want >= avail and compact and ns > 0 and nl > 0 then
    -- Every peer of both classes (most swarms are small): both lists whole,
    -- read already when they are small, else with two GETs (an MGET costs
    -- Redis more: its reply is a Lua table).
    local w = WIDTH[fam]
    local small = SMALL[fam]
    local bl, bs
    if nl <= small then bl = hl or redis.call('HGET', KP .. ih, FL[fam]) or ''
    else bl = redis.call('GET', CL[fam] .. ih) or '' end
    if ns <= small then bs = hs or redis.call('HGET', KP .. ih, FS[fam]) or ''
    else bs = redis.call('GET', CS[fam] .. ih) or '' end
    -- Each list up to its slots in use, without the asker's slot.
    local bytes = 0
    if meL >= 0 then
      bytes = put(bl, 1, meL * w) + put(bl, (meL + 1) * w + 1, nl * w)
    else
      bytes = put(bl, 1, nl * w)
    end
    if meS >= 0 then
      bytes = bytes + put(bs, 1, meS * w) + put(bs, (meS + 1) * w + 1, ns * w)
    else
      bytes = bytes + put(bs, 1, ns * w)
    end
    return avail, bytes
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
  if kl > 0 then gotL, l = take(ih, fam, 'l', w, nl, kl, meL, rnd, compact, hl) end
  if ks > 0 then gotS, s = take(ih, fam, 's', w, ns, ks, meS, math.floor(rnd / 7), compact, hs) end
  return gotL + gotS, put(l, 1, #l) + put(s, 1, #s)
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

-- Appends one reply without peers to the call's reply.
local function reply(result, was, c)
  n = n + 1
  out[n] = struct.pack('>c1BI4I4I4I4I4', result, was, c[1], c[2], c[3], 0, 0)
end
local NONE = { 0, 0, 0 }

-- The announce at offset at of batch b, read in place: one unpack for all
-- of it (no copy of it first, no string.sub per part).
local function announce(b, at, rnd)
  local ih, pk, n4, n6, event, flags, f1, f2, want, a4, a6, left =
    struct.unpack('>c20c26BBc1Bc1c1HBc0Bc0Bc0', b, at)
  local lonly = flags % 2 == 1
  local compact = flags % 4 >= 2
  local hk = KP .. ih
  if flags % 8 >= 4 and redis.call('HEXISTS', TORRENTS, ih) == 0 then
    return reply('x', 2, NONE)
  end
  -- The asker's state, the swarm's counts and (for a compact reply) the
  -- first family's lists if they are small, in one HMGET: for two fields
  -- two HGETs cost Redis less (an HMGET's reply is a Lua table), for four
  -- the HMGET saves two key names and two GETs (callgrind). A seeder gets
  -- leechers only: their list alone.
  local old, counted, hl, hs
  if compact and lonly then
    local r = redis.call('HMGET', hk, pk, '#', FL[f1])
    old, counted, hl = r[1], r[2], r[3]
  elseif compact then
    local r = redis.call('HMGET', hk, pk, '#', FL[f1], FS[f1])
    old, counted, hl, hs = r[1], r[2], r[3], r[4]
  else
    old = redis.call('HGET', hk, pk)
    counted = redis.call('HGET', hk, '#')
  end
  local c = C
  if counted then
    c[1], c[2], c[3], c[4], c[5], c[6], c[7] = struct.unpack(COUNTS, counted)
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
    return reply('r', was, c)
  end
  local result = 'u'
  if not old then
    if c[1] + c[2] == 0 and redis.call('SCARD', LIVE) >= maxSwarms then
      return reply('t', 2, NONE)
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
        if o4 == '' then i4 = place(ih, c, '4' .. cls, pk, a4); dirty = true; hl, hs = nil, nil
        else setSlot(ih, '4' .. cls, c[SLOTS['4' .. cls]], oi4, a4); hl, hs = nil, nil end
      end
      if a6 ~= o6 then
        if o6 == '' then i6 = place(ih, c, '6' .. cls, pk, a6); dirty = true; hl, hs = nil, nil
        else setSlot(ih, '6' .. cls, c[SLOTS['6' .. cls]], oi6, a6); hl, hs = nil, nil end
      end
    else
      -- The lists read with the state are not the lists any more.
      hl, hs = nil, nil
      if old then
        if o4 ~= '' then unplace(ih, c, '4' .. ocls, oi4) end
        if o6 ~= '' then unplace(ih, c, '6' .. ocls, oi6) end
        local from = (ocls == 's') and 1 or 2
        c[from] = c[from] - 1
        redis.call('HINCRBY', SUM, ocls, -1)
      else
        redis.call('SADD', LIVE, ih)
      end
      if a4 ~= '' then i4 = place(ih, c, '4' .. cls, pk, a4) end
      if a6 ~= '' then i6 = place(ih, c, '6' .. cls, pk, a6) end
      local to = seeder and 1 or 2
      c[to] = c[to] + 1
      redis.call('HINCRBY', SUM, cls, 1)
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
  -- The head first, its peers' lengths filled in once they are put after it.
  local h = n + 1
  n = h
  local got, len1 = sample(ih, c, f1, want, lonly, compact, (f1 == '4') and slot4 or slot6, seeder, rnd, hl, hs)
  local len2 = 0
  if f2 ~= '0' then
    got, len2 = sample(ih, c, f2, want - got, lonly, compact, (f2 == '4') and slot4 or slot6, seeder, math.floor(rnd / 3))
  end
  out[h] = struct.pack('>c1BI4I4I4I4I4', result, was, c[1], c[2], c[3], len1, len2)
end

-- One call: prefix p; argv: now, max swarms, max peers per swarm, a random
-- number, the packed announces. The call's state is reset first (a library's
-- locals outlive its calls, and a call that failed may have left some).
local function announceAll(p, argv)
  usePrefix(p)
  now, maxSwarms, maxPeers = argv[1], tonumber(argv[2]), tonumber(argv[3])
  ns, n = 0, 0
  local rnd = tonumber(argv[4])
  local batch = argv[5]
  local at = 1
  while at <= #batch do
    local len = string.byte(batch, at)
    announce(batch, at + 1, rnd)
    at = at + 1 + len
    rnd = (rnd * 48271) % 2147483647
  end
  flushSeen()
  return table.concat(out, '', 1, n)
end
`;

/** The script form (EVALSHA), for a Redis without functions (before 7.0). */
export const ANNOUNCE_SCRIPT = `${BODY}
return announceAll(KEYS[1], ARGV)
`;

/**
 * The library's version: its name and its function's carry it, so
 * instances of different shoal versions on one Redis each call their own
 * (function names are one namespace in Redis, whatever their library).
 */
const VERSION = scriptSha(ANNOUNCE_SCRIPT).slice(0, 16);

/** The function FCALL names. */
export const ANNOUNCE_FUNCTION = `shoal_announce_${VERSION}`;

/** The library form (FUNCTION LOAD REPLACE): its chunk runs once, at load. */
export const ANNOUNCE_LIBRARY = `#!lua name=shoal_${VERSION}
${BODY}
redis.register_function('${ANNOUNCE_FUNCTION}', function(keys, args)
  return announceAll(keys[1], args)
end)
`;
