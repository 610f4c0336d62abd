/* nb_venue: the bigmap and arena scenarios on venues of the run's own (see nb_venue.h). */
#include "nb_venue.h"

#include "nb_plan.h"
#include "nb_rpc.h"
#include "nb_steps.h"

#include "bo_error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NB_VENUE_SECTIONS  10 /* A..J */
#define NB_VENUE_ROWS      20
#define NB_VENUE_ROW_SEATS 100
#define NB_VENUE_CAPACITY  (NB_VENUE_SECTIONS * NB_VENUE_ROWS * NB_VENUE_ROW_SEATS)
/* The seed's arena (db/seed.sql), used without the admin key. */
#define NB_SEED_ARENA_CONCERT 4
#define NB_SEED_ARENA_DATE    16
#define NB_SEED_ARENA_DATES   2
/* arena: seats a purchase holds (best available, together), holds an iteration tries, and how
 * its dates are sized: VUs at NB_ARENA_VU_RATE purchases/s each, at most NB_ARENA_RATE in all,
 * x seats x NB_ARENA_MARGIN. */
#define NB_ARENA_QUANTITY 2
#define NB_ARENA_TRIES    8
#define NB_ARENA_VU_RATE  100
#define NB_ARENA_RATE     2000
#define NB_ARENA_MARGIN   1.5
#define NB_ARENA_LIST_MAX 64 /* dates an iteration picks from */

/* nb_venue_create makes the venue of the run's own (see nb_venue.h) into ctx->venue_id. */
static int nb_venue_create(struct nb_scenario_ctx *ctx, struct bo_session *s)
{
    Boxoffice__V1__CreateVenueRequest req = BOXOFFICE__V1__CREATE_VENUE_REQUEST__INIT;
    Boxoffice__V1__CreateVenueReply *rep = NULL;
    Boxoffice__V1__Section secs[NB_VENUE_SECTIONS];
    Boxoffice__V1__Section *ptrs[NB_VENUE_SECTIONS];
    char names[NB_VENUE_SECTIONS][2];
    char name[128];
    struct bo_status st;
    int rc;

    for (int i = 0; i < NB_VENUE_SECTIONS; i++) {
        secs[i] = (Boxoffice__V1__Section)BOXOFFICE__V1__SECTION__INIT;
        names[i][0] = (char)('A' + i);
        names[i][1] = '\0';
        secs[i].name = names[i];
        secs[i].rows = NB_VENUE_ROWS;
        secs[i].seats_per_row = NB_VENUE_ROW_SEATS;
        secs[i].price = i < 2 ? 150000 : i < 6 ? 120000 : 90000;
        ptrs[i] = &secs[i];
    }
    snprintf(name, sizeof(name), "nngbench %s %s", nb_scenario_name(ctx->cfg->scenario_id),
             ctx->cfg->run_id);
    req.admin_key = (char *)ctx->cfg->admin_key;
    req.name = name;
    req.sections = ptrs;
    req.n_sections = NB_VENUE_SECTIONS;
    rc = nb_rpc_call(s, NULL, "CreateVenue", &req.base, (ProtobufCMessage **)&rep, BO_OK, &st);
    if (rc != BO_OK) {
        fprintf(stderr, "nngbench: creating the venue failed: %s: %s\n", bo_error_name(rc),
                st.message);
        return rc;
    }
    ctx->venue_id = rep->venue != NULL ? rep->venue->id : 0;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return ctx->venue_id != 0 ? BO_OK : BO_E_INTERNAL;
}

int nb_venue_setup_bigmap(struct nb_scenario_ctx *ctx, struct bo_session *s, struct nb_vu *vus,
                          int nvus)
{
    Boxoffice__V1__ListSeatsReply *rep = NULL;
    const char *section = ctx->cfg->section;
    int rc;

    if (ctx->cfg->admin_key[0] == '\0') {
        ctx->concert_id = NB_SEED_ARENA_CONCERT;
        ctx->schedule_ids[0] = NB_SEED_ARENA_DATE;
        ctx->nschedules = 1;
    } else if ((rc = nb_venue_create(ctx, s)) != BO_OK ||
               (rc = nb_scenario_make_dates(ctx, s, 1)) != BO_OK) {
        return rc;
    }
    if ((rc = nb_vu_tokens(ctx, s, vus, nvus)) != BO_OK) {
        return rc;
    }
    if (nvus == 0) {
        return BO_OK;
    }
    /* The section answers, and how big it is (said once, so a run shows what it measured). */
    rc = nb_seats(s, NULL, vus[0].token, ctx->schedule_ids[0], section, 0, &rep);
    if (rc != BO_OK) {
        fprintf(stderr, "nngbench: section %s of date %" PRIu64 " does not answer: %s\n", section,
                ctx->schedule_ids[0], bo_error_name(rc));
        return rc;
    }
    fprintf(stderr, "nngbench: bigmap: section %s of date %" PRIu64 ", %zu seats%s\n", section,
            ctx->schedule_ids[0], rep->n_seats, ctx->cfg->compact ? ", compact" : "");
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return BO_OK;
}

/* nb_venue_arena_dates: the dates the plan needs so it never sells out (see nb_venue.h). */
static int64_t nb_venue_arena_dates(const struct nb_config *cfg)
{
    struct nb_plan plan;
    int64_t rate, dates;

    if (cfg->arena_dates > 0) {
        return cfg->arena_dates;
    }
    nb_plan_from_config(cfg, &plan);
    rate = (int64_t)plan.vus_max * NB_ARENA_VU_RATE;
    rate = rate < NB_ARENA_RATE ? rate : NB_ARENA_RATE;
    dates = (int64_t)((double)rate * plan.total_seconds * NB_ARENA_QUANTITY * NB_ARENA_MARGIN /
                      NB_VENUE_CAPACITY) +
            1;
    return dates < NB_MAX_SCHEDULES ? dates : NB_MAX_SCHEDULES;
}

int nb_venue_setup_arena(struct nb_scenario_ctx *ctx, struct bo_session *s)
{
    int64_t dates = nb_venue_arena_dates(ctx->cfg);
    int rc;

    ctx->user_base = (uint64_t)time(NULL) * 7919u % NB_USERS;
    ctx->seats_per_purchase = NB_ARENA_QUANTITY;
    if (ctx->cfg->admin_key[0] == '\0') {
        ctx->concert_id = NB_SEED_ARENA_CONCERT;
        ctx->concert_ids[ctx->nconcerts++] = ctx->concert_id;
        for (int d = 0; d < NB_SEED_ARENA_DATES; d++) {
            ctx->schedule_ids[ctx->nschedules++] = NB_SEED_ARENA_DATE + (uint64_t)d;
        }
        ctx->dates_per_concert = ctx->nschedules;
        return BO_OK;
    }
    if ((rc = nb_venue_create(ctx, s)) != BO_OK ||
        (rc = nb_scenario_make_dates(ctx, s, dates)) != BO_OK) {
        return rc;
    }
    fprintf(stderr, "nngbench: arena: %" PRId64 " dates of %d seats on venue %" PRIu64 "\n", dates,
            NB_VENUE_CAPACITY, ctx->venue_id);
    return BO_OK;
}

void nb_venue_iterate_bigmap(struct nb_scenario_ctx *ctx, struct nb_vu *vu)
{
    Boxoffice__V1__ListSeatsReply *rep = NULL;

    if (nb_seats(vu->session, &vu->stats, vu->token, ctx->schedule_ids[0], ctx->cfg->section,
                 (int)ctx->cfg->compact, &rep) == BO_OK) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
}

/* nb_venue_pick_date puts into *date one of concert's dates with at least NB_ARENA_QUANTITY
 * seats left, at random; BO_E_NOT_FOUND when none has. */
static int nb_venue_pick_date(struct nb_vu *vu, uint64_t concert, const char *token, uint64_t *date)
{
    Boxoffice__V1__ListSchedulesRequest req = BOXOFFICE__V1__LIST_SCHEDULES_REQUEST__INIT;
    Boxoffice__V1__ListSchedulesReply *rep = NULL;
    uint64_t ids[NB_ARENA_LIST_MAX];
    size_t n = 0;
    int rc;

    req.token = (char *)token;
    req.concert_id = concert;
    rc = nb_rpc_call(vu->session, &vu->stats, "ListSchedules", &req.base, (ProtobufCMessage **)&rep,
                     BO_OK, NULL);
    if (rc != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < rep->n_schedules && n < NB_ARENA_LIST_MAX; i++) {
        if (rep->schedules[i]->available_seats >= NB_ARENA_QUANTITY) {
            ids[n++] = rep->schedules[i]->id;
        }
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    if (n == 0) {
        return BO_E_NOT_FOUND;
    }
    *date = ids[nb_rand(&vu->rng) % n];
    return BO_OK;
}

/* nb_venue_pick_section copies into section (17 bytes) one of date's sections with at least
 * NB_ARENA_QUANTITY seats left, at random, other than the one in skip (NOT_ENOUGH_SEATS there);
 * BO_E_NOT_FOUND when none has. */
static int nb_venue_pick_section(struct nb_vu *vu, uint64_t date, const char *token,
                                 const char *skip, char *section)
{
    Boxoffice__V1__ListSectionsRequest req = BOXOFFICE__V1__LIST_SECTIONS_REQUEST__INIT;
    Boxoffice__V1__ListSectionsReply *rep = NULL;
    size_t picks[64], n = 0;
    int rc;

    req.token = (char *)token;
    req.schedule_id = date;
    rc = nb_rpc_call(vu->session, &vu->stats, "ListSections", &req.base, (ProtobufCMessage **)&rep,
                     BO_OK, NULL);
    if (rc != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < rep->n_sections && n < 64; i++) {
        if (rep->sections[i]->available_seats >= NB_ARENA_QUANTITY &&
            strcmp(rep->sections[i]->name, skip) != 0) {
            picks[n++] = i;
        }
    }
    if (n > 0) {
        snprintf(section, 17, "%s", rep->sections[picks[nb_rand(&vu->rng) % n]]->name);
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return n > 0 ? BO_OK : BO_E_NOT_FOUND;
}

int nb_venue_hold_best(struct nb_scenario_ctx *ctx, struct nb_vu *vu, uint64_t concert,
                       const char *token, uint64_t *reservation, int64_t *price)
{
    char section[17] = "", skip[17] = "";
    uint64_t date = 0;
    int rc = BO_E_NOT_FOUND;

    for (int t = 0; t < NB_ARENA_TRIES; t++) {
        Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
        Boxoffice__V1__HoldSeatReply *rep = NULL;

        if (nb_stopped(ctx)) {
            return BO_E_TIMEOUT; /* the run is over: not "nothing left" */
        }
        if (date == 0 && (rc = nb_venue_pick_date(vu, concert, token, &date)) != BO_OK) {
            return rc;
        }
        if (section[0] == '\0' &&
            (rc = nb_venue_pick_section(vu, date, token, skip, section)) != BO_OK) {
            if (rc != BO_E_NOT_FOUND) {
                return rc;
            }
            date = 0; /* this date's sections are all taken: another date */
            skip[0] = '\0';
            continue;
        }
        req.token = (char *)token;
        req.schedule_id = date;
        req.section = section;
        req.quantity = NB_ARENA_QUANTITY;
        req.together = 1;
        rc = nb_rpc_call2(vu->session, &vu->stats, "HoldSeat", &req.base, (ProtobufCMessage **)&rep,
                          BO_E_SEAT_TAKEN, BO_E_NOT_ENOUGH_SEATS, NULL);
        if (rc == BO_OK) {
            *reservation = rep->reservation != NULL ? rep->reservation->id : 0;
            *price = rep->reservation != NULL ? rep->reservation->price : 0;
            protobuf_c_message_free_unpacked(&rep->base, NULL);
            return *reservation != 0 ? BO_OK : BO_E_INTERNAL;
        }
        if (rc == BO_E_SEAT_TAKEN) {
            vu->seat_taken++; /* lost the race for that block: the same section again */
        } else if (rc == BO_E_NOT_ENOUGH_SEATS) {
            vu->not_enough++; /* no pair left together there: another section */
            snprintf(skip, sizeof(skip), "%s", section);
            section[0] = '\0';
        } else {
            return rc;
        }
    }
    return rc == BO_E_NOT_ENOUGH_SEATS ? BO_E_NOT_FOUND : rc;
}

int nb_venue_count_date(struct bo_session *s, const char *token, uint64_t schedule,
                        struct nb_flow_check *out)
{
    Boxoffice__V1__ListSectionsRequest req = BOXOFFICE__V1__LIST_SECTIONS_REQUEST__INIT;
    Boxoffice__V1__ListSectionsReply *rep = NULL;
    int rc;

    req.token = (char *)token;
    req.schedule_id = schedule;
    if ((rc = nb_rpc_call(s, NULL, "ListSections", &req.base, (ProtobufCMessage **)&rep, BO_OK,
                          NULL)) != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < rep->n_sections && rc == BO_OK; i++) {
        Boxoffice__V1__ListSeatsReply *map = NULL;
        if ((rc = nb_seats(s, NULL, token, schedule, rep->sections[i]->name, 1, &map)) != BO_OK) {
            break;
        }
        for (const char *c = map->statuses != NULL ? map->statuses : ""; *c != '\0'; c++) {
            out->sold += *c == 'S';
            out->held += *c == 'H';
            out->left += *c == 'A';
        }
        protobuf_c_message_free_unpacked(&map->base, NULL);
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return rc;
}
