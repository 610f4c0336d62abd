/*
 * cache_limits: what every instance reads before acting, shared through Redis: the admin's
 * settings (admission settings and rate limits, each a hash), revoked sessions (plain keys
 * that lapse when the session would have expired) and the rate-limit counters (one function
 * call per action, bo_rate_hit in service/lua/boxoffice.lua, or counted by the action's own
 * function call with the arguments cache_rate_args writes).
 */
#include "cache_conn.h"

#include "bo_error.h"
#include "bo_log.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* "bo:revoked:" and a session id. */
#define CACHE_REVOKED_KEY_MAX (sizeof("bo:revoked:") + CACHE_SESSION_ID_MAX)

/* ---- revoked sessions ------------------------------------------------------------- */

/* cache_revoked_key writes "bo:revoked:<sid>" into key (CACHE_REVOKED_KEY_MAX); a sid that is
 * empty or longer than CACHE_SESSION_ID_MAX is BO_E_INVALID_ARGUMENT. */
static int cache_revoked_key(const char *sid, char *key)
{
    size_t len = sid == NULL ? 0 : strnlen(sid, CACHE_SESSION_ID_MAX + 1);

    if (len == 0 || len > CACHE_SESSION_ID_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    snprintf(key, CACHE_REVOKED_KEY_MAX, "bo:revoked:%s", sid);
    return BO_OK;
}

int cache_session_revoke(struct cache *c, const char *sid, int64_t expires_at_ms)
{
    struct cache_args a = {0};
    char key[CACHE_REVOKED_KEY_MAX];
    int rc;

    if (expires_at_ms <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = cache_revoked_key(sid, key);
    if (rc != BO_OK) {
        return rc;
    }
    /* A time already past leaves no key: the session has expired anyway. */
    cache_args_str(&a, "SET");
    cache_args_str(&a, key);
    cache_args_str(&a, "1");
    cache_args_str(&a, "PXAT");
    cache_args_i64(&a, expires_at_ms);
    return cache_conn_exec(c, CACHE_RETRY_ANY, &a);
}

int cache_session_revoked(struct cache *c, const char *sid, int *revoked)
{
    struct cache_args a = {0};
    char key[CACHE_REVOKED_KEY_MAX];
    redisReply *r = NULL;
    int64_t n = 0;
    int rc = cache_revoked_key(sid, key);

    if (rc == BO_OK) {
        cache_args_str(&a, "EXISTS");
        cache_args_str(&a, key);
        rc = cache_conn_call_deferrable(c, CACHE_RETRY_ANY, &a, &r);
    }
    if (rc == BO_OK) {
        rc = cache_reply_i64(r, &n);
        freeReplyObject(r);
    }
    if (rc == BO_OK) {
        *revoked = n > 0;
    }
    return rc;
}

/* ---- admin settings: admission and limits ------------------------------------------- */

/* One uint32_t member of a settings struct and its hash field (named as the member). */
struct cache_hash_field {
    const char *name;
    size_t offset;
};

#define CACHE_FIELD(type, member)                                                                  \
    {                                                                                              \
#member, offsetof(type, member)                                                            \
    }

/* A settings struct stored as a hash: its key, its fields, the least value a field may hold. */
struct cache_hash {
    const char *key;
    const struct cache_hash_field *fields;
    size_t n;
    uint32_t min;
};

static const struct cache_hash_field cache_settings_fields[] = {
    CACHE_FIELD(struct admission_settings, rate_per_second),
    CACHE_FIELD(struct admission_settings, max_active),
    CACHE_FIELD(struct admission_settings, token_ttl_seconds),
    CACHE_FIELD(struct admission_settings, hold_ttl_seconds),
    CACHE_FIELD(struct admission_settings, max_seats_per_hold),
};

/* In the order of struct limits and of enum cache_limit_bit. */
static const struct cache_hash_field cache_limits_fields[] = {
    CACHE_FIELD(struct limits, user_logins),
    CACHE_FIELD(struct limits, user_token_issues),
    CACHE_FIELD(struct limits, user_holds),
    CACHE_FIELD(struct limits, user_charges),
    CACHE_FIELD(struct limits, address_signups),
    CACHE_FIELD(struct limits, address_logins),
    CACHE_FIELD(struct limits, address_token_issues),
    CACHE_FIELD(struct limits, address_holds),
    CACHE_FIELD(struct limits, address_charges),
    CACHE_FIELD(struct limits, address_push_connections),
    CACHE_FIELD(struct limits, token_push_connections),
    CACHE_FIELD(struct limits, address_rest_connections),
};

/* Admission settings are never 0; a limit of 0 is "off". */
static const struct cache_hash cache_settings_hash = {
    "bo:settings", cache_settings_fields,
    sizeof(cache_settings_fields) / sizeof(cache_settings_fields[0]), 1};
static const struct cache_hash cache_limits_hash = {
    "bo:limits", cache_limits_fields, sizeof(cache_limits_fields) / sizeof(cache_limits_fields[0]),
    0};

/* cache_hash_value reads field i of the struct rec described by h. */
static uint32_t cache_hash_value(const struct cache_hash *h, const void *rec, size_t i)
{
    uint32_t v;

    memcpy(&v, (const char *)rec + h->fields[i].offset, sizeof(v));
    return v;
}

/* cache_hash_read reads h's hash into rec (filled with defaults by the caller): a field that
 * is unset, or not a number in h->min..UINT32_MAX (someone wrote the hash by hand), keeps its
 * default. */
static int cache_hash_read(struct cache *c, const struct cache_hash *h, void *rec)
{
    struct cache_args a = {0};
    redisReply *r = NULL;
    int rc;

    cache_args_str(&a, "HMGET");
    cache_args_str(&a, h->key);
    for (size_t i = 0; i < h->n; i++) {
        cache_args_str(&a, h->fields[i].name);
    }
    rc = cache_conn_call(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != h->n) {
        freeReplyObject(r);
        return BO_E_INTERNAL;
    }
    for (size_t i = 0; i < h->n; i++) {
        int64_t x = 0;
        if (r->element[i]->type != REDIS_REPLY_NIL && cache_reply_i64(r->element[i], &x) == BO_OK &&
            x >= (int64_t)h->min && x <= (int64_t)UINT32_MAX) {
            uint32_t v = (uint32_t)x;
            memcpy((char *)rec + h->fields[i].offset, &v, sizeof(v));
        }
    }
    freeReplyObject(r);
    return BO_OK;
}

/* cache_hash_write stores the fields of rec whose bit (1 << field index) is set in mask into
 * h's hash, in one command; nothing is sent when no bit is. */
static int cache_hash_write(struct cache *c, const struct cache_hash *h, const void *rec,
                            uint32_t mask)
{
    struct cache_args a = {0};

    cache_args_str(&a, "HSET");
    cache_args_str(&a, h->key);
    for (size_t i = 0; i < h->n; i++) {
        if (mask & (1u << i)) {
            cache_args_str(&a, h->fields[i].name);
            cache_args_u64(&a, cache_hash_value(h, rec, i));
        }
    }
    if (a.n == 2) {
        return BO_OK;
    }
    return cache_conn_exec(c, CACHE_RETRY_ANY, &a);
}

int cache_settings_get(struct cache *c, const struct admission_settings *defaults,
                       struct admission_settings *out)
{
    struct admission_settings s = *defaults;
    int rc = cache_hash_read(c, &cache_settings_hash, &s);

    if (rc == BO_OK) {
        *out = s;
    }
    return rc;
}

int cache_settings_set(struct cache *c, const struct admission_settings *changes)
{
    uint32_t mask = 0;

    for (size_t i = 0; i < cache_settings_hash.n; i++) {
        mask |= cache_hash_value(&cache_settings_hash, changes, i) != 0 ? 1u << i : 0;
    }
    return cache_hash_write(c, &cache_settings_hash, changes, mask);
}

int cache_limits_get(struct cache *c, const struct limits *defaults, struct limits *out)
{
    struct limits l = *defaults;
    int rc = cache_hash_read(c, &cache_limits_hash, &l);

    if (rc == BO_OK) {
        *out = l;
    }
    return rc;
}

int cache_limits_set(struct cache *c, const struct limits *values, const uint32_t *present_mask)
{
    return cache_hash_write(c, &cache_limits_hash, values,
                            present_mask == NULL ? CACHE_LIMIT_ALL : *present_mask);
}

/* ---- rate counters ---------------------------------------------------------------- */

/* cache_rate_check_ok tells whether k's kind and scope are non-empty and short enough. */
static int cache_rate_check_ok(const struct cache_rate_check *k)
{
    size_t kind = k->kind == NULL ? 0 : strnlen(k->kind, CACHE_RATE_KIND_MAX + 1);
    size_t scope = k->scope == NULL ? 0 : strnlen(k->scope, CACHE_RATE_SCOPE_MAX + 1);

    return kind > 0 && kind <= CACHE_RATE_KIND_MAX && scope > 0 && scope <= CACHE_RATE_SCOPE_MAX;
}

int cache_rate_args(struct cache_args *a, const struct cache_rate_check *checks, size_t n,
                    struct cache_rate_sent *sent)
{
    if (n > CACHE_RATE_CHECKS_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < n; i++) {
        if (!cache_rate_check_ok(&checks[i])) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    sent->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (checks[i].limit == 0) {
            continue;
        }
        cache_args_str(a, checks[i].kind);
        cache_args_str(a, checks[i].scope);
        cache_args_u64(a, checks[i].limit);
        sent->index[sent->n++] = i;
    }
    return BO_OK;
}

int cache_rate_refusal(const redisReply *which, const redisReply *left,
                       const struct cache_rate_sent *sent, uint32_t *retry_after_s,
                       size_t *refused_index)
{
    int64_t w = -1, left_ms = 0;

    if (cache_reply_i64(which, &w) != BO_OK || cache_reply_i64(left, &left_ms) != BO_OK || w < -1 ||
        w >= (int64_t)sent->n) {
        BO_ERR("redis: malformed rate reply");
        return BO_E_INTERNAL;
    }
    if (w == -1) {
        return BO_OK;
    }
    if (retry_after_s != NULL) {
        int64_t s = (left_ms + 999) / 1000;
        *retry_after_s = s < 1 ? 1 : (uint32_t)s;
    }
    if (refused_index != NULL) {
        *refused_index = sent->index[w];
    }
    return BO_E_RATE_LIMITED;
}

int cache_rate_hit(struct cache *c, const struct cache_rate_check *checks, size_t n, int64_t now_ms,
                   uint32_t *retry_after_s, size_t *refused_index)
{
    struct cache_args a = {0};
    struct cache_rate_sent sent;
    redisReply *r = NULL;
    int rc;

    if (now_ms < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_fcall(&a, "bo_rate_hit");
    cache_args_i64(&a, now_ms);
    if ((rc = cache_rate_args(&a, checks, n, &sent)) != BO_OK) {
        return rc;
    }
    if (sent.n == 0) {
        return BO_OK;
    }
    rc = cache_conn_call(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        rc = cache_rate_refusal(r->element[0], r->element[1], &sent, retry_after_s, refused_index);
    } else {
        BO_ERR("redis: malformed rate reply");
        rc = BO_E_INTERNAL;
    }
    freeReplyObject(r);
    return rc;
}
