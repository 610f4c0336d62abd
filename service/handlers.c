/*
 * handlers: one function per rpc of service Boxoffice.
 *
 * Each converts its request into domain calls and their records into the
 * response, then ends with the closure: the response (alive on this stack
 * frame) or NULL after rpc_call_fail. The generated service struct below
 * holds them in the order of the .proto, so a new rpc without a handler does
 * not compile.
 */
#include "handlers.h"

#include "admin.h"
#include "bo_error.h"
#include "bo_time.h"
#include "catalog.h"
#include "metrics.h"
#include "payments.h"
#include "points.h"
#include "queue.h"
#include "reservations.h"
#include "rpc_call.h"
#include "token.h"

#include "boxoffice/v1/boxoffice.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define RPC_FAIL(rc)                                                                               \
    do {                                                                                           \
        rpc_call_fail(data, (rc));                                                                 \
        closure(NULL, data);                                                                       \
        return;                                                                                    \
    } while (0)

typedef Boxoffice__V1__Boxoffice_Service Svc;

/* Room for "<concertId>-<sequence>" with two 20-digit numbers. */
#define TOKEN_ID_MAX 48

/* ---- record -> message ------------------------------------------------------ */

static void rpc_token_fill(const struct queue_token *t, char *text, uint32_t eta, char *idbuf,
                           size_t idlen, Boxoffice__V1__Token *out)
{
    token_id(t->concert_id, t->sequence, idbuf, idlen);
    out->token = text;
    out->token_id = idbuf;
    out->user_id = t->user_id;
    out->concert_id = t->concert_id;
    out->status = (Boxoffice__V1__TokenStatus)t->status;
    out->position = t->status == TOKEN_WAITING ? t->position : 0;
    out->eta_seconds = t->status == TOKEN_WAITING ? eta : 0;
    out->sequence = t->sequence;
    out->admission_no = t->admission_no;
    out->issued_at_ms = t->issued_at_ms;
    out->admitted_at_ms = t->admitted_at_ms;
    out->expires_at_ms = t->status == TOKEN_WAITING ? 0 : t->expires_at_ms;
}

static void rpc_reservation_fill(const struct reservation *r, Boxoffice__V1__Reservation *out)
{
    out->id = r->id;
    out->user_id = r->user_id;
    out->concert_id = r->concert_id;
    out->schedule_id = r->schedule_id;
    out->seat_no = r->seat_no;
    out->price = r->price;
    out->status = (Boxoffice__V1__ReservationStatus)r->status;
    out->held_at_ms = r->held_at_ms;
    out->expires_at_ms = r->expires_at_ms;
}

static void rpc_concert_fill(const struct concert *c, Boxoffice__V1__Concert *out)
{
    out->id = c->id;
    out->title = (char *)c->title;
    out->artist = (char *)c->artist;
    out->venue = (char *)c->venue;
    out->schedule_count = c->schedule_count;
}

static void rpc_schedule_fill(const struct schedule *s, Boxoffice__V1__Schedule *out)
{
    out->id = s->id;
    out->concert_id = s->concert_id;
    out->starts_at_ms = s->starts_at_ms;
    out->available_seats = s->available_seats;
    out->total_seats = s->total_seats;
}

static void rpc_settings_fill(const struct admission_settings *s,
                              Boxoffice__V1__AdmissionSettings *out)
{
    out->rate_per_second = s->rate_per_second;
    out->max_active = s->max_active;
    out->token_ttl_seconds = s->token_ttl_seconds;
    out->hold_ttl_seconds = s->hold_ttl_seconds;
}

/* rpc_concert_fill_at and rpc_schedule_fill_at fill message i of a list from records[i]. */
static void rpc_concert_fill_at(const void *records, size_t i, void *msg)
{
    rpc_concert_fill(&((const struct concert *)records)[i], msg);
}

static void rpc_schedule_fill_at(const void *records, size_t i, void *msg)
{
    rpc_schedule_fill(&((const struct schedule *)records)[i], msg);
}

/* rpc_messages builds a repeated field: n messages of descriptor d, each initialised and filled
 * by fill(records, i, msg), behind an array of n pointers. One block; the caller frees it with
 * free() once the reply is packed. */
static int rpc_messages(const ProtobufCMessageDescriptor *d, const void *records, size_t n,
                        void (*fill)(const void *records, size_t i, void *msg), void ***out)
{
    size_t head = (n + 1) * sizeof(void *);
    char *block;
    void **ptrs;

    if ((block = calloc(1, head + n * d->sizeof_message)) == NULL) {
        return BO_E_NOMEM;
    }
    ptrs = (void **)block;
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = block + head + i * d->sizeof_message;
        protobuf_c_message_init(d, ptrs[i]);
        fill(records, i, ptrs[i]);
    }
    *out = ptrs;
    return BO_OK;
}

/* ---- health and queue -------------------------------------------------------- */

static void rpc_ping(Svc *svc, const Boxoffice__V1__PingRequest *in,
                     Boxoffice__V1__PingReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__PingReply reply = BOXOFFICE__V1__PING_REPLY__INIT;

    reply.instance = (char *)ctx->cfg->instance_id;
    reply.now_ms = bo_time_now_ms();
    reply.database_ok = store_ping(ctx->store) == BO_OK;
    reply.redis_ok = cache_ping(ctx->cache) == BO_OK;
    closure(&reply, data);
}

static void rpc_issue_token(Svc *svc, const Boxoffice__V1__IssueTokenRequest *in,
                            Boxoffice__V1__IssueTokenReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__IssueTokenReply reply = BOXOFFICE__V1__ISSUE_TOKEN_REPLY__INIT;
    Boxoffice__V1__Token tok = BOXOFFICE__V1__TOKEN__INIT;
    struct queue_token t;
    char text[TOKEN_TEXT_MAX], id[48];
    uint32_t eta = 0;
    int created = 0, rc;

    if (in->user_id == 0 || in->concert_id == 0) {
        RPC_FAIL(BO_E_INVALID_ARGUMENT);
    }
    rc = queue_issue(ctx, in->user_id, in->concert_id, &t, text, sizeof(text), &eta, &created);
    if (rc != BO_OK) {
        RPC_FAIL(rc);
    }
    rpc_token_fill(&t, text, eta, id, sizeof(id), &tok);
    reply.token = &tok;
    reply.created = created != 0;
    closure(&reply, data);
}

static void rpc_get_token(Svc *svc, const Boxoffice__V1__GetTokenRequest *in,
                          Boxoffice__V1__GetTokenReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__GetTokenReply reply = BOXOFFICE__V1__GET_TOKEN_REPLY__INIT;
    Boxoffice__V1__Token tok = BOXOFFICE__V1__TOKEN__INIT;
    struct queue_token t;
    char id[48];
    uint32_t eta = 0;
    int rc;

    if ((rc = queue_status(ctx, in->token, &t, &eta)) != BO_OK) {
        RPC_FAIL(rc);
    }
    rpc_token_fill(&t, in->token, eta, id, sizeof(id), &tok);
    reply.token = &tok;
    closure(&reply, data);
}

/* ---- catalog ------------------------------------------------------------------ */

static void rpc_list_concerts(Svc *svc, const Boxoffice__V1__ListConcertsRequest *in,
                              Boxoffice__V1__ListConcertsReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__ListConcertsReply reply = BOXOFFICE__V1__LIST_CONCERTS_REPLY__INIT;
    struct concert *concerts = NULL;
    void **msgs = NULL;
    size_t n = 0;
    int rc;

    if ((rc = catalog_concerts(ctx, &concerts, &n)) == BO_OK &&
        (rc = rpc_messages(&boxoffice__v1__concert__descriptor, concerts, n, rpc_concert_fill_at,
                           &msgs)) == BO_OK) {
        reply.n_concerts = n;
        reply.concerts = (Boxoffice__V1__Concert **)msgs;
        closure(&reply, data);
    } else {
        rpc_call_fail(data, rc);
        closure(NULL, data);
    }
    free(msgs);
    free(concerts);
}

static void rpc_list_schedules(Svc *svc, const Boxoffice__V1__ListSchedulesRequest *in,
                               Boxoffice__V1__ListSchedulesReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__ListSchedulesReply reply = BOXOFFICE__V1__LIST_SCHEDULES_REPLY__INIT;
    struct schedule *list = NULL;
    void **msgs = NULL;
    size_t n = 0;
    int rc;

    if ((rc = catalog_schedules(ctx, in->token, in->concert_id, &list, &n)) == BO_OK &&
        (rc = rpc_messages(&boxoffice__v1__schedule__descriptor, list, n, rpc_schedule_fill_at,
                           &msgs)) == BO_OK) {
        reply.n_schedules = n;
        reply.schedules = (Boxoffice__V1__Schedule **)msgs;
        closure(&reply, data);
    } else {
        rpc_call_fail(data, rc);
        closure(NULL, data);
    }
    free(msgs);
    free(list);
}

static void rpc_list_seats(Svc *svc, const Boxoffice__V1__ListSeatsRequest *in,
                           Boxoffice__V1__ListSeatsReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__ListSeatsReply reply = BOXOFFICE__V1__LIST_SEATS_REPLY__INIT;
    Boxoffice__V1__Seat msgs[SEATS_PER_SCHEDULE];
    Boxoffice__V1__Seat *ptrs[SEATS_PER_SCHEDULE];
    struct seat seats[SEATS_PER_SCHEDULE];
    uint64_t concert_id = 0;
    size_t n = 0;
    int rc;

    rc = catalog_seats(ctx, in->token, in->schedule_id, &concert_id, seats, &n);
    if (rc != BO_OK) {
        RPC_FAIL(rc);
    }
    for (size_t i = 0; i < n && i < SEATS_PER_SCHEDULE; i++) {
        boxoffice__v1__seat__init(&msgs[i]);
        msgs[i].seat_no = seats[i].seat_no;
        msgs[i].price = seats[i].price;
        msgs[i].status = (Boxoffice__V1__SeatStatus)seats[i].status;
        ptrs[i] = &msgs[i];
    }
    reply.schedule_id = in->schedule_id;
    reply.concert_id = concert_id;
    reply.n_seats = n < SEATS_PER_SCHEDULE ? n : SEATS_PER_SCHEDULE;
    reply.seats = ptrs;
    closure(&reply, data);
}

/* ---- reservations --------------------------------------------------------------- */

static void rpc_hold_seat(Svc *svc, const Boxoffice__V1__HoldSeatRequest *in,
                          Boxoffice__V1__HoldSeatReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__HoldSeatReply reply = BOXOFFICE__V1__HOLD_SEAT_REPLY__INIT;
    Boxoffice__V1__Reservation res = BOXOFFICE__V1__RESERVATION__INIT;
    struct reservation r;
    int rc;

    if ((rc = reservations_hold(ctx, in->token, in->schedule_id, in->seat_no, &r)) != BO_OK) {
        RPC_FAIL(rc);
    }
    metrics_hold_made();
    rpc_reservation_fill(&r, &res);
    reply.reservation = &res;
    closure(&reply, data);
}

static void rpc_release_hold(Svc *svc, const Boxoffice__V1__ReleaseHoldRequest *in,
                             Boxoffice__V1__ReleaseHoldReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__ReleaseHoldReply reply = BOXOFFICE__V1__RELEASE_HOLD_REPLY__INIT;
    Boxoffice__V1__Reservation res = BOXOFFICE__V1__RESERVATION__INIT;
    struct reservation r;
    int rc;

    if ((rc = reservations_release(ctx, in->token, in->reservation_id, &r)) != BO_OK) {
        RPC_FAIL(rc);
    }
    rpc_reservation_fill(&r, &res);
    reply.reservation = &res;
    closure(&reply, data);
}

/* ---- points and payments ------------------------------------------------------------ */

static void rpc_get_balance(Svc *svc, const Boxoffice__V1__GetBalanceRequest *in,
                            Boxoffice__V1__GetBalanceReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__GetBalanceReply reply = BOXOFFICE__V1__GET_BALANCE_REPLY__INIT;
    int64_t balance = 0;
    int rc;

    if ((rc = points_balance(ctx, in->token, in->user_id, &balance)) != BO_OK) {
        RPC_FAIL(rc);
    }
    reply.user_id = in->user_id;
    reply.balance = balance;
    closure(&reply, data);
}

static void rpc_charge_points(Svc *svc, const Boxoffice__V1__ChargePointsRequest *in,
                              Boxoffice__V1__ChargePointsReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__ChargePointsReply reply = BOXOFFICE__V1__CHARGE_POINTS_REPLY__INIT;
    struct charge c;
    int replayed = 0, rc;

    rc = points_charge(ctx, in->token, in->user_id, in->amount, in->idempotency_key, &c, &replayed);
    if (rc != BO_OK) {
        RPC_FAIL(rc);
    }
    reply.user_id = c.user_id;
    reply.balance = c.balance;
    reply.amount = c.amount;
    reply.ledger_id = c.ledger_id;
    reply.replayed = replayed != 0;
    closure(&reply, data);
}

static void rpc_pay(Svc *svc, const Boxoffice__V1__PayRequest *in,
                    Boxoffice__V1__PayReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__PayReply reply = BOXOFFICE__V1__PAY_REPLY__INIT;
    Boxoffice__V1__Payment pay = BOXOFFICE__V1__PAYMENT__INIT;
    struct payment p;
    int replayed = 0, rc;

    rc = payments_pay(ctx, in->token, in->reservation_id, in->idempotency_key, &p, &replayed);
    if (rc != BO_OK) {
        RPC_FAIL(rc);
    }
    if (!replayed) {
        metrics_payment_made();
    }
    pay.id = p.id;
    pay.reservation_id = p.reservation_id;
    pay.user_id = p.user_id;
    pay.schedule_id = p.schedule_id;
    pay.seat_no = p.seat_no;
    pay.amount = p.amount;
    pay.status = BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED;
    pay.paid_at_ms = p.paid_at_ms;
    pay.balance_after = p.balance_after;
    reply.payment = &pay;
    reply.replayed = replayed != 0;
    closure(&reply, data);
}

/* ---- admin ---------------------------------------------------------------------------- */

static void rpc_create_concert(Svc *svc, const Boxoffice__V1__CreateConcertRequest *in,
                               Boxoffice__V1__CreateConcertReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__CreateConcertReply reply = BOXOFFICE__V1__CREATE_CONCERT_REPLY__INIT;
    Boxoffice__V1__Concert msg = BOXOFFICE__V1__CONCERT__INIT;
    struct concert c;
    int rc;

    rc = admin_concert_create(ctx, in->admin_key, in->title, in->artist, in->venue, &c);
    if (rc != BO_OK) {
        RPC_FAIL(rc);
    }
    rpc_concert_fill(&c, &msg);
    reply.concert = &msg;
    closure(&reply, data);
}

static void rpc_create_schedule(Svc *svc, const Boxoffice__V1__CreateScheduleRequest *in,
                                Boxoffice__V1__CreateScheduleReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__CreateScheduleReply reply = BOXOFFICE__V1__CREATE_SCHEDULE_REPLY__INIT;
    Boxoffice__V1__Schedule msg = BOXOFFICE__V1__SCHEDULE__INIT;
    struct schedule s;
    int rc;

    rc = admin_schedule_create(ctx, in->admin_key, in->concert_id, in->starts_at_ms, in->price,
                               in->seat_prices, in->n_seat_prices, &s);
    if (rc != BO_OK) {
        RPC_FAIL(rc);
    }
    rpc_schedule_fill(&s, &msg);
    reply.schedule = &msg;
    closure(&reply, data);
}

static void rpc_settings_reply(void *data, const char *key,
                               const Boxoffice__V1__AdmissionSettings *changes,
                               Boxoffice__V1__AdmissionSettingsReply_Closure closure)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__AdmissionSettingsReply reply = BOXOFFICE__V1__ADMISSION_SETTINGS_REPLY__INIT;
    Boxoffice__V1__AdmissionSettings msg = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    struct admission_settings want, now;
    int rc;

    if (changes != NULL) {
        want.rate_per_second = changes->rate_per_second;
        want.max_active = changes->max_active;
        want.token_ttl_seconds = changes->token_ttl_seconds;
        want.hold_ttl_seconds = changes->hold_ttl_seconds;
    }
    if ((rc = admin_settings(ctx, key, changes != NULL ? &want : NULL, &now)) != BO_OK) {
        RPC_FAIL(rc);
    }
    rpc_settings_fill(&now, &msg);
    reply.settings = &msg;
    closure(&reply, data);
}

static void rpc_get_admission_settings(Svc *svc,
                                       const Boxoffice__V1__GetAdmissionSettingsRequest *in,
                                       Boxoffice__V1__AdmissionSettingsReply_Closure closure,
                                       void *data)
{
    rpc_settings_reply(data, in->admin_key, NULL, closure);
}

static void rpc_set_admission_settings(Svc *svc,
                                       const Boxoffice__V1__SetAdmissionSettingsRequest *in,
                                       Boxoffice__V1__AdmissionSettingsReply_Closure closure,
                                       void *data)
{
    if (in->settings == NULL) {
        rpc_call_fail(data, BO_E_INVALID_ARGUMENT);
        closure(NULL, data);
        return;
    }
    rpc_settings_reply(data, in->admin_key, in->settings, closure);
}

/* ---- presence of push listeners ------------------------------------------------------- */

static void rpc_touch_tokens(Svc *svc, const Boxoffice__V1__TouchTokensRequest *in,
                             Boxoffice__V1__TouchTokensReply_Closure closure, void *data)
{
    struct svc_context *ctx = rpc_call_context(data);
    Boxoffice__V1__TouchTokensReply reply = BOXOFFICE__V1__TOUCH_TOKENS_REPLY__INIT;
    size_t *expired = NULL;
    char *ids = NULL;
    char **ptrs = NULL;
    size_t nexpired = 0;
    uint32_t touched = 0;
    int rc;

    if (in->n_tokens > QUEUE_TOUCH_MAX) {
        RPC_FAIL(BO_E_INVALID_ARGUMENT);
    }
    /* One extra element keeps every allocation non-empty. */
    expired = calloc(in->n_tokens + 1, sizeof(*expired));
    if (expired == NULL) {
        RPC_FAIL(BO_E_NOMEM);
    }
    rc = queue_touch(ctx, in->tokens, in->n_tokens, &touched, expired, &nexpired);
    if (rc != BO_OK) {
        free(expired);
        RPC_FAIL(rc);
    }
    ids = calloc(nexpired + 1, TOKEN_ID_MAX);
    ptrs = calloc(nexpired + 1, sizeof(*ptrs));
    if (ids == NULL || ptrs == NULL) {
        rpc_call_fail(data, BO_E_NOMEM);
        closure(NULL, data);
        goto done;
    }
    for (size_t i = 0; i < nexpired; i++) {
        uint64_t concert_id = 0, user_id = 0, sequence = 0;
        char *id = ids + i * TOKEN_ID_MAX;
        /* Verified once already in queue_touch: it cannot fail here. */
        if (token_verify(ctx->cfg->token_secret, in->tokens[expired[i]], &concert_id, &user_id,
                         &sequence) == BO_OK) {
            token_id(concert_id, sequence, id, TOKEN_ID_MAX);
        }
        ptrs[i] = id;
    }
    reply.touched = touched;
    reply.n_expired_token_ids = nexpired;
    reply.expired_token_ids = ptrs;
    closure(&reply, data);
done:
    free(ptrs);
    free(ids);
    free(expired);
}

/* Never written: a table of function pointers the generated invoke reads. */
static Svc rpc_service = BOXOFFICE__V1__BOXOFFICE__INIT(rpc_);

ProtobufCService *handlers_service(void)
{
    return &rpc_service.base;
}
