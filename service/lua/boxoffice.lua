#!lua name=boxoffice
--[[
boxoffice: the service's Redis functions (loaded by cache_conn.c with FUNCTION LOAD REPLACE on
every connect, called with FCALL <name> 0 <args...>; see cache.h for the key layout).

Each function runs atomically. Invariants they keep:
  - a token's sequence is in at most one of bo:q:<c>:waiting and bo:q:<c>:active, and its
    hash's status says which (WAITING, ACTIVE) or EXPIRED when in neither;
  - bo:q:<c>:user:<u> names u's live token only; ending a token deletes it if it still
    names that token;
  - tokens become ACTIVE lowest sequence first, admission_no counting up, so admission order
    equals issue order (DESIGN invariant 2); a WAITING token skipped as abandoned ends
    without an admission_no, so the numbers of the admitted stay consecutive;
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
local LEADER = 'bo:admission:leader'

-- ---- helpers -----------------------------------------------------------------

local function qkey(c, k) return 'bo:q:' .. c .. ':' .. k end
local function tkey(c, s) return 'bo:t:' .. c .. ':' .. s end

-- A token reply: {status, sequence, user, issued, admitted, expires, admission_no, position,
-- created, rate_milli}; h is hread's answer.
local function tuple(code, s, h, pos, created, rate)
  return {code, s, h[1] or '0', h[3] or '0', h[4] or '0', h[5] or '0', h[6] or '0',
          pos, created, rate}
end

local function hread(c, s)
  return redis.call('HMGET', tkey(c, s), 'user', 'status', 'issued', 'admitted',
                    'expires', 'admission_no', 'seen')
end

-- The concert's measured admission rate in thousandths per second (0 when none).
local function rate_of(c)
  local r = tonumber(redis.call('HGET', qkey(c, 'stats'), 'rate') or '0') or 0
  return math.floor(r * 1000 + 0.5)
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

-- args: concert, user, now_ms. Returns the user's live token or a new WAITING one; asking
-- again counts as being seen.
local function token_issue(_, args)
  local c, u, now = args[1], args[2], tonumber(args[3])
  local uk = qkey(c, 'user:' .. u)
  local s = redis.call('GET', uk)
  if s then
    local h = hread(c, s)
    if h[2] == 'WAITING' then
      local r = redis.call('ZRANK', qkey(c, 'waiting'), s)
      if r then
        redis.call('HSET', tkey(c, s), 'seen', args[3])
        return tuple(1, s, h, r + 1, 0, rate_of(c))
      end
    elseif h[2] == 'ACTIVE' and (tonumber(h[5]) or 0) > now then
      return tuple(2, s, h, 0, 0, 0)
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
  local r = redis.call('ZRANK', qkey(c, 'waiting'), s)
  return {1, s, u, args[3], '0', '0', '0', r + 1, 1, rate_of(c)}
end

-- args: concert, sequence, now_ms, touch_ttl_ms, seen_every_ms. Returns the token, or {0}
-- when unknown. The last-seen write is throttled so a busy poller costs a read only.
local function token_use(_, args)
  local c, s, now, touch = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local every = tonumber(args[5])
  local h = hread(c, s)
  if not h[2] then return {0} end
  if h[2] == 'WAITING' then
    local r = redis.call('ZRANK', qkey(c, 'waiting'), s)
    if r then
      if every > 0 and now - (tonumber(h[7] or h[3]) or 0) >= every then
        redis.call('HSET', tkey(c, s), 'seen', args[3])
      end
      return tuple(1, s, h, r + 1, 0, rate_of(c))
    end
  elseif h[2] == 'ACTIVE' then
    local exp = tonumber(h[5]) or 0
    if exp > now then
      if touch > 0 and now + touch > exp then
        exp = now + touch
        h[5] = string.format('%d', exp)
        redis.call('HSET', tkey(c, s), 'expires', h[5])
        redis.call('ZADD', qkey(c, 'active'), h[5], s)
      end
      return tuple(2, s, h, 0, 0, 0)
    end
  end
  finish(c, s)
  return tuple(3, s, h, 0, 0, 0)
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

-- ---- admission ---------------------------------------------------------------

-- args: concert, now_ms, max_active, max_count, ttl_ms, abandon_ms, ended_max.
-- Returns {{seq, user, issued, no}*, {"seq:user"}*, skipped, waiting}. Abandoned tokens met
-- at the head are ended and the scan goes on, so they take neither the count nor a slot.
local function admit(_, args)
  local c, now = args[1], tonumber(args[2])
  local max_active, max_count = tonumber(args[3]), tonumber(args[4])
  local abandon, ended_max = tonumber(args[6]), tonumber(args[7])
  local ak, wk, rk = qkey(c, 'active'), qkey(c, 'waiting'), qkey(c, 'recent')
  for _, s in ipairs(redis.call('ZRANGEBYSCORE', ak, '-inf', args[2])) do finish(c, s) end
  local n = math.min(max_active - redis.call('ZCARD', ak), max_count)
  local out, count, skipped = {}, 0, 0
  if n > 0 then
    local exp = string.format('%d', now + tonumber(args[5]))
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
            local no = string.format('%d', redis.call('INCR', qkey(c, 'admitted')))
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

-- args: concert, after_seq, max. Returns {position of the first, {seq, user}*} for the waiting
-- tokens after after_seq, in line order (the waiting set is scored by sequence).
local function line_after(_, args)
  local c = args[1]
  local wk = qkey(c, 'waiting')
  local seqs = redis.call('ZRANGEBYSCORE', wk, '(' .. args[2], '+inf', 'LIMIT', 0,
                          tonumber(args[3]))
  local out = {}
  for _, s in ipairs(seqs) do
    out[#out + 1] = s
    out[#out + 1] = redis.call('HGET', tkey(c, s), 'user') or '0'
  end
  local first = 0
  if #seqs > 0 then first = redis.call('ZRANK', wk, seqs[1]) + 1 end
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
redis.register_function('bo_token_expire', token_expire)
redis.register_function('bo_tokens_touch', tokens_touch)
redis.register_function('bo_admit', admit)
redis.register_function{function_name = 'bo_line_after', callback = line_after,
                        flags = READ_ONLY}
redis.register_function{function_name = 'bo_recent', callback = recent, flags = READ_ONLY}
redis.register_function('bo_stats_set', stats_set)
redis.register_function{function_name = 'bo_counts', callback = counts, flags = READ_ONLY}
redis.register_function('bo_lease_acquire', lease_acquire)
redis.register_function('bo_lease_release', lease_release)
