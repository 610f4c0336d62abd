/*
 * admission: the leader's loop that moves waiting tokens to ACTIVE (see admission.h).
 *
 * Rate: each concert has a credit in thousandths of an admission. Each step adds
 * rate_per_second * the real time since the concert's last top-up (so late ticks do not slow
 * the rate), admits the whole part and carries the fraction, so the long-run rate is exact.
 * The credit is capped at a burst of half a second's worth (at least one), and a concert new to
 * this leader starts full, so a short line is let in at once while a long one drains at rate.
 * A line is remembered for ADMISSION_LINE_KEEP_MS after its last step, far longer than its
 * credit takes to fill up (one second at most): a line that empties and fills again between
 * ticks gets the credit of the time between, not a new burst each time.
 * Abandoned tokens met at the head are ended by the same step and take no credit.
 *
 * One tick's steps go to Redis CACHE_STEPS_MAX concerts to a round trip (cache_admission_steps):
 * a step each in turn, on a core shared with busy workers, made a tick of a hundred lines take
 * longer than its interval, and a token's wait for admission with it.
 *
 * Announcements, all from this thread: ADMITTED for every admission (in admission order, and
 * once more for the last few seconds' admissions when this instance takes the lease over, so
 * events lost with a killed leader reach subscribers anyway); EXPIRED for every token that
 * ended, whoever ended it (the Redis scripts queue each end, each step collects them); and
 * POSITION for the first ADMISSION_POSITIONS_MAX waiting tokens of each concert every
 * ADMISSION_POSITIONS_MS (a round), read and announced a slice per tick over the first
 * ADMISSION_POSITIONS_SPREAD_MS of the round: each slice is a short script, and no burst
 * overflows a subscriber's queue. A slice starts after the last sequence announced, so a
 * token gets one update per round however the line moves, with its place as of its slice.
 *
 * Measured rate: admissions per second while tokens were left waiting (a line that empties is
 * limited by demand, not by capacity, and says nothing about the wait), smoothed with a time
 * constant of ADMISSION_RATE_TAU_MS and stored in Redis once a second for the request
 * handlers' estimates.
 *
 * Every admission step is fenced on the lease (it names this instance, and Redis runs it only
 * while the lease does too): a leader paused after renewing its lease and before its step, for
 * longer than the lease, wakes after another instance took over and admits nothing; it steps
 * down at its next renewal.
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
#include "queue.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Tokens admitted by one cache_admission_step call at most; a larger budget takes several. */
#define ADMISSION_BATCH_MAX  512
#define ADMISSION_ENDED_MAX  1024
#define ADMISSION_BACKOFF_LO 100
#define ADMISSION_BACKOFF_HI 5000
#define ADMISSION_HOLDS_MS   1000
/* Concerts out of bo:queues (nothing waiting) one tick steps at most when their step is due (an
 * ACTIVE token to expire, ended records to sweep); more go on at the next tick. */
#define ADMISSION_DUE_MAX 256
/* How often the leader deletes expired idempotency keys, and how many at most a time (a
 * backlog goes on at the next tick, so one sweep never holds PostgreSQL long). */
#define ADMISSION_IDEM_MS    5000
#define ADMISSION_IDEM_BATCH 5000
/* Position updates: how often, how far down the line, and over how long each round goes out. */
#define ADMISSION_POSITIONS_MS        2500
#define ADMISSION_POSITIONS_MAX       10000
#define ADMISSION_POSITIONS_SPREAD_MS 2000
/* Measured rate: one sample a second, counted only with at least this much backlogged time. */
#define ADMISSION_RATE_SAMPLE_MS 1000
#define ADMISSION_RATE_MIN_MS    500
#define ADMISSION_RATE_TAU_MS    15000.0
/* A new leader announces again the admissions of this long before the lease lapsed. */
#define ADMISSION_REPLAY_EXTRA_MS 3000
/* How long a line is remembered after its last step (see the rate, above). */
#define ADMISSION_LINE_KEEP_MS 10000
/* Concerts whose queue counts are read for the gauges each second at most. */
#define ADMISSION_GAUGES_MAX 256

_Static_assert(METRICS_QUEUE_CONCERTS <= ADMISSION_GAUGES_MAX, "every concert shown is read");

/* One concert's line as this leader tracks it. */
struct admission_line {
    uint64_t concert_id;
    int64_t milli;      /* carried credit, thousandths of an admission */
    int64_t topped_ms;  /* monotonic time milli was last topped up */
    int64_t stepped_ms; /* monotonic time of the last step (the line is forgotten after
                         * ADMISSION_LINE_KEEP_MS without one) */

    double rate; /* measured admissions per second, when has_rate */
    int has_rate;
    int sample_skip;          /* the first sample holds the new line's burst: not a rate */
    int64_t backlog_ms;       /* time in the current sample with tokens left waiting */
    uint64_t sample_admitted; /* admissions in that time */
    int64_t sample_next_ms;   /* monotonic time the current sample closes */

    int64_t round_next_ms; /* monotonic time the next round of position updates starts */
    int round_open;        /* slices of the current round remain */
    uint64_t round_after;  /* last score announced in the current round */
    size_t round_sent;     /* updates announced in the current round */
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
    int64_t holds_next_ms;
    int64_t idem_next_ms;
    int64_t gauges_next_ms; /* every instance reports queue lengths, leader or not */
    struct admission_line *lines;
    size_t nlines;
    struct queue_token batch[ADMISSION_BATCH_MAX];
    struct queue_token ended[ADMISSION_ENDED_MAX];
    struct cache_waiter *slice; /* room for per_tick position updates (owned) */
    size_t per_tick;
    uint64_t admitted_total; /* for the debug log only */
};

/* admission_backoff_note records the outcome rc of an attempt made at now: after a success the
 * next may come at once; after a failure it waits, each time twice as long as the last wait
 * (ADMISSION_BACKOFF_LO up to ADMISSION_BACKOFF_HI). */
static void admission_backoff_note(struct admission_backoff *b, int64_t now, int rc)
{
    if (rc == BO_OK) {
        b->wait_ms = 0;
        b->next_ms = 0;
        return;
    }
    b->wait_ms = b->wait_ms == 0 ? ADMISSION_BACKOFF_LO : b->wait_ms * 2;
    if (b->wait_ms > ADMISSION_BACKOFF_HI) {
        b->wait_ms = ADMISSION_BACKOFF_HI;
    }
    b->next_ms = now + b->wait_ms;
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

/* admission_connect opens whichever connection is missing and due for another attempt (the
 * open functions leave it NULL on failure and log why). */
static void admission_connect(struct admission *a, int64_t now)
{
    if (a->cache == NULL && now >= a->cache_bo.next_ms) {
        admission_backoff_note(&a->cache_bo, now, cache_open(a->cfg.redis_url, &a->cache));
        if (a->cache != NULL) {
            cache_ended_keep_set(a->cache, a->cfg.ended_token_keep_seconds * 1000);
        }
    }
    if (a->store == NULL && now >= a->store_bo.next_ms) {
        admission_backoff_note(&a->store_bo, now, store_open(a->cfg.database_url, &a->store));
    }
}

/* admission_lines_clear forgets every line (on a change of leader: credits earned and rates
 * measured under another leader are not ours). */
static void admission_lines_clear(struct admission *a)
{
    free(a->lines);
    a->lines = NULL;
    a->nlines = 0;
}

/* admission_line_find returns the line of concert_id, adding one with a full credit (and the
 * rate last stored, if any) for a concert new to this leader; NULL only when out of memory. */
static struct admission_line *admission_line_find(struct admission *a, uint64_t concert_id,
                                                  int64_t cap, int64_t now)
{
    struct admission_line *grown, *line;
    int64_t stored = 0;

    for (size_t i = 0; i < a->nlines; i++) {
        if (a->lines[i].concert_id == concert_id) {
            return &a->lines[i];
        }
    }
    grown = realloc(a->lines, (a->nlines + 1) * sizeof(*grown));
    if (grown == NULL) {
        return NULL;
    }
    a->lines = grown;
    line = &a->lines[a->nlines++];
    memset(line, 0, sizeof(*line));
    line->concert_id = concert_id;
    line->milli = cap;
    line->topped_ms = now;
    line->sample_next_ms = now + ADMISSION_RATE_SAMPLE_MS;
    line->sample_skip = 1;
    /* Estimates go on from the last leader's measurement rather than start from nothing. */
    if (cache_stats_get(a->cache, concert_id, &stored) == BO_OK && stored >= CACHE_RATE_MIN_MILLI) {
        line->rate = (double)stored / 1000.0;
        line->has_rate = 1;
    }
    return line;
}

/* admission_rate_milli is the line's measured rate in thousandths per second, 0 when none. */
static int64_t admission_rate_milli(const struct admission_line *line)
{
    return line->has_rate ? (int64_t)(line->rate * 1000.0 + 0.5) : 0;
}

/* admission_measure closes the line's rate sample once a second and stores the result. */
static void admission_measure(struct admission *a, struct admission_line *line, int64_t now)
{
    if (now < line->sample_next_ms) {
        return;
    }
    if (line->sample_skip) {
        line->sample_skip = 0;
    } else if (line->backlog_ms >= ADMISSION_RATE_MIN_MS) {
        double sample = (double)line->sample_admitted * 1000.0 / (double)line->backlog_ms;
        if (!line->has_rate) {
            line->rate = sample;
            line->has_rate = 1;
        } else {
            /* An exponential average over irregular intervals: the weight of a sample grows
             * with the time it covers. */
            double w =
                (double)line->backlog_ms / (ADMISSION_RATE_TAU_MS + (double)line->backlog_ms);
            line->rate += w * (sample - line->rate);
        }
    }
    line->backlog_ms = 0;
    line->sample_admitted = 0;
    line->sample_next_ms = now + ADMISSION_RATE_SAMPLE_MS;
    if (line->has_rate && cache_stats_set(a->cache, line->concert_id, admission_rate_milli(line),
                                          bo_time_now_ms()) != BO_OK) {
        BO_DEBUG("admission: concert %llu: rate not stored", (unsigned long long)line->concert_id);
    }
}

/* admission_positions starts a round of position updates every ADMISSION_POSITIONS_MS and
 * announces the next slice of the line while the round lasts. */
static void admission_positions(struct admission *a, struct admission_line *line,
                                const struct admission_settings *s, int64_t now)
{
    int64_t rate_milli = admission_rate_milli(line);
    uint64_t first = 0;
    size_t want, n = 0;

    if (a->events == NULL) {
        return;
    }
    if (now >= line->round_next_ms) {
        line->round_next_ms = now + ADMISSION_POSITIONS_MS;
        line->round_open = 1;
        line->round_after = 0;
        line->round_sent = 0;
    }
    if (!line->round_open) {
        return;
    }
    want = ADMISSION_POSITIONS_MAX - line->round_sent;
    if (want > a->per_tick) {
        want = a->per_tick;
    }
    if (cache_line_after(a->cache, line->concert_id, line->round_after, want, a->slice, &n,
                         &first) != BO_OK) {
        return; /* tried again next tick */
    }
    for (size_t i = 0; i < n; i++) {
        const struct cache_waiter *w = &a->slice[i];
        if (w->sequence != 0 && w->user_id != 0) {
            uint64_t position = first + i;
            events_publish_position(a->events, line->concert_id, w->user_id, w->sequence, position,
                                    queue_eta_measured(position, rate_milli, s));
        }
    }
    if (n > 0 && a->slice[n - 1].score != 0) {
        line->round_after = a->slice[n - 1].score;
    }
    line->round_sent += n;
    if (n < want || line->round_sent >= ADMISSION_POSITIONS_MAX || a->slice[n - 1].score == 0) {
        line->round_open = 0; /* the end of the line, or as far down as updates go */
    }
}

/* One concert's steps in a tick: its line (an index: a new line may move the table), what the
 * next step may do, and the credit and admissions so far. */
struct admission_step {
    size_t line;
    int64_t budget;
    uint64_t admitted;
    int64_t elapsed_ms; /* since the line's last top-up */
    struct cache_admit_params p;
};

/* admission_prepare tops up the credit of concert_id's line and writes its first step into *st. */
static int admission_prepare(struct admission *a, uint64_t concert_id,
                             const struct admission_settings *s, int64_t now,
                             struct admission_step *st)
{
    int64_t rate = s->rate_per_second;
    int64_t cap = rate * 1000 / 2;
    struct admission_line *line;

    if (cap < 1000) {
        cap = 1000;
    }
    line = admission_line_find(a, concert_id, cap, now);
    if (line == NULL) {
        return BO_E_NOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->line = (size_t)(line - a->lines);
    st->elapsed_ms = now - line->topped_ms;
    line->topped_ms = now;
    line->stepped_ms = now;
    line->milli += rate * st->elapsed_ms;
    if (line->milli > cap) {
        line->milli = cap;
    }
    st->budget = rate == 0 ? 0 : line->milli / 1000; /* rate 0: an admin paused admission */
    st->p.max_active = s->max_active;
    st->p.ttl_ms = (int64_t)s->token_ttl_seconds * 1000;
    st->p.abandon_ms = a->cfg.abandon_seconds * 1000;
    st->p.holder = a->cfg.instance_id; /* a leader that woke past its lease admits nothing */
    st->p.max_count = st->budget > ADMISSION_BATCH_MAX ? ADMISSION_BATCH_MAX : (uint32_t)st->budget;
    st->p.now_ms = bo_time_now_ms();
    return BO_OK;
}

/* admission_apply announces what a step of st's concert did (res) and spends its credit;
 * returns whether another step is due: a full batch with credit left, and the next step's
 * parameters are in st->p. */
static int admission_apply(struct admission *a, struct admission_step *st,
                           const struct cache_admit_result *res)
{
    struct admission_line *line = &a->lines[st->line];

    if (res->ended > 0) {
        events_publish_expired(a->events, a->ended, res->ended);
    }
    if (res->skipped > 0) {
        BO_DEBUG("admission: concert %llu: %zu abandoned tokens ended",
                 (unsigned long long)line->concert_id, res->skipped);
    }
    if (res->admitted > 0) {
        a->admitted_total += res->admitted;
        admission_publish(a, line->concert_id, a->batch, res->admitted);
    }
    line->milli -= (int64_t)res->admitted * 1000;
    st->budget -= (int64_t)res->admitted;
    st->admitted += res->admitted;
    if (res->admitted < st->p.max_count || st->budget <= 0) {
        return 0; /* the line is empty, max_active is reached, or the credit is spent */
    }
    st->p.max_count = st->budget > ADMISSION_BATCH_MAX ? ADMISSION_BATCH_MAX : (uint32_t)st->budget;
    st->p.now_ms = bo_time_now_ms();
    return 1;
}

/* admission_finish takes st's concert on from its step that did res: announced in any case;
 * then, unless Redis was found gone (redis_gone), the further steps its credit allows, one at a
 * time, the rate sample and position updates. */
static int admission_finish(struct admission *a, struct admission_step *st,
                            const struct admission_settings *s, int64_t now,
                            struct cache_admit_result res, int redis_gone)
{
    struct admission_line *line;

    while (admission_apply(a, st, &res)) {
        if (redis_gone) {
            return BO_E_UNAVAILABLE;
        }
        /* Runs even with nothing to admit: it also ends idle tokens and collects the ended. */
        int rc = cache_admission_step(a->cache, a->lines[st->line].concert_id, &st->p, a->batch,
                                      a->ended, ADMISSION_ENDED_MAX, &res);
        if (rc != BO_OK) {
            return rc;
        }
    }
    line = &a->lines[st->line];
    if (res.waiting > 0) {
        line->backlog_ms += st->elapsed_ms;
        line->sample_admitted += st->admitted;
    }
    if (!redis_gone) {
        admission_measure(a, line, now);
        admission_positions(a, line, s, now);
    }
    return BO_OK;
}

/* The steps of up to CACHE_STEPS_MAX concerts sent in one round trip. */
struct admission_group {
    struct admission *a;
    const struct admission_settings *s;
    int64_t now;
    size_t n;
    uint64_t ids[CACHE_STEPS_MAX];
    struct cache_admit_params ps[CACHE_STEPS_MAX];
    struct admission_step steps[CACHE_STEPS_MAX];
    int unavailable; /* Redis went away during the group */
};

/* admission_group_done takes on concert i of a group from its first step (cache_admit_step_fn). */
static void admission_group_done(void *arg, size_t i, int rc, const struct cache_admit_result *res)
{
    struct admission_group *g = arg;

    if (rc == BO_OK) {
        /* The step ran: what it did is announced even when Redis went away since. */
        rc = admission_finish(g->a, &g->steps[i], g->s, g->now, *res, g->unavailable);
    }
    if (rc == BO_E_UNAVAILABLE) {
        g->unavailable = 1; /* the rest would fail the same way */
    }
}

/* admission_step_all steps the concerts ids[0..n), CACHE_STEPS_MAX to a round trip; returns
 * BO_E_UNAVAILABLE as soon as Redis is gone. */
static int admission_step_all(struct admission *a, const uint64_t *ids, size_t n,
                              const struct admission_settings *s, int64_t now)
{
    for (size_t i = 0; i < n; i += CACHE_STEPS_MAX) {
        size_t k = n - i < CACHE_STEPS_MAX ? n - i : CACHE_STEPS_MAX;
        struct admission_group g = {.a = a, .s = s, .now = now};
        int rc;

        for (size_t j = 0; j < k; j++) {
            if (admission_prepare(a, ids[i + j], s, now, &g.steps[g.n]) == BO_OK) {
                g.ids[g.n] = ids[i + j];
                g.ps[g.n] = g.steps[g.n].p;
                g.n++;
            }
        }
        if (g.n == 0) {
            continue;
        }
        rc = cache_admission_steps(a->cache, g.ids, g.ps, g.n, a->batch, a->ended,
                                   ADMISSION_ENDED_MAX, admission_group_done, &g);
        if (rc == BO_E_UNAVAILABLE || g.unavailable) {
            return BO_E_UNAVAILABLE;
        }
    }
    return BO_OK;
}

/* admission_forget drops lines not stepped for ADMISSION_LINE_KEEP_MS, so the table stays
 * small: their credit would be full by now anyway. */
static void admission_forget(struct admission *a, int64_t now)
{
    size_t kept = 0;

    for (size_t i = 0; i < a->nlines; i++) {
        if (now - a->lines[i].stepped_ms < ADMISSION_LINE_KEEP_MS) {
            a->lines[kept++] = a->lines[i];
        }
    }
    a->nlines = kept;
}

/* admission_replay_of announces again the recent admissions of concerts ids[0..n). */
static void admission_replay_of(struct admission *a, const uint64_t *ids, size_t n)
{
    int64_t since = bo_time_now_ms() - a->cfg.lease_ms - ADMISSION_REPLAY_EXTRA_MS;

    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        if (cache_recent_admissions(a->cache, ids[i], since, a->batch, ADMISSION_BATCH_MAX, &got) ==
                BO_OK &&
            got > 0) {
            events_publish_admitted(a->events, a->batch, got);
            BO_DEBUG("admission: concert %llu: announced %zu recent admissions again",
                     (unsigned long long)ids[i], got);
        }
    }
}

/* admission_replay announces again the admissions of the last moments before this instance
 * took the lease: the previous leader may have died between storing and sending them.
 * Subscribers drop what they already have by its sequence. */
static void admission_replay(struct admission *a)
{
    uint64_t *ids = NULL;
    size_t n = 0;

    if (a->events == NULL) {
        return;
    }
    /* Every line with a token ACTIVE: those still waiting, and those gone out of bo:queues. */
    if (cache_queue_concerts(a->cache, &ids, &n) == BO_OK) {
        admission_replay_of(a, ids, n);
        free(ids);
    }
    if (cache_due_concerts(a->cache, INT64_MAX, UINT32_MAX, &ids, &n) == BO_OK) {
        admission_replay_of(a, ids, n);
        free(ids);
    }
}

/* admission_store_done takes the outcome rc of a sweep of the store made at now that ended n
 * rows (what: of which kind): logged when any, the connection dropped (and reopened with
 * backoff) when PostgreSQL is gone. */
static void admission_store_done(struct admission *a, int64_t now, int rc, size_t n,
                                 const char *what)
{
    if (rc == BO_OK && n > 0) {
        BO_DEBUG("admission: %zu %s", n, what);
    } else if (rc == BO_E_UNAVAILABLE) {
        store_close(a->store);
        a->store = NULL;
        admission_backoff_note(&a->store_bo, now, rc);
    }
}

/* admission_idem_sweep deletes a batch of expired idempotency keys every ADMISSION_IDEM_MS,
 * or at the next tick while a full batch says more are left. */
static void admission_idem_sweep(struct admission *a, int64_t now)
{
    size_t n = 0;
    int rc;

    if (a->store == NULL || a->cfg.idempotency_keep_seconds <= 0 || now < a->idem_next_ms) {
        return;
    }
    rc = store_idem_sweep(a->store, a->cfg.idempotency_keep_seconds, ADMISSION_IDEM_BATCH, &n);
    a->idem_next_ms = rc == BO_OK && n == ADMISSION_IDEM_BATCH ? now : now + ADMISSION_IDEM_MS;
    admission_store_done(a, now, rc, n, "idempotency keys expired");
}

/* admission_lead does one leader tick: every queued concert, expired idempotency keys, then
 * expired holds. */
static void admission_lead(struct admission *a, int64_t now)
{
    struct admission_settings defaults, s;
    uint64_t *ids = NULL;
    size_t n = 0;
    int rc;

    svc_config_admission_defaults(&a->cfg, &defaults);
    if (cache_settings_get(a->cache, &defaults, &s) != BO_OK ||
        cache_queue_concerts(a->cache, &ids, &n) != BO_OK) {
        return;
    }
    rc = admission_step_all(a, ids, n, &s, now);
    free(ids);
    ids = NULL;
    if (rc != BO_E_UNAVAILABLE &&
        cache_due_concerts(a->cache, bo_time_now_ms(), ADMISSION_DUE_MAX, &ids, &n) == BO_OK) {
        (void)admission_step_all(a, ids, n, &s, now);
        free(ids);
    }
    admission_forget(a, now);

    admission_idem_sweep(a, now);
    if (a->store != NULL && now >= a->holds_next_ms) {
        size_t ended = 0;
        a->holds_next_ms = now + ADMISSION_HOLDS_MS;
        rc = store_holds_expire(a->store, &ended);
        admission_store_done(a, now, rc, ended, "holds expired");
    }
}

/* admission_gauges_add appends to all[0..*n) (room for ADMISSION_GAUGES_MAX) the concerts of
 * ids[0..k) it does not hold yet. */
static void admission_gauges_add(uint64_t *all, size_t *n, const uint64_t *ids, size_t k)
{
    for (size_t i = 0; i < k && *n < ADMISSION_GAUGES_MAX; i++) {
        size_t j = 0;
        while (j < *n && all[j] != ids[i]) {
            j++;
        }
        if (j == *n) {
            all[(*n)++] = ids[i];
        }
    }
}

/* admission_gauges refreshes the queue-length gauges about once a second (every instance, so
 * that the largest value over them is current): first of the concerts shown already, so that
 * those whose lines are over give their places up, then of those with a token waiting
 * (bo:queues), then of those with tokens ACTIVE (bo:later), ADMISSION_GAUGES_MAX in all,
 * CACHE_STEPS_MAX to a round trip. */
static void admission_gauges(struct admission *a, int64_t now)
{
    uint64_t all[ADMISSION_GAUGES_MAX], *ids = NULL;
    size_t nall = 0, n = 0;

    if (now < a->gauges_next_ms) {
        return;
    }
    a->gauges_next_ms = now + 1000;
    metrics_queue_concerts(all, &nall); /* METRICS_QUEUE_CONCERTS <= ADMISSION_GAUGES_MAX */
    if (cache_queue_concerts(a->cache, &ids, &n) == BO_OK) {
        admission_gauges_add(all, &nall, ids, n);
        free(ids);
    }
    if (cache_due_concerts(a->cache, INT64_MAX, ADMISSION_GAUGES_MAX, &ids, &n) == BO_OK) {
        admission_gauges_add(all, &nall, ids, n);
        free(ids);
    }
    for (size_t i = 0; i < nall; i += CACHE_STEPS_MAX) {
        size_t k = nall - i < CACHE_STEPS_MAX ? nall - i : CACHE_STEPS_MAX;
        uint64_t waiting[CACHE_STEPS_MAX], active[CACHE_STEPS_MAX];
        int codes[CACHE_STEPS_MAX];
        if (cache_queue_counts_many(a->cache, all + i, k, waiting, active, codes) != BO_OK) {
            break;
        }
        for (size_t j = 0; j < k; j++) {
            if (codes[j] == BO_OK) {
                metrics_queue_gauge(all[i + j], waiting[j], active[j]);
            }
        }
    }
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
    admission_backoff_note(&a->cache_bo, now, rc);
    if (rc != BO_OK) {
        held = 0;
    }
    if (held != a->leader) {
        BO_INFO("admission: %s the admission lease", held ? "took" : "lost");
        a->leader = held;
        /* Credits earned under another leader are not ours to spend. */
        admission_lines_clear(a);
        if (held) {
            admission_replay(a);
        }
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
    /* Each round's updates spread over the ticks of ADMISSION_POSITIONS_SPREAD_MS. */
    size_t ticks = (size_t)(ADMISSION_POSITIONS_SPREAD_MS / cfg->admission_tick_ms);
    a->per_tick = (ADMISSION_POSITIONS_MAX + (ticks > 0 ? ticks : 1) - 1) / (ticks > 0 ? ticks : 1);
    a->slice = calloc(a->per_tick, sizeof(*a->slice));
    if (a->slice == NULL) {
        free(a);
        return BO_E_NOMEM;
    }
    if (pthread_condattr_init(&attr) != 0) {
        free(a->slice);
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
        free(a->slice);
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
    admission_lines_clear(a);
    free(a->slice);
    if (a->sync_ready) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
    }
    free(a);
}
