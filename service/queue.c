/*
 * queue: tokens as request handlers see them (see queue.h).
 *
 * A token's text is trusted only after token_verify; its ids then name the Redis record,
 * whose user must be the one the signature names: every Redis function acting for a token's
 * holder takes that user and compares before it writes. After Redis loses its data, sequences
 * start again from 1, so an old but genuine token can name another user's place; it then reads
 * as EXPIRED (join again), as it does while its sequence is not handed out again.
 */
#include "queue.h"

#include "catalog.h"
#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_time.h"
#include "metrics.h"
#include "rate_limits.h"

#include <stdlib.h>
#include <string.h>

/* queue.h: the touch count bound is what one envelope carries of the shortest tokens
 * ("v1.1.1.1." and 43 characters of signature, 2 bytes of framing each) with room for the
 * envelope's own fields. */
_Static_assert(QUEUE_TOUCH_MAX *(9 + 43 + 2) + 4096 <= BO_ENVELOPE_MAX_SIZE,
               "QUEUE_TOUCH_MAX tokens do not fit one envelope");

/* A poll writes the last-seen time at most this often (and more often for a short
 * abandon_seconds): status polls stay reads, and one in a few seconds is enough to keep a
 * holder from being taken for gone. */
#define QUEUE_SEEN_EVERY_MS_MAX 5000
#define QUEUE_SEEN_EVERY_MS_MIN 250

int64_t queue_seen_every_ms(const struct svc_config *cfg)
{
    int64_t every = cfg->abandon_seconds * 1000 / 4;

    if (cfg->abandon_seconds <= 0 || every > QUEUE_SEEN_EVERY_MS_MAX) {
        return QUEUE_SEEN_EVERY_MS_MAX;
    }
    return every < QUEUE_SEEN_EVERY_MS_MIN ? QUEUE_SEEN_EVERY_MS_MIN : every;
}

uint32_t queue_eta_measured(uint64_t position, int64_t rate_milli,
                            const struct admission_settings *settings)
{
    uint64_t rate = (uint64_t)rate_milli;
    uint64_t eta;

    if (rate_milli < CACHE_RATE_MIN_MILLI) {
        return queue_eta_seconds(position, settings);
    }
    if (position == 0) {
        return 0;
    }
    if (position > UINT64_MAX / 1000) {
        return UINT32_MAX;
    }
    eta = (position * 1000 + rate - 1) / rate;
    if (eta == 0) {
        eta = 1;
    }
    return eta > UINT32_MAX ? UINT32_MAX : (uint32_t)eta;
}

uint32_t queue_eta_seconds(uint64_t position, const struct admission_settings *settings)
{
    uint64_t rate = settings->rate_per_second;
    uint64_t eta;

    if (position == 0) {
        return 0;
    }
    if (rate == 0) {
        rate = 1; /* admission paused: still promise nothing shorter than one a second */
    }
    eta = position / rate + (position % rate != 0);
    if (eta == 0) {
        eta = 1;
    }
    return eta > UINT32_MAX ? UINT32_MAX : (uint32_t)eta;
}

int queue_issue(struct svc_context *ctx, uint64_t user_id, uint64_t concert_id,
                struct queue_token *out, char *text, size_t textlen, uint32_t *eta_seconds,
                int *created, uint32_t *retry_after)
{
    struct rate_limits_plan limits;
    struct admission_settings settings;
    struct queue_token t;
    char signed_text[TOKEN_TEXT_MAX];
    int64_t rate_milli = 0, opens_ms = 0;
    int made = 0;
    int rc;

    if (user_id == 0 || concert_id == 0 || text == NULL || textlen < TOKEN_TEXT_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    /* A proven caller exists (a session's account, or an operator token's user, made in
     * PostgreSQL at its first write): only a native call naming a user is looked up. */
    if (!ctx->caller.proven && (rc = store_user_exists(ctx->store, user_id)) != BO_OK) {
        return rc;
    }
    if ((rc = catalog_concert_opens(ctx, concert_id, &opens_ms)) != BO_OK) {
        /* Asking for concerts that do not exist costs PostgreSQL a lookup each: it counts
         * against the same limits as an issue (a refusal then says so). */
        if (retry_after != NULL &&
            rate_limits_check(ctx, LIMIT_TOKEN_ISSUE, user_id, ctx->caller.client_addr,
                              retry_after) == BO_E_RATE_LIMITED) {
            return BO_E_RATE_LIMITED;
        }
        return rc;
    }
    rate_limits_prepare(ctx, retry_after != NULL ? LIMIT_TOKEN_ISSUE : LIMIT_NONE, user_id,
                        ctx->caller.client_addr, &limits);
    rc = cache_token_issue_limited(ctx->cache, concert_id, user_id, bo_time_now_ms(), opens_ms,
                                   &limits.checks, &t, &made, &rate_milli);
    rc = rate_limits_outcome(&limits, rc, retry_after);
    if (rc != BO_OK) {
        return rc;
    }
    rc = token_sign(ctx->cfg->token_secret, t.concert_id, t.user_id, t.sequence, signed_text,
                    sizeof(signed_text));
    if (rc != BO_OK) {
        return rc;
    }
    svc_context_settings(ctx, &settings);

    memcpy(text, signed_text, strlen(signed_text) + 1);
    *out = t;
    if (eta_seconds != NULL) {
        *eta_seconds =
            t.status == TOKEN_WAITING ? queue_eta_measured(t.position, rate_milli, &settings) : 0;
    }
    if (created != NULL) {
        *created = made;
    }
    return BO_OK;
}

/* queue_lookup_ids reads the token (concert_id, sequence) of user_id, whose text verified (an
 * ACTIVE one's window is fixed from its admission: reading or acting never extends it), counting
 * a WAITING one's holder as present. A token Redis no longer knows, or whose sequence Redis now
 * gives another user's token, is answered as EXPIRED with these ids. rate_milli (may be NULL)
 * receives the measured admission rate for a WAITING token. */
static int queue_lookup_ids(struct svc_context *ctx, uint64_t concert_id, uint64_t user_id,
                            uint64_t sequence, struct queue_token *out, int64_t *rate_milli)
{
    struct queue_token t;
    int rc;

    rc = cache_token_use(ctx->cache, concert_id, sequence, user_id, bo_time_now_ms(),
                         queue_seen_every_ms(ctx->cfg), &t, rate_milli);
    if (rc == BO_E_TOKEN_EXPIRED) {
        memset(&t, 0, sizeof(t));
        t.concert_id = concert_id;
        t.user_id = user_id;
        t.sequence = sequence;
        t.status = TOKEN_EXPIRED;
    } else if (rc != BO_OK) {
        return rc;
    }
    *out = t;
    return BO_OK;
}

/* queue_lookup verifies text and reads its token (see queue_lookup_ids). */
static int queue_lookup(struct svc_context *ctx, const char *text, struct queue_token *out,
                        int64_t *rate_milli)
{
    uint64_t concert_id, user_id, sequence;
    int rc;

    rc = token_verify(ctx->cfg->token_secret, text, &concert_id, &user_id, &sequence);
    if (rc != BO_OK) {
        return rc;
    }
    return queue_lookup_ids(ctx, concert_id, user_id, sequence, out, rate_milli);
}

int queue_status(struct svc_context *ctx, const char *text, struct queue_token *out,
                 uint32_t *eta_seconds)
{
    struct admission_settings settings;
    struct queue_token t;
    int64_t rate_milli = 0;
    int rc;

    rc = queue_lookup(ctx, text, &t, &rate_milli);
    if (rc != BO_OK) {
        return rc;
    }
    if (eta_seconds != NULL) {
        uint32_t eta = 0;
        if (t.status == TOKEN_WAITING) {
            svc_context_settings(ctx, &settings);
            eta = queue_eta_measured(t.position, rate_milli, &settings);
        }
        *eta_seconds = eta;
    }
    *out = t;
    return BO_OK;
}

/* queue_may_act checks that the token t as read may act now (see queue_authorize) and remembers
 * an ACTIVE one for reads. */
static int queue_may_act(struct svc_context *ctx, const struct queue_token *t, int need_active)
{
    if (t->status == TOKEN_EXPIRED) {
        return BO_E_TOKEN_EXPIRED;
    }
    /* A proven caller acts with its own token only. */
    if (ctx->caller.proven && t->user_id != ctx->caller.who.user_id) {
        return BO_E_NOT_OWNER;
    }
    if (t->status == TOKEN_ACTIVE) {
        token_memory_remember(ctx->tokens, t->concert_id, t->sequence, t->user_id, t->expires_at_ms,
                              bo_time_now_ms());
    } else if (need_active) {
        return BO_E_TOKEN_NOT_ACTIVE;
    }
    return BO_OK;
}

int queue_authorize(struct svc_context *ctx, const char *text, int need_active,
                    struct queue_token *out)
{
    struct queue_token t;
    int rc;

    if ((rc = queue_lookup(ctx, text, &t, NULL)) != BO_OK ||
        (rc = queue_may_act(ctx, &t, need_active)) != BO_OK) {
        return rc;
    }
    *out = t;
    return BO_OK;
}

int queue_authorize_read(struct svc_context *ctx, const char *text, struct queue_token *out)
{
    struct queue_token t;
    uint64_t concert_id, user_id, sequence;
    int64_t until = 0;
    int rc;

    rc = token_verify(ctx->cfg->token_secret, text, &concert_id, &user_id, &sequence);
    if (rc != BO_OK) {
        return rc;
    }
    memset(&t, 0, sizeof(t));
    if (token_memory_active(ctx->tokens, concert_id, sequence, user_id, bo_time_now_ms(), &until)) {
        metrics_token_check(1);
        t.concert_id = concert_id;
        t.user_id = user_id;
        t.sequence = sequence;
        t.status = TOKEN_ACTIVE;
        t.expires_at_ms = until;
        if (ctx->caller.proven && user_id != ctx->caller.who.user_id) {
            return BO_E_NOT_OWNER; /* as queue_may_act says */
        }
    } else {
        if (!svc_context_may_wait(ctx)) {
            return BO_E_UNAVAILABLE; /* read from Redis by the worker */
        }
        metrics_token_check(0);
        if ((rc = queue_lookup_ids(ctx, concert_id, user_id, sequence, &t, NULL)) != BO_OK ||
            (rc = queue_may_act(ctx, &t, 1)) != BO_OK) {
            return rc;
        }
    }
    *out = t;
    return BO_OK;
}

/* queue_ended tells the token memory and every subscriber that the token (concert_id,
 * sequence) of user_id ended here, before the call that ended it replies. */
static void queue_ended(struct svc_context *ctx, uint64_t concert_id, uint64_t user_id,
                        uint64_t sequence)
{
    token_memory_forget(ctx->tokens, concert_id, sequence, bo_time_now_ms());
    events_publish_ended(ctx->events, concert_id, user_id, sequence);
}

int queue_leave(struct svc_context *ctx, const char *text, struct queue_token *out)
{
    uint64_t concert_id, user_id, sequence;
    int rc;

    rc = token_verify(ctx->cfg->token_secret, text, &concert_id, &user_id, &sequence);
    if (rc != BO_OK) {
        return rc;
    }
    if (!ctx->caller.proven) {
        return BO_E_SESSION_MISSING;
    }
    if (user_id != ctx->caller.who.user_id) {
        return BO_E_NOT_OWNER;
    }
    rc = cache_token_leave(ctx->cache, concert_id, sequence, user_id, bo_time_now_ms(), out);
    if (rc == BO_OK) {
        queue_ended(ctx, concert_id, user_id, sequence);
    }
    return rc;
}

int queue_finish(struct svc_context *ctx, const struct queue_token *t)
{
    int rc = cache_token_expire(ctx->cache, t->concert_id, t->sequence, t->user_id);

    if (rc == BO_E_TOKEN_EXPIRED) {
        return BO_OK; /* Redis lost the token: its ids are another user's now, not to announce */
    }
    if (rc == BO_OK) {
        queue_ended(ctx, t->concert_id, t->user_id, t->sequence);
    }
    return rc;
}

int queue_touch(struct svc_context *ctx, char *const *texts, size_t n, uint32_t *touched,
                size_t *expired, size_t *nexpired)
{
    struct cache_token_ref *refs = NULL;
    size_t *index = NULL;
    char *state = NULL;
    size_t nrefs = 0, live = 0, gone = 0;
    int rc = BO_OK;

    if (n > QUEUE_TOUCH_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (n == 0) {
        *touched = 0;
        *nexpired = 0;
        return BO_OK;
    }
    refs = malloc(n * sizeof(*refs));
    index = malloc(n * sizeof(*index));
    state = malloc(n);
    if (refs == NULL || index == NULL || state == NULL) {
        rc = BO_E_NOMEM;
        goto done;
    }
    /* Only what the signature vouches for reaches Redis. */
    for (size_t i = 0; i < n; i++) {
        struct cache_token_ref *r = &refs[nrefs];
        if (token_verify(ctx->cfg->token_secret, texts[i], &r->concert_id, &r->user_id,
                         &r->sequence) == BO_OK &&
            r->concert_id != 0 && r->sequence != 0) {
            index[nrefs++] = i;
        }
    }
    if (nrefs > 0) {
        rc = cache_tokens_touch(ctx->cache, refs, nrefs, bo_time_now_ms(),
                                queue_seen_every_ms(ctx->cfg), state);
        if (rc != BO_OK) {
            goto done;
        }
    }
    for (size_t k = 0; k < nrefs; k++) {
        if (state[k] == CACHE_TOUCH_WAITING || state[k] == CACHE_TOUCH_ACTIVE) {
            live++;
        } else {
            expired[gone++] = index[k];
        }
    }
    *touched = (uint32_t)live;
    *nexpired = gone;
done:
    free(state);
    free(index);
    free(refs);
    return rc;
}
