/* nb_fresh: the delay before a seat change shows in every seat map (see nb_fresh.h). */
#include "nb_fresh.h"

#include "nb_admin.h"
#include "nb_http.h"
#include "nb_jwt.h"
#include "nb_report.h"
#include "nb_rpc.h"
#include "nb_run.h"

#include "bo_error.h"
#include "boxoffice/client.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Instances observed at most (rpc addresses), plus the bridge. */
#define NB_FRESH_MAX_OBSERVERS 17
/* An observer that has not seen a change this long after it counts it as missed. */
#define NB_FRESH_GIVE_UP_US 2000000
/* The freshness contract's bound for everyone but the writer. */
#define NB_FRESH_BOUND_US 100000
/* The user the measurement acts for: the last demo user, away from the load's 1, 2, ... */
#define NB_FRESH_USER         100000
#define NB_FRESH_TOKEN_WAIT_S 30
#define NB_FRESH_BODY_MAX     (256 * 1024)
#define NB_FRESH_TOKEN_MAX    512

struct nb_fresh_observer {
    char name[64];
    struct bo_client *client; /* rpc observers: dialled to their instance alone */
    struct bo_session *session;
    char host[256], port[16]; /* REST observer */
    uint32_t *delays_us;      /* one per change seen */
    size_t n;
    size_t missed;
};

/* What observer threads look for in one change. */
struct nb_fresh_change {
    struct nb_fresh_observer *obs;
    const char *token;
    uint64_t schedule_id;
    uint32_t seat_no;
    int status; /* SEAT_HELD or SEAT_AVAILABLE */
    uint64_t since_us;
    char *body; /* REST observer's buffer */
};

static int nb_fresh_split(const char *urls, char out[][256], int max, int *n)
{
    const char *p = urls;

    *n = 0;
    while (*p != '\0') {
        size_t len = strcspn(p, ", ");
        if (len > 0) {
            if (*n >= max || len >= 256) {
                return BO_E_INVALID_ARGUMENT;
            }
            memcpy(out[*n], p, len);
            out[*n][len] = '\0';
            (*n)++;
        }
        p += len;
        p += strspn(p, ", ");
    }
    return *n > 0 ? BO_OK : BO_E_INVALID_ARGUMENT;
}

/* nb_fresh_rpc_status reads seat_no's status in schedule_id's map over s into *status. */
static int nb_fresh_rpc_status(struct bo_session *s, const char *token, uint64_t schedule_id,
                               uint32_t seat_no, int *status)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    Boxoffice__V1__ListSeatsReply *rep = NULL;
    int rc;

    req.token = (char *)token;
    req.schedule_id = schedule_id;
    if ((rc = bo_call(s, "ListSeats", &req.base, (ProtobufCMessage **)&rep, NULL)) != BO_OK) {
        return rc;
    }
    *status = 0;
    for (size_t i = 0; i < rep->n_seats; i++) {
        if (rep->seats[i]->seat_no == seat_no) {
            *status = (int)rep->seats[i]->status;
        }
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return BO_OK;
}

/* nb_fresh_rest_status reads seat_no's status from the bridge's JSON seat map. */
static int nb_fresh_rest_status(struct nb_fresh_observer *o, struct nb_fresh_change *c, int *status)
{
    char path[128], headers[640], key[48];
    const char *at, *st;
    int code = 0, rc;

    snprintf(path, sizeof(path), "/api/v1/schedules/%llu/seats",
             (unsigned long long)c->schedule_id);
    snprintf(headers, sizeof(headers), "Queue-Token: %s\r\n", c->token);
    rc = nb_http_get(o->host, o->port, path, headers, &code, c->body, NB_FRESH_BODY_MAX);
    if (rc != BO_OK || code != 200) {
        return rc != BO_OK ? rc : BO_E_UNAVAILABLE;
    }
    snprintf(key, sizeof(key), "\"seatNo\":%u,", c->seat_no);
    *status = 0;
    if ((at = strstr(c->body, key)) != NULL && (st = strstr(at, "\"status\":\"")) != NULL) {
        st += strlen("\"status\":\"");
        if (strncmp(st, "HELD\"", 5) == 0) {
            *status = BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD;
        } else if (strncmp(st, "AVAILABLE\"", 10) == 0) {
            *status = BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE;
        } else if (strncmp(st, "SOLD\"", 5) == 0) {
            *status = BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD;
        }
    }
    return BO_OK;
}

/* nb_fresh_watch reads one observer's map back to back until it shows the change. */
static void *nb_fresh_watch(void *arg)
{
    struct nb_fresh_change *c = arg;
    struct nb_fresh_observer *o = c->obs;

    for (;;) {
        int status = 0, rc;
        rc = o->session != NULL
                 ? nb_fresh_rpc_status(o->session, c->token, c->schedule_id, c->seat_no, &status)
                 : nb_fresh_rest_status(o, c, &status);
        uint64_t now = nb_now_us();
        if (rc == BO_OK && status == c->status) {
            uint64_t d = now - c->since_us;
            o->delays_us[o->n++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
            return NULL;
        }
        if (now - c->since_us > NB_FRESH_GIVE_UP_US) {
            o->missed++;
            return NULL;
        }
    }
}

/* nb_fresh_observe waits until every observer has seen the change (or given up). */
static int nb_fresh_observe(struct nb_fresh_observer *obs, int nobs, const char *token,
                            uint64_t schedule_id, uint32_t seat_no, int status, uint64_t since_us)
{
    struct nb_fresh_change changes[NB_FRESH_MAX_OBSERVERS];
    pthread_t threads[NB_FRESH_MAX_OBSERVERS];
    int started = 0, rc = BO_OK;

    for (int i = 0; i < nobs; i++) {
        changes[i] = (struct nb_fresh_change){.obs = &obs[i],
                                              .token = token,
                                              .schedule_id = schedule_id,
                                              .seat_no = seat_no,
                                              .status = status,
                                              .since_us = since_us};
        if (obs[i].session == NULL && (changes[i].body = malloc(NB_FRESH_BODY_MAX)) == NULL) {
            rc = BO_E_NOMEM;
            break;
        }
        if (pthread_create(&threads[i], NULL, nb_fresh_watch, &changes[i]) != 0) {
            free(changes[i].body);
            rc = BO_E_NOMEM;
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        free(changes[i].body);
    }
    return rc;
}

/* nb_fresh_token issues a token for the writer's user at concert and waits until ACTIVE. */
static int nb_fresh_token(struct bo_session *s, uint64_t concert, char *token, size_t len)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    Boxoffice__V1__IssueTokenReply *rep = NULL;
    int rc;

    req.concert_id = concert;
    if ((rc = bo_call(s, "IssueToken", &req.base, (ProtobufCMessage **)&rep, NULL)) != BO_OK) {
        return rc;
    }
    snprintf(token, len, "%s", rep->token != NULL && rep->token->token ? rep->token->token : "");
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    for (int waited = 0; waited < NB_FRESH_TOKEN_WAIT_S * 10; waited++) {
        Boxoffice__V1__GetTokenRequest g = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
        Boxoffice__V1__GetTokenReply *gr = NULL;
        int status;
        g.token = token;
        if ((rc = bo_call(s, "GetToken", &g.base, (ProtobufCMessage **)&gr, NULL)) != BO_OK) {
            return rc;
        }
        status = gr->token != NULL ? (int)gr->token->status : 0;
        protobuf_c_message_free_unpacked(&gr->base, NULL);
        if (status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
            return BO_OK;
        }
        nanosleep(&(struct timespec){0, 100000000L}, NULL);
    }
    fprintf(stderr, "nngbench: the freshness token is not ACTIVE after %d s\n",
            NB_FRESH_TOKEN_WAIT_S);
    return BO_E_TOKEN_NOT_ACTIVE;
}

/* nb_fresh_pick finds the concert's first date and an AVAILABLE seat on it from round on. */
static int nb_fresh_pick(struct bo_session *s, const char *token, uint64_t concert, int round,
                         uint64_t *schedule_id, uint32_t *seat_no)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    Boxoffice__V1__ListSeatsReply *rep = NULL;
    int rc;

    if (*schedule_id == 0) {
        Boxoffice__V1__ListSchedulesRequest lr = BOXOFFICE__V1__LIST_SCHEDULES_REQUEST__INIT;
        Boxoffice__V1__ListSchedulesReply *lrep = NULL;
        lr.token = (char *)token;
        lr.concert_id = concert;
        if ((rc = bo_call(s, "ListSchedules", &lr.base, (ProtobufCMessage **)&lrep, NULL)) !=
            BO_OK) {
            return rc;
        }
        *schedule_id = lrep->n_schedules > 0 ? lrep->schedules[0]->id : 0;
        protobuf_c_message_free_unpacked(&lrep->base, NULL);
        if (*schedule_id == 0) {
            fprintf(stderr, "nngbench: concert %llu has no date with seats left\n",
                    (unsigned long long)concert);
            return BO_E_SCHEDULE_NOT_FOUND;
        }
    }
    req.token = (char *)token;
    req.schedule_id = *schedule_id;
    if ((rc = bo_call(s, "ListSeats", &req.base, (ProtobufCMessage **)&rep, NULL)) != BO_OK) {
        return rc;
    }
    *seat_no = 0;
    for (size_t k = 0; k < rep->n_seats && *seat_no == 0; k++) {
        const Boxoffice__V1__Seat *seat = rep->seats[((size_t)round + k) % rep->n_seats];
        if (seat->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE) {
            *seat_no = seat->seat_no;
        }
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return *seat_no != 0 ? BO_OK : BO_E_SEAT_TAKEN;
}

/* nb_fresh_hold holds seat_no and writes the reservation's id; nb_fresh_release ends it. */
static int nb_fresh_hold(struct bo_session *s, const char *token, uint64_t schedule_id,
                         uint32_t seat_no, uint64_t *reservation_id)
{
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    Boxoffice__V1__HoldSeatReply *rep = NULL;
    int rc;

    req.token = (char *)token;
    req.schedule_id = schedule_id;
    req.seat_no = seat_no;
    if ((rc = bo_call(s, "HoldSeat", &req.base, (ProtobufCMessage **)&rep, NULL)) != BO_OK) {
        return rc;
    }
    *reservation_id = rep->reservation != NULL ? rep->reservation->id : 0;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return *reservation_id != 0 ? BO_OK : BO_E_INTERNAL;
}

static int nb_fresh_release(struct bo_session *s, const char *token, uint64_t reservation_id)
{
    Boxoffice__V1__ReleaseHoldRequest req = BOXOFFICE__V1__RELEASE_HOLD_REQUEST__INIT;
    Boxoffice__V1__ReleaseHoldReply *rep = NULL;
    int rc;

    req.token = (char *)token;
    req.reservation_id = reservation_id;
    if ((rc = bo_call(s, "ReleaseHold", &req.base, (ProtobufCMessage **)&rep, NULL)) == BO_OK) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
    return rc;
}

static int nb_fresh_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double nb_fresh_pct_ms(const struct nb_fresh_observer *o, double p)
{
    size_t i;

    if (o->n == 0) {
        return 0;
    }
    i = (size_t)(p * (double)(o->n - 1) + 0.5);
    return o->delays_us[i] / 1000.0;
}

static size_t nb_fresh_over(const struct nb_fresh_observer *o)
{
    size_t over = 0;
    for (size_t i = 0; i < o->n; i++) {
        over += o->delays_us[i] > NB_FRESH_BOUND_US;
    }
    return over;
}

/* nb_fresh_report prints the table and writes --json. */
static int nb_fresh_report(const struct nb_config *cfg, struct nb_fresh_observer *obs, int nobs,
                           int rounds)
{
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();

    printf("freshness: %d rounds (hold, then release), delay from the writer's reply until a "
           "read shows the change\n",
           rounds);
    printf("%-24s %8s %9s %9s %9s %9s %7s\n", "observer", "changes", "p50 ms", "p99 ms", "max ms",
           ">100 ms", "missed");
    for (int i = 0; i < nobs; i++) {
        struct nb_fresh_observer *o = &obs[i];
        qsort(o->delays_us, o->n, sizeof(*o->delays_us), nb_fresh_cmp);
        printf("%-24s %8zu %9.2f %9.2f %9.2f %9zu %7zu\n", o->name, o->n, nb_fresh_pct_ms(o, 0.50),
               nb_fresh_pct_ms(o, 0.99), o->n > 0 ? o->delays_us[o->n - 1] / 1000.0 : 0.0,
               nb_fresh_over(o), o->missed);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "observer", o->name);
        cJSON_AddNumberToObject(e, "changes", (double)o->n);
        cJSON_AddNumberToObject(e, "p50Ms", nb_fresh_pct_ms(o, 0.50));
        cJSON_AddNumberToObject(e, "p99Ms", nb_fresh_pct_ms(o, 0.99));
        cJSON_AddNumberToObject(e, "maxMs", o->n > 0 ? o->delays_us[o->n - 1] / 1000.0 : 0.0);
        cJSON_AddNumberToObject(e, "over100Ms", (double)nb_fresh_over(o));
        cJSON_AddNumberToObject(e, "missed", (double)o->missed);
        cJSON_AddItemToArray(arr, e);
    }
    cJSON_AddNumberToObject(root, "rounds", rounds);
    cJSON_AddItemToObject(root, "observers", arr);
    if (cfg->json[0] == '\0') {
        cJSON_Delete(root);
        return BO_OK;
    }
    return nb_report_json_write(cfg->json, root);
}

/* nb_fresh_observers opens one observer per rpc address and one for the bridge. */
static int nb_fresh_observers(const struct nb_config *cfg, char urls[][256], int nurls, int rounds,
                              struct nb_fresh_observer *obs, int *nobs)
{
    int rc;

    *nobs = 0;
    for (int i = 0; i < nurls + (cfg->bridge_url[0] != '\0'); i++) {
        struct nb_fresh_observer *o = &obs[(*nobs)++];
        if ((o->delays_us = calloc((size_t)rounds * 2, sizeof(*o->delays_us))) == NULL) {
            return BO_E_NOMEM;
        }
        if (i == nurls) {
            snprintf(o->name, sizeof(o->name), "bridge (REST)");
            if (sscanf(cfg->bridge_url, "http://%255[^:/]:%15[0-9]", o->host, o->port) != 2) {
                fprintf(stderr, "nngbench: --bridge-url must be http://HOST:PORT\n");
                return BO_E_INVALID_ARGUMENT;
            }
            continue;
        }
        snprintf(o->name, sizeof(o->name), i == 0 ? "instance %d (writer)" : "instance %d", i);
        if ((rc = bo_client_open(urls[i], (int)cfg->timeout_ms, &o->client)) != BO_OK ||
            (rc = bo_session_open(o->client, &o->session)) != BO_OK) {
            fprintf(stderr, "nngbench: cannot dial %s: %s\n", urls[i], bo_error_name(rc));
            return rc;
        }
    }
    return BO_OK;
}

int nb_fresh_execute(const struct nb_config *cfg)
{
    struct nb_fresh_observer obs[NB_FRESH_MAX_OBSERVERS];
    char urls[NB_FRESH_MAX_OBSERVERS - 1][256], token[NB_FRESH_TOKEN_MAX], jwt[NB_JWT_MAX];
    struct nb_admin admin = {0};
    struct bo_client *wclient = NULL;
    struct bo_session *writer = NULL;
    uint64_t concert = cfg->concert > 0 ? (uint64_t)cfg->concert : 1, schedule_id = 0;
    int rounds = (int)cfg->freshness, nurls = 0, nobs = 0, code = NB_EXIT_FAILED, rc;

    memset(obs, 0, sizeof(obs));
    if (nb_fresh_split(cfg->rpc_url, urls, NB_FRESH_MAX_OBSERVERS - 1, &nurls) != BO_OK) {
        fprintf(stderr, "nngbench: --rpc-url must name 1 to %d addresses\n",
                NB_FRESH_MAX_OBSERVERS - 1);
        return NB_EXIT_USAGE;
    }
    nb_run_block_signals();
    if ((rc = bo_client_open(urls[0], (int)cfg->timeout_ms, &wclient)) != BO_OK ||
        (rc = bo_session_open(wclient, &writer)) != BO_OK ||
        (rc = nb_jwt_mint(cfg->jwt_secret, NB_FRESH_USER, (int64_t)time(NULL) + NB_JWT_MARGIN_S,
                          jwt, sizeof(jwt))) != BO_OK ||
        (rc = bo_session_set_caller(writer, jwt, NULL)) != BO_OK) {
        fprintf(stderr, "nngbench: cannot act as user %d on %s: %s (is --jwt-secret set?)\n",
                NB_FRESH_USER, urls[0], bo_error_name(rc));
        goto out;
    }
    if ((rc = nb_admin_prepare(&admin, cfg, writer, 1)) != BO_OK ||
        (rc = nb_fresh_observers(cfg, urls, nurls, rounds, obs, &nobs)) != BO_OK ||
        (rc = nb_fresh_token(writer, concert, token, sizeof(token))) != BO_OK) {
        fprintf(stderr, "nngbench: freshness set-up failed: %s\n", bo_error_name(rc));
        goto out;
    }
    for (int r = 0; r < rounds && !nb_run_interrupted(); r++) {
        uint64_t reservation_id = 0;
        uint32_t seat_no = 0;
        if ((rc = nb_fresh_pick(writer, token, concert, r, &schedule_id, &seat_no)) != BO_OK ||
            (rc = nb_fresh_hold(writer, token, schedule_id, seat_no, &reservation_id)) != BO_OK ||
            (rc = nb_fresh_observe(obs, nobs, token, schedule_id, seat_no,
                                   BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD, nb_now_us())) != BO_OK ||
            (rc = nb_fresh_release(writer, token, reservation_id)) != BO_OK ||
            (rc = nb_fresh_observe(obs, nobs, token, schedule_id, seat_no,
                                   BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE, nb_now_us())) !=
                BO_OK) {
            fprintf(stderr, "nngbench: freshness round %d failed: %s\n", r + 1, bo_error_name(rc));
            goto out;
        }
    }
    code = nb_fresh_report(cfg, obs, nobs, rounds) == BO_OK ? NB_EXIT_OK : NB_EXIT_FAILED;
out:
    for (int i = 0; i < nobs; i++) {
        bo_session_close(obs[i].session);
        bo_client_close(obs[i].client);
        free(obs[i].delays_us);
    }
    if (wclient != NULL) {
        nb_admin_restore(&admin, cfg, wclient);
    }
    bo_session_close(writer);
    bo_client_close(wclient);
    return code;
}
