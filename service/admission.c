/*
 * admission: the leader's loop that moves waiting tokens to ACTIVE (see admission.h).
 *
 * Rate: each concert has a credit in thousandths of an admission. Every tick adds
 * rate_per_second * elapsed_ms (the real time since the last tick, so late ticks do not slow
 * the rate), admits the whole part and carries the fraction, so the long-run rate is exact.
 * The credit is capped at a burst of half a second's worth (at least one), and a concert new to
 * this leader starts full, so a short line is let in at once while a long one drains at rate.
 *
 * The thread owns its PostgreSQL and Redis connections and opens them again with backoff
 * when they fail: a restarted server delays admission, it never stops it.
 */
#include "admission.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"
#include "cache.h"
#include "metrics.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Tokens admitted by one cache_admit call at most; a larger budget takes several calls. */
#define ADMISSION_BATCH_MAX  512
#define ADMISSION_BACKOFF_LO 100
#define ADMISSION_BACKOFF_HI 5000
#define ADMISSION_HOLDS_MS   1000

/* A concert's carried credit, in thousandths of an admission. */
struct admission_credit {
    uint64_t concert_id;
    int64_t milli;
};

/* A connection that is reopened with exponential backoff. */
struct admission_backoff {
    int64_t next_ms; /* monotonic time of the next attempt */
    int64_t wait_ms; /* current wait after a failure */
};

struct admission {
    struct svc_config cfg; /* a copy: the thread never depends on the caller's lifetime */
    struct events *events; /* borrowed: the caller closes it after admission_stop */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sync_ready;
    int stop; /* guarded by mu */

    struct store *store;
    struct cache *cache;
    struct admission_backoff store_bo;
    struct admission_backoff cache_bo;

    int leader;
    int64_t last_tick_ms; /* monotonic time credits were last topped up */
    int64_t holds_next_ms;
    int64_t gauges_next_ms; /* every instance reports queue lengths, leader or not */
    struct admission_credit *credits;
    size_t ncredits;
    struct queue_token batch[ADMISSION_BATCH_MAX];
    uint64_t admitted_total; /* for the debug log only */
};

static void admission_backoff_fail(struct admission_backoff *b, int64_t now)
{
    b->wait_ms = b->wait_ms == 0 ? ADMISSION_BACKOFF_LO : b->wait_ms * 2;
    if (b->wait_ms > ADMISSION_BACKOFF_HI) {
        b->wait_ms = ADMISSION_BACKOFF_HI;
    }
    b->next_ms = now + b->wait_ms;
}

static void admission_backoff_ok(struct admission_backoff *b)
{
    b->wait_ms = 0;
    b->next_ms = 0;
}

/*
 * admission_publish receives every batch the moment it is admitted, in admission order.
 *
 * Each token becomes an AdmissionEvent under its concert's and its user's topic, with
 * admission_no as the sequence subscribers resync by. Admission has committed in Redis
 * before this runs, so a lost event loses no place.
 */
static void admission_publish(struct admission *a, uint64_t concert_id,
                              const struct queue_token *tokens, size_t n)
{
    events_publish_admitted(a->events, tokens, n);
    metrics_admitted(n);
    BO_DEBUG("admission: concert %llu: admitted %zu", (unsigned long long)concert_id, n);
}

/* admission_connect opens whichever connection is missing and due for another attempt;
 * the open functions log their own failures. */
static void admission_connect(struct admission *a, int64_t now)
{
    if (a->cache == NULL && now >= a->cache_bo.next_ms) {
        if (cache_open(a->cfg.redis_url, &a->cache) == BO_OK) {
            admission_backoff_ok(&a->cache_bo);
        } else {
            a->cache = NULL;
            admission_backoff_fail(&a->cache_bo, now);
        }
    }
    if (a->store == NULL && now >= a->store_bo.next_ms) {
        if (store_open(a->cfg.database_url, &a->store) == BO_OK) {
            admission_backoff_ok(&a->store_bo);
        } else {
            a->store = NULL;
            admission_backoff_fail(&a->store_bo, now);
        }
    }
}

/* admission_credit_find returns the credit of concert_id, adding a full one for a concert new
 * to this leader; NULL only when out of memory. */
static struct admission_credit *admission_credit_find(struct admission *a, uint64_t concert_id,
                                                      int64_t cap)
{
    struct admission_credit *grown;

    for (size_t i = 0; i < a->ncredits; i++) {
        if (a->credits[i].concert_id == concert_id) {
            return &a->credits[i];
        }
    }
    grown = realloc(a->credits, (a->ncredits + 1) * sizeof(*grown));
    if (grown == NULL) {
        return NULL;
    }
    a->credits = grown;
    a->credits[a->ncredits].concert_id = concert_id;
    a->credits[a->ncredits].milli = cap;
    return &a->credits[a->ncredits++];
}

/* admission_concert tops up the concert's credit by elapsed_ms and admits what it allows. */
static int admission_concert(struct admission *a, uint64_t concert_id,
                             const struct admission_settings *s, int64_t elapsed_ms)
{
    int64_t rate = s->rate_per_second;
    int64_t cap = rate * 1000 / 2;
    int64_t ttl_ms = (int64_t)s->token_ttl_seconds * 1000;
    struct admission_credit *cr;
    int64_t budget;

    if (cap < 1000) {
        cap = 1000;
    }
    if (rate == 0) {
        return BO_OK; /* an admin paused admission */
    }
    cr = admission_credit_find(a, concert_id, cap);
    if (cr == NULL) {
        return BO_E_NOMEM;
    }
    cr->milli += rate * elapsed_ms;
    if (cr->milli > cap) {
        cr->milli = cap;
    }

    budget = cr->milli / 1000;
    while (budget > 0) {
        uint32_t want = budget > ADMISSION_BATCH_MAX ? ADMISSION_BATCH_MAX : (uint32_t)budget;
        size_t n = 0;
        int rc = cache_admit(a->cache, concert_id, bo_time_now_ms(), s->max_active, want, ttl_ms,
                             a->batch, &n);
        if (rc != BO_OK) {
            return rc;
        }
        cr->milli -= (int64_t)n * 1000;
        budget -= (int64_t)n;
        if (n > 0) {
            a->admitted_total += n;
            admission_publish(a, concert_id, a->batch, n);
        }
        if (n < want) {
            break; /* the line is empty or max_active is reached */
        }
    }
    return BO_OK;
}

/* admission_forget drops credits of concerts no longer queued, so the table stays small. */
static void admission_forget(struct admission *a, const uint64_t *ids, size_t n)
{
    size_t kept = 0;

    for (size_t i = 0; i < a->ncredits; i++) {
        int found = 0;
        for (size_t j = 0; j < n && !found; j++) {
            found = a->credits[i].concert_id == ids[j];
        }
        if (found) {
            a->credits[kept++] = a->credits[i];
        }
    }
    a->ncredits = kept;
}

/* admission_lead does one leader tick: every queued concert, then expired holds. */
static void admission_lead(struct admission *a, int64_t now)
{
    struct admission_settings defaults, s;
    uint64_t *ids = NULL;
    size_t n = 0;
    int64_t elapsed = a->last_tick_ms == 0 ? 0 : now - a->last_tick_ms;
    int rc;

    a->last_tick_ms = now;
    svc_config_admission_defaults(&a->cfg, &defaults);
    if (cache_settings_get(a->cache, &defaults, &s) != BO_OK ||
        cache_queue_concerts(a->cache, &ids, &n) != BO_OK) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        rc = admission_concert(a, ids[i], &s, elapsed);
        if (rc == BO_E_UNAVAILABLE) {
            break; /* Redis is gone: the rest would fail the same way */
        }
    }
    admission_forget(a, ids, n);
    free(ids);

    if (a->store != NULL && now >= a->holds_next_ms) {
        size_t ended = 0;
        a->holds_next_ms = now + ADMISSION_HOLDS_MS;
        rc = store_holds_expire(a->store, &ended);
        if (rc == BO_OK && ended > 0) {
            BO_DEBUG("admission: %zu holds expired", ended);
        } else if (rc == BO_E_UNAVAILABLE) {
            store_close(a->store);
            a->store = NULL;
            admission_backoff_fail(&a->store_bo, now);
        }
    }
}

/* admission_gauges refreshes the queue-length gauges about once a second. */
static void admission_gauges(struct admission *a, int64_t now)
{
    uint64_t *ids = NULL;
    size_t n = 0;

    if (now < a->gauges_next_ms || cache_queue_concerts(a->cache, &ids, &n) != BO_OK) {
        return;
    }
    a->gauges_next_ms = now + 1000;
    for (size_t i = 0; i < n; i++) {
        uint64_t waiting = 0, active = 0;
        if (cache_queue_counts(a->cache, ids[i], &waiting, &active) == BO_OK) {
            metrics_queue_gauge(ids[i], waiting, active);
        }
    }
    free(ids);
}

/* admission_tick takes or renews the lease and, while leading, admits. */
static void admission_tick(struct admission *a)
{
    int64_t now = bo_time_mono_ms();
    int held = 0;
    int rc;

    admission_connect(a, now);
    if (a->cache == NULL || now < a->cache_bo.next_ms) {
        /* Redis is away (a failed tick already gave up leading): cache reconnects by itself,
         * at the pace of this backoff. */
        return;
    }
    rc = cache_lease_acquire(a->cache, a->cfg.instance_id, a->cfg.lease_ms, &held);
    if (rc != BO_OK) {
        admission_backoff_fail(&a->cache_bo, now);
        held = 0;
    } else {
        admission_backoff_ok(&a->cache_bo);
    }
    if (held != a->leader) {
        BO_INFO("admission: %s the admission lease", held ? "took" : "lost");
        a->leader = held;
        /* Credits earned under another leader are not ours to spend. */
        a->ncredits = 0;
        a->last_tick_ms = 0;
    }
    if (held) {
        admission_lead(a, now);
    }
    if (a->cache != NULL) {
        admission_gauges(a, now);
    }
}

/* admission_wait sleeps until deadline (monotonic ms) or until stop; returns stop. */
static int admission_wait(struct admission *a, int64_t deadline)
{
    struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
    int stop;

    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    stop = a->stop;
    pthread_mutex_unlock(&a->mu);
    return stop;
}

static void *admission_main(void *arg)
{
    struct admission *a = arg;
    int64_t next = bo_time_mono_ms();

    do {
        int64_t now;

        admission_tick(a);
        now = bo_time_mono_ms();
        next += a->cfg.admission_tick_ms;
        if (next < now) {
            next = now; /* after a stall, carry on from now rather than catch up in a burst */
        }
    } while (!admission_wait(a, next));
    return NULL;
}

int admission_start(const struct svc_config *cfg, struct events *events, struct admission **out)
{
    struct admission *a;
    pthread_condattr_t attr;
    int rc;

    if (cfg->admission_tick_ms <= 0 || cfg->lease_ms <= 0 || cfg->instance_id[0] == '\0') {
        return BO_E_INVALID_ARGUMENT;
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return BO_E_NOMEM;
    }
    a->cfg = *cfg;
    a->events = events;
    if (pthread_condattr_init(&attr) != 0) {
        free(a);
        return BO_E_NOMEM;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(&a->cv, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (rc != 0 || pthread_mutex_init(&a->mu, NULL) != 0) {
        if (rc == 0) {
            pthread_cond_destroy(&a->cv);
        }
        free(a);
        return BO_E_INTERNAL;
    }
    a->sync_ready = 1;

    rc = pthread_create(&a->thread, NULL, admission_main, a);
    if (rc != 0) {
        BO_ERR("admission: cannot start thread: %s", strerror(rc));
        admission_stop(a);
        return BO_E_INTERNAL;
    }
    a->thread_started = 1;
    *out = a;
    return BO_OK;
}

void admission_stop(struct admission *a)
{
    if (a == NULL) {
        return;
    }
    if (a->thread_started) {
        pthread_mutex_lock(&a->mu);
        a->stop = 1;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
    }
    if (a->cache != NULL && a->leader) {
        /* Handing the lease back lets another instance lead now rather than at its expiry. */
        if (cache_lease_release(a->cache, a->cfg.instance_id) != BO_OK) {
            BO_WARN("admission: could not release the lease; it lapses in %lld ms",
                    (long long)a->cfg.lease_ms);
        }
    }
    BO_DEBUG("admission: stopped after admitting %llu tokens",
             (unsigned long long)a->admitted_total);
    cache_close(a->cache);
    store_close(a->store);
    free(a->credits);
    if (a->sync_ready) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
    }
    free(a);
}
