#!lua name=boxoffice
--[[
boxoffice: the service's Redis functions (loaded by cache_conn.c with FUNCTION LOAD REPLACE on
every connect, called with FCALL <name> 0 <args...>; see cache.h for the key layout).

Each function runs atomically. Invariants they keep:
  - a token's sequence is in at most one of bo:q:<c>:waiting and bo:q:<c>:active, and its
    hash's status says which (WAITING, ACTIVE) or EXPIRED when in neither;
  - bo:q:<c>:user:<u> names u's live token only; ending a token deletes it if it still
    names that token;
  - tokens become ACTIVE lowest score first, admission_no counting up. A token's score is
    its sequence, so admission order equals issue order (DESIGN invariant 2), except that at
    a sale's opening the tokens that joined before it deal their scores out again in a random
    permutation (shuffle): they stay ahead of every later joiner, in a random order. A
    WAITING token skipped as abandoned ends without an admission_no, so the numbers of the
    admitted stay consecutive;
  - nothing is admitted while now < the concert's opening time (bo:q:<c>:meta opens);
  - an ACTIVE token's expiry is fixed at its admission: reads never move it;
  - token_use and token_leave answer a token's own user only: another user's call writes
    nothing;
  - every end of a token (finish) appends it once to bo:q:<c>:ended, for its EXPIRED event.
An ended token's hash is kept for EXPIRED_KEEP_MS so its holder can still read EXPIRED, then
Redis drops it and it reads as unknown (also EXPIRED to callers).

Keys are built from the arguments (numkeys 0), as one Redis node holds them all. Stored values
go back as strings so 64-bit ids never pass through Lua numbers.
--]]

-- An ended token's hash lives this long (ms).
local EXPIRED_KEEP_MS = 3600000
-- Ended tokens waiting to be announced; beyond this (no leader for a long time) the oldest
-- announcements are dropped, never the tokens' state.
local ENDED_KEEP = 100000
-- Admissions remembered for a new leader to announce again: far more than a lease's worth.
local RECENT_KEEP = 1024
-- Abandoned tokens one step ends at most, so a long abandoned stretch cannot block Redis.
local SKIP_MAX = 500
-- A measured rate lapses when no leader has refreshed it for this long (ms).
local STATS_KEEP_MS = 60000
-- Members one ZADD of the shuffle adds: well inside the limit of unpacked values in Lua.
local SHUFFLE_CHUNK = 1000
-- A rate-limit window, and how long its counter outlives it (clock differences between
-- instances).
local RATE_WINDOW_MS = 60000
local RATE_SLACK_MS = 5000
local LEADER = 'bo:admission:leader'

-- ---- helpers -----------------------------------------------------------------

local function qkey(c, k) return 'bo:q:' .. c .. ':' .. k end
local function tkey(c, s) return 'bo:t:' .. c .. ':' .. s end
local function ms(v) return string.format('%d', v) end

-- A token reply: {status, sequence, user, issued, admitted, expires, admission_no, position,
-- created, rate_milli, sale_opens_at}; h is hread's answer.
local function tuple(code, s, h, pos, created, rate, opens)
  return {code, s, h[1] or '0', h[3] or '0', h[4] or '0', h[5] or '0', h[6] or '0',
          pos, created, rate, ms(opens)}
end

local function hread(c, s)
  return redis.call('HMGET', tkey(c, s), 'user', 'status', 'issued', 'admitted',
                    'expires', 'admission_no', 'seen')
end

-- The concert's opening time (ms; 0 when open), and whether Redis has one recorded at all.
local function opens_read(c)
  local v = redis.call('HGET', qkey(c, 'meta'), 'opens')
  return tonumber(v or '0') or 0, v ~= false
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

-- A WAITING token's reply: its position, or position 0 and the opening time while the sale
-- has not opened.
local function waiting_reply(c, s, h, created, opens, now)
  if now < opens then return tuple(1, s, h, 0, created, 0, opens) end
  local r = redis.call('ZRANK', qkey(c, 'waiting'), s)
  return tuple(1, s, h, r + 1, created, rate_of(c), 0)
end

-- finish is the one place a token ends, so every end is queued for its EXPIRED event.
local function finish(c, s)
  local k = tkey(c, s)
  redis.call('ZREM', qkey(c, 'waiting'), s)
  redis.call('ZREM', qkey(c, 'active'), s)
  local h = redis.call('HMGET', k, 'user', 'status')
  if h[2] and h[2] ~= 'EXPIRED' then
    redis.call('HSET', k, 'status', 'EXPIRED')
    redis.call('PEXPIRE', k, EXPIRED_KEEP_MS)
    local ek = qkey(c, 'ended')
    redis.call('RPUSH', ek, s .. ':' .. (h[1] or '0'))
    redis.call('LTRIM', ek, -ENDED_KEEP, -1)
  end
  if h[1] then
    local uk = qkey(c, 'user:' .. h[1])
    if redis.call('GET', uk) == s then redis.call('DEL', uk) end
  end
end

-- ---- tokens ------------------------------------------------------------------

-- args: concert, user, now_ms, opens_ms (the opening time the service read, 0 = open).
-- Returns the user's live token or a new WAITING one; asking again counts as being seen. The
-- given opening time is stored only when Redis has none (a new or flushed Redis) and it lies
-- ahead: changes go through bo_opens_set alone, so an issue that read the store just before
-- an admin's change cannot undo it.
local function token_issue(_, args)
  local c, u, now, given = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local opens, known = opens_read(c)
  if not known and given > now then
    opens_write(c, given)
    opens = given
  end
  local uk = qkey(c, 'user:' .. u)
  local s = redis.call('GET', uk)
  if s then
    local h = hread(c, s)
    if h[2] == 'WAITING' then
      if redis.call('ZSCORE', qkey(c, 'waiting'), s) then
        redis.call('HSET', tkey(c, s), 'seen', args[3])
        return waiting_reply(c, s, h, 0, opens, now)
      end
    elseif h[2] == 'ACTIVE' and (tonumber(h[5]) or 0) > now then
      return tuple(2, s, h, 0, 0, 0, 0)
    end
    finish(c, s)
    redis.call('DEL', uk)
  end
  s = tostring(redis.call('INCR', qkey(c, 'seq')))
  redis.call('HSET', tkey(c, s), 'user', u, 'status', 'WAITING', 'issued', args[3],
             'admitted', '0', 'expires', '0', 'admission_no', '0', 'seen', args[3])
  redis.call('ZADD', qkey(c, 'waiting'), s, s)
  redis.call('SET', uk, s)
  redis.call('SADD', 'bo:queues', c)
  -- The last sequence issued while the sale is closed: where the next shuffle ends.
  if now < opens then redis.call('HSET', qkey(c, 'meta'), 'before', s) end
  return waiting_reply(c, s, {u, 'WAITING', args[3], '0', '0', '0'}, 1, opens, now)
end

-- args: concert, sequence, user, now_ms, seen_every_ms. Returns the token; {0} when unknown,
-- {-1} when it is another user's (then nothing is written). The last-seen write is throttled
-- so a busy poller costs a read only; an ACTIVE token's expiry never moves.
local function token_use(_, args)
  local c, s, now, every = args[1], args[2], tonumber(args[4]), tonumber(args[5])
  local h = hread(c, s)
  if not h[2] then return {0} end
  if h[1] ~= args[3] then return {-1} end
  if h[2] == 'WAITING' then
    if redis.call('ZSCORE', qkey(c, 'waiting'), s) then
      if every > 0 and now - (tonumber(h[7] or h[3]) or 0) >= every then
        redis.call('HSET', tkey(c, s), 'seen', args[4])
      end
      return waiting_reply(c, s, h, 0, (opens_read(c)), now)
    end
  elseif h[2] == 'ACTIVE' and (tonumber(h[5]) or 0) > now then
    return tuple(2, s, h, 0, 0, 0, 0)
  end
  finish(c, s)
  return tuple(3, s, h, 0, 0, 0, 0)
end

-- args: concert, sequence, user, now_ms. Ends the user's live token (WAITING, or ACTIVE and
-- unexpired) and returns it as it is now (EXPIRED); {0} when unknown or already ended, {-1}
-- when it is another user's.
local function token_leave(_, args)
  local c, s, now = args[1], args[2], tonumber(args[4])
  local h = hread(c, s)
  if not h[2] then return {0} end
  if h[1] ~= args[3] then return {-1} end
  local live = h[2] == 'WAITING' or (h[2] == 'ACTIVE' and (tonumber(h[5]) or 0) > now)
  finish(c, s)
  if not live then return {0} end
  return tuple(3, s, h, 0, 0, 0, 0)
end

-- args: concert, sequence.
local function token_expire(_, args)
  finish(args[1], args[2])
  return 1
end

-- args: now_ms, seen_every_ms, "c:s:u\n"*. Returns one state letter per token.
local function tokens_touch(_, args)
  local now, every = tonumber(args[1]), tonumber(args[2])
  local out = {}
  for c, s, u in string.gmatch(args[3], '(%d+):(%d+):(%d+)') do
    local k = tkey(c, s)
    local h = redis.call('HMGET', k, 'user', 'status', 'expires', 'seen', 'issued')
    local st = 'X'
    if h[1] == u then
      if h[2] == 'WAITING' then
        st = 'W'
        if now - (tonumber(h[4] or h[5]) or 0) >= every then
          redis.call('HSET', k, 'seen', args[1])
        end
      elseif h[2] == 'ACTIVE' and (tonumber(h[3]) or 0) > now then
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

-- zadd_pairs adds the {member, score}* of list to the sorted set k, SHUFFLE_CHUNK at a time.
local function zadd_pairs(k, list)
  for from = 1, #list, 2 * SHUFFLE_CHUNK do
    local chunk = {}
    for i = from, math.min(from + 2 * SHUFFLE_CHUNK - 1, #list), 2 do
      chunk[#chunk + 1] = list[i + 1]
      chunk[#chunk + 1] = list[i]
    end
    redis.call('ZADD', k, unpack(chunk))
  end
end

-- shuffle places the waiting tokens of scores up to last (those that joined before the
-- opening) in a uniformly random order among themselves: Fisher-Yates over the members, the
-- scores staying where they are, so each gets one of the same scores and the later joiners
-- stay behind. The set is rebuilt in ascending score order under a new key and renamed over
-- the old one: about twice as fast as ZADD XX on every member in place. Returns how many it
-- placed.
local function shuffle(c, seed, last)
  local wk, nk = qkey(c, 'waiting'), qkey(c, 'shuffling')
  local list = redis.call('ZRANGEBYSCORE', wk, '-inf', last, 'WITHSCORES')
  local n = #list / 2
  if n < 2 then return n end
  local below = prng(seed)
  for i = n, 2, -1 do
    local j = below(i) + 1
    list[2 * i - 1], list[2 * j - 1] = list[2 * j - 1], list[2 * i - 1]
  end
  redis.call('DEL', nk)
  zadd_pairs(nk, list)
  zadd_pairs(nk, redis.call('ZRANGEBYSCORE', wk, '(' .. last, '+inf', 'WITHSCORES'))
  redis.call('UNLINK', wk)
  redis.call('RENAME', nk, wk)
  return n
end

-- ---- admission ---------------------------------------------------------------

-- args: concert, now_ms, max_active, max_count, ttl_ms, abandon_ms, ended_max, seed (32 hex
-- digits). Returns {{seq, user, issued, no}*, {"seq:user"}*, skipped, waiting}. Nothing is
-- admitted before the opening; the first step at or after it shuffles who joined before.
-- Abandoned tokens met at the head are ended and the scan goes on, so they take neither the
-- count nor a slot.
local function admit(_, args)
  local c, now = args[1], tonumber(args[2])
  local max_active, max_count = tonumber(args[3]), tonumber(args[4])
  local abandon, ended_max = tonumber(args[6]), tonumber(args[7])
  local ak, wk, rk, mk = qkey(c, 'active'), qkey(c, 'waiting'), qkey(c, 'recent'), qkey(c, 'meta')
  for _, s in ipairs(redis.call('ZRANGEBYSCORE', ak, '-inf', args[2])) do finish(c, s) end
  local meta = redis.call('HMGET', mk, 'opens', 'shuffled', 'before')
  local opens = tonumber(meta[1] or '0') or 0
  local n = 0
  if now >= opens then
    if opens > 0 and meta[2] ~= meta[1] then
      if meta[3] then shuffle(c, args[8], meta[3]) end
      redis.call('HSET', mk, 'shuffled', meta[1])
      redis.call('HDEL', mk, 'before')
    end
    n = math.min(max_active - redis.call('ZCARD', ak), max_count)
  end
  local out, count, skipped = {}, 0, 0
  if n > 0 then
    local exp = ms(now + tonumber(args[5]))
    while count < n and skipped < SKIP_MAX do
      local batch = redis.call('ZRANGE', wk, 0, n - count - 1)
      if #batch == 0 then break end
      for _, s in ipairs(batch) do
        local k = tkey(c, s)
        local h = redis.call('HMGET', k, 'user', 'issued', 'status', 'seen')
        if h[3] == 'WAITING' and abandon > 0 and
           now - (tonumber(h[4] or h[2]) or 0) >= abandon then
          finish(c, s)
          skipped = skipped + 1
        else
          redis.call('ZREM', wk, s)
          if h[3] == 'WAITING' then
            local no = ms(redis.call('INCR', qkey(c, 'admitted')))
            redis.call('HSET', k, 'status', 'ACTIVE', 'admitted', args[2], 'expires', exp,
                       'admission_no', no)
            redis.call('ZADD', ak, exp, s)
            redis.call('RPUSH', rk, no .. ':' .. s .. ':' .. h[1] .. ':' .. args[2] .. ':' ..
                       exp)
            out[#out + 1] = s
            out[#out + 1] = h[1]
            out[#out + 1] = h[2]
            out[#out + 1] = no
            count = count + 1
          end
        end
      end
    end
    if count > 0 then redis.call('LTRIM', rk, -RECENT_KEEP, -1) end
  end
  local ended = {}
  if ended_max > 0 then
    local ek = qkey(c, 'ended')
    ended = redis.call('LRANGE', ek, 0, ended_max - 1)
    if #ended > 0 then redis.call('LTRIM', ek, #ended, -1) end
  end
  return {out, ended, skipped, redis.call('ZCARD', wk)}
end

-- args: concert, after_score, max. Returns {position of the first, {seq, user, score}*} for
-- the waiting tokens scored above after_score, in line order (after a shuffle scores are no
-- longer sequences, so the score is the cursor); {0, {}} while the sale has not opened (by
-- Redis's clock), as there are no positions before the shuffle.
local function line_after(_, args)
  local c = args[1]
  local wk = qkey(c, 'waiting')
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) < opens_read(c) then
    return {0, {}}
  end
  local list = redis.call('ZRANGEBYSCORE', wk, '(' .. args[2], '+inf', 'WITHSCORES', 'LIMIT', 0,
                          tonumber(args[3]))
  local out = {}
  for i = 1, #list, 2 do
    out[#out + 1] = list[i]
    out[#out + 1] = redis.call('HGET', tkey(c, list[i]), 'user') or '0'
    out[#out + 1] = list[i + 1]
  end
  local first = 0
  if #list > 0 then first = redis.call('ZRANK', wk, list[1]) + 1 end
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
  return {redis.call('ZCARD', qkey(args[1], 'waiting')),
          redis.call('ZCARD', qkey(args[1], 'active'))}
end

-- ---- rate limits ---------------------------------------------------------------

-- args: now_ms, {kind, scope, limit}*. Counts one hit on every check's counter of the
-- current one-minute window, unless one of them is at its limit: then nothing is counted and
-- the reply is {index of that check (0-based), ms until its window ends}; else {-1, 0}.
local function rate_hit(_, args)
  local now = tonumber(args[1])
  local window = math.floor(now / RATE_WINDOW_MS)
  local left = (window + 1) * RATE_WINDOW_MS - now
  local keys = {}
  for i = 2, #args - 2, 3 do
    local k = 'bo:rl:' .. args[i] .. ':' .. args[i + 1] .. ':' .. window
    if (tonumber(redis.call('GET', k) or '0') or 0) >= tonumber(args[i + 2]) then
      return {(i - 2) / 3, left}
    end
    keys[#keys + 1] = k
  end
  for _, k in ipairs(keys) do
    if redis.call('INCR', k) == 1 then redis.call('PEXPIRE', k, left + RATE_SLACK_MS) end
  end
  return {-1, 0}
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
redis.register_function{function_name = 'bo_line_after', callback = line_after,
                        flags = READ_ONLY}
redis.register_function{function_name = 'bo_recent', callback = recent, flags = READ_ONLY}
redis.register_function('bo_stats_set', stats_set)
redis.register_function{function_name = 'bo_counts', callback = counts, flags = READ_ONLY}
redis.register_function('bo_rate_hit', rate_hit)
redis.register_function('bo_lease_acquire', lease_acquire)
redis.register_function('bo_lease_release', lease_release)
