/*
 * nb_scenario: what one VU does, scenario by scenario, with the set-up before
 * the run and the checks after it.
 *
 * Every user proves who it is with an operator identity token (nb_jwt.h) minted for it
 * and set on the session that acts for it (bo_session_set_caller), so its proof goes
 * with every call: a VU's session acts for one user at a time and mints again when the
 * scenario moves it to another. With the admin key, set-up also raises admission (not for
 * tokens) and turns the rate limits off (nb_admin.h).
 *
 * seats:  ListSeats of a random date of the concert with the VU's own ACTIVE token
 *         (set-up issues a token per VU with distinct users and waits until all are
 *         ACTIVE).
 * tokens: IssueToken; users cycle over 1..100000 across VUs, concerts over 1..3.
 * flow:   IssueToken (fresh user) -> GetToken until ACTIVE -> ListSchedules ->
 *         ListSeats -> HoldSeat (SEAT_TAKEN is expected: another seat is tried) ->
 *         ChargePoints (the price, with an idempotency key) -> Pay. Without --concert
 *         and with the admin key, set-up creates concerts of its own, --flow-schedules
 *         dates in all, NB_FLOW_DATES_PER_CONCERT per concert (so the dates listed in
 *         every iteration stay few), and iterations take them in turn; after the run the
 *         payments made are compared with the seats seen SOLD, and the seats left counted.
 * bigmap, arena: on venues (issue 11), see nb_venue.h.
 *
 * The context is written by set-up and only read while VUs run, except next_user
 * (atomic) and stop.
 */
#ifndef NB_SCENARIO_H
#define NB_SCENARIO_H

#include "nb_admin.h"
#include "nb_config.h"
#include "nb_stats.h"

#include "boxoffice/client.h"

#include <stdatomic.h>
#include <stdint.h>

#define NB_MAX_SCHEDULES          10000
#define NB_MAX_CONCERTS           (NB_MAX_SCHEDULES / NB_FLOW_DATES_PER_CONCERT + 1)
#define NB_FLOW_DATES_PER_CONCERT 40
#define NB_TOKEN_MAX              512

/* One VU: its session, its counters (one writer: its thread) and scenario state. */
struct nb_vu {
    int index;
    struct bo_session *session;
    struct nb_vu_stats stats;
    uint64_t as_user; /* the user whose identity token the session carries; 0 none yet */
    uint64_t rng;
    char token[NB_TOKEN_MAX]; /* seats: the VU's ACTIVE token */
    /* read by the controller only after the VU's thread ended */
    uint64_t iterations;
    uint64_t payments;   /* flow: Pay calls that succeeded */
    uint64_t sold_out;   /* flow: iterations that found no seat left */
    uint64_t abandoned;  /* flow: iterations ended early (run over, token never ACTIVE) */
    uint64_t seat_taken; /* arena: best-available holds that lost their race (SEAT_TAKEN) */
    uint64_t not_enough; /* arena: best-available holds refused NOT_ENOUGH_SEATS */
};

struct nb_scenario_ctx {
    const struct nb_config *cfg;
    struct bo_client *client;
    int64_t jwt_exp;       /* exp of the identity tokens minted: run end and a margin */
    struct nb_admin admin; /* what set-up changed, put back by nb_admin_restore */
    uint64_t concert_id;
    int created_concert;    /* flow: the concerts are this run's own */
    uint64_t venue_id;      /* bigmap, arena: the venue the dates stand on (0: the hall) */
    int seats_per_purchase; /* flow 1, arena 2 */
    /* flow: concert_ids[k] owns schedule_ids[k * dates_per_concert ..] (one concert when not
     * created: concert_id) */
    uint64_t concert_ids[NB_MAX_CONCERTS];
    int nconcerts;
    int dates_per_concert;
    uint64_t schedule_ids[NB_MAX_SCHEDULES];
    int nschedules;
    uint64_t user_base;         /* flow: users base+1.. (mod 100000) */
    _Atomic uint64_t next_user; /* flow: next fresh user */
    atomic_int stop;            /* set when the run is over */
    int nvus;
};

/* What the flow's check over rpc found after the run. */
struct nb_flow_check {
    int done; /* 0 when there was nothing to check or it could not run */
    uint64_t payments;
    uint64_t sold; /* SOLD seats seen over all dates of the concert */
    uint64_t held; /* HELD seats (holds the run ended before paying) */
    uint64_t left; /* AVAILABLE seats at the end: 0 = sold out */
    int ok;        /* payments x seats_per_purchase == sold for a concert of our own, <= else */
    int seats_per_purchase;
    uint64_t seat_taken; /* arena: best-available holds that lost their race */
    uint64_t not_enough; /* arena: NOT_ENOUGH_SEATS answers (another section or date tried) */
    uint64_t sold_out;   /* iterations that found nothing left to hold */
};

/*
 * nb_scenario_setup prepares ctx (opened client, cfg and nvus set) and the VUs (sessions
 * open): see the top. Returns BO_OK, BO_E_UNAVAILABLE/BO_E_TIMEOUT when the service did not
 * answer, or another code after printing why to stderr.
 */
__attribute__((warn_unused_result)) int nb_scenario_setup(struct nb_scenario_ctx *ctx,
                                                          struct nb_vu *vus, int nvus);

/*
 * nb_scenario_make_dates creates dates of the run's own (set-up, unmeasured): concerts titled
 * "nngbench <scenario> <run id> #k", NB_FLOW_DATES_PER_CONCERT dates each, in ctx->concert_ids
 * and ctx->schedule_ids, on ctx->venue_id when set (else 50-seat dates at 100,000); sets
 * ctx->concert_id to the first concert. Returns BO_OK or the code of the call that failed.
 */
__attribute__((warn_unused_result)) int nb_scenario_make_dates(struct nb_scenario_ctx *ctx,
                                                               struct bo_session *s, int64_t dates);

/* nb_scenario_iterate runs one iteration of the scenario as vu, recording every request. */
void nb_scenario_iterate(struct nb_scenario_ctx *ctx, struct nb_vu *vu);

/* nb_scenario_check counts the flow's (and arena's) payments and, when verify is set, runs its
 * check over rpc after the run (a no-op for the others). */
void nb_scenario_check(struct nb_scenario_ctx *ctx, const struct nb_vu *vus, int nvus, int verify,
                       struct nb_flow_check *out);

#endif
