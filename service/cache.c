/*
 * cache: the service's Redis state over hiredis (see cache.h for the key layout).
 *
 * Invariants kept by the scripts below, each of which runs atomically:
 *   - a token's sequence is in at most one of bo:q:<c>:waiting and bo:q:<c>:active, and its
 *     hash's status says which (WAITING, ACTIVE) or EXPIRED when in neither;
 *   - bo:q:<c>:user:<u> names u's live token only; ending a token deletes it if it still
 *     names that token;
 *   - tokens become ACTIVE lowest sequence first, admission_no counting up, so admission order
 *     equals issue order (DESIGN invariant 2); a WAITING token skipped as abandoned ends
 *     without an admission_no, so the numbers of the admitted stay consecutive;
 *   - every end of a token (finish) appends it once to bo:q:<c>:ended, for its EXPIRED event.
 * An ended token's hash is kept for CACHE_EXPIRED_KEEP_MS so its holder can still read
 * EXPIRED, then Redis drops it and it reads as unknown (also EXPIRED to callers).
 *
 * Layers, low to high: URL parsing, connection (connect, liveness, one round trip with
 * reconnect), scripts (EVALSHA with NOSCRIPT reload, one or a pipeline of them), reply
 * decoding, the public calls.
 */
#include "cache.h"

#include "bo_error.h"
#include "bo_log.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_CONNECT_TIMEOUT_MS 2000
/* Longer than any script takes; a hung server must not hang a worker forever. */
#define CACHE_COMMAND_TIMEOUT_MS 5000
#define CACHE_EXPIRED_KEEP_MS    "3600000"
/* Ended tokens waiting to be announced; beyond this (no leader for a long time) the oldest
 * announcements are dropped, never the tokens' state. */
#define CACHE_ENDED_KEEP "100000"
/* Admissions remembered for a new leader to announce again: far more than a lease's worth. */
#define CACHE_RECENT_KEEP "1024"
/* Abandoned tokens one step ends at most, so a long abandoned stretch cannot block Redis. */
#define CACHE_SKIP_MAX "500"
/* Tokens one touch script handles: a larger request is split into scripts sent in one
 * pipeline, so other clients' commands run between them rather than wait for all. */
#define CACHE_TOUCH_CHUNK 2000
/* A measured rate lapses when no leader has refreshed it for this long. */
#define CACHE_STATS_KEEP_MS "60000"
#define CACHE_DEFAULT_PORT  6379
#define CACHE_ARGS_MAX      16
#define CACHE_SHA_LEN       40

/* ---- Lua scripts --------------------------------------------------------- */

/*
 * Shared helpers prepended to every token script. A token reply is
 * {status, sequence, user, issued, admitted, expires, admission_no, position, created,
 * rate_milli}; stored values go back as strings so 64-bit ids never pass through Lua numbers.
 * finish() is the one place a token ends, so every end is queued for its EXPIRED event.
 */
#define CACHE_LUA_PRELUDE                                                                          \
    "local function qkey(c, k) return 'bo:q:' .. c .. ':' .. k end\n"                              \
    "local function tkey(c, s) return 'bo:t:' .. c .. ':' .. s end\n"                              \
    "local function tuple(code, s, h, pos, created, rate)\n"                                       \
    "  return {code, s, h[1] or '0', h[3] or '0', h[4] or '0', h[5] or '0', h[6] or '0',\n"        \
    "          pos, created, rate}\n"                                                              \
    "end\n"                                                                                        \
    "local function hread(c, s)\n"                                                                 \
    "  return redis.call('HMGET', tkey(c, s), 'user', 'status', 'issued', 'admitted',\n"           \
    "                    'expires', 'admission_no', 'seen')\n"                                     \
    "end\n"                                                                                        \
    "local function rate_of(c)\n"                                                                  \
    "  local r = tonumber(redis.call('HGET', qkey(c, 'stats'), 'rate') or '0') or 0\n"             \
    "  return math.floor(r * 1000 + 0.5)\n"                                                        \
    "end\n"                                                                                        \
    "local function finish(c, s)\n"                                                                \
    "  local k = tkey(c, s)\n"                                                                     \
    "  redis.call('ZREM', qkey(c, 'waiting'), s)\n"                                                \
    "  redis.call('ZREM', qkey(c, 'active'), s)\n"                                                 \
    "  local h = redis.call('HMGET', k, 'user', 'status')\n"                                       \
    "  if h[2] and h[2] ~= 'EXPIRED' then\n"                                                       \
    "    redis.call('HSET', k, 'status', 'EXPIRED')\n"                                             \
    "    redis.call('PEXPIRE', k, " CACHE_EXPIRED_KEEP_MS ")\n"                                    \
    "    local ek = qkey(c, 'ended')\n"                                                            \
    "    redis.call('RPUSH', ek, s .. ':' .. (h[1] or '0'))\n"                                     \
    "    redis.call('LTRIM', ek, -" CACHE_ENDED_KEEP ", -1)\n"                                     \
    "  end\n"                                                                                      \
    "  if h[1] then\n"                                                                             \
    "    local uk = qkey(c, 'user:' .. h[1])\n"                                                    \
    "    if redis.call('GET', uk) == s then redis.call('DEL', uk) end\n"                           \
    "  end\n"                                                                                      \
    "end\n"

/* ARGV: concert, user, now_ms. Returns the user's live token or a new WAITING one; asking
 * again counts as being seen. */
static const char cache_lua_issue[] = CACHE_LUA_PRELUDE
    "local c, u, now = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local uk = qkey(c, 'user:' .. u)\n"
    "local s = redis.call('GET', uk)\n"
    "if s then\n"
    "  local h = hread(c, s)\n"
    "  if h[2] == 'WAITING' then\n"
    "    local r = redis.call('ZRANK', qkey(c, 'waiting'), s)\n"
    "    if r then\n"
    "      redis.call('HSET', tkey(c, s), 'seen', ARGV[3])\n"
    "      return tuple(1, s, h, r + 1, 0, rate_of(c))\n"
    "    end\n"
    "  elseif h[2] == 'ACTIVE' and (tonumber(h[5]) or 0) > now then\n"
    "    return tuple(2, s, h, 0, 0, 0)\n"
    "  end\n"
    "  finish(c, s)\n"
    "  redis.call('DEL', uk)\n"
    "end\n"
    "s = tostring(redis.call('INCR', qkey(c, 'seq')))\n"
    "redis.call('HSET', tkey(c, s), 'user', u, 'status', 'WAITING', 'issued', ARGV[3],\n"
    "           'admitted', '0', 'expires', '0', 'admission_no', '0', 'seen', ARGV[3])\n"
    "redis.call('ZADD', qkey(c, 'waiting'), s, s)\n"
    "redis.call('SET', uk, s)\n"
    "redis.call('SADD', 'bo:queues', c)\n"
    "local r = redis.call('ZRANK', qkey(c, 'waiting'), s)\n"
    "return {1, s, u, ARGV[3], '0', '0', '0', r + 1, 1, rate_of(c)}\n";

/* ARGV: concert, sequence, now_ms, touch_ttl_ms, seen_every_ms. Returns the token, or {0}
 * when unknown. The last-seen write is throttled so a busy poller costs a read only. */
static const char cache_lua_use[] = CACHE_LUA_PRELUDE
    "local c, s, now, touch = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local every = tonumber(ARGV[5])\n"
    "local h = hread(c, s)\n"
    "if not h[2] then return {0} end\n"
    "if h[2] == 'WAITING' then\n"
    "  local r = redis.call('ZRANK', qkey(c, 'waiting'), s)\n"
    "  if r then\n"
    "    if every > 0 and now - (tonumber(h[7] or h[3]) or 0) >= every then\n"
    "      redis.call('HSET', tkey(c, s), 'seen', ARGV[3])\n"
    "    end\n"
    "    return tuple(1, s, h, r + 1, 0, rate_of(c))\n"
    "  end\n"
    "elseif h[2] == 'ACTIVE' then\n"
    "  local exp = tonumber(h[5]) or 0\n"
    "  if exp > now then\n"
    "    if touch > 0 and now + touch > exp then\n"
    "      exp = now + touch\n"
    "      h[5] = string.format('%d', exp)\n"
    "      redis.call('HSET', tkey(c, s), 'expires', h[5])\n"
    "      redis.call('ZADD', qkey(c, 'active'), h[5], s)\n"
    "    end\n"
    "    return tuple(2, s, h, 0, 0, 0)\n"
    "  end\n"
    "end\n"
    "finish(c, s)\n"
    "return tuple(3, s, h, 0, 0, 0)\n";

/* ARGV: concert, sequence. */
static const char cache_lua_expire[] = CACHE_LUA_PRELUDE "finish(ARGV[1], ARGV[2])\n"
                                                         "return 1\n";

/*
 * ARGV: concert, now_ms, max_active, max_count, ttl_ms, abandon_ms, ended_max.
 * Returns {{seq, user, issued, no}*, {"seq:user"}*, skipped, waiting}. Abandoned tokens met
 * at the head are ended and the scan goes on, so they take neither the count nor a slot.
 */
static const char cache_lua_admit[] = CACHE_LUA_PRELUDE
    "local c, now = ARGV[1], tonumber(ARGV[2])\n"
    "local max_active, max_count = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local abandon, ended_max = tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "local ak, wk, rk = qkey(c, 'active'), qkey(c, 'waiting'), qkey(c, 'recent')\n"
    "for _, s in ipairs(redis.call('ZRANGEBYSCORE', ak, '-inf', ARGV[2])) do finish(c, s) end\n"
    "local n = math.min(max_active - redis.call('ZCARD', ak), max_count)\n"
    "local out, count, skipped = {}, 0, 0\n"
    "if n > 0 then\n"
    "  local exp = string.format('%d', now + tonumber(ARGV[5]))\n"
    "  while count < n and skipped < " CACHE_SKIP_MAX " do\n"
    "    local batch = redis.call('ZRANGE', wk, 0, n - count - 1)\n"
    "    if #batch == 0 then break end\n"
    "    for _, s in ipairs(batch) do\n"
    "      local k = tkey(c, s)\n"
    "      local h = redis.call('HMGET', k, 'user', 'issued', 'status', 'seen')\n"
    "      if h[3] == 'WAITING' and abandon > 0 and\n"
    "         now - (tonumber(h[4] or h[2]) or 0) >= abandon then\n"
    "        finish(c, s)\n"
    "        skipped = skipped + 1\n"
    "      else\n"
    "        redis.call('ZREM', wk, s)\n"
    "        if h[3] == 'WAITING' then\n"
    "          local no = string.format('%d', redis.call('INCR', qkey(c, 'admitted')))\n"
    "          redis.call('HSET', k, 'status', 'ACTIVE', 'admitted', ARGV[2], 'expires', exp,\n"
    "                     'admission_no', no)\n"
    "          redis.call('ZADD', ak, exp, s)\n"
    "          redis.call('RPUSH', rk, no .. ':' .. s .. ':' .. h[1] .. ':' .. ARGV[2] .. ':' ..\n"
    "                     exp)\n"
    "          out[#out + 1] = s\n"
    "          out[#out + 1] = h[1]\n"
    "          out[#out + 1] = h[2]\n"
    "          out[#out + 1] = no\n"
    "          count = count + 1\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  if count > 0 then redis.call('LTRIM', rk, -" CACHE_RECENT_KEEP ", -1) end\n"
    "end\n"
    "local ended = {}\n"
    "if ended_max > 0 then\n"
    "  local ek = qkey(c, 'ended')\n"
    "  ended = redis.call('LRANGE', ek, 0, ended_max - 1)\n"
    "  if #ended > 0 then redis.call('LTRIM', ek, #ended, -1) end\n"
    "end\n"
    "return {out, ended, skipped, redis.call('ZCARD', wk)}\n";

/* ARGV: concert, after_seq, max. Returns {position of the first, {seq, user}*} for the waiting
 * tokens after after_seq, in line order (the waiting set is scored by sequence). */
static const char cache_lua_line[] = CACHE_LUA_PRELUDE
    "local c = ARGV[1]\n"
    "local wk = qkey(c, 'waiting')\n"
    "local seqs = redis.call('ZRANGEBYSCORE', wk, '(' .. ARGV[2], '+inf', 'LIMIT', 0,\n"
    "                        tonumber(ARGV[3]))\n"
    "local out = {}\n"
    "for _, s in ipairs(seqs) do\n"
    "  out[#out + 1] = s\n"
    "  out[#out + 1] = redis.call('HGET', tkey(c, s), 'user') or '0'\n"
    "end\n"
    "local first = 0\n"
    "if #seqs > 0 then first = redis.call('ZRANK', wk, seqs[1]) + 1 end\n"
    "return {first, out}\n";

/* ARGV: concert, since_ms, max. Returns the recent admissions at or after since_ms. */
static const char cache_lua_recent[] = CACHE_LUA_PRELUDE
    "local since = tonumber(ARGV[2])\n"
    "local out = {}\n"
    "for _, e in ipairs(redis.call('LRANGE', qkey(ARGV[1], 'recent'), -tonumber(ARGV[3]), -1))\n"
    "do\n"
    "  local at = tonumber(string.match(e, '^%d+:%d+:%d+:(%d+):'))\n"
    "  if at and at >= since then out[#out + 1] = e end\n"
    "end\n"
    "return out\n";

/* ARGV: now_ms, seen_every_ms, "c:s:u\n"*. Returns one state letter per token. */
static const char cache_lua_touch[] = CACHE_LUA_PRELUDE
    "local now, every = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local out = {}\n"
    "for c, s, u in string.gmatch(ARGV[3], '(%d+):(%d+):(%d+)') do\n"
    "  local k = tkey(c, s)\n"
    "  local h = redis.call('HMGET', k, 'user', 'status', 'expires', 'seen', 'issued')\n"
    "  local st = 'X'\n"
    "  if h[1] == u then\n"
    "    if h[2] == 'WAITING' then\n"
    "      st = 'W'\n"
    "      if now - (tonumber(h[4] or h[5]) or 0) >= every then\n"
    "        redis.call('HSET', k, 'seen', ARGV[1])\n"
    "      end\n"
    "    elseif h[2] == 'ACTIVE' and (tonumber(h[3]) or 0) > now then\n"
    "      st = 'A'\n"
    "    end\n"
    "  end\n"
    "  out[#out + 1] = st\n"
    "end\n"
    "return table.concat(out)\n";

/* ARGV: concert, rate text, now_ms. */
static const char cache_lua_stats_set[] = "local k = 'bo:q:' .. ARGV[1] .. ':stats'\n"
                                          "redis.call('HSET', k, 'rate', ARGV[2], 'at', ARGV[3])\n"
                                          "redis.call('PEXPIRE', k, " CACHE_STATS_KEEP_MS ")\n"
                                          "return 1\n";

/* ARGV: concert. */
static const char cache_lua_counts[] =
    "return {redis.call('ZCARD', 'bo:q:' .. ARGV[1] .. ':waiting'),\n"
    "        redis.call('ZCARD', 'bo:q:' .. ARGV[1] .. ':active')}\n";

/* ARGV: holder, ttl_ms. */
static const char cache_lua_lease_acquire[] =
    "local h = redis.call('GET', 'bo:admission:leader')\n"
    "if not h then\n"
    "  redis.call('SET', 'bo:admission:leader', ARGV[1], 'PX', ARGV[2])\n"
    "  return 1\n"
    "end\n"
    "if h == ARGV[1] then\n"
    "  redis.call('PEXPIRE', 'bo:admission:leader', ARGV[2])\n"
    "  return 1\n"
    "end\n"
    "return 0\n";

/* ARGV: holder. */
static const char cache_lua_lease_release[] =
    "if redis.call('GET', 'bo:admission:leader') == ARGV[1] then\n"
    "  redis.call('DEL', 'bo:admission:leader')\n"
    "end\n"
    "return 1\n";

enum cache_script {
    CS_ISSUE,
    CS_USE,
    CS_EXPIRE,
    CS_ADMIT,
    CS_LINE,
    CS_RECENT,
    CS_TOUCH,
    CS_STATS_SET,
    CS_COUNTS,
    CS_LEASE_ACQUIRE,
    CS_LEASE_RELEASE,
    CS_COUNT_
};

static const char *const cache_scripts[CS_COUNT_] = {
    [CS_ISSUE] = cache_lua_issue,
    [CS_USE] = cache_lua_use,
    [CS_EXPIRE] = cache_lua_expire,
    [CS_ADMIT] = cache_lua_admit,
    [CS_LINE] = cache_lua_line,
    [CS_RECENT] = cache_lua_recent,
    [CS_TOUCH] = cache_lua_touch,
    [CS_STATS_SET] = cache_lua_stats_set,
    [CS_COUNTS] = cache_lua_counts,
    [CS_LEASE_ACQUIRE] = cache_lua_lease_acquire,
    [CS_LEASE_RELEASE] = cache_lua_lease_release,
};

static const char *const cache_settings_fields[4] = {"rate_per_second", "max_active",
                                                     "token_ttl_seconds", "hold_ttl_seconds"};

/* How a command may be repeated after the connection failed under it. */
enum cache_retry {
    CACHE_RETRY_ANY,    /* idempotent: repeat after any connection failure */
    CACHE_RETRY_UNSENT, /* changes state: repeat only if it never left this process */
};

struct cache {
    redisContext *rc; /* NULL while disconnected */
    char host[256];
    int port;
    int db;
    char user[128];
    char password[256];
    char sha[CS_COUNT_][CACHE_SHA_LEN + 1];
    int down; /* 1 from a failed connect until the next success: one log line per outage */
};

/* Arguments of one command, numbers formatted in place. */
struct cache_args {
    int n;
    const char *argv[CACHE_ARGS_MAX];
    size_t len[CACHE_ARGS_MAX];
    char num[CACHE_ARGS_MAX][24];
};

static void cache_args_str(struct cache_args *a, const char *s)
{
    a->argv[a->n] = s;
    a->len[a->n] = strlen(s);
    a->n++;
}

/* cache_args_buf adds len bytes at p (borrowed until the command is sent). */
static void cache_args_buf(struct cache_args *a, const char *p, size_t len)
{
    a->argv[a->n] = p;
    a->len[a->n] = len;
    a->n++;
}

static void cache_args_u64(struct cache_args *a, uint64_t v)
{
    int len = snprintf(a->num[a->n], sizeof(a->num[0]), "%" PRIu64, v);
    a->argv[a->n] = a->num[a->n];
    a->len[a->n] = (size_t)len;
    a->n++;
}

static void cache_args_i64(struct cache_args *a, int64_t v)
{
    int len = snprintf(a->num[a->n], sizeof(a->num[0]), "%" PRId64, v);
    a->argv[a->n] = a->num[a->n];
    a->len[a->n] = (size_t)len;
    a->n++;
}

/* ---- URL ----------------------------------------------------------------- */

static int cache_hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

/* cache_url_copy copies s[0..len) into out, decoding %XX, failing when it does not fit. */
static int cache_url_copy(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '%') {
            int hi = i + 2 < len ? cache_hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? cache_hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                return BO_E_INVALID_ARGUMENT;
            }
            ch = (char)(hi * 16 + lo);
            i += 2;
        }
        if (ch == '\0' || o + 1 >= outlen) {
            return BO_E_INVALID_ARGUMENT;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    return BO_OK;
}

/* cache_parse_num reads a decimal number lo..hi from s[0..len). */
static int cache_parse_num(const char *s, size_t len, long lo, long hi, int *out)
{
    long v = 0;

    if (len == 0 || len > 9) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return BO_E_INVALID_ARGUMENT;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) {
        return BO_E_INVALID_ARGUMENT;
    }
    *out = (int)v;
    return BO_OK;
}

/* cache_url_parse fills c's address from "redis://[[user]:password@]host[:port][/db]" or
 * "host:port"; host may be "[v6 address]". */
static int cache_url_parse(const char *url, struct cache *c)
{
    const char *s = url;
    const char *end;
    const char *at;
    const char *hp;
    const char *colon;
    const char *host;
    size_t hostlen;

    if (url == NULL || url[0] == '\0') {
        return BO_E_INVALID_ARGUMENT;
    }
    if (strncmp(s, "redis://", 8) == 0) {
        s += 8;
    } else if (strstr(s, "://") != NULL) {
        return BO_E_INVALID_ARGUMENT; /* rediss:// (TLS) and others are not supported */
    }
    end = s + strcspn(s, "/?#");
    if (*end == '?' || *end == '#') {
        return BO_E_INVALID_ARGUMENT;
    }

    c->user[0] = '\0';
    c->password[0] = '\0';
    at = NULL;
    for (const char *p = s; p < end; p++) {
        if (*p == '@') {
            at = p;
        }
    }
    hp = s;
    if (at != NULL) {
        const char *sep = memchr(s, ':', (size_t)(at - s));
        if (sep != NULL) {
            if (cache_url_copy(s, (size_t)(sep - s), c->user, sizeof(c->user)) != BO_OK ||
                cache_url_copy(sep + 1, (size_t)(at - sep - 1), c->password, sizeof(c->password)) !=
                    BO_OK) {
                return BO_E_INVALID_ARGUMENT;
            }
        } else if (cache_url_copy(s, (size_t)(at - s), c->password, sizeof(c->password)) != BO_OK) {
            return BO_E_INVALID_ARGUMENT;
        }
        hp = at + 1;
    }

    c->port = CACHE_DEFAULT_PORT;
    if (*hp == '[') {
        const char *close = memchr(hp, ']', (size_t)(end - hp));
        if (close == NULL) {
            return BO_E_INVALID_ARGUMENT;
        }
        host = hp + 1;
        hostlen = (size_t)(close - host);
        colon = close + 1 < end ? close + 1 : NULL;
        if (colon != NULL && *colon != ':') {
            return BO_E_INVALID_ARGUMENT;
        }
    } else {
        host = hp;
        colon = memchr(hp, ':', (size_t)(end - hp));
        hostlen = (size_t)((colon != NULL ? colon : end) - hp);
    }
    if (colon != NULL &&
        cache_parse_num(colon + 1, (size_t)(end - colon - 1), 1, 65535, &c->port) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (hostlen == 0 || hostlen >= sizeof(c->host) || memchr(host, '@', hostlen) != NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(c->host, host, hostlen);
    c->host[hostlen] = '\0';

    c->db = 0;
    if (*end == '/' && end[1] != '\0' &&
        cache_parse_num(end + 1, strlen(end + 1), 0, 1000000, &c->db) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    return BO_OK;
}

/* ---- connection ---------------------------------------------------------- */

static void cache_disconnect(struct cache *c)
{
    if (c->rc != NULL) {
        redisFree(c->rc);
        c->rc = NULL;
    }
}

/* cache_reply_error_code maps a Redis error reply: a script or usage bug is INTERNAL, the
 * server's passing states (LOADING, BUSY, OOM, READONLY, ...) are UNAVAILABLE. */
static int cache_reply_error_code(const redisReply *r)
{
    if (strncmp(r->str, "ERR", 3) == 0 || strncmp(r->str, "WRONGTYPE", 9) == 0) {
        return BO_E_INTERNAL;
    }
    return BO_E_UNAVAILABLE;
}

/* cache_connect_setup authenticates, selects the database and loads every script, pipelined
 * into one round trip. */
static int cache_connect_setup(struct cache *c)
{
    char dbtext[16];
    int expect = 0;
    int rc = BO_OK;
    redisReply *r = NULL;

    if (c->password[0] != '\0') {
        if (c->user[0] != '\0') {
            redisAppendCommand(c->rc, "AUTH %s %s", c->user, c->password);
        } else {
            redisAppendCommand(c->rc, "AUTH %s", c->password);
        }
        expect++;
    }
    if (c->db != 0) {
        snprintf(dbtext, sizeof(dbtext), "%d", c->db);
        redisAppendCommand(c->rc, "SELECT %s", dbtext);
        expect++;
    }
    for (int i = 0; i < CS_COUNT_; i++) {
        redisAppendCommand(c->rc, "SCRIPT LOAD %s", cache_scripts[i]);
    }
    for (int i = 0; i < expect + CS_COUNT_; i++) {
        void *reply = NULL;
        if (redisGetReply(c->rc, &reply) != REDIS_OK) {
            BO_ERR("redis %s:%d: %s", c->host, c->port, c->rc->errstr);
            return BO_E_UNAVAILABLE;
        }
        r = reply;
        if (r->type == REDIS_REPLY_ERROR) {
            if (rc == BO_OK) {
                BO_ERR("redis %s:%d: set-up refused: %s", c->host, c->port, r->str);
                rc = cache_reply_error_code(r);
            }
        } else if (i >= expect) {
            int si = i - expect;
            if (r->type != REDIS_REPLY_STRING || r->len != CACHE_SHA_LEN) {
                BO_ERR("redis %s:%d: unexpected SCRIPT LOAD reply", c->host, c->port);
                rc = BO_E_INTERNAL;
            } else {
                memcpy(c->sha[si], r->str, CACHE_SHA_LEN + 1);
            }
        }
        freeReplyObject(r);
    }
    return rc;
}

/* cache_connect (re)opens the connection; logs a failure once per outage. */
static int cache_connect(struct cache *c)
{
    struct timeval ct = {CACHE_CONNECT_TIMEOUT_MS / 1000, (CACHE_CONNECT_TIMEOUT_MS % 1000) * 1000};
    struct timeval rt = {CACHE_COMMAND_TIMEOUT_MS / 1000, (CACHE_COMMAND_TIMEOUT_MS % 1000) * 1000};
    int rc;

    cache_disconnect(c);
    c->rc = redisConnectWithTimeout(c->host, c->port, ct);
    if (c->rc == NULL || c->rc->err != 0) {
        if (!c->down) {
            BO_ERR("redis %s:%d: cannot connect: %s", c->host, c->port,
                   c->rc != NULL ? c->rc->errstr : "out of memory");
        }
        c->down = 1;
        cache_disconnect(c);
        return BO_E_UNAVAILABLE;
    }
    if (redisSetTimeout(c->rc, rt) != REDIS_OK || redisEnableKeepAlive(c->rc) != REDIS_OK) {
        BO_ERR("redis %s:%d: socket options: %s", c->host, c->port, c->rc->errstr);
        c->down = 1;
        cache_disconnect(c);
        return BO_E_UNAVAILABLE;
    }
    rc = cache_connect_setup(c);
    if (rc != BO_OK) {
        c->down = 1;
        cache_disconnect(c);
        return rc;
    }
    if (c->down) {
        BO_INFO("redis %s:%d: reachable again", c->host, c->port);
        c->down = 0;
    }
    return BO_OK;
}

/* cache_stale tells whether an idle connection was closed by the server: Redis never speaks
 * unasked, so anything readable before a command is an EOF or an error. Catching it here lets
 * state-changing commands be sent again safely after a Redis restart. */
static int cache_stale(const struct cache *c)
{
    struct pollfd p = {.fd = c->rc->fd, .events = POLLIN};

    return poll(&p, 1, 0) != 0;
}

/* cache_roundtrip sends one command and reads its reply into *out; *sent tells whether the
 * whole command reached the socket (and so may have run). */
static int cache_roundtrip(struct cache *c, struct cache_args *a, redisReply **out, int *sent)
{
    void *reply = NULL;
    int done = 0;

    *sent = 0;
    if (redisAppendCommandArgv(c->rc, a->n, a->argv, a->len) != REDIS_OK) {
        return BO_E_UNAVAILABLE;
    }
    do {
        if (redisBufferWrite(c->rc, &done) != REDIS_OK) {
            return BO_E_UNAVAILABLE;
        }
    } while (!done);
    *sent = 1;
    if (redisGetReply(c->rc, &reply) != REDIS_OK) {
        return BO_E_UNAVAILABLE;
    }
    *out = reply;
    return BO_OK;
}

/* cache_exec runs one command, reconnecting once as retry allows; the caller frees *out. */
static int cache_exec(struct cache *c, int retry, struct cache_args *a, redisReply **out)
{
    for (int attempt = 0;; attempt++) {
        redisReply *r = NULL;
        int sent = 0;
        int rc;

        if (c->rc == NULL || cache_stale(c)) {
            rc = cache_connect(c);
            if (rc != BO_OK) {
                return rc;
            }
        }
        rc = cache_roundtrip(c, a, &r, &sent);
        if (rc == BO_OK) {
            *out = r;
            return BO_OK;
        }
        if (attempt > 0 || (sent && retry == CACHE_RETRY_UNSENT)) {
            BO_ERR("redis %s:%d: %s failed: %s", c->host, c->port, a->argv[0], c->rc->errstr);
            cache_disconnect(c);
            return BO_E_UNAVAILABLE;
        }
        BO_WARN("redis %s:%d: connection lost (%s), reconnecting", c->host, c->port, c->rc->errstr);
        cache_disconnect(c);
    }
}

/* cache_script runs a script by its SHA with args, loading it again after NOSCRIPT (a Redis
 * restart or SCRIPT FLUSH); error replies become codes here, so *out is never an error. */
static int cache_script(struct cache *c, int script, int retry, const struct cache_args *args,
                        redisReply **out)
{
    struct cache_args a;
    redisReply *r = NULL;
    int rc;

    a.n = 0;
    cache_args_str(&a, "EVALSHA");
    cache_args_str(&a, "");
    cache_args_str(&a, "0");
    for (int i = 0; i < args->n; i++) {
        a.argv[a.n] = args->argv[i];
        a.len[a.n] = args->len[i];
        a.n++;
    }

    for (int attempt = 0;; attempt++) {
        /* The SHA is read per attempt: a reconnect reloads it. */
        a.argv[1] = c->sha[script];
        a.len[1] = CACHE_SHA_LEN;
        rc = cache_exec(c, retry, &a, &r);
        if (rc != BO_OK) {
            return rc;
        }
        if (r->type != REDIS_REPLY_ERROR) {
            *out = r;
            return BO_OK;
        }
        if (attempt == 0 && strncmp(r->str, "NOSCRIPT", 8) == 0) {
            freeReplyObject(r);
            r = NULL;
            rc = cache_connect_setup(c);
            if (rc != BO_OK) {
                cache_disconnect(c);
                return rc;
            }
            continue;
        }
        BO_ERR("redis %s:%d: script %d: %s", c->host, c->port, script, r->str);
        rc = cache_reply_error_code(r);
        freeReplyObject(r);
        return rc;
    }
}

/*
 * cache_script_pipeline runs script once per args[i] (i < k), all sent before any reply is
 * read: one round trip, while Redis may run other clients' commands between the scripts.
 * Only for idempotent scripts: after a lost connection or NOSCRIPT the whole pipeline is sent
 * again once. On BO_OK the caller frees every replies[i]; otherwise none is left.
 */
static int cache_script_pipeline(struct cache *c, int script, const struct cache_args *args,
                                 size_t k, redisReply **replies)
{
    for (int attempt = 0;; attempt++) {
        size_t got = 0;
        int rc = BO_OK, noscript = 0, err = BO_OK;

        if (c->rc == NULL || cache_stale(c)) {
            rc = cache_connect(c);
            if (rc != BO_OK) {
                return rc;
            }
        }
        for (size_t i = 0; i < k && rc == BO_OK; i++) {
            struct cache_args a;
            a.n = 0;
            cache_args_str(&a, "EVALSHA");
            cache_args_buf(&a, c->sha[script], CACHE_SHA_LEN);
            cache_args_str(&a, "0");
            for (int j = 0; j < args[i].n; j++) {
                cache_args_buf(&a, args[i].argv[j], args[i].len[j]);
            }
            /* hiredis copies the command into its buffer: a is free to go. */
            if (redisAppendCommandArgv(c->rc, a.n, a.argv, a.len) != REDIS_OK) {
                rc = BO_E_UNAVAILABLE;
            }
        }
        /* Every reply is read, errors too, so the connection stays in step. */
        for (; rc == BO_OK && got < k; got++) {
            void *reply = NULL;
            if (redisGetReply(c->rc, &reply) != REDIS_OK) {
                rc = BO_E_UNAVAILABLE;
                break;
            }
            replies[got] = reply;
            if (replies[got]->type == REDIS_REPLY_ERROR) {
                if (strncmp(replies[got]->str, "NOSCRIPT", 8) == 0) {
                    noscript = 1;
                } else if (err == BO_OK) {
                    BO_ERR("redis %s:%d: script %d: %s", c->host, c->port, script,
                           replies[got]->str);
                    err = cache_reply_error_code(replies[got]);
                }
            }
        }
        if (rc == BO_OK && !noscript && err == BO_OK) {
            return BO_OK;
        }
        for (size_t i = 0; i < got; i++) {
            freeReplyObject(replies[i]);
        }
        if (rc == BO_OK && err != BO_OK) {
            return err;
        }
        if (attempt > 0) {
            BO_ERR("redis %s:%d: pipeline of script %d failed", c->host, c->port, script);
            cache_disconnect(c);
            return BO_E_UNAVAILABLE;
        }
        if (rc != BO_OK) {
            BO_WARN("redis %s:%d: connection lost (%s), reconnecting", c->host, c->port,
                    c->rc->errstr);
            cache_disconnect(c);
        } else if ((rc = cache_connect_setup(c)) != BO_OK) {
            cache_disconnect(c);
            return rc;
        }
    }
}

/* cache_command runs a plain command; error replies become codes here. */
static int cache_command(struct cache *c, int retry, struct cache_args *a, redisReply **out)
{
    redisReply *r = NULL;
    int rc = cache_exec(c, retry, a, &r);

    if (rc != BO_OK) {
        return rc;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        BO_ERR("redis %s:%d: %s: %s", c->host, c->port, a->argv[0], r->str);
        rc = cache_reply_error_code(r);
        freeReplyObject(r);
        return rc;
    }
    *out = r;
    return BO_OK;
}

/* ---- reply decoding -------------------------------------------------------- */

/* cache_reply_i64 reads an integer reply, or a bulk string holding a decimal integer. */
static int cache_reply_i64(const redisReply *r, int64_t *out)
{
    char buf[32];
    char *end = NULL;
    long long v;

    if (r->type == REDIS_REPLY_INTEGER) {
        *out = (int64_t)r->integer;
        return BO_OK;
    }
    if (r->type == REDIS_REPLY_NIL) {
        *out = 0;
        return BO_OK;
    }
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= sizeof(buf)) {
        return BO_E_INTERNAL;
    }
    memcpy(buf, r->str, r->len);
    buf[r->len] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno != 0 || *end != '\0') {
        return BO_E_INTERNAL;
    }
    *out = (int64_t)v;
    return BO_OK;
}

/* cache_reply_u64 reads an unsigned id from an integer or decimal string reply. */
static int cache_reply_u64(const redisReply *r, uint64_t *out)
{
    char buf[32];
    char *end = NULL;
    unsigned long long v;

    if (r->type == REDIS_REPLY_INTEGER) {
        if (r->integer < 0) {
            return BO_E_INTERNAL;
        }
        *out = (uint64_t)r->integer;
        return BO_OK;
    }
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= sizeof(buf) || r->str[0] < '0' ||
        r->str[0] > '9') {
        return BO_E_INTERNAL;
    }
    memcpy(buf, r->str, r->len);
    buf[r->len] = '\0';
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (errno != 0 || *end != '\0') {
        return BO_E_INTERNAL;
    }
    *out = (uint64_t)v;
    return BO_OK;
}

/* cache_reply_token decodes the scripts' 10-element token reply. */
static int cache_reply_token(const redisReply *r, uint64_t concert_id, struct queue_token *t,
                             int *created, int64_t *rate_milli)
{
    int64_t status, issued, admitted, expires, flag, rate;
    uint64_t seq, user, no, pos;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 10 ||
        cache_reply_i64(r->element[0], &status) != BO_OK ||
        cache_reply_u64(r->element[1], &seq) != BO_OK ||
        cache_reply_u64(r->element[2], &user) != BO_OK ||
        cache_reply_i64(r->element[3], &issued) != BO_OK ||
        cache_reply_i64(r->element[4], &admitted) != BO_OK ||
        cache_reply_i64(r->element[5], &expires) != BO_OK ||
        cache_reply_u64(r->element[6], &no) != BO_OK ||
        cache_reply_u64(r->element[7], &pos) != BO_OK ||
        cache_reply_i64(r->element[8], &flag) != BO_OK ||
        cache_reply_i64(r->element[9], &rate) != BO_OK || status < TOKEN_WAITING ||
        status > TOKEN_EXPIRED) {
        BO_ERR("redis: malformed token reply");
        return BO_E_INTERNAL;
    }
    memset(t, 0, sizeof(*t));
    t->concert_id = concert_id;
    t->user_id = user;
    t->sequence = seq;
    t->admission_no = status == TOKEN_WAITING ? 0 : no;
    t->status = (int)status;
    t->position = status == TOKEN_WAITING ? pos : 0;
    t->issued_at_ms = issued;
    t->admitted_at_ms = admitted;
    t->expires_at_ms = expires;
    if (created != NULL) {
        *created = flag != 0;
    }
    if (rate_milli != NULL) {
        *rate_milli = rate > 0 ? rate : 0;
    }
    return BO_OK;
}

/* cache_parse_fields splits "a:b:c..." (len bytes) into n unsigned numbers; BO_E_INTERNAL when
 * it is not exactly n numbers. */
static int cache_parse_fields(const char *text, size_t len, uint64_t *out, size_t n)
{
    size_t i = 0, k = 0;

    for (k = 0; k < n; k++) {
        uint64_t v = 0;
        size_t start = i;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            if (v > (UINT64_MAX - 9) / 10) {
                return BO_E_INTERNAL;
            }
            v = v * 10 + (uint64_t)(text[i] - '0');
            i++;
        }
        if (i == start || (k + 1 < n && (i >= len || text[i] != ':'))) {
            return BO_E_INTERNAL;
        }
        out[k] = v;
        i++; /* the ':' (or past the end after the last field) */
    }
    return i == len + 1 ? BO_OK : BO_E_INTERNAL;
}

/* ---- public calls ---------------------------------------------------------- */

int cache_open(const char *url, struct cache **out)
{
    struct cache *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL) {
        return BO_E_NOMEM;
    }
    rc = cache_url_parse(url, c);
    if (rc != BO_OK) {
        BO_ERR("redis: cannot parse URL (expected redis://[:password@]host:port[/db])");
        free(c);
        return rc;
    }
    rc = cache_connect(c);
    if (rc != BO_OK) {
        cache_close(c);
        return rc;
    }
    *out = c;
    return BO_OK;
}

void cache_close(struct cache *c)
{
    if (c == NULL) {
        return;
    }
    cache_disconnect(c);
    memset(c->password, 0, sizeof(c->password));
    free(c);
}

int cache_ping(struct cache *c)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    int rc;

    cache_args_str(&a, "PING");
    rc = cache_command(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    freeReplyObject(r);
    return BO_OK;
}

int cache_token_issue(struct cache *c, uint64_t concert_id, uint64_t user_id, int64_t now_ms,
                      struct queue_token *out, int *created, int64_t *rate_milli)
{
    struct cache_args a = {0};
    struct queue_token t;
    redisReply *r = NULL;
    int64_t rate = 0;
    int made = 0;
    int rc;

    if (concert_id == 0 || user_id == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_u64(&a, concert_id);
    cache_args_u64(&a, user_id);
    cache_args_i64(&a, now_ms);
    /* Repeating is harmless: a second run returns the token the first one created. */
    rc = cache_script(c, CS_ISSUE, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    rc = cache_reply_token(r, concert_id, &t, &made, &rate);
    freeReplyObject(r);
    if (rc != BO_OK) {
        return rc;
    }
    *out = t;
    if (created != NULL) {
        *created = made;
    }
    if (rate_milli != NULL) {
        *rate_milli = rate;
    }
    return BO_OK;
}

int cache_token_use(struct cache *c, uint64_t concert_id, uint64_t sequence, int64_t now_ms,
                    int64_t touch_ttl_ms, int64_t seen_every_ms, struct queue_token *out,
                    int64_t *rate_milli)
{
    struct cache_args a = {0};
    struct queue_token t;
    redisReply *r = NULL;
    int64_t rate = 0;
    int rc;

    if (concert_id == 0 || sequence == 0) {
        return BO_E_TOKEN_EXPIRED;
    }
    cache_args_u64(&a, concert_id);
    cache_args_u64(&a, sequence);
    cache_args_i64(&a, now_ms);
    cache_args_i64(&a, touch_ttl_ms > 0 ? touch_ttl_ms : 0);
    cache_args_i64(&a, seen_every_ms > 0 ? seen_every_ms : 0);
    /* Repeating moves the expiry (and the last-seen time) to the same place, or ends a token
     * that is past its expiry. */
    rc = cache_script(c, CS_USE, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        freeReplyObject(r);
        return BO_E_TOKEN_EXPIRED;
    }
    rc = cache_reply_token(r, concert_id, &t, NULL, &rate);
    freeReplyObject(r);
    if (rc != BO_OK) {
        return rc;
    }
    *out = t;
    if (rate_milli != NULL) {
        *rate_milli = rate;
    }
    return BO_OK;
}

int cache_tokens_touch(struct cache *c, const struct cache_token_ref *refs, size_t n,
                       int64_t now_ms, int64_t seen_every_ms, char *state)
{
    enum { CHUNKS_MAX = (CACHE_TOUCH_MAX + CACHE_TOUCH_CHUNK - 1) / CACHE_TOUCH_CHUNK };
    struct cache_args args[CHUNKS_MAX];
    redisReply *replies[CHUNKS_MAX];
    size_t k = (n + CACHE_TOUCH_CHUNK - 1) / CACHE_TOUCH_CHUNK;
    char *packed = NULL;
    size_t len = 0;
    int rc;

    if (n > CACHE_TOUCH_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (n == 0) {
        return BO_OK;
    }
    /* Three 20-digit ids, two colons and a newline per token. */
    packed = malloc(n * 64);
    if (packed == NULL) {
        return BO_E_NOMEM;
    }
    memset(args, 0, sizeof(args));
    for (size_t i = 0; i < k; i++) {
        size_t from = len;
        size_t end = (i + 1) * CACHE_TOUCH_CHUNK < n ? (i + 1) * CACHE_TOUCH_CHUNK : n;
        for (size_t j = i * CACHE_TOUCH_CHUNK; j < end; j++) {
            len += (size_t)snprintf(packed + len, 64, "%" PRIu64 ":%" PRIu64 ":%" PRIu64 "\n",
                                    refs[j].concert_id, refs[j].sequence, refs[j].user_id);
        }
        cache_args_i64(&args[i], now_ms);
        cache_args_i64(&args[i], seen_every_ms > 0 ? seen_every_ms : 0);
        cache_args_buf(&args[i], packed + from, len - from);
    }
    /* Repeating writes the same last-seen times again. */
    rc = cache_script_pipeline(c, CS_TOUCH, args, k, replies);
    free(packed);
    if (rc != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < k; i++) {
        size_t want =
            (i + 1) * CACHE_TOUCH_CHUNK < n ? CACHE_TOUCH_CHUNK : n - i * CACHE_TOUCH_CHUNK;
        if (rc == BO_OK && (replies[i]->type != REDIS_REPLY_STRING || replies[i]->len != want)) {
            BO_ERR("redis: malformed touch reply");
            rc = BO_E_INTERNAL;
        }
        if (rc == BO_OK) {
            memcpy(state + i * CACHE_TOUCH_CHUNK, replies[i]->str, want);
        }
        freeReplyObject(replies[i]);
    }
    return rc;
}

int cache_token_expire(struct cache *c, uint64_t concert_id, uint64_t sequence)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    int rc;

    if (concert_id == 0 || sequence == 0) {
        return BO_OK;
    }
    cache_args_u64(&a, concert_id);
    cache_args_u64(&a, sequence);
    rc = cache_script(c, CS_EXPIRE, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    freeReplyObject(r);
    return BO_OK;
}

/* cache_admitted_decode reads the admit script's {seq, user, issued, no}* list. */
static int cache_admitted_decode(const redisReply *list, uint64_t concert_id,
                                 const struct cache_admit_params *p, struct queue_token *out,
                                 size_t *n)
{
    size_t count;

    if (list->type != REDIS_REPLY_ARRAY || list->elements % 4 != 0 ||
        list->elements / 4 > p->max_count) {
        return BO_E_INTERNAL;
    }
    count = list->elements / 4;
    for (size_t i = 0; i < count; i++) {
        redisReply **e = list->element + 4 * i;
        struct queue_token t;
        int64_t issued;

        memset(&t, 0, sizeof(t));
        if (cache_reply_u64(e[0], &t.sequence) != BO_OK ||
            cache_reply_u64(e[1], &t.user_id) != BO_OK || cache_reply_i64(e[2], &issued) != BO_OK ||
            cache_reply_u64(e[3], &t.admission_no) != BO_OK) {
            /* The script has run: report what was admitted so far rather than nothing. */
            BO_ERR("redis: malformed admitted token in reply");
            count = i;
            break;
        }
        t.concert_id = concert_id;
        t.status = TOKEN_ACTIVE;
        t.issued_at_ms = issued;
        t.admitted_at_ms = p->now_ms;
        t.expires_at_ms = p->now_ms + p->ttl_ms;
        out[i] = t;
    }
    *n = count;
    return BO_OK;
}

/* cache_ended_decode reads the admit script's "seq:user" list; malformed entries are skipped
 * (an announcement lost, not a token). */
static size_t cache_ended_decode(const redisReply *list, uint64_t concert_id,
                                 struct queue_token *out, size_t cap)
{
    size_t count = 0;

    for (size_t i = 0; i < list->elements && count < cap; i++) {
        const redisReply *e = list->element[i];
        uint64_t f[2];

        if (e->type != REDIS_REPLY_STRING || cache_parse_fields(e->str, e->len, f, 2) != BO_OK ||
            f[0] == 0) {
            continue;
        }
        memset(&out[count], 0, sizeof(out[count]));
        out[count].concert_id = concert_id;
        out[count].sequence = f[0];
        out[count].user_id = f[1];
        out[count].status = TOKEN_EXPIRED;
        count++;
    }
    return count;
}

int cache_admission_step(struct cache *c, uint64_t concert_id, const struct cache_admit_params *p,
                         struct queue_token *admitted, struct queue_token *ended, size_t ended_cap,
                         struct cache_admit_result *res)
{
    struct cache_args a = {0};
    struct cache_admit_result out;
    redisReply *r = NULL;
    int64_t skipped = 0, waiting = 0;
    int rc;

    if (concert_id == 0 || p->ttl_ms <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    memset(&out, 0, sizeof(out));
    cache_args_u64(&a, concert_id);
    cache_args_i64(&a, p->now_ms);
    cache_args_u64(&a, p->max_active);
    cache_args_u64(&a, p->max_count);
    cache_args_i64(&a, p->ttl_ms);
    cache_args_i64(&a, p->abandon_ms > 0 ? p->abandon_ms : 0);
    cache_args_u64(&a, ended == NULL ? 0 : ended_cap);
    /* Not repeated once sent: a lost reply may hide admissions, and a second run would admit
     * a further batch beyond the rate. */
    rc = cache_script(c, CS_ADMIT, CACHE_RETRY_UNSENT, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
        r->element[1]->type != REDIS_REPLY_ARRAY ||
        cache_reply_i64(r->element[2], &skipped) != BO_OK ||
        cache_reply_i64(r->element[3], &waiting) != BO_OK ||
        cache_admitted_decode(r->element[0], concert_id, p, admitted, &out.admitted) != BO_OK) {
        BO_ERR("redis: malformed admit reply");
        rc = BO_E_INTERNAL;
        goto done;
    }
    if (ended != NULL) {
        out.ended = cache_ended_decode(r->element[1], concert_id, ended, ended_cap);
    }
    out.skipped = skipped > 0 ? (size_t)skipped : 0;
    out.waiting = waiting > 0 ? (uint64_t)waiting : 0;
    *res = out;
done:
    freeReplyObject(r);
    return rc;
}

int cache_admit(struct cache *c, uint64_t concert_id, int64_t now_ms, uint32_t max_active,
                uint32_t max_count, int64_t ttl_ms, struct queue_token *out, size_t *n)
{
    struct cache_admit_params p = {now_ms, max_active, max_count, ttl_ms, 0};
    struct cache_admit_result res;
    int rc;

    if (concert_id == 0 || ttl_ms <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (max_count == 0 || max_active == 0) {
        *n = 0;
        return BO_OK;
    }
    rc = cache_admission_step(c, concert_id, &p, out, NULL, 0, &res);
    if (rc != BO_OK) {
        return rc;
    }
    *n = res.admitted;
    return BO_OK;
}

int cache_line_after(struct cache *c, uint64_t concert_id, uint64_t after_seq, size_t max,
                     struct cache_waiter *out, size_t *n, uint64_t *first_position)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    const redisReply *list;
    uint64_t first = 0;
    size_t count = 0;
    int rc;

    if (concert_id == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (max == 0) {
        *n = 0;
        *first_position = 0;
        return BO_OK;
    }
    cache_args_u64(&a, concert_id);
    cache_args_u64(&a, after_seq);
    cache_args_u64(&a, max);
    rc = cache_script(c, CS_LINE, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        cache_reply_u64(r->element[0], &first) != BO_OK ||
        r->element[1]->type != REDIS_REPLY_ARRAY || r->element[1]->elements % 2 != 0 ||
        r->element[1]->elements / 2 > max) {
        BO_ERR("redis: malformed line reply");
        freeReplyObject(r);
        return BO_E_INTERNAL;
    }
    list = r->element[1];
    for (size_t i = 0; i < list->elements / 2; i++) {
        struct cache_waiter w;
        /* A token whose record is gone keeps its place (user 0) so positions stay right. */
        if (cache_reply_u64(list->element[2 * i], &w.sequence) != BO_OK ||
            cache_reply_u64(list->element[2 * i + 1], &w.user_id) != BO_OK) {
            w.sequence = 0;
            w.user_id = 0;
        }
        out[count++] = w;
    }
    freeReplyObject(r);
    *n = count;
    *first_position = first;
    return BO_OK;
}

int cache_recent_admissions(struct cache *c, uint64_t concert_id, int64_t since_ms,
                            struct queue_token *out, size_t max, size_t *n)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    size_t count = 0;
    int rc;

    if (concert_id == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (max == 0) {
        *n = 0;
        return BO_OK;
    }
    cache_args_u64(&a, concert_id);
    cache_args_i64(&a, since_ms);
    cache_args_u64(&a, max);
    rc = cache_script(c, CS_RECENT, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return BO_E_INTERNAL;
    }
    for (size_t i = 0; i < r->elements && count < max; i++) {
        const redisReply *e = r->element[i];
        uint64_t f[5];
        if (e->type != REDIS_REPLY_STRING || cache_parse_fields(e->str, e->len, f, 5) != BO_OK) {
            continue;
        }
        memset(&out[count], 0, sizeof(out[count]));
        out[count].concert_id = concert_id;
        out[count].admission_no = f[0];
        out[count].sequence = f[1];
        out[count].user_id = f[2];
        out[count].admitted_at_ms = (int64_t)f[3];
        out[count].expires_at_ms = (int64_t)f[4];
        out[count].status = TOKEN_ACTIVE;
        count++;
    }
    freeReplyObject(r);
    *n = count;
    return BO_OK;
}

int cache_stats_set(struct cache *c, uint64_t concert_id, int64_t rate_milli, int64_t now_ms)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    char text[32];
    int rc;

    if (concert_id == 0 || rate_milli < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    snprintf(text, sizeof(text), "%" PRId64 ".%03" PRId64, rate_milli / 1000, rate_milli % 1000);
    cache_args_u64(&a, concert_id);
    cache_args_str(&a, text);
    cache_args_i64(&a, now_ms);
    rc = cache_script(c, CS_STATS_SET, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    freeReplyObject(r);
    return BO_OK;
}

int cache_stats_get(struct cache *c, uint64_t concert_id, int64_t *rate_milli)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    char key[48], buf[32];
    double v = 0;
    int rc;

    snprintf(key, sizeof(key), "bo:q:%" PRIu64 ":stats", concert_id);
    cache_args_str(&a, "HGET");
    cache_args_str(&a, key);
    cache_args_str(&a, "rate");
    rc = cache_command(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type == REDIS_REPLY_STRING && r->len > 0 && r->len < sizeof(buf)) {
        memcpy(buf, r->str, r->len);
        buf[r->len] = '\0';
        v = strtod(buf, NULL);
    }
    freeReplyObject(r);
    *rate_milli = v > 0 ? (int64_t)(v * 1000 + 0.5) : 0;
    return BO_OK;
}

int cache_queue_concerts(struct cache *c, uint64_t **ids, size_t *n)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    uint64_t *list = NULL;
    size_t count = 0;
    int rc;

    cache_args_str(&a, "SMEMBERS");
    cache_args_str(&a, "bo:queues");
    rc = cache_command(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = BO_E_INTERNAL;
        goto done;
    }
    if (r->elements > 0) {
        list = calloc(r->elements, sizeof(*list));
        if (list == NULL) {
            rc = BO_E_NOMEM;
            goto done;
        }
    }
    for (size_t i = 0; i < r->elements; i++) {
        uint64_t id;
        /* Skip anything that is not an id: one bad member must not stop every queue. */
        if (cache_reply_u64(r->element[i], &id) == BO_OK && id != 0) {
            list[count++] = id;
        }
    }
    *ids = list;
    *n = count;
    list = NULL;
done:
    free(list);
    freeReplyObject(r);
    return rc;
}

int cache_queue_counts(struct cache *c, uint64_t concert_id, uint64_t *waiting, uint64_t *active)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    uint64_t w, act;
    int rc;

    cache_args_u64(&a, concert_id);
    rc = cache_script(c, CS_COUNTS, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        cache_reply_u64(r->element[0], &w) != BO_OK ||
        cache_reply_u64(r->element[1], &act) != BO_OK) {
        freeReplyObject(r);
        return BO_E_INTERNAL;
    }
    freeReplyObject(r);
    *waiting = w;
    *active = act;
    return BO_OK;
}

int cache_lease_acquire(struct cache *c, const char *holder, int64_t ttl_ms, int *held)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    int64_t v = 0;
    int rc;

    if (holder == NULL || holder[0] == '\0' || ttl_ms <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_str(&a, holder);
    cache_args_i64(&a, ttl_ms);
    rc = cache_script(c, CS_LEASE_ACQUIRE, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    rc = cache_reply_i64(r, &v);
    freeReplyObject(r);
    if (rc != BO_OK) {
        return rc;
    }
    *held = v == 1;
    return BO_OK;
}

int cache_lease_holder(struct cache *c, char *out, size_t outlen)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    int rc;

    if (outlen == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_str(&a, "GET");
    cache_args_str(&a, "bo:admission:leader");
    rc = cache_command(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type == REDIS_REPLY_STRING) {
        size_t len = r->len < outlen - 1 ? r->len : outlen - 1;
        memcpy(out, r->str, len);
        out[len] = '\0';
    } else {
        out[0] = '\0';
    }
    freeReplyObject(r);
    return BO_OK;
}

int cache_lease_release(struct cache *c, const char *holder)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    int rc;

    if (holder == NULL || holder[0] == '\0') {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_str(&a, holder);
    rc = cache_script(c, CS_LEASE_RELEASE, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    freeReplyObject(r);
    return BO_OK;
}

/* cache_setting_read keeps def unless r holds a decimal 1..UINT32_MAX. */
static uint32_t cache_setting_read(const redisReply *r, uint32_t def)
{
    int64_t v = 0;

    if (r->type == REDIS_REPLY_NIL || cache_reply_i64(r, &v) != BO_OK || v <= 0 ||
        v > (int64_t)UINT32_MAX) {
        return def;
    }
    return (uint32_t)v;
}

int cache_settings_get(struct cache *c, const struct admission_settings *defaults,
                       struct admission_settings *out)
{
    struct cache_args a = {0};
    struct admission_settings s = *defaults;
    redisReply *r = NULL;
    int rc;

    cache_args_str(&a, "HMGET");
    cache_args_str(&a, "bo:settings");
    for (size_t i = 0; i < 4; i++) {
        cache_args_str(&a, cache_settings_fields[i]);
    }
    rc = cache_command(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
        freeReplyObject(r);
        return BO_E_INTERNAL;
    }
    s.rate_per_second = cache_setting_read(r->element[0], s.rate_per_second);
    s.max_active = cache_setting_read(r->element[1], s.max_active);
    s.token_ttl_seconds = cache_setting_read(r->element[2], s.token_ttl_seconds);
    s.hold_ttl_seconds = cache_setting_read(r->element[3], s.hold_ttl_seconds);
    freeReplyObject(r);
    *out = s;
    return BO_OK;
}

int cache_settings_set(struct cache *c, const struct admission_settings *changes)
{
    const uint32_t values[4] = {changes->rate_per_second, changes->max_active,
                                changes->token_ttl_seconds, changes->hold_ttl_seconds};
    struct cache_args a = {0};
    redisReply *r = NULL;
    int rc;

    cache_args_str(&a, "HSET");
    cache_args_str(&a, "bo:settings");
    for (size_t i = 0; i < 4; i++) {
        if (values[i] != 0) {
            cache_args_str(&a, cache_settings_fields[i]);
            cache_args_u64(&a, values[i]);
        }
    }
    if (a.n == 2) {
        return BO_OK;
    }
    rc = cache_command(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    freeReplyObject(r);
    return BO_OK;
}
