/* nb_steps: the rpc steps the scenarios are made of (see nb_steps.h). */
#include "nb_steps.h"

#include "nb_jwt.h"
#include "nb_rpc.h"
#include "nb_run.h"

#include "bo_error.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#define NB_JOIN_ACTIVE_MS 30000 /* an iteration's token not ACTIVE by then is abandoned */

uint64_t nb_rand(uint64_t *state)
{
    /* xorshift64*: a VU's own generator, seeded per VU. */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void nb_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int nb_stopped(struct nb_scenario_ctx *ctx)
{
    return atomic_load_explicit(&ctx->stop, memory_order_relaxed);
}

/* The identity token is valid until ctx->jwt_exp. */
int nb_act_as(const struct nb_scenario_ctx *ctx, struct bo_session *s, uint64_t *as, uint64_t user)
{
    char jwt[NB_JWT_MAX];
    int rc;

    if (*as == user) {
        return BO_OK;
    }
    if ((rc = nb_jwt_mint(ctx->cfg->jwt_secret, user, ctx->jwt_exp, jwt, sizeof(jwt))) != BO_OK ||
        (rc = bo_session_set_caller(s, jwt, NULL)) != BO_OK) {
        *as = 0;
        return rc;
    }
    *as = user;
    return BO_OK;
}

int nb_issue(struct bo_session *s, struct nb_vu_stats *stats, uint64_t concert, char *token,
             int *status)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    Boxoffice__V1__IssueTokenReply *rep = NULL;
    int rc;

    req.concert_id = concert; /* user_id 0: the proven user */
    rc = nb_rpc_call(s, stats, "IssueToken", &req.base, (ProtobufCMessage **)&rep, BO_OK, NULL);
    if (rc != BO_OK) {
        return rc;
    }
    if (rep->token == NULL || rep->token->token == NULL) {
        rc = BO_E_INTERNAL;
    } else {
        if (token != NULL) {
            snprintf(token, NB_TOKEN_MAX, "%s", rep->token->token);
        }
        *status = (int)rep->token->status;
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return rc;
}

int nb_token_status(struct bo_session *s, struct nb_vu_stats *stats, const char *token, int *status)
{
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    Boxoffice__V1__GetTokenReply *rep = NULL;
    int rc;

    req.token = (char *)token;
    rc = nb_rpc_call(s, stats, "GetToken", &req.base, (ProtobufCMessage **)&rep, BO_OK, NULL);
    if (rc != BO_OK) {
        return rc;
    }
    *status = rep->token != NULL ? (int)rep->token->status : 0;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return BO_OK;
}

int nb_seats(struct bo_session *s, struct nb_vu_stats *stats, const char *token, uint64_t schedule,
             const char *section, int compact, Boxoffice__V1__ListSeatsReply **out)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    req.token = (char *)token;
    req.schedule_id = schedule;
    if (section != NULL && section[0] != '\0') {
        req.section = (char *)section;
    }
    req.compact = compact != 0;
    return nb_rpc_call(s, stats, "ListSeats", &req.base, (ProtobufCMessage **)out, BO_OK, NULL);
}

int nb_schedule_ids(struct bo_session *s, struct nb_vu_stats *stats, const char *token,
                    uint64_t concert, uint64_t *ids, size_t max, size_t *n)
{
    Boxoffice__V1__ListSchedulesRequest req = BOXOFFICE__V1__LIST_SCHEDULES_REQUEST__INIT;
    Boxoffice__V1__ListSchedulesReply *rep = NULL;
    int rc;

    req.token = (char *)token;
    req.concert_id = concert;
    rc = nb_rpc_call(s, stats, "ListSchedules", &req.base, (ProtobufCMessage **)&rep, BO_OK, NULL);
    if (rc != BO_OK) {
        return rc;
    }
    for (*n = 0; *n < rep->n_schedules && *n < max; (*n)++) {
        ids[*n] = rep->schedules[*n]->id;
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return BO_OK;
}

/* Waits until every token in tokens[0..n) (stride NB_TOKEN_MAX) is ACTIVE. */
static int nb_wait_active(struct bo_session *s, struct nb_vu *vus, int n)
{
    int waited = 0;
    for (int i = 0; i < n; i++) {
        int status = 0, rc;
        for (;;) {
            if ((rc = nb_token_status(s, NULL, vus[i].token, &status)) != BO_OK) {
                fprintf(stderr, "nngbench: reading token of VU %d failed: %s\n", i,
                        bo_error_name(rc));
                return rc;
            }
            if (status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
                break;
            }
            if (nb_run_interrupted()) {
                fprintf(stderr, "nngbench: interrupted while waiting for the tokens\n");
                return BO_E_TIMEOUT;
            }
            if (waited >= NB_SETUP_WAIT_MS) {
                fprintf(stderr,
                        "nngbench: the token of VU %d is not ACTIVE after %d s (raise admission "
                        "with --admin-key)\n",
                        i, NB_SETUP_WAIT_MS / 1000);
                return BO_E_TOKEN_NOT_ACTIVE;
            }
            nb_sleep_ms(NB_POLL_MS);
            waited += NB_POLL_MS;
        }
    }
    return BO_OK;
}
int nb_vu_tokens(struct nb_scenario_ctx *ctx, struct bo_session *s, struct nb_vu *vus, int nvus)
{
    int rc, status;

    for (int i = 0; i < nvus; i++) {
        uint64_t user = (uint64_t)i % NB_USERS + 1;
        struct bo_session *vs = vus[i].session;
        if ((rc = nb_act_as(ctx, vs, &vus[i].as_user, user)) != BO_OK ||
            (rc = nb_issue(vs, NULL, ctx->concert_id, vus[i].token, &status)) != BO_OK) {
            fprintf(stderr, "nngbench: issuing a token for user %" PRIu64 " failed: %s\n", user,
                    bo_error_name(rc));
            return rc;
        }
    }
    return nb_wait_active(s, vus, nvus);
}

int nb_join(struct nb_scenario_ctx *ctx, struct nb_vu *vu, uint64_t concert, uint64_t user,
            char *token)
{
    int status = 0, waited = 0, rc;

    if ((rc = nb_act_as(ctx, vu->session, &vu->as_user, user)) != BO_OK ||
        (rc = nb_issue(vu->session, &vu->stats, concert, token, &status)) != BO_OK) {
        return rc;
    }
    while (status != BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
        if (nb_stopped(ctx) || waited >= NB_JOIN_ACTIVE_MS) {
            vu->abandoned++;
            return BO_E_TIMEOUT;
        }
        nb_sleep_ms(NB_POLL_MS);
        waited += NB_POLL_MS;
        if ((rc = nb_token_status(vu->session, &vu->stats, token, &status)) != BO_OK) {
            return rc;
        }
    }
    return BO_OK;
}

int nb_buy(struct nb_scenario_ctx *ctx, struct nb_vu *vu, uint64_t user, const char *token,
           uint64_t reservation, int64_t price)
{
    Boxoffice__V1__ChargePointsRequest creq = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    Boxoffice__V1__PayRequest preq = BOXOFFICE__V1__PAY_REQUEST__INIT;
    ProtobufCMessage *rep = NULL;
    char key[160];
    int rc;

    snprintf(key, sizeof(key), "nngbench-%s-charge-%" PRIu64 "-%" PRIu64, ctx->cfg->run_id, user,
             reservation);
    creq.user_id = user; /* the proven user: charges need no queue token */
    creq.amount = price > 0 ? price : 1;
    creq.idempotency_key = key;
    if ((rc = nb_rpc_call(vu->session, &vu->stats, "ChargePoints", &creq.base, &rep, BO_OK,
                          NULL)) != BO_OK) {
        return rc;
    }
    protobuf_c_message_free_unpacked(rep, NULL);
    snprintf(key, sizeof(key), "nngbench-%s-pay-%" PRIu64, ctx->cfg->run_id, reservation);
    preq.token = (char *)token;
    preq.reservation_id = reservation;
    preq.idempotency_key = key;
    if ((rc = nb_rpc_call(vu->session, &vu->stats, "Pay", &preq.base, &rep, BO_OK, NULL)) !=
        BO_OK) {
        return rc;
    }
    protobuf_c_message_free_unpacked(rep, NULL);
    vu->payments++;
    return BO_OK;
}
