#!lua name=boxoffice
--[[
boxoffice: the service's Redis functions (loaded by cache_conn.c with FUNCTION LOAD REPLACE on
every connect, called with FCALL <name> 0 <args...>; see cache.h for the key layout).

A line is kept in little memory: no key of its own per token or per user. A token's record is
a short string in a hash of 64 neighbouring sequences (small hashes are stored packed by Redis),
its user's index entry a field of one of USER_SHARDS hashes (also packed), and its place in the
line a number: places 1, 2, 3, ... are handed out with the sequences, and the line is every
place above the head (the last place admission took or passed) except the holes left by
tokens that ended out of turn (bo:q:<c>:left). A position is then the place minus the head
minus the holes before it: O(log holes), however long the line. A shuffle writes whose each
place is and each token's place as two strings of 5 bytes an entry (bo:q:<c>:perm,
bo:q:<c>:inv), read by offset.

Each function runs atomically. Invariants they keep:
  - a token's record says WAITING (W), ACTIVE (A) or ended (X); a WAITING token holds one place
    above the head, an ACTIVE one is in bo:q:<c>:active, an ended one in neither; every place
    above the head and up to the last sequence issued is a WAITING token's or a hole;
  - the user index (bo:q:<c>:u:*) names each user's live token only; ending a token removes
    it there if it still names that token;
  - tokens become ACTIVE lowest place first, admission_no counting up. A token's place is its
    sequence, so admission order equals issue order (DESIGN invariant 2), except that at a
    sale's opening the tokens that joined before it deal their places out again in a random
    permutation (shuffle; bo:q:<c>:perm then says whose each of those places is, bo:q:<c>:inv
    which place each of those tokens has): they stay ahead of every later joiner, in a random
    order. A WAITING token skipped as abandoned ends without an admission_no, so the numbers
    of the admitted stay consecutive;
  - nothing is admitted while now < the concert's opening time (bo:q:<c>:meta opens);
  - an admission step that names a holder runs only while that holder has the leader lease: a
    leader paused between renewing its lease and its step, past the lease, may wake after
    another instance took over, and then changes nothing (a second leader would admit beyond
    the rate);
  - an ACTIVE token's expiry is fixed at its admission: reads never move it;
  - the functions that act for the holder of a token text (token_use, token_leave,
    tokens_touch, token_expire) take the user its signature names and compare it with the
    record's before any write: after Redis loses its data sequences start again, so an old
    token can name a record of another user, and such a call writes nothing;
  - every end of a token (finish) appends it once to bo:q:<c>:ended, for its EXPIRED event;
  - bo:queues holds every concert with a token WAITING or an end not yet collected (an issue
    and every end add it; the leader steps each every tick); a concert out of it with an ACTIVE
    token or an ended record to sweep is in bo:later, scored by when its next step is due;
  - an ended token's record is kept keep_ms after its end (the service's
    --ended-token-keep-seconds, an argument of every function that can end a token), so its holder
    still reads EXPIRED with its details, then swept (bo:q:<c>:gone lists the ends in order; each
    end and each admission step sweep the ones past their time) and the token reads as unknown
    (also EXPIRED to callers). Redis 7.0 has no expiry per hash field: the sweep bounds them.
  - an issue carrying rate checks counts them as bo_rate_hit does, or is refused without
    counting or changing anything.

Keys are built from the arguments (numkeys 0), as one Redis node holds them all. Stored values
go back as strings so 64-bit ids never pass through Lua numbers (sequences, places and times
do: they stay far below 2^53).
--]]

-- An ended token's record is kept this long (ms) when a call names no keep time (the functions
-- that can end a token take one, the service's --ended-token-keep-seconds): a client retrying a
-- call whose answer it lost reads the token's details, EXPIRED, for this long; afterwards
-- EXPIRED all the same.
local ENDED_KEEP_MS = 600000
-- Ended tokens waiting to be announced; beyond this (no leader for a long time) the oldest
-- announcements are dropped, never the tokens' state.
local ENDED_KEEP = 100000
-- Admissions remembered for a new leader to announce again: far more than a lease's worth.
local RECENT_KEEP = 1024
-- Abandoned tokens one step ends at most, so a long abandoned stretch cannot block Redis.
local SKIP_MAX = 500
-- ACTIVE tokens past their expiry one step ends at most; the rest end at the next steps (they
-- still count as active until then). 100,000 tokens admitted in one burst expire together:
-- ended in one step, that took Redis 2-6 s, and every other caller got BUSY meanwhile.
local EXPIRE_MAX = 1000
-- A measured rate lapses when no leader has refreshed it for this long (ms).
local STATS_KEEP_MS = 60000
-- Sequences per record hash: well inside what Redis keeps packed (128 fields of at most 64
-- bytes by default), so a record costs its own bytes and little more.
local BUCKET = 64
-- Hashes the user index of a concert is spread over: a million users make about 30 fields
-- each, which Redis keeps packed (a single hash of a million fields costs 72 bytes a user and,
-- each time it doubles, makes every call that touches it slower until it has been moved).
local USER_SHARDS = 32768
-- Bytes of one entry of the shuffle's strings bo:q:<c>:perm and bo:q:<c>:inv (big-endian
-- numbers up to 2^40), and an empty entry.
local ENTRY = 5
local NONE = '\0\0\0\0\0'
-- Chunks of 64 places one admission step looks through at most for waiting tokens (a long
-- run of holes is passed over by the next steps).
local SCAN_CHUNKS = 1024
-- Ended records swept by every end (each end adds one) and by every admission step at most.
local SWEEP_BY_THE_WAY = 2
local SWEEP_STEP = 1000
-- A rate-limit window, and how long its counter outlives it (clock differences between
-- instances).
local RATE_WINDOW_MS = 60000
local RATE_SLACK_MS = 5000
local LEADER = 'bo:admission:leader'
-- Concerts out of bo:queues still to be stepped later, scored by when (later).
local LATER = 'bo:later'

-- ---- helpers -----------------------------------------------------------------

local function qkey(c, k) return 'bo:q:' .. c .. ':' .. k end
local function ms(v) return string.format('%d', v) end

-- The hash holding the record of sequence s.
local function rkey(c, s) return 'bo:q:' .. c .. ':r:' .. ms(math.floor(tonumber(s) / BUCKET)) end

-- The hash of the user index holding user u's entry (u's last six digits spread users evenly,
-- sequential ids and random ones alike).
local function ukey(c, u)
  return 'bo:q:' .. c .. ':u:' .. ms(tonumber(string.sub(u, -6)) % USER_SHARDS)
end

-- parse reads a token record: {st = 'W', user, issued, seen (a number)} or {st = 'A' or 'X',
-- user, issued, admitted, expires, no}; nil when malformed. Stored as
-- W<user>:<issued>:<seen - issued> and A<user>:<issued>:<admitted>:<expires>:<admission_no>
-- (X the same, zeros when it never was ACTIVE).
local function parse(v)
  if string.byte(v, 1) == 87 then
    local u, a, b = string.match(v, '^W(%d+):(%d+):(%d+)$')
    if not u then return nil end
    return {st = 'W', user = u, issued = a, seen = tonumber(a) + tonumber(b)}
  end
  local st, u, a, b, c, d = string.match(v, '^([AX])(%d+):(%d+):(%d+):(%d+):(%d+)$')
  if not st then return nil end
  return {st = st, user = u, issued = a, admitted = b, expires = c, no = d}
end

local function encode(t)
  if t.st == 'W' then
    local seen = t.seen - tonumber(t.issued)
    if seen < 0 then seen = 0 end
    return 'W' .. t.user .. ':' .. t.issued .. ':' .. ms(seen)
  end
  return t.st .. t.user .. ':' .. t.issued .. ':' .. t.admitted .. ':' .. t.expires .. ':' .. t.no
end

-- record reads sequence s's record (nil when unknown).
local function record(c, s)
  local v = redis.call('HGET', rkey(c, s), s)
  return v and parse(v) or nil
end

local function store(c, s, t)
  redis.call('HSET', rkey(c, s), s, encode(t))
end

-- A token reply: {status, sequence, user, issued, admitted, expires, admission_no, position,
-- created, rate_milli, sale_opens_at}.
local function tuple(code, s, t, pos, created, rate, opens)
  return {code, s, t.user, t.issued, t.admitted or '0', t.expires or '0', t.no or '0', pos,
          created, rate, ms(opens)}
end

-- The concert's opening time (ms; 0 when open), and whether Redis has one recorded at all.
local function opens_read(c)
  local v = redis.call('HGET', qkey(c, 'meta'), 'opens')
  return tonumber(v or '0') or 0, v ~= false
end

local function num(v) return tonumber(v or '0') or 0 end

-- The last sequence issued for the concert: the last place of its line.
local function last_place(c)
  return num(redis.call('GET', qkey(c, 'seq')))
end

-- line_state reads the concert's line: opens (the opening time, 0: open; known: whether one is
-- recorded at all), head (every place up to it has left the line; started: whether it is
-- recorded, else the line starts after the last sequence issued, as a line of the layout
-- before this one has no token this one can read), perm (places up to it are told by
-- bo:q:<c>:perm from place pbase on, the rest are their sequence's; the places of sequences
-- up to it by bo:q:<c>:inv from sequence ibase on).
local function line_state(c)
  local m = redis.call('HMGET', qkey(c, 'meta'), 'opens', 'head', 'perm', 'pbase', 'ibase')
  return {opens = num(m[1]), known = m[1] ~= false, started = m[2] ~= false,
          head = m[2] and num(m[2]) or last_place(c), perm = num(m[3]), pbase = num(m[4]),
          ibase = num(m[5])}
end

-- entry reads entry n of the shuffle's string k, whose entries start at base: 0 when none.
local function entry(k, base, n)
  if n < base then return 0 end
  local v = redis.call('GETRANGE', k, (n - base) * ENTRY, (n - base + 1) * ENTRY - 1)
  if #v < ENTRY then return 0 end
  return (struct.unpack('>I5', v))
end

-- place_of returns the place (a number) of the WAITING token of sequence s in line L.
local function place_of(c, L, s)
  local n = tonumber(s)
  if n <= L.perm then
    local p = entry(qkey(c, 'inv'), L.ibase, n)
    if p > 0 then return p end
  end
  return n
end

-- opens_write stores a new opening time: whoever waits now joined before it, and the line is
-- shuffled again when it comes.
local function opens_write(c, opens)
  local mk = qkey(c, 'meta')
  redis.call('HSET', mk, 'opens', ms(opens))
  redis.call('HDEL', mk, 'shuffled')
  local last = redis.call('GET', qkey(c, 'seq'))
  if last then redis.call('HSET', mk, 'before', last) end
end

-- The concert's measured admission rate in thousandths per second (0 when none).
local function rate_of(c)
  local r = tonumber(redis.call('HGET', qkey(c, 'stats'), 'rate') or '0') or 0
  return math.floor(r * 1000 + 0.5)
end

-- position: the 1-based place in line of the WAITING token at place (a number).
local function position(c, head, place)
  return place - head - redis.call('ZCOUNT', qkey(c, 'left'), '(' .. ms(head), '(' .. ms(place))
end

-- How many tokens wait: the places above the head but the holes.
local function waiting_count(c, head)
  return last_place(c) - head - redis.call('ZCOUNT', qkey(c, 'left'), '(' .. ms(head), '+inf')
end

-- A WAITING token's reply: its position, or position 0 and the opening time while the sale
-- has not opened.
local function waiting_reply(c, s, t, created, L, now)
  if now < L.opens then return tuple(1, s, t, 0, created, 0, L.opens) end
  return tuple(1, s, t, position(c, L.head, place_of(c, L, s)), created, rate_of(c), 0)
end

-- keep_of reads a keep time argument (ms): ENDED_KEEP_MS when absent or not a number.
local function keep_of(v)
  local k = tonumber(v or '')
  if not k or k < 0 then return ENDED_KEEP_MS end
  return k
end

-- later schedules concert c, out of bo:queues, in bo:later for when its next admission step is
-- due: its first ACTIVE token's expiry or its oldest ended record's sweep, whichever comes
-- first (at once when that is past); out of bo:later when neither is left.
local function later(c, now, keep)
  local due
  local first = redis.call('ZRANGE', qkey(c, 'active'), 0, 0, 'WITHSCORES')
  if first[2] then due = tonumber(first[2]) end
  local gone = redis.call('LINDEX', qkey(c, 'gone'), 0)
  if gone then
    local at = (tonumber(string.match(gone, '^(%d+):') or '0') or 0) + keep
    if not due or at < due then due = at end
  end
  if due then
    redis.call('ZADD', LATER, math.max(due, now), c)
  else
    redis.call('ZREM', LATER, c)
  end
end

-- sweep deletes the records of up to max tokens that ended keep ms before now or earlier,
-- oldest end first.
local function sweep(c, now, max, keep)
  local gk = qkey(c, 'gone')
  local n = 0
  for _, e in ipairs(redis.call('LRANGE', gk, 0, max - 1)) do
    local at, s = string.match(e, '^(%d+):(%d+)$')
    if at and tonumber(at) + keep > now then break end
    if s then
      local k = rkey(c, s)
      local v = redis.call('HGET', k, s)
      if v and string.sub(v, 1, 1) == 'X' then redis.call('HDEL', k, s) end
    end
    n = n + 1
  end
  if n > 0 then redis.call('LTRIM', gk, n, -1) end
end

-- finish is the one place a token ends (t: its record as read), so every end is queued for
-- its EXPIRED event and for its record's sweep. A WAITING token leaves a hole at its place
-- (place: a number, or nil to look it up); keep: how long ended records are kept (ms), for the
-- sweep it does by the way. Returns the record as it is now.
local function finish(c, s, t, now, place, keep)
  if t.st ~= 'X' then
    if t.st == 'W' then
      place = place or place_of(c, line_state(c), s)
      redis.call('ZADD', qkey(c, 'left'), place, place)
    else
      redis.call('ZREM', qkey(c, 'active'), s)
    end
    t = {st = 'X', user = t.user, issued = t.issued, admitted = t.admitted or '0',
         expires = t.expires or '0', no = t.no or '0'}
    store(c, s, t)
    local ek = qkey(c, 'ended')
    redis.call('RPUSH', ek, s .. ':' .. t.user)
    redis.call('LTRIM', ek, -ENDED_KEEP, -1)
    redis.call('SADD', 'bo:queues', c) -- the leader's next tick announces the end
    redis.call('RPUSH', qkey(c, 'gone'), ms(now) .. ':' .. s)
    sweep(c, now, SWEEP_BY_THE_WAY, keep)
  end
  local uk = ukey(c, t.user)
  if redis.call('HGET', uk, t.user) == s then redis.call('HDEL', uk, t.user) end
  return t
end

-- line_read returns the WAITING tokens of line L at places above from and up to upto, in line
-- order, at most want of them, looking through at most max_chunks chunks of 64 places: their
-- places (numbers), sequences and records (as stored), and reached, the place up to which it
-- looked (every place above from and up to reached that it did not return holds no WAITING
-- token).
local function line_read(c, L, from, upto, want, max_chunks)
  local places, seqs, recs = {}, {}, {}
  local q, reached, scanned, n = from + 1, from, 0, 0
  while q <= upto and n < want and scanned < max_chunks do
    local b = math.floor(q / BUCKET)
    local last = math.min((b + 1) * BUCKET - 1, upto)
    local found = {}
    if q <= L.perm then
      -- Shuffled places: whose each is, then whether that token still waits.
      local hi = math.min(last, L.perm)
      local e = redis.call('GETRANGE', qkey(c, 'perm'), (q - L.pbase) * ENTRY,
                           (hi - L.pbase + 1) * ENTRY - 1)
      for p = q, hi do
        local at = (p - q) * ENTRY + 1
        local seq = at + ENTRY - 1 <= #e and struct.unpack('>I5', e, at) or 0
        if seq > 0 then
          local s = ms(seq)
          local v = redis.call('HGET', rkey(c, s), s)
          if v and string.byte(v, 1) == 87 then found[p] = {s, v} end
        end
      end
    end
    if last > L.perm then
      local rl = redis.call('HGETALL', qkey(c, 'r:' .. ms(b)))
      for i = 1, #rl, 2 do
        local seq, v = tonumber(rl[i]), rl[i + 1]
        if seq >= q and seq <= last and seq > L.perm and string.byte(v, 1) == 87 then
          found[seq] = {rl[i], v}
        end
      end
    end
    for p = q, last do
      local f = found[p]
      if f then
        if n >= want then return places, seqs, recs, reached end
        n = n + 1
        places[n], seqs[n], recs[n] = p, f[1], f[2]
      end
      reached = p
    end
    q = last + 1
    scanned = scanned + 1
  end
  return places, seqs, recs, reached
end

-- ---- rate limits ---------------------------------------------------------------

-- rate_try counts one hit on the counter of the current one-minute window of every check
-- {kind, scope, limit} in args from index first on, unless one of them is at its limit:
-- then nothing is counted and it returns {index of that check (0-based), ms until its window
-- ends}; else nil.
local function rate_try(args, first, now)
  local window = math.floor(now / RATE_WINDOW_MS)
  local left = (window + 1) * RATE_WINDOW_MS - now
  local keys = {}
  for i = first, #args - 2, 3 do
    local k = 'bo:rl:' .. args[i] .. ':' .. args[i + 1] .. ':' .. ms(window)
    if (tonumber(redis.call('GET', k) or '0') or 0) >= tonumber(args[i + 2]) then
      return {(i - first) / 3, left}
    end
    keys[#keys + 1] = k
  end
  for _, k in ipairs(keys) do
    if redis.call('INCR', k) == 1 then redis.call('PEXPIRE', k, left + RATE_SLACK_MS) end
  end
  return nil
end

-- args: now_ms, {kind, scope, limit}*. Returns {-1, 0} when counted, else rate_try's refusal.
local function rate_hit(_, args)
  return rate_try(args, 2, tonumber(args[1])) or {-1, 0}
end

-- ---- tokens ------------------------------------------------------------------

-- args: concert, user, now_ms, opens_ms (the opening time the service read, 0 = open), keep_ms
-- (ended records), then rate checks {kind, scope, limit}*. Returns the user's live token or a new
-- WAITING one; asking again counts as being seen. With rate checks, the call counts against them
-- first, or is refused with {-2, index of the check, ms until its window ends} and nothing else
-- happens. The given opening time is stored only when Redis has none (a new or flushed Redis) and
-- it lies ahead: changes go through bo_opens_set alone, so an issue that read the store just
-- before an admin's change cannot undo it.
local function token_issue(_, args)
  local c, u, now, given = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local keep = keep_of(args[5])
  if #args > 5 then
    local refused = rate_try(args, 6, now)
    if refused then return {-2, refused[1], refused[2]} end
  end
  local L = line_state(c)
  if not L.known and given > now then
    opens_write(c, given)
    L.opens = given
  end
  if not L.started then redis.call('HSET', qkey(c, 'meta'), 'head', ms(L.head)) end
  -- A new user costs one look into the user index: the next sequence is taken and named the
  -- user's at once, and given back when the user has a token already.
  local uk, sk = ukey(c, u), qkey(c, 'seq')
  local s = ms(redis.call('INCR', sk))
  if redis.call('HSETNX', uk, u, s) == 0 then
    redis.call('DECR', sk)
    local old = redis.call('HGET', uk, u)
    local t = record(c, old)
    if t and t.user == u then
      if t.st == 'W' then
        t.seen = now
        store(c, old, t)
        return waiting_reply(c, old, t, 0, L, now)
      elseif t.st == 'A' and (tonumber(t.expires) or 0) > now then
        return tuple(2, old, t, 0, 0, 0, 0)
      end
      finish(c, old, t, now, nil, keep)
    end
    s = ms(redis.call('INCR', sk))
    redis.call('HSET', uk, u, s)
  end
  local t = {st = 'W', user = u, issued = args[3], seen = now}
  store(c, s, t)
  redis.call('SADD', 'bo:queues', c)
  -- The last sequence issued while the sale is closed: where the next shuffle ends.
  if now < L.opens then redis.call('HSET', qkey(c, 'meta'), 'before', s) end
  return waiting_reply(c, s, t, 1, L, now)
end

-- args: concert, sequence, user, now_ms, seen_every_ms, keep_ms. Returns the token; {0} when
-- unknown, {-1} when it is another user's (then nothing is written). The last-seen write is
-- throttled so a busy poller costs a read only; an ACTIVE token's expiry never moves.
local function token_use(_, args)
  local c, s, now, every = args[1], args[2], tonumber(args[4]), tonumber(args[5])
  local t = record(c, s)
  if not t then return {0} end
  if t.user ~= args[3] then return {-1} end
  if t.st == 'W' then
    if every > 0 and now - t.seen >= every then
      t.seen = now
      store(c, s, t)
    end
    return waiting_reply(c, s, t, 0, line_state(c), now)
  elseif t.st == 'A' and (tonumber(t.expires) or 0) > now then
    return tuple(2, s, t, 0, 0, 0, 0)
  end
  return tuple(3, s, finish(c, s, t, now, nil, keep_of(args[6])), 0, 0, 0, 0)
end

-- args: concert, sequence, user, now_ms, keep_ms. Ends the user's live token (WAITING, or ACTIVE
-- and unexpired) and returns it as it is now (EXPIRED); {0} when unknown or already ended, {-1}
-- when it is another user's.
local function token_leave(_, args)
  local c, s, now = args[1], args[2], tonumber(args[4])
  local t = record(c, s)
  if not t then return {0} end
  if t.user ~= args[3] then return {-1} end
  local live = t.st == 'W' or (t.st == 'A' and (tonumber(t.expires) or 0) > now)
  t = finish(c, s, t, now, nil, keep_of(args[5]))
  if not live then return {0} end
  return tuple(3, s, t, 0, 0, 0, 0)
end

-- args: concert, sequence, user, keep_ms. Ends the user's token as of Redis's clock: 1 (also when
-- it had ended already); 0 when the token is unknown, -1 when it is another user's (then nothing
-- is written).
local function token_expire(_, args)
  local t = record(args[1], args[2])
  if not t then return 0 end
  if t.user ~= args[3] then return -1 end
  local now = redis.call('TIME')
  finish(args[1], args[2], t, tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000), nil,
         keep_of(args[4]))
  return 1
end

-- args: now_ms, seen_every_ms, "c:s:u\n"*. Returns one state letter per token.
local function tokens_touch(_, args)
  local now, every = tonumber(args[1]), tonumber(args[2])
  local out = {}
  for c, s, u in string.gmatch(args[3], '(%d+):(%d+):(%d+)') do
    local t = record(c, s)
    local st = 'X'
    if t and t.user == u then
      if t.st == 'W' then
        st = 'W'
        if now - t.seen >= every then
          t.seen = now
          store(c, s, t)
        end
      elseif t.st == 'A' and (tonumber(t.expires) or 0) > now then
        st = 'A'
      end
    end
    out[#out + 1] = st
  end
  return table.concat(out)
end

-- ---- the opening -------------------------------------------------------------

-- args: concert, opens_ms (0 = open now), now_ms. A future time is stored as it is; an
-- opening at or before now opens a sale that had not opened yet at now (the next admission
-- shuffles whoever waited) and leaves an open one alone. Either way an opening time is
-- recorded from then on (0 for open), so token issues no longer store theirs.
local function opens_set(_, args)
  local c, opens, now = args[1], tonumber(args[2]), tonumber(args[3])
  local cur, known = opens_read(c)
  if opens > now then
    if opens ~= cur then opens_write(c, opens) end
  elseif cur > now then
    opens_write(c, now)
  elseif not known then
    redis.call('HSET', qkey(c, 'meta'), 'opens', '0')
  end
  return 1
end

-- xorshift128 (Marsaglia) seeded with 32 hex digits; returns a function giving a uniform
-- integer in 0..n-1 (by rejection, so without modulo bias). Redis seeds math.random the same
-- way on every call: the seed comes from the caller's secure random bytes instead.
local function prng(seed)
  local x = bit.tobit(tonumber(string.sub(seed, 1, 8), 16) or 0)
  local y = bit.tobit(tonumber(string.sub(seed, 9, 16), 16) or 0)
  local z = bit.tobit(tonumber(string.sub(seed, 17, 24), 16) or 0)
  local w = bit.tobit(tonumber(string.sub(seed, 25, 32), 16) or 0)
  if x == 0 and y == 0 and z == 0 and w == 0 then w = 1 end
  local bxor, lsh, rsh = bit.bxor, bit.lshift, bit.rshift
  return function(n)
    local limit = 4294967296 - 4294967296 % n
    local v
    repeat
      local t = bxor(x, lsh(x, 11))
      x, y, z = y, z, w
      w = bxor(bxor(w, rsh(w, 19)), bxor(t, rsh(t, 8)))
      v = w % 4294967296
    until v < limit
    return v % n
  end
end

-- shuffle places the WAITING tokens of line L at places above its head and up to last (those
-- that joined before the opening) in a uniformly random order among themselves: Fisher-Yates
-- over the tokens, the places staying where they are, so each gets one of the same places and
-- the later joiners stay behind; holes stay holes. Every place above the head is a WAITING
-- token's or a hole (bo:q:<c>:left), so the tokens come from the holes and the last shuffle's
-- strings without reading a record. Writes whose each place is (bo:q:<c>:perm, from place
-- head + 1 on) and each token's place (bo:q:<c>:inv, from the lowest sequence on), each
-- string in one command, and updates L.
local function shuffle(c, seed, L, last)
  local head, perm = L.head, L.perm
  local holes, old = {}, ''
  for _, p in ipairs(redis.call('ZRANGEBYSCORE', qkey(c, 'left'), '(' .. ms(head), ms(last))) do
    holes[tonumber(p)] = true
  end
  if math.min(perm, last) > head then
    old = redis.call('GETRANGE', qkey(c, 'perm'), (head + 1 - L.pbase) * ENTRY,
                     (math.min(perm, last) - L.pbase + 1) * ENTRY - 1)
  end
  local places, seqs, n, low, high = {}, {}, 0, math.huge, 0
  for p = head + 1, last do
    if not holes[p] then
      local s = p
      if p <= perm then
        local at = (p - head - 1) * ENTRY + 1
        s = at + ENTRY - 1 <= #old and struct.unpack('>I5', old, at) or 0
      end
      if s > 0 then
        n = n + 1
        places[n], seqs[n] = p, s
        if s < low then low = s end
        if s > high then high = s end
      end
    end
  end
  if n == 0 then return end
  local below = prng(seed)
  for i = n, 2, -1 do
    local j = below(i) + 1
    seqs[i], seqs[j] = seqs[j], seqs[i]
  end
  local parts, at, k = {}, {}, 1
  for p = head + 1, last do
    if places[k] == p then
      parts[p - head] = struct.pack('>I5', seqs[k])
      at[seqs[k] - low + 1] = p
      k = k + 1
    else
      parts[p - head] = NONE
    end
  end
  redis.call('SET', qkey(c, 'perm'), table.concat(parts))
  parts = {}
  for i = 1, high - low + 1 do
    parts[i] = at[i] and struct.pack('>I5', at[i]) or NONE
  end
  redis.call('SET', qkey(c, 'inv'), table.concat(parts))
  redis.call('HSET', qkey(c, 'meta'), 'perm', ms(last), 'pbase', ms(head + 1), 'ibase', ms(low))
  L.perm, L.pbase, L.ibase = last, head + 1, low
end

-- ---- admission ---------------------------------------------------------------

-- args: concert, now_ms, max_active, max_count, ttl_ms, abandon_ms, ended_max, seed (32 hex
-- digits), keep_ms (ended records). Returns {{seq, user, issued, no}*, {"seq:user"}*, skipped,
-- waiting}. Nothing is admitted before the opening; the first step at or after it shuffles who
-- joined before. Abandoned tokens met at the head are ended and the scan goes on, so they take
-- neither the count nor a slot. Ended records past their time are swept.
local function admit(_, args)
  -- args[10], the holder ('' or absent: any caller): one that no longer has the leader lease
  -- gets {{}, {}, 0, 0} and nothing changes (see the invariants).
  if args[10] and args[10] ~= '' and redis.call('GET', LEADER) ~= args[10] then
    return {{}, {}, 0, 0}
  end
  local c, now = args[1], tonumber(args[2])
  local max_active, max_count = tonumber(args[3]), tonumber(args[4])
  local abandon, ended_max = tonumber(args[6]), tonumber(args[7])
  local keep = keep_of(args[9])
  local ak, rk, mk = qkey(c, 'active'), qkey(c, 'recent'), qkey(c, 'meta')
  for _, s in ipairs(redis.call('ZRANGEBYSCORE', ak, '-inf', args[2], 'LIMIT', 0, EXPIRE_MAX)) do
    local t = record(c, s)
    if t and t.st == 'A' then finish(c, s, t, now, nil, keep) else redis.call('ZREM', ak, s) end
  end
  local L = line_state(c)
  local n = 0
  if now >= L.opens then
    local m = redis.call('HMGET', mk, 'opens', 'shuffled', 'before')
    if L.opens > 0 and m[2] ~= m[1] then
      if m[3] then shuffle(c, args[8], L, tonumber(m[3])) end
      redis.call('HSET', mk, 'shuffled', m[1])
      redis.call('HDEL', mk, 'before')
    end
    n = math.min(max_active - redis.call('ZCARD', ak), max_count)
  end
  local out, count, skipped, head = {}, 0, 0, L.head
  if n > 0 then
    local exp = ms(now + tonumber(args[5]))
    local last = last_place(c)
    while count < n and skipped < SKIP_MAX and head < last do
      local places, seqs, recs, reached = line_read(c, L, head, last, n - count, SCAN_CHUNKS)
      local i = 1
      while i <= #places and count < n and skipped < SKIP_MAX do
        local s = seqs[i]
        local t = parse(recs[i])
        if not t then
          -- A record this code did not write: passed over, as the head goes past it.
        elseif abandon > 0 and now - t.seen >= abandon then
          finish(c, s, t, now, places[i], keep)
          skipped = skipped + 1
        else
          local no = ms(redis.call('INCR', qkey(c, 'admitted')))
          store(c, s, {st = 'A', user = t.user, issued = t.issued, admitted = args[2],
                       expires = exp, no = no})
          redis.call('ZADD', ak, exp, s)
          redis.call('RPUSH', rk, no .. ':' .. s .. ':' .. t.user .. ':' .. args[2] .. ':' .. exp)
          out[#out + 1] = s
          out[#out + 1] = t.user
          out[#out + 1] = t.issued
          out[#out + 1] = no
          count = count + 1
        end
        head = places[i]
        i = i + 1
      end
      if i <= #places then break end
      head = reached
      if #places == 0 then break end
    end
    if count > 0 then redis.call('LTRIM', rk, -RECENT_KEEP, -1) end
  end
  if head ~= L.head then
    redis.call('HSET', mk, 'head', ms(head))
    redis.call('ZREMRANGEBYSCORE', qkey(c, 'left'), '-inf', ms(head))
    if L.perm > 0 and head >= L.perm then
      -- Every shuffled place has been passed: the strings tell nothing any more.
      redis.call('DEL', qkey(c, 'perm'), qkey(c, 'inv'))
      redis.call('HDEL', mk, 'perm', 'pbase', 'ibase')
    end
  end
  sweep(c, now, SWEEP_STEP, keep)
  local ended = {}
  if ended_max > 0 then
    local ek = qkey(c, 'ended')
    ended = redis.call('LRANGE', ek, 0, ended_max - 1)
    if #ended > 0 then redis.call('LTRIM', ek, #ended, -1) end
  end
  local waiting = waiting_count(c, head)
  -- A line with no token waiting and no end left to announce leaves bo:queues, whose every
  -- concert the leader steps each tick (a set of every concert ever sold made the ticks longer
  -- than their interval): it is stepped again when its first ACTIVE token expires or its
  -- oldest ended record is due for the sweep (bo:later, due). The next issue puts it back.
  if waiting == 0 and redis.call('LLEN', qkey(c, 'ended')) == 0 then
    redis.call('SREM', 'bo:queues', c)
    later(c, now, keep)
  else
    redis.call('ZREM', LATER, c)
  end
  return {out, ended, skipped, waiting}
end

-- args: now (ms), max. Returns up to max concerts of bo:later whose next step is due (later),
-- earliest first; each stays there until a step schedules it again or finds nothing left.
local function due(_, args)
  return redis.call('ZRANGEBYSCORE', LATER, '-inf', args[1], 'LIMIT', 0, tonumber(args[2]))
end

-- args: concert, after_score, max. Returns {position of the first, {seq, user, score}*} for
-- the waiting tokens whose place (the score: after a shuffle places are no longer sequences,
-- so the place is the cursor) is above after_score, in line order; {0, {}} while the sale has
-- not opened (by Redis's clock), as there are no positions before the shuffle. Looks through
-- up to 8 times as many places as it may return (and 1,024 more), so only a run of holes far
-- longer than the slice ends it early.
local function line_after(_, args)
  local c, max = args[1], tonumber(args[3])
  local now = redis.call('TIME')
  local L = line_state(c)
  if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) < L.opens then
    return {0, {}}
  end
  local from = math.max(tonumber(args[2]) or 0, L.head)
  local places, seqs, recs = line_read(c, L, from, last_place(c), max,
                                       math.ceil(max / BUCKET) * 8 + 16)
  local out = {}
  for i = 1, #places do
    out[#out + 1] = seqs[i]
    out[#out + 1] = string.match(recs[i], '^W(%d+):') or '0'
    out[#out + 1] = ms(places[i])
  end
  local first = 0
  if #places > 0 then first = position(c, L.head, places[1]) end
  return {first, out}
end

-- args: concert, since_ms, max. Returns the recent admissions at or after since_ms.
local function recent(_, args)
  local since = tonumber(args[2])
  local out = {}
  for _, e in ipairs(redis.call('LRANGE', qkey(args[1], 'recent'), -tonumber(args[3]), -1)) do
    local at = tonumber(string.match(e, '^%d+:%d+:%d+:(%d+):'))
    if at and at >= since then out[#out + 1] = e end
  end
  return out
end

-- args: concert, rate text, now_ms.
local function stats_set(_, args)
  local k = qkey(args[1], 'stats')
  redis.call('HSET', k, 'rate', args[2], 'at', args[3])
  redis.call('PEXPIRE', k, STATS_KEEP_MS)
  return 1
end

-- args: concert. Returns {waiting, active}.
local function counts(_, args)
  return {waiting_count(args[1], line_state(args[1]).head),
          redis.call('ZCARD', qkey(args[1], 'active'))}
end

-- ---- leader lease ------------------------------------------------------------

-- args: holder, ttl_ms. Returns 1 when holder has the lease now, else 0.
local function lease_acquire(_, args)
  local h = redis.call('GET', LEADER)
  if not h then
    redis.call('SET', LEADER, args[1], 'PX', args[2])
    return 1
  end
  if h == args[1] then
    redis.call('PEXPIRE', LEADER, args[2])
    return 1
  end
  return 0
end

-- args: holder.
local function lease_release(_, args)
  if redis.call('GET', LEADER) == args[1] then
    redis.call('DEL', LEADER)
  end
  return 1
end

-- ---- registration ------------------------------------------------------------

local READ_ONLY = {'no-writes'}

redis.register_function('bo_token_issue', token_issue)
redis.register_function('bo_token_use', token_use)
redis.register_function('bo_token_leave', token_leave)
redis.register_function('bo_token_expire', token_expire)
redis.register_function('bo_tokens_touch', tokens_touch)
redis.register_function('bo_opens_set', opens_set)
redis.register_function('bo_admit', admit)
redis.register_function{function_name = 'bo_due', callback = due, flags = READ_ONLY}
redis.register_function{function_name = 'bo_line_after', callback = line_after,
                        flags = READ_ONLY}
redis.register_function{function_name = 'bo_recent', callback = recent, flags = READ_ONLY}
redis.register_function('bo_stats_set', stats_set)
redis.register_function{function_name = 'bo_counts', callback = counts, flags = READ_ONLY}
redis.register_function('bo_rate_hit', rate_hit)
redis.register_function('bo_lease_acquire', lease_acquire)
redis.register_function('bo_lease_release', lease_release)
