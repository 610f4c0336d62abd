/*
 * nb_scenario: set-up, iterations and checks of the scenarios (see nb_scenario.h; those on
 * venues are nb_venue.c's). Requests made during set-up and checks are not measured; every
 * request of an iteration is.
 */
#include "nb_scenario.h"

#include "nb_plan.h"
#include "nb_rpc.h"
#include "nb_run.h"
#include "nb_steps.h"
#include "nb_venue.h"

#include "bo_error.h"
#include "bo_seatmap.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NB_HOLD_TRIES    5
#define NB_FLOW_LIST_MAX 64 /* dates with seats left an iteration picks from */
/* Token issues a second the tokens scenario's own concerts leave room for (new entries all). */
#define NB_TOKEN_RATE_MAX 30000
/* Dates of the flow created at once: one is a round trip of ~10-30 ms (its seats inserted and
 * committed), thousands one after another took minutes. */
#define NB_FLOW_DATE_THREADS 8

/* seats: a token per VU (users 1..nvus), all ACTIVE, and the concert's dates. */
static int nb_setup_seats(struct nb_scenario_ctx *ctx, struct bo_session *s, struct nb_vu *vus,
                          int nvus)
{
    size_t nschedules = 0;
    int rc;

    if ((rc = nb_vu_tokens(ctx, s, vus, nvus)) != BO_OK) {
        return rc;
    }
    if (nvus > 0 && nb_schedule_ids(s, NULL, vus[0].token, ctx->concert_id, ctx->schedule_ids,
                                    NB_MAX_SCHEDULES, &nschedules) == BO_OK) {
        ctx->nschedules = (int)nschedules;
    }
    if (ctx->nschedules == 0 && ctx->concert_id <= 3) {
        /* Sold out (or no token yet): the demo concert's dates are 5c-4..5c. */
        for (uint64_t d = 0; d < 5; d++) {
            ctx->schedule_ids[ctx->nschedules++] = 5 * ctx->concert_id - 4 + d;
        }
    }
    if (ctx->nschedules == 0) {
        fprintf(stderr, "nngbench: concert %" PRIu64 " has no dates to look up\n", ctx->concert_id);
        return BO_E_SCHEDULE_NOT_FOUND;
    }
    return BO_OK;
}

/* Creates a concert of the run's own (the flow's, the token issues') titled after the scenario,
 * the run and its number k into *id. */
static int nb_own_concert(struct nb_scenario_ctx *ctx, struct bo_session *s, int k, uint64_t *id)
{
    Boxoffice__V1__CreateConcertRequest creq = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    Boxoffice__V1__CreateConcertReply *crep = NULL;
    struct bo_status st;
    char title[128];
    int rc;

    snprintf(title, sizeof(title), "nngbench %s %s #%d", nb_scenario_name(ctx->cfg->scenario_id),
             ctx->cfg->run_id, k + 1);
    creq.admin_key = (char *)ctx->cfg->admin_key;
    creq.title = title;
    creq.artist = "nngbench";
    creq.venue = "Bench Hall";
    rc = nb_rpc_call(s, NULL, "CreateConcert", &creq.base, (ProtobufCMessage **)&crep, BO_OK, &st);
    if (rc != BO_OK) {
        fprintf(stderr, "nngbench: creating the %s's concert failed: %s: %s\n",
                nb_scenario_name(ctx->cfg->scenario_id), bo_error_name(rc), st.message);
        return rc;
    }
    *id = crep->concert != NULL ? crep->concert->id : 0;
    protobuf_c_message_free_unpacked(&crep->base, NULL);
    return BO_OK;
}

/* Creates date d (counted over the whole flow) of concert into ctx->schedule_ids[d]. */
static int nb_flow_date(struct nb_scenario_ctx *ctx, struct bo_session *s, uint64_t concert,
                        int64_t d)
{
    Boxoffice__V1__CreateScheduleRequest sreq = BOXOFFICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    Boxoffice__V1__CreateScheduleReply *srep = NULL;
    struct bo_status st;
    int rc;

    sreq.admin_key = (char *)ctx->cfg->admin_key;
    sreq.concert_id = concert;
    sreq.starts_at_ms = ((int64_t)time(NULL) + 30 * 86400) * 1000 + d * 3600 * 1000;
    if (ctx->venue_id != 0) {
        sreq.venue_id = ctx->venue_id; /* its seats and prices are the venue's */
    } else {
        sreq.price = 100000;
    }
    rc = nb_rpc_call(s, NULL, "CreateSchedule", &sreq.base, (ProtobufCMessage **)&srep, BO_OK, &st);
    if (rc != BO_OK) {
        fprintf(stderr, "nngbench: creating a date of the flow's concert failed: %s: %s\n",
                bo_error_name(rc), st.message);
        return rc;
    }
    ctx->schedule_ids[d] = srep->schedule != NULL ? srep->schedule->id : 0;
    protobuf_c_message_free_unpacked(&srep->base, NULL);
    return ctx->schedule_ids[d] != 0 ? BO_OK : BO_E_INTERNAL;
}

/* One thread's share of the flow's dates: first, first + NB_FLOW_DATE_THREADS, ... */
struct nb_flow_dates_job {
    struct nb_scenario_ctx *ctx;
    int64_t first, dates;
    pthread_t thread;
    int rc;
};

static void *nb_flow_dates_main(void *arg)
{
    struct nb_flow_dates_job *job = arg;
    struct bo_session *s = NULL;

    job->rc = bo_session_open(job->ctx->client, &s);
    for (int64_t d = job->first; job->rc == BO_OK && d < job->dates && !nb_run_interrupted();
         d += NB_FLOW_DATE_THREADS) {
        job->rc =
            nb_flow_date(job->ctx, s, job->ctx->concert_ids[d / NB_FLOW_DATES_PER_CONCERT], d);
    }
    bo_session_close(s);
    return NULL;
}

/* nb_flow_dates creates the flow's dates, NB_FLOW_DATES_PER_CONCERT a concert of
 * ctx->concert_ids, NB_FLOW_DATE_THREADS at a time. */
static int nb_flow_dates(struct nb_scenario_ctx *ctx, int64_t dates)
{
    struct nb_flow_dates_job jobs[NB_FLOW_DATE_THREADS];
    int started = 0, rc = BO_OK;

    for (int t = 0; t < NB_FLOW_DATE_THREADS; t++) {
        jobs[t] = (struct nb_flow_dates_job){.ctx = ctx, .first = t, .dates = dates};
        if (pthread_create(&jobs[t].thread, NULL, nb_flow_dates_main, &jobs[t]) != 0) {
            rc = BO_E_NOMEM;
            break;
        }
        started++;
    }
    for (int t = 0; t < started; t++) {
        pthread_join(jobs[t].thread, NULL);
        rc = rc != BO_OK ? rc : jobs[t].rc;
    }
    if (rc == BO_OK && nb_run_interrupted()) {
        rc = BO_E_TIMEOUT;
    }
    ctx->nschedules = rc == BO_OK ? (int)dates : 0;
    return rc;
}

int nb_scenario_make_dates(struct nb_scenario_ctx *ctx, struct bo_session *s, int64_t dates)
{
    int rc;

    ctx->created_concert = 1;
    ctx->dates_per_concert = NB_FLOW_DATES_PER_CONCERT;
    dates = dates < NB_MAX_SCHEDULES ? dates : NB_MAX_SCHEDULES;
    /* Date d is date d % dates_per_concert of concert d / dates_per_concert. */
    for (int64_t d = 0; d < dates; d += NB_FLOW_DATES_PER_CONCERT) {
        if ((rc = nb_own_concert(ctx, s, ctx->nconcerts, &ctx->concert_ids[ctx->nconcerts])) !=
            BO_OK) {
            return rc;
        }
        ctx->nconcerts++;
    }
    if ((rc = nb_flow_dates(ctx, dates)) != BO_OK) {
        return rc;
    }
    ctx->concert_id = ctx->concert_ids[0];
    return BO_OK;
}

/* flow: concerts of the run's own, cfg->flow_schedules dates in all, when allowed. */
static int nb_setup_flow(struct nb_scenario_ctx *ctx, struct bo_session *s)
{
    ctx->user_base = (uint64_t)time(NULL) * 7919u % NB_USERS;
    ctx->seats_per_purchase = 1;
    if (ctx->cfg->concert > 0 || ctx->cfg->admin_key[0] == '\0') {
        ctx->concert_id = ctx->cfg->concert > 0 ? (uint64_t)ctx->cfg->concert : 1;
        if (ctx->concert_id <= 3) {
            for (uint64_t d = 0; d < 5; d++) {
                ctx->schedule_ids[ctx->nschedules++] = 5 * ctx->concert_id - 4 + d;
            }
        }
        ctx->concert_ids[ctx->nconcerts++] = ctx->concert_id;
        ctx->dates_per_concert = ctx->nschedules;
        return BO_OK;
    }
    return nb_scenario_make_dates(ctx, s, ctx->cfg->flow_schedules);
}

/* tokens: with the admin key and no --concert, concerts of the run's own, enough for
 * NB_TOKEN_RATE_MAX issues a second to be new entries in a line throughout (all users join the
 * first, then the next): a user asking again for a concert whose token is live gets that token
 * back, and on concerts 1..3 most users hold one from earlier runs. */
static int nb_setup_tokens(struct nb_scenario_ctx *ctx, struct bo_session *s)
{
    struct nb_plan plan;
    int64_t want;
    int rc;

    if (ctx->cfg->concert > 0 || ctx->cfg->admin_key[0] == '\0') {
        return BO_OK;
    }
    nb_plan_from_config(ctx->cfg, &plan);
    want = (int64_t)plan.total_seconds * NB_TOKEN_RATE_MAX / NB_USERS + 2;
    want = want < NB_MAX_CONCERTS ? want : NB_MAX_CONCERTS;
    while (ctx->nconcerts < (int)want) {
        if ((rc = nb_own_concert(ctx, s, ctx->nconcerts, &ctx->concert_ids[ctx->nconcerts])) !=
            BO_OK) {
            return rc;
        }
        ctx->nconcerts++;
    }
    ctx->concert_id = ctx->concert_ids[0];
    return BO_OK;
}

int nb_scenario_setup(struct nb_scenario_ctx *ctx, struct nb_vu *vus, int nvus)
{
    Boxoffice__V1__PingRequest ping = BOXOFFICE__V1__PING_REQUEST__INIT;
    ProtobufCMessage *pong = NULL;
    struct bo_session *s = NULL;
    struct bo_status st;
    int rc;

    ctx->nvus = nvus;
    ctx->concert_id = ctx->cfg->concert > 0 ? (uint64_t)ctx->cfg->concert : 1;
    for (int i = 0; i < nvus; i++) {
        vus[i].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) ^ (uint64_t)time(NULL);
    }
    if ((rc = bo_session_open(ctx->client, &s)) != BO_OK) {
        return rc;
    }
    rc = nb_rpc_call(s, NULL, "Ping", &ping.base, &pong, BO_OK, &st);
    if (rc != BO_OK) {
        fprintf(stderr, "nngbench: the service at %s did not answer: %s: %s\n", ctx->cfg->rpc_url,
                bo_error_name(rc), st.message);
        goto out;
    }
    protobuf_c_message_free_unpacked(pong, NULL);
    rc = nb_admin_prepare(&ctx->admin, ctx->cfg, s, ctx->cfg->scenario_id != NB_SCENARIO_TOKENS);
    if (rc != BO_OK) {
        goto out;
    }
    if (ctx->cfg->scenario_id == NB_SCENARIO_SEATS) {
        rc = nb_setup_seats(ctx, s, vus, nvus);
    } else if (ctx->cfg->scenario_id == NB_SCENARIO_TOKENS) {
        rc = nb_setup_tokens(ctx, s);
    } else if (ctx->cfg->scenario_id == NB_SCENARIO_FLOW) {
        rc = nb_setup_flow(ctx, s);
    } else if (ctx->cfg->scenario_id == NB_SCENARIO_BIGMAP) {
        rc = nb_venue_setup_bigmap(ctx, s, vus, nvus);
    } else if (ctx->cfg->scenario_id == NB_SCENARIO_ARENA) {
        rc = nb_venue_setup_arena(ctx, s);
    }
out:
    bo_session_close(s);
    return rc;
}

/* ---- iterations ------------------------------------------------------------------ */

static void nb_iterate_seats(struct nb_scenario_ctx *ctx, struct nb_vu *vu)
{
    Boxoffice__V1__ListSeatsReply *rep = NULL;
    uint64_t schedule = ctx->schedule_ids[nb_rand(&vu->rng) % (uint64_t)ctx->nschedules];
    if (nb_seats(vu->session, &vu->stats, vu->token, schedule, NULL, 0, &rep) == BO_OK) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
}

static void nb_iterate_tokens(struct nb_scenario_ctx *ctx, struct nb_vu *vu)
{
    uint64_t k = vu->iterations;
    uint64_t n = (uint64_t)vu->index + k * (uint64_t)ctx->nvus;
    uint64_t user = n % NB_USERS + 1;
    uint64_t concert;
    if (ctx->nconcerts > 0) { /* the run's own: every user joins one, then the next */
        concert = ctx->concert_ids[n / NB_USERS % (uint64_t)ctx->nconcerts];
    } else if (ctx->cfg->concert > 0) {
        concert = (uint64_t)ctx->cfg->concert;
    } else {
        concert = ((uint64_t)vu->index + k) % 3 + 1;
    }
    int status;
    if (nb_act_as(ctx, vu->session, &vu->as_user, user) == BO_OK) {
        (void)nb_issue(vu->session, &vu->stats, concert, NULL, &status);
    }
}

/* flow, after admission: a date with seats left, a seat held (another on SEAT_TAKEN). Sets
 * *reservation and *price; returns BO_E_SEAT_TAKEN when every try was taken, BO_E_NOT_FOUND
 * when nothing is left. */
static int nb_flow_hold(struct nb_scenario_ctx *ctx, struct nb_vu *vu, uint64_t concert,
                        const char *token, uint64_t *reservation, int64_t *price)
{
    Boxoffice__V1__ListSeatsReply *seats = NULL;
    uint64_t schedules[NB_FLOW_LIST_MAX];
    size_t nschedules = 0;
    uint64_t schedule;
    uint32_t avail[64];
    int64_t prices[64];
    size_t navail = 0;
    int rc;

    if ((rc = nb_schedule_ids(vu->session, &vu->stats, token, concert, schedules, NB_FLOW_LIST_MAX,
                              &nschedules)) != BO_OK) {
        return rc;
    }
    if (nschedules == 0) {
        return BO_E_NOT_FOUND;
    }
    schedule = schedules[nb_rand(&vu->rng) % nschedules];
    if ((rc = nb_seats(vu->session, &vu->stats, token, schedule, NULL, 0, &seats)) != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < seats->n_seats && navail < 64; i++) {
        if (seats->seats[i]->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE) {
            avail[navail] = seats->seats[i]->seat_no;
            prices[navail++] = seats->seats[i]->price;
        }
    }
    protobuf_c_message_free_unpacked(&seats->base, NULL);
    if (navail == 0) {
        return BO_E_NOT_FOUND;
    }
    rc = BO_E_SEAT_TAKEN;
    for (int t = 0; t < NB_HOLD_TRIES && navail > 0 && !nb_stopped(ctx); t++) {
        size_t pick = nb_rand(&vu->rng) % navail;
        Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
        Boxoffice__V1__HoldSeatReply *rep = NULL;
        req.token = (char *)token;
        req.schedule_id = schedule;
        req.seat_no = avail[pick];
        rc = nb_rpc_call(vu->session, &vu->stats, "HoldSeat", &req.base, (ProtobufCMessage **)&rep,
                         BO_E_SEAT_TAKEN, NULL);
        if (rc == BO_OK) {
            *reservation = rep->reservation != NULL ? rep->reservation->id : 0;
            *price = rep->reservation != NULL ? rep->reservation->price : prices[pick];
            protobuf_c_message_free_unpacked(&rep->base, NULL);
            return BO_OK;
        }
        if (rc != BO_E_SEAT_TAKEN) {
            return rc;
        }
        avail[pick] = avail[navail - 1];
        prices[pick] = prices[--navail];
    }
    return rc;
}

/* A purchase's hold: sets *reservation and *price; BO_E_NOT_FOUND or BO_E_SEAT_TAKEN when
 * nothing could be held (counted as sold out). */
typedef int (*nb_hold_fn)(struct nb_scenario_ctx *ctx, struct nb_vu *vu, uint64_t concert,
                          const char *token, uint64_t *reservation, int64_t *price);

/* nb_iterate_purchase: a fresh user joins, is admitted, holds (hold) and pays. */
static void nb_iterate_purchase(struct nb_scenario_ctx *ctx, struct nb_vu *vu, nb_hold_fn hold)
{
    uint64_t n = atomic_fetch_add_explicit(&ctx->next_user, 1, memory_order_relaxed);
    uint64_t user = (ctx->user_base + n) % NB_USERS + 1;
    uint64_t concert = ctx->concert_ids[n % (uint64_t)ctx->nconcerts]; /* in turn */
    char token[NB_TOKEN_MAX];
    uint64_t reservation = 0;
    int64_t price = 0;
    int rc;

    if (nb_join(ctx, vu, concert, user, token) != BO_OK) {
        return;
    }
    rc = hold(ctx, vu, concert, token, &reservation, &price);
    if (rc == BO_E_NOT_FOUND || rc == BO_E_SEAT_TAKEN) {
        vu->sold_out++;
        return;
    }
    if (rc != BO_OK || nb_stopped(ctx)) {
        vu->abandoned += rc == BO_OK || nb_stopped(ctx);
        return;
    }
    (void)nb_buy(ctx, vu, user, token, reservation, price);
}

void nb_scenario_iterate(struct nb_scenario_ctx *ctx, struct nb_vu *vu)
{
    switch (ctx->cfg->scenario_id) {
    case NB_SCENARIO_SEATS:
        nb_iterate_seats(ctx, vu);
        break;
    case NB_SCENARIO_TOKENS:
        nb_iterate_tokens(ctx, vu);
        break;
    case NB_SCENARIO_BIGMAP:
        nb_venue_iterate_bigmap(ctx, vu);
        break;
    case NB_SCENARIO_ARENA:
        nb_iterate_purchase(ctx, vu, nb_venue_hold_best);
        break;
    default:
        nb_iterate_purchase(ctx, vu, nb_flow_hold);
        break;
    }
    vu->iterations++;
}

/* ---- the flow's check ------------------------------------------------------------- */

/* Counts into out the SOLD, HELD and AVAILABLE seats of concert k's dates, looked up with
 * token (issued for concert k) on session s once it is ACTIVE. */
static int nb_check_concert(struct nb_scenario_ctx *ctx, struct bo_session *s, const char *token,
                            int k, struct nb_flow_check *out)
{
    int status = 0, waited = 0, rc;
    int first = k * ctx->dates_per_concert;
    int end = first + ctx->dates_per_concert < ctx->nschedules ? first + ctx->dates_per_concert
                                                               : ctx->nschedules;

    while ((rc = nb_token_status(s, NULL, token, &status)) == BO_OK &&
           status != BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE && waited < NB_SETUP_WAIT_MS) {
        nb_sleep_ms(NB_POLL_MS);
        waited += NB_POLL_MS;
    }
    if (rc != BO_OK) {
        return rc;
    }
    for (int i = first; i < end; i++) {
        Boxoffice__V1__ListSeatsReply *rep = NULL;
        if (ctx->cfg->scenario_id == NB_SCENARIO_ARENA) {
            /* A venue date's map comes a section at a time. */
            if ((rc = nb_venue_count_date(s, token, ctx->schedule_ids[i], out)) != BO_OK) {
                return rc;
            }
            continue;
        }
        if ((rc = nb_seats(s, NULL, token, ctx->schedule_ids[i], NULL, 0, &rep)) != BO_OK) {
            return rc;
        }
        for (size_t j = 0; j < rep->n_seats; j++) {
            out->sold += rep->seats[j]->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD;
            out->held += rep->seats[j]->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD;
            out->left += rep->seats[j]->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE;
        }
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
    return BO_OK;
}

void nb_scenario_check(struct nb_scenario_ctx *ctx, const struct nb_vu *vus, int nvus, int verify,
                       struct nb_flow_check *out)
{
    struct bo_session *s = NULL;
    char(*tokens)[NB_TOKEN_MAX] = NULL;
    uint64_t as = 0;
    int status = 0;

    memset(out, 0, sizeof(*out));
    if (ctx->cfg->scenario_id != NB_SCENARIO_FLOW && ctx->cfg->scenario_id != NB_SCENARIO_ARENA) {
        return;
    }
    out->seats_per_purchase = ctx->seats_per_purchase > 0 ? ctx->seats_per_purchase : 1;
    for (int i = 0; i < nvus; i++) {
        out->payments += vus[i].payments;
        out->seat_taken += vus[i].seat_taken;
        out->not_enough += vus[i].not_enough;
        out->sold_out += vus[i].sold_out;
    }
    if (!verify || ctx->nschedules == 0 ||
        (tokens = calloc((size_t)ctx->nconcerts, sizeof(*tokens))) == NULL ||
        bo_session_open(ctx->client, &s) != BO_OK) {
        free(tokens);
        return;
    }
    /* A user the run did not reach, so its tokens are fresh: one per concert, all issued
     * before waiting for the first to be admitted. */
    uint64_t user = (ctx->user_base + NB_USERS / 2 +
                     atomic_load_explicit(&ctx->next_user, memory_order_relaxed)) %
                        NB_USERS +
                    1;
    if (nb_act_as(ctx, s, &as, user) != BO_OK) {
        goto out;
    }
    for (int k = 0; k < ctx->nconcerts; k++) {
        if (nb_issue(s, NULL, ctx->concert_ids[k], tokens[k], &status) != BO_OK) {
            goto out;
        }
    }
    /* Seat maps are answered from each instance's memory: one that missed the last seat
     * events shows them once it reads the map again, within BO_SEATMAP_REFRESH_MS. */
    nb_sleep_ms(2 * BO_SEATMAP_REFRESH_MS);
    for (int k = 0; k < ctx->nconcerts; k++) {
        if (nb_check_concert(ctx, s, tokens[k], k, out) != BO_OK) {
            goto out;
        }
    }
    out->done = 1;
    /* Every payment sold seats_per_purchase seats (the flow one, the arena a pair). */
    uint64_t paid_seats = out->payments * out->seats_per_purchase;
    out->ok = ctx->created_concert ? out->sold == paid_seats : out->sold >= paid_seats;
out:
    bo_session_close(s);
    free(tokens);
}
