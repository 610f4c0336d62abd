/*
 * cache_token: the token operations of cache.h (issue, use, leave, touch, expire), each one call
 * of the boxoffice Redis functions (service/lua/boxoffice.lua) over cache_conn.
 */
#include "cache_conn.h"

#include "bo_error.h"
#include "bo_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokens one touch function call handles: a larger request is split into calls sent in one
 * pipeline, so other clients' commands run between them rather than wait for all. */
#define CACHE_TOUCH_CHUNK 2000
/* Three 20-digit ids, two colons and a newline per packed token. */
#define CACHE_TOUCH_PACKED 64

/* cache_token_decode reads the functions' 11-element token reply {status, sequence, user,
 * issued, admitted, expires, admission_no, position, created, rate_milli, sale_opens_at}. */
static int cache_token_decode(const redisReply *r, uint64_t concert_id, struct queue_token *t,
                              int *created, int64_t *rate_milli)
{
    int64_t status, issued, admitted, expires, flag, rate, opens;
    uint64_t seq, user, no, pos;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 11 ||
        cache_reply_i64(r->element[0], &status) != BO_OK ||
        cache_reply_u64(r->element[1], &seq) != BO_OK ||
        cache_reply_u64(r->element[2], &user) != BO_OK ||
        cache_reply_i64(r->element[3], &issued) != BO_OK ||
        cache_reply_i64(r->element[4], &admitted) != BO_OK ||
        cache_reply_i64(r->element[5], &expires) != BO_OK ||
        cache_reply_u64(r->element[6], &no) != BO_OK ||
        cache_reply_u64(r->element[7], &pos) != BO_OK ||
        cache_reply_i64(r->element[8], &flag) != BO_OK ||
        cache_reply_i64(r->element[9], &rate) != BO_OK ||
        cache_reply_i64(r->element[10], &opens) != BO_OK || status < TOKEN_WAITING ||
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
    t->sale_opens_at_ms = status == TOKEN_WAITING && opens > 0 ? opens : 0;
    *created = flag != 0;
    *rate_milli = rate > 0 ? rate : 0;
    return BO_OK;
}

/* Which token function is called, and how. */
struct cache_token_how {
    const char *function;
    enum cache_retry retry;
};

/* The rate checks an issue carries: as sent, and where a refusal is told. */
struct cache_token_rates {
    struct cache_rate_sent sent;
    struct cache_rate_checks *limits;
};

/* cache_token_refusal reads a reply that is no token: {0} (an unknown or ended token) and {-1}
 * (a record of another user: Redis lost the caller's token and gave its sequence to someone
 * else, and wrote nothing) are BO_E_TOKEN_EXPIRED, {-2, which, ms} (a rate check refused the
 * issue; rates not NULL) BO_E_RATE_LIMITED with rates->limits filled in. */
static int cache_token_refusal(const redisReply *r, const struct cache_token_rates *rates)
{
    int64_t code = 0;
    int rc;

    if (cache_reply_i64(r->element[0], &code) != BO_OK) {
        return BO_E_INTERNAL;
    }
    if (r->elements == 1) {
        return code == 0 || code == -1 ? BO_E_TOKEN_EXPIRED : BO_E_INTERNAL;
    }
    if (code != -2 || rates == NULL) {
        return BO_E_INTERNAL;
    }
    rc = cache_rate_refusal(r->element[1], r->element[2], &rates->sent,
                            &rates->limits->retry_after_s, &rates->limits->refused);
    return rc == BO_OK ? BO_E_INTERNAL : rc;
}

/* cache_token_call runs the token function call a and decodes its token into *out, and
 * *created and *rate_milli when not NULL; a reply that is no token goes through
 * cache_token_refusal (rates: the issue's rate checks, or NULL). */
static int cache_token_call(struct cache *c, const struct cache_args *a,
                            const struct cache_token_how *how,
                            const struct cache_token_rates *rates, uint64_t concert_id,
                            struct queue_token *out, int *created, int64_t *rate_milli)
{
    struct queue_token t;
    redisReply *r = NULL;
    int64_t rate = 0;
    int made = 0;
    int rc;

    rc = cache_conn_call_deferrable(c, how->retry, a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r->type == REDIS_REPLY_ARRAY && (r->elements == 1 || r->elements == 3)) {
        rc = cache_token_refusal(r, rates);
    } else {
        rc = cache_token_decode(r, concert_id, &t, &made, &rate);
    }
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

int cache_token_issue(struct cache *c, uint64_t concert_id, uint64_t user_id, int64_t now_ms,
                      int64_t opens_ms, struct queue_token *out, int *created, int64_t *rate_milli)
{
    return cache_token_issue_limited(c, concert_id, user_id, now_ms, opens_ms, NULL, out, created,
                                     rate_milli);
}

int cache_token_issue_limited(struct cache *c, uint64_t concert_id, uint64_t user_id,
                              int64_t now_ms, int64_t opens_ms, struct cache_rate_checks *limits,
                              struct queue_token *out, int *created, int64_t *rate_milli)
{
    /* Repeating is harmless: a second run returns the token the first one created (and may
     * count the rate checks once more). */
    static const struct cache_token_how how = {"bo_token_issue", CACHE_RETRY_ANY};
    struct cache_token_rates rates = {.limits = limits};
    struct cache_args a = {0};
    int rc;

    if (concert_id == 0 || user_id == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_fcall(&a, how.function);
    cache_args_u64(&a, concert_id);
    cache_args_u64(&a, user_id);
    cache_args_i64(&a, now_ms);
    cache_args_i64(&a, opens_ms > 0 ? opens_ms : 0);
    cache_args_i64(&a, cache_conn_ended_keep_ms(c));
    if (limits != NULL &&
        (rc = cache_rate_args(&a, limits->check, limits->n, &rates.sent)) != BO_OK) {
        return rc;
    }
    return cache_token_call(c, &a, &how, limits != NULL ? &rates : NULL, concert_id, out, created,
                            rate_milli);
}

/* cache_token_owned calls how->function on ref->user_id's token at now_ms (with seen_every_ms
 * after when it is not negative), then c's keep time of ended records, and decodes the answer as
 * cache_token_call does; a token of no concert, sequence or user is BO_E_TOKEN_EXPIRED. */
static int cache_token_owned(struct cache *c, const struct cache_token_how *how,
                             const struct cache_token_ref *ref, int64_t now_ms,
                             int64_t seen_every_ms, struct queue_token *out, int64_t *rate_milli)
{
    struct cache_args a = {0};

    if (ref->concert_id == 0 || ref->sequence == 0 || ref->user_id == 0) {
        return BO_E_TOKEN_EXPIRED;
    }
    cache_args_fcall(&a, how->function);
    cache_args_u64(&a, ref->concert_id);
    cache_args_u64(&a, ref->sequence);
    cache_args_u64(&a, ref->user_id);
    cache_args_i64(&a, now_ms);
    if (seen_every_ms >= 0) {
        cache_args_i64(&a, seen_every_ms);
    }
    cache_args_i64(&a, cache_conn_ended_keep_ms(c));
    return cache_token_call(c, &a, how, NULL, ref->concert_id, out, NULL, rate_milli);
}

int cache_token_use(struct cache *c, uint64_t concert_id, uint64_t sequence, uint64_t user_id,
                    int64_t now_ms, int64_t seen_every_ms, struct queue_token *out,
                    int64_t *rate_milli)
{
    /* Repeating moves the last-seen time to the same place, or ends a token that is past its
     * expiry. */
    static const struct cache_token_how how = {"bo_token_use", CACHE_RETRY_ANY};
    const struct cache_token_ref ref = {concert_id, user_id, sequence};

    return cache_token_owned(c, &how, &ref, now_ms, seen_every_ms > 0 ? seen_every_ms : 0, out,
                             rate_milli);
}

int cache_token_leave(struct cache *c, uint64_t concert_id, uint64_t sequence, uint64_t user_id,
                      int64_t now_ms, struct queue_token *out)
{
    /* A second run would find the token ended: only a call that cannot have run is repeated. */
    static const struct cache_token_how how = {"bo_token_leave", CACHE_RETRY_UNSENT};
    const struct cache_token_ref ref = {concert_id, user_id, sequence};

    return cache_token_owned(c, &how, &ref, now_ms, -1, out, NULL);
}

int cache_tokens_touch(struct cache *c, const struct cache_token_ref *refs, size_t n,
                       int64_t now_ms, int64_t seen_every_ms, char *state)
{
    enum { CHUNKS_MAX = (CACHE_TOUCH_MAX + CACHE_TOUCH_CHUNK - 1) / CACHE_TOUCH_CHUNK };
    _Static_assert(CHUNKS_MAX <= CACHE_RUN_MAX, "a whole touch fits one cache_conn_run");
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
    packed = malloc(n * CACHE_TOUCH_PACKED);
    if (packed == NULL) {
        return BO_E_NOMEM;
    }
    memset(args, 0, sizeof(args));
    for (size_t i = 0; i < k; i++) {
        size_t from = len;
        size_t end = (i + 1) * CACHE_TOUCH_CHUNK < n ? (i + 1) * CACHE_TOUCH_CHUNK : n;
        for (size_t j = i * CACHE_TOUCH_CHUNK; j < end; j++) {
            len += (size_t)snprintf(packed + len, CACHE_TOUCH_PACKED,
                                    "%" PRIu64 ":%" PRIu64 ":%" PRIu64 "\n", refs[j].concert_id,
                                    refs[j].sequence, refs[j].user_id);
        }
        cache_args_fcall(&args[i], "bo_tokens_touch");
        cache_args_i64(&args[i], now_ms);
        cache_args_i64(&args[i], seen_every_ms > 0 ? seen_every_ms : 0);
        cache_args_buf(&args[i], packed + from, len - from);
    }
    /* Repeating writes the same last-seen times again. */
    rc = cache_conn_run(c, CACHE_RETRY_ANY, args, k, replies);
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

int cache_token_expire(struct cache *c, uint64_t concert_id, uint64_t sequence, uint64_t user_id)
{
    struct cache_args a = {0};
    int64_t ended = 0;
    int rc;

    if (concert_id == 0 || sequence == 0) {
        return BO_OK;
    }
    if (user_id == 0) {
        return BO_E_TOKEN_EXPIRED;
    }
    cache_args_fcall(&a, "bo_token_expire");
    cache_args_u64(&a, concert_id);
    cache_args_u64(&a, sequence);
    cache_args_u64(&a, user_id);
    cache_args_i64(&a, cache_conn_ended_keep_ms(c));
    /* Repeating finds the token ended already, which is the same answer. */
    if ((rc = cache_conn_int(c, CACHE_RETRY_ANY, &a, &ended)) != BO_OK) {
        return rc;
    }
    return ended < 0 ? BO_E_TOKEN_EXPIRED : BO_OK;
}
