/*
 * cache_admission: the admission side of cache.h (admission steps, the line and recent
 * admissions, a sale's opening, measured rates, queue counts, the leader lease), each one call
 * of a boxoffice Redis function (service/lua/boxoffice.lua) or one plain command over
 * cache_conn.
 */
#include "cache_conn.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"

#include <openssl/rand.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_LEADER_KEY "bo:admission:leader"
/* Random bytes seeding one step's shuffle (the function's xorshift128 takes 128 bits). */
#define CACHE_SEED_BYTES 16

_Static_assert(CACHE_STEPS_MAX <= CACHE_RUN_MAX, "a group of steps fits one pipeline");

/* ---- reply decoding ------------------------------------------------------------ */

/* cache_fields_parse splits "a:b:c..." (len bytes) into n unsigned numbers; BO_E_INTERNAL when
 * it is not exactly n numbers. */
static int cache_fields_parse(const char *text, size_t len, uint64_t *out, size_t n)
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

/* cache_reply_fields reads a string reply "a:b:..." of n numbers into out. */
static int cache_reply_fields(const redisReply *r, uint64_t *out, size_t n)
{
    if (r->type != REDIS_REPLY_STRING) {
        return BO_E_INTERNAL;
    }
    return cache_fields_parse(r->str, r->len, out, n);
}

/* cache_admitted_decode reads the admit function's {seq, user, issued, no}* list. */
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
            /* The function has run: report what was admitted so far rather than nothing. */
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

/* cache_ended_decode reads the admit function's "seq:user" list; malformed entries are skipped
 * (an announcement lost, not a token). */
static size_t cache_ended_decode(const redisReply *list, uint64_t concert_id,
                                 struct queue_token *out, size_t cap)
{
    size_t count = 0;

    for (size_t i = 0; i < list->elements && count < cap; i++) {
        uint64_t f[2];

        if (cache_reply_fields(list->element[i], f, 2) != BO_OK || f[0] == 0) {
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

/* ---- admission ------------------------------------------------------------------- */

/* cache_seed_hex writes CACHE_SEED_BYTES secure random bytes as lower-case hex into out (room
 * for 2 * CACHE_SEED_BYTES + 1). */
static int cache_seed_hex(char *out)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[CACHE_SEED_BYTES];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        BO_ERR("admission: no random bytes for the opening's shuffle");
        return BO_E_INTERNAL;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[2 * sizeof(raw)] = '\0';
    return BO_OK;
}

/* A step's seed as the admit function takes it, in hex. */
typedef char cache_seed_text[2 * CACHE_SEED_BYTES + 1];

/* cache_admit_args writes the admit function's call for concert_id with p into a, with a fresh
 * seed written into seed, which a borrows until the call is sent. */
static int cache_admit_args(struct cache *c, uint64_t concert_id,
                            const struct cache_admit_params *p, size_t ended_cap,
                            cache_seed_text seed, struct cache_args *a)
{
    int rc;

    if (concert_id == 0 || p->ttl_ms <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    /* Every step carries a fresh seed: the function uses it only at an opening. */
    if ((rc = cache_seed_hex(seed)) != BO_OK) {
        return rc;
    }
    memset(a, 0, sizeof(*a));
    cache_args_fcall(a, "bo_admit");
    cache_args_u64(a, concert_id);
    cache_args_i64(a, p->now_ms);
    cache_args_u64(a, p->max_active);
    cache_args_u64(a, p->max_count);
    cache_args_i64(a, p->ttl_ms);
    cache_args_i64(a, p->abandon_ms > 0 ? p->abandon_ms : 0);
    cache_args_u64(a, ended_cap);
    cache_args_str(a, seed);
    cache_args_i64(a, cache_conn_ended_keep_ms(c));
    cache_args_str(a, p->holder != NULL ? p->holder : "");
    return BO_OK;
}

/* cache_admit_decode reads the admit function's reply r for concert_id (stepped with p) into
 * admitted[], ended[] (NULL: not collected) and *res. */
static int cache_admit_decode(const redisReply *r, uint64_t concert_id,
                              const struct cache_admit_params *p, struct queue_token *admitted,
                              struct queue_token *ended, size_t ended_cap,
                              struct cache_admit_result *res)
{
    struct cache_admit_result out;
    int64_t skipped = 0, waiting = 0;

    memset(&out, 0, sizeof(out));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
        r->element[1]->type != REDIS_REPLY_ARRAY ||
        cache_reply_i64(r->element[2], &skipped) != BO_OK ||
        cache_reply_i64(r->element[3], &waiting) != BO_OK ||
        cache_admitted_decode(r->element[0], concert_id, p, admitted, &out.admitted) != BO_OK) {
        BO_ERR("redis: malformed admit reply");
        return BO_E_INTERNAL;
    }
    if (ended != NULL) {
        out.ended = cache_ended_decode(r->element[1], concert_id, ended, ended_cap);
    }
    out.skipped = skipped > 0 ? (size_t)skipped : 0;
    out.waiting = waiting > 0 ? (uint64_t)waiting : 0;
    *res = out;
    return BO_OK;
}

int cache_admission_step(struct cache *c, uint64_t concert_id, const struct cache_admit_params *p,
                         struct queue_token *admitted, struct queue_token *ended, size_t ended_cap,
                         struct cache_admit_result *res)
{
    struct cache_args a;
    cache_seed_text seed;
    redisReply *r = NULL;
    int rc;

    if ((rc = cache_admit_args(c, concert_id, p, ended == NULL ? 0 : ended_cap, seed, &a)) !=
        BO_OK) {
        return rc;
    }
    /* Not repeated once sent: a lost reply may hide admissions, and a second run would admit
     * a further batch beyond the rate. */
    if ((rc = cache_conn_call(c, CACHE_RETRY_UNSENT, &a, &r)) != BO_OK) {
        return rc;
    }
    rc = cache_admit_decode(r, concert_id, p, admitted, ended, ended_cap, res);
    freeReplyObject(r);
    return rc;
}

int cache_admission_steps(struct cache *c, const uint64_t *concert_ids,
                          const struct cache_admit_params *ps, size_t n,
                          struct queue_token *admitted, struct queue_token *ended, size_t ended_cap,
                          cache_admit_step_fn done, void *arg)
{
    struct cache_args cmds[CACHE_STEPS_MAX];
    cache_seed_text seeds[CACHE_STEPS_MAX];
    const struct cache_args *ptrs[CACHE_STEPS_MAX] = {0};
    redisReply *replies[CACHE_STEPS_MAX];
    int codes[CACHE_STEPS_MAX];
    int rc;

    if (n == 0 || n > CACHE_STEPS_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < n; i++) {
        rc = cache_admit_args(c, concert_ids[i], &ps[i], ended == NULL ? 0 : ended_cap, seeds[i],
                              &cmds[i]);
        if (rc != BO_OK) {
            return rc;
        }
        ptrs[i] = &cmds[i];
    }
    /* One round trip for all; not repeated once sent (cache_admission_step). Each reply is
     * decoded into the shared arrays and handed over before the next is read. */
    if ((rc = cache_conn_run_each(c, CACHE_RETRY_UNSENT, ptrs, n, replies, codes)) != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct cache_admit_result res;
        int own = codes[i];
        if (own == BO_OK) {
            own = cache_admit_decode(replies[i], concert_ids[i], &ps[i], admitted, ended, ended_cap,
                                     &res);
            freeReplyObject(replies[i]);
        }
        done(arg, i, own, own == BO_OK ? &res : NULL);
    }
    return BO_OK;
}

int cache_admit(struct cache *c, uint64_t concert_id, int64_t now_ms, uint32_t max_active,
                uint32_t max_count, int64_t ttl_ms, struct queue_token *out, size_t *n)
{
    struct cache_admit_params p = {now_ms, max_active, max_count, ttl_ms, 0, NULL};
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

/* ---- the line and recent admissions ------------------------------------------------ */

/* cache_slice_call calls function (concert, from, max), a read of at most max entries from
 * the concert's line or recent admissions, and returns its reply in *out; with max 0 nothing
 * is read and *out is NULL. */
static int cache_slice_call(struct cache *c, const char *function, uint64_t concert_id,
                            const char *from, size_t max, redisReply **out)
{
    struct cache_args a = {0};

    if (concert_id == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (max == 0) {
        return BO_OK;
    }
    cache_args_fcall(&a, function);
    cache_args_u64(&a, concert_id);
    cache_args_str(&a, from);
    cache_args_u64(&a, max);
    return cache_conn_call(c, CACHE_RETRY_ANY, &a, out);
}

int cache_line_after(struct cache *c, uint64_t concert_id, uint64_t after_score, size_t max,
                     struct cache_waiter *out, size_t *n, uint64_t *first_position)
{
    redisReply *r = NULL;
    const redisReply *list;
    char after[24];
    uint64_t first = 0;
    size_t count = 0;
    int rc;

    snprintf(after, sizeof(after), "%" PRIu64, after_score);
    rc = cache_slice_call(c, "bo_line_after", concert_id, after, max, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r == NULL) {
        *n = 0;
        *first_position = 0;
        return BO_OK;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        cache_reply_u64(r->element[0], &first) != BO_OK ||
        r->element[1]->type != REDIS_REPLY_ARRAY || r->element[1]->elements % 3 != 0 ||
        r->element[1]->elements / 3 > max) {
        BO_ERR("redis: malformed line reply");
        freeReplyObject(r);
        return BO_E_INTERNAL;
    }
    list = r->element[1];
    for (size_t i = 0; i < list->elements / 3; i++) {
        redisReply **e = list->element + 3 * i;
        struct cache_waiter w;
        /* A token whose record is gone keeps its place (user 0) so positions stay right. */
        if (cache_reply_u64(e[0], &w.sequence) != BO_OK ||
            cache_reply_u64(e[1], &w.user_id) != BO_OK) {
            w.sequence = 0;
            w.user_id = 0;
        }
        if (cache_reply_u64(e[2], &w.score) != BO_OK) {
            w.score = 0;
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
    redisReply *r = NULL;
    char since[24];
    size_t count = 0;
    int rc;

    snprintf(since, sizeof(since), "%" PRId64, since_ms);
    rc = cache_slice_call(c, "bo_recent", concert_id, since, max, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (r == NULL) {
        *n = 0;
        return BO_OK;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return BO_E_INTERNAL;
    }
    for (size_t i = 0; i < r->elements && count < max; i++) {
        uint64_t f[5];
        if (cache_reply_fields(r->element[i], f, 5) != BO_OK) {
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

/* ---- the opening ------------------------------------------------------------------------ */

int cache_concert_opens_set(struct cache *c, uint64_t concert_id, int64_t opens_ms)
{
    struct cache_args a = {0};

    if (concert_id == 0 || opens_ms < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_fcall(&a, "bo_opens_set");
    cache_args_u64(&a, concert_id);
    cache_args_i64(&a, opens_ms);
    cache_args_i64(&a, bo_time_now_ms());
    /* Repeating stores the same time, or finds the sale already open. */
    return cache_conn_exec(c, CACHE_RETRY_ANY, &a);
}

/* ---- rates and counts ------------------------------------------------------------------ */

int cache_stats_set(struct cache *c, uint64_t concert_id, int64_t rate_milli, int64_t now_ms)
{
    struct cache_args a = {0};
    char text[32];

    if (concert_id == 0 || rate_milli < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    snprintf(text, sizeof(text), "%" PRId64 ".%03" PRId64, rate_milli / 1000, rate_milli % 1000);
    cache_args_fcall(&a, "bo_stats_set");
    cache_args_u64(&a, concert_id);
    cache_args_str(&a, text);
    cache_args_i64(&a, now_ms);
    return cache_conn_exec(c, CACHE_RETRY_ANY, &a);
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
    rc = cache_conn_call(c, CACHE_RETRY_ANY, &a, &r);
    if (rc != BO_OK) {
        return rc;
    }
    if (cache_reply_text(r, buf, sizeof(buf))) {
        v = strtod(buf, NULL);
    }
    freeReplyObject(r);
    *rate_milli = v > 0 ? (int64_t)(v * 1000 + 0.5) : 0;
    return BO_OK;
}

/* cache_ids_call makes the call a, whose reply is an array of concert ids, and returns them in a
 * new array *ids (caller frees with free()). */
static int cache_ids_call(struct cache *c, struct cache_args *a, uint64_t **ids, size_t *n)
{
    redisReply *r = NULL;
    uint64_t *list = NULL;
    size_t count = 0;
    int rc;

    rc = cache_conn_call(c, CACHE_RETRY_ANY, a, &r);
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

int cache_queue_concerts(struct cache *c, uint64_t **ids, size_t *n)
{
    struct cache_args a = {0};

    cache_args_str(&a, "SMEMBERS");
    cache_args_str(&a, "bo:queues");
    return cache_ids_call(c, &a, ids, n);
}

int cache_due_concerts(struct cache *c, int64_t now_ms, uint32_t max, uint64_t **ids, size_t *n)
{
    struct cache_args a = {0};

    cache_args_fcall(&a, "bo_due");
    cache_args_i64(&a, now_ms);
    cache_args_u64(&a, max);
    return cache_ids_call(c, &a, ids, n);
}

int cache_queue_counts_many(struct cache *c, const uint64_t *ids, size_t n, uint64_t *waiting,
                            uint64_t *active, int *codes)
{
    struct cache_args cmds[CACHE_STEPS_MAX];
    const struct cache_args *ptrs[CACHE_STEPS_MAX] = {0};
    redisReply *replies[CACHE_STEPS_MAX];
    int rc;

    if (n == 0 || n > CACHE_STEPS_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    memset(cmds, 0, sizeof(cmds));
    for (size_t i = 0; i < n; i++) {
        cache_args_fcall(&cmds[i], "bo_counts");
        cache_args_u64(&cmds[i], ids[i]);
        ptrs[i] = &cmds[i];
    }
    if ((rc = cache_conn_run_each(c, CACHE_RETRY_ANY, ptrs, n, replies, codes)) != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        const redisReply *r = replies[i];
        if (codes[i] != BO_OK) {
            continue;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            cache_reply_u64(r->element[0], &waiting[i]) != BO_OK ||
            cache_reply_u64(r->element[1], &active[i]) != BO_OK) {
            codes[i] = BO_E_INTERNAL;
        }
        freeReplyObject(replies[i]);
    }
    return BO_OK;
}

int cache_queue_counts(struct cache *c, uint64_t concert_id, uint64_t *waiting, uint64_t *active)
{
    int code = BO_OK;
    int rc = cache_queue_counts_many(c, &concert_id, 1, waiting, active, &code);

    return rc != BO_OK ? rc : code;
}

/* ---- leader lease -------------------------------------------------------------------- */

int cache_lease_acquire(struct cache *c, const char *holder, int64_t ttl_ms, int *held)
{
    struct cache_args a = {0};
    int64_t v = 0;
    int rc;

    if (holder == NULL || holder[0] == '\0' || ttl_ms <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_fcall(&a, "bo_lease_acquire");
    cache_args_str(&a, holder);
    cache_args_i64(&a, ttl_ms);
    rc = cache_conn_int(c, CACHE_RETRY_ANY, &a, &v);
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
    cache_args_str(&a, CACHE_LEADER_KEY);
    rc = cache_conn_call(c, CACHE_RETRY_ANY, &a, &r);
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

    if (holder == NULL || holder[0] == '\0') {
        return BO_E_INVALID_ARGUMENT;
    }
    cache_args_fcall(&a, "bo_lease_release");
    cache_args_str(&a, holder);
    return cache_conn_exec(c, CACHE_RETRY_ANY, &a);
}
