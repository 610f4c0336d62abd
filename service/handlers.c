/*
 * handlers: one function per rpc of service Boxoffice.
 *
 * Each makes its domain call with fields of the request, fills its reply from the records
 * that call wrote (records start zeroed, so filling after a failure is harmless) and ends
 * with rpc_call_end, which hands the closure the reply, or NULL when the call failed. What a
 * reply points to lives on the handler's stack or in blocks of rpc_call_alloc, freed once
 * the reply is packed. The generated service struct below holds the handlers in the order of
 * the .proto, so a new rpc without a handler does not compile.
 */
#include "handlers.h"

#include "accounts.h"
#include "admin.h"
#include "bo_error.h"
#include "bo_time.h"
#include "catalog.h"
#include "dispatch.h"
#include "metrics.h"
#include "password.h"
#include "payments.h"
#include "points.h"
#include "queue.h"
#include "reservations.h"
#include "rpc_call.h"
#include "rpc_fill.h"
#include "token.h"
#include "venues.h"

#include "boxoffice/v1/boxoffice.pb-c.h"

#include <nng/nng.h>
#include <stdio.h>
#include <string.h>

typedef Boxoffice__V1__Boxoffice_Service Svc;

/* A token record with the text, id and estimate its message points to. */
struct rpc_token {
    struct queue_token t;
    char text[TOKEN_TEXT_MAX];
    char id[TOKEN_ID_MAX];
    uint32_t eta;
    Boxoffice__V1__Token msg;
};

/* ---- record -> message ------------------------------------------------------- */

/* rpc_token_fill fills tok->msg from tok, its text being text, and returns it. */
static Boxoffice__V1__Token *rpc_token_fill(struct rpc_token *tok, char *text)
{
    const struct queue_token *t = &tok->t;
    Boxoffice__V1__Token *out = &tok->msg;

    boxoffice__v1__token__init(out);
    token_id(t->concert_id, t->sequence, tok->id, sizeof(tok->id));
    out->token = text;
    out->token_id = tok->id;
    out->user_id = t->user_id;
    out->concert_id = t->concert_id;
    out->status = (Boxoffice__V1__TokenStatus)t->status;
    out->position = t->status == TOKEN_WAITING ? t->position : 0;
    out->eta_seconds = t->status == TOKEN_WAITING ? tok->eta : 0;
    out->sequence = t->sequence;
    out->admission_no = t->admission_no;
    out->issued_at_ms = t->issued_at_ms;
    out->admitted_at_ms = t->admitted_at_ms;
    out->expires_at_ms = t->status == TOKEN_WAITING ? 0 : t->expires_at_ms;
    out->sale_opens_at_ms = t->status == TOKEN_WAITING ? t->sale_opens_at_ms : 0;
    if (out->sale_opens_at_ms != 0) {
        out->position = 0; /* no place until the opening draws the order */
        out->eta_seconds = 0;
    }
    return out;
}

/* rpc_token_ids gives the public ids of the tokens texts[expired[0..n)], behind an array of
 * n pointers, in one block of the call; NULL when out of memory (the call has failed then). */
static char **rpc_token_ids(void *data, char *const *texts, const size_t *expired, size_t n)
{
    const char *secret = rpc_call_context(data)->cfg->token_secret;
    char **ids = rpc_call_alloc(data, n * (sizeof(char *) + TOKEN_ID_MAX), NULL);

    for (size_t i = 0; ids != NULL && i < n; i++) {
        uint64_t concert_id = 0, user_id = 0, sequence = 0;
        ids[i] = (char *)(ids + n) + i * TOKEN_ID_MAX;
        /* Verified once already in queue_touch: it cannot fail here. */
        if (token_verify(secret, texts[expired[i]], &concert_id, &user_id, &sequence) == BO_OK) {
            token_id(concert_id, sequence, ids[i], TOKEN_ID_MAX);
        }
    }
    return ids;
}

/* rpc_user resolves the user a call acts for: the proven caller, whom the request may name
 * (named 0 names none), never another (BO_E_NOT_OWNER). */
static int rpc_user(void *data, uint64_t named, uint64_t *user_id)
{
    const struct svc_caller *c = &rpc_call_context(data)->caller;

    if (!c->proven) {
        return BO_E_SESSION_MISSING;
    }
    if (named != 0 && named != c->who.user_id) {
        return BO_E_NOT_OWNER;
    }
    *user_id = c->who.user_id;
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
    Boxoffice__V1__IssueTokenReply reply = BOXOFFICE__V1__ISSUE_TOKEN_REPLY__INIT;
    struct rpc_token tok = {0};
    uint64_t user_id = 0;
    int rc = rpc_user(data, in->user_id, &user_id);

    if (rc == BO_OK) {
        rc = queue_issue(rpc_call_context(data), user_id, in->concert_id, &tok.t, tok.text,
                         sizeof(tok.text), &tok.eta, &reply.created, rpc_call_retry_after(data));
    }

    reply.token = rpc_token_fill(&tok, tok.text);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_get_token(Svc *svc, const Boxoffice__V1__GetTokenRequest *in,
                          Boxoffice__V1__GetTokenReply_Closure closure, void *data)
{
    Boxoffice__V1__GetTokenReply reply = BOXOFFICE__V1__GET_TOKEN_REPLY__INIT;
    struct rpc_token tok = {0};
    int rc = queue_status(rpc_call_context(data), in->token, &tok.t, &tok.eta);

    reply.token = rpc_token_fill(&tok, in->token);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_leave_queue(Svc *svc, const Boxoffice__V1__LeaveQueueRequest *in,
                            Boxoffice__V1__LeaveQueueReply_Closure closure, void *data)
{
    Boxoffice__V1__LeaveQueueReply reply = BOXOFFICE__V1__LEAVE_QUEUE_REPLY__INIT;
    struct rpc_token tok = {0};
    int rc = queue_leave(rpc_call_context(data), in->token, &tok.t);

    reply.token = rpc_token_fill(&tok, in->token);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* ---- accounts ------------------------------------------------------------------ */

static void rpc_create_account(Svc *svc, const Boxoffice__V1__CreateAccountRequest *in,
                               Boxoffice__V1__CreateAccountReply_Closure closure, void *data)
{
    Boxoffice__V1__CreateAccountReply reply = BOXOFFICE__V1__CREATE_ACCOUNT_REPLY__INIT;
    int rc = accounts_create(rpc_call_context(data), in->name, in->password, &reply.user_id,
                             rpc_call_detail(data), RPC_CALL_DETAIL, rpc_call_retry_after(data));

    reply.name = in->name;
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_login(Svc *svc, const Boxoffice__V1__LoginRequest *in,
                      Boxoffice__V1__LoginReply_Closure closure, void *data)
{
    Boxoffice__V1__LoginReply reply = BOXOFFICE__V1__LOGIN_REPLY__INIT;
    char session[IDENTITY_SESSION_MAX] = "";
    struct identity who = {0};
    int rc = accounts_login(rpc_call_context(data), in->user_id, in->password, session,
                            sizeof(session), &who, rpc_call_retry_after(data));

    if (rc == BO_E_INVALID_ARGUMENT) {
        snprintf(rpc_call_detail(data), RPC_CALL_DETAIL, "password must be at most %d bytes",
                 PASSWORD_MAX);
    }

    reply.session = session;
    reply.user_id = who.user_id;
    reply.expires_at_ms = who.expires_at_ms;
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_logout(Svc *svc, const Boxoffice__V1__LogoutRequest *in,
                       Boxoffice__V1__LogoutReply_Closure closure, void *data)
{
    Boxoffice__V1__LogoutReply reply = BOXOFFICE__V1__LOGOUT_REPLY__INIT;
    struct svc_context *ctx = rpc_call_context(data);
    int rc = accounts_logout(ctx);

    if (rc == BO_E_INVALID_ARGUMENT) {
        snprintf(rpc_call_detail(data), RPC_CALL_DETAIL, "%s",
                 "an operator identity token cannot be logged out: it ends at its exp");
    }
    reply.user_id = ctx->caller.who.user_id;
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* ---- catalog ------------------------------------------------------------------ */

static void rpc_list_concerts(Svc *svc, const Boxoffice__V1__ListConcertsRequest *in,
                              Boxoffice__V1__ListConcertsReply_Closure closure, void *data)
{
    Boxoffice__V1__ListConcertsReply reply = BOXOFFICE__V1__LIST_CONCERTS_REPLY__INIT;
    struct concert *concerts = NULL;
    int rc = catalog_concerts(rpc_call_context(data), &concerts, &reply.n_concerts);

    reply.concerts = rpc_messages(data, &boxoffice__v1__concert__descriptor, concerts,
                                  reply.n_concerts, rpc_concert_fill, concerts);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_list_schedules(Svc *svc, const Boxoffice__V1__ListSchedulesRequest *in,
                               Boxoffice__V1__ListSchedulesReply_Closure closure, void *data)
{
    Boxoffice__V1__ListSchedulesReply reply = BOXOFFICE__V1__LIST_SCHEDULES_REPLY__INIT;
    struct schedule *list = NULL;
    int rc = catalog_schedules(rpc_call_context(data), in->token, in->concert_id, &list,
                               &reply.n_schedules);

    reply.schedules = rpc_messages(data, &boxoffice__v1__schedule__descriptor, list,
                                   reply.n_schedules, rpc_schedule_fill, list);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_list_seats(Svc *svc, const Boxoffice__V1__ListSeatsRequest *in,
                           Boxoffice__V1__ListSeatsReply_Closure closure, void *data)
{
    Boxoffice__V1__ListSeatsReply reply = BOXOFFICE__V1__LIST_SEATS_REPLY__INIT;
    struct catalog_map *m = rpc_call_alloc(data, sizeof(*m), NULL);
    int rc = m != NULL
                 ? catalog_seats(rpc_call_context(data), in->token, in->schedule_id, in->section, m)
                 : BO_E_NOMEM;

    /* The seats are freed with the call's blocks, once the reply is packed. */
    if (rc == BO_OK && rpc_call_alloc(data, 1, m->seats) == NULL) {
        rc = BO_E_NOMEM;
    }
    if (rc == BO_OK && !in->compact && m->n > CATALOG_SEAT_LIST_MAX) {
        rc = BO_E_INVALID_ARGUMENT;
        snprintf(rpc_call_detail(data), RPC_CALL_DETAIL,
                 "section %s has %zu seats: ask for it with format=compact", in->section, m->n);
    }
    if (rc == BO_OK) {
        reply.schedule_id = in->schedule_id;
        reply.concert_id = m->concert_id;
        reply.token_active_until_ms = m->active_until_ms;
        reply.section = m->section != NULL ? (char *)m->section->name : "";
        reply.first_seat_no = m->first_seat_no;
        if (in->compact) {
            reply.statuses = rpc_statuses(data, m);
        } else {
            reply.n_seats = m->n;
            reply.seats = rpc_messages(data, &boxoffice__v1__seat__descriptor, m, m->n,
                                       rpc_map_seat_fill, NULL);
        }
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* ---- reservations --------------------------------------------------------------- */

/* rpc_hold_message is the Reservation of hold h with its seats (status for each seat), in
 * blocks of the call; NULL when out of memory. */
static Boxoffice__V1__Reservation *rpc_hold_message(void *data, const struct hold *h, int status)
{
    Boxoffice__V1__Reservation *r =
        rpc_message(data, &boxoffice__v1__reservation__descriptor, &h->r, rpc_reservation_fill);

    if (r != NULL && h->seats.n > 0) {
        r->seats = rpc_messages(data, &boxoffice__v1__seat__descriptor, &h->seats, h->seats.n,
                                rpc_seat_list_fill, NULL);
        r->n_seats = r->seats != NULL ? h->seats.n : 0;
        for (size_t i = 0; i < r->n_seats; i++) {
            r->seats[i]->status = (Boxoffice__V1__SeatStatus)status;
            r->seats[i]->reservation_id = h->r.id;
        }
    }
    return r;
}

/* rpc_seats_detail names the seats of bad in the call's error: its message and its seats. */
static void rpc_seats_detail(void *data, int rc, const struct seat_list *bad)
{
    struct bo_envelope_failure *why = rpc_call_failure(data);
    char *d = rpc_call_detail(data);
    size_t len = 0;

    if (bad->n == 0 || (rc != BO_E_SEAT_TAKEN && rc != BO_E_SEAT_NOT_FOUND)) {
        return;
    }
    for (size_t i = 0; i < bad->n && i < BO_ENVELOPE_SEATS_MAX; i++) {
        why->seat_nos[why->n_seat_nos++] = bad->seat_nos[i];
    }
    len = (size_t)snprintf(d, RPC_CALL_DETAIL, "%s", bad->n == 1 ? "seat" : "seats");
    for (size_t i = 0; i < bad->n && len < RPC_CALL_DETAIL; i++) {
        len += (size_t)snprintf(d + len, RPC_CALL_DETAIL - len, "%s %u", i ? "," : "",
                                bad->seat_nos[i]);
    }
    if (len < RPC_CALL_DETAIL) {
        snprintf(d + len, RPC_CALL_DETAIL - len, " %s",
                 rc == BO_E_SEAT_TAKEN
                     ? (bad->n == 1 ? "is already held or sold" : "are already held or sold")
                     : (bad->n == 1 ? "does not exist on this date" : "do not exist on this date"));
    }
}

static void rpc_hold_seat(Svc *svc, const Boxoffice__V1__HoldSeatRequest *in,
                          Boxoffice__V1__HoldSeatReply_Closure closure, void *data)
{
    Boxoffice__V1__HoldSeatReply reply = BOXOFFICE__V1__HOLD_SEAT_REPLY__INIT;
    struct hold_ask ask = {.schedule_id = in->schedule_id,
                           .seat_no = in->seat_no,
                           .seat_nos = in->seat_nos,
                           .n_seats = in->n_seat_nos,
                           .section = in->section,
                           .quantity = in->quantity,
                           .together = in->together};
    struct hold h = {0};
    struct seat_list bad;
    int rc = reservations_hold(rpc_call_context(data), in->token, &ask, &h, &bad,
                               rpc_call_detail(data), RPC_CALL_DETAIL);

    if (rc == BO_OK) {
        metrics_hold_made();
        reply.reservation = rpc_hold_message(data, &h, BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD);
    }
    rpc_seats_detail(data, rc, &bad);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_release_hold(Svc *svc, const Boxoffice__V1__ReleaseHoldRequest *in,
                             Boxoffice__V1__ReleaseHoldReply_Closure closure, void *data)
{
    Boxoffice__V1__ReleaseHoldReply reply = BOXOFFICE__V1__RELEASE_HOLD_REPLY__INIT;
    struct hold h = {0};
    int rc = reservations_release(rpc_call_context(data), in->token, in->reservation_id, &h);

    if (rc == BO_OK) {
        reply.reservation = rpc_hold_message(data, &h, BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE);
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* ---- points and payments ------------------------------------------------------------ */

static void rpc_get_balance(Svc *svc, const Boxoffice__V1__GetBalanceRequest *in,
                            Boxoffice__V1__GetBalanceReply_Closure closure, void *data)
{
    Boxoffice__V1__GetBalanceReply reply = BOXOFFICE__V1__GET_BALANCE_REPLY__INIT;
    uint64_t user_id = in->user_id;
    int rc = points_balance(rpc_call_context(data), &user_id, &reply.balance);

    reply.user_id = user_id;
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_charge_points(Svc *svc, const Boxoffice__V1__ChargePointsRequest *in,
                              Boxoffice__V1__ChargePointsReply_Closure closure, void *data)
{
    Boxoffice__V1__ChargePointsReply reply = BOXOFFICE__V1__CHARGE_POINTS_REPLY__INIT;
    struct charge c = {0};
    uint64_t user_id = in->user_id;
    int rc = points_charge(rpc_call_context(data), &user_id, in->amount, in->idempotency_key, &c,
                           &reply.replayed);

    reply.user_id = c.user_id;
    reply.balance = c.balance;
    reply.amount = c.amount;
    reply.ledger_id = c.ledger_id;
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* rpc_payment_seats lists seats (now in status) in payment out, with its first seat's number. */
static void rpc_payment_seats(void *data, Boxoffice__V1__Payment *out,
                              const struct seat_list *seats, Boxoffice__V1__SeatStatus status)
{
    if (seats->n == 0) {
        return;
    }
    out->seat_no = seats->seat_nos[0];
    out->seats = rpc_messages(data, &boxoffice__v1__seat__descriptor, seats, seats->n,
                              rpc_seat_list_fill, NULL);
    out->n_seats = out->seats != NULL ? seats->n : 0;
    for (size_t i = 0; i < out->n_seats; i++) {
        out->seats[i]->status = status;
        out->seats[i]->reservation_id = out->reservation_id;
    }
}

static void rpc_pay(Svc *svc, const Boxoffice__V1__PayRequest *in,
                    Boxoffice__V1__PayReply_Closure closure, void *data)
{
    Boxoffice__V1__PayReply reply = BOXOFFICE__V1__PAY_REPLY__INIT;
    struct payment p = {0};
    int rc = payments_pay(rpc_call_context(data), in->token, in->reservation_id,
                          in->idempotency_key, &p, &reply.replayed);

    if (rc == BO_OK && !reply.replayed) {
        metrics_payment_made();
    }
    reply.payment = rpc_message(data, &boxoffice__v1__payment__descriptor, &p, rpc_payment_fill);
    if (reply.payment != NULL && rc == BO_OK) {
        rpc_payment_seats(data, reply.payment, &p.seats, BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD);
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_refund(Svc *svc, const Boxoffice__V1__RefundRequest *in,
                       Boxoffice__V1__RefundReply_Closure closure, void *data)
{
    Boxoffice__V1__RefundReply reply = BOXOFFICE__V1__REFUND_REPLY__INIT;
    struct refund r = {0};
    int replayed = 0;
    int rc =
        venues_refund(rpc_call_context(data), in->payment_id, in->idempotency_key, &r, &replayed);

    if (rc == BO_OK) {
        reply.replayed = replayed != 0;
    }
    reply.payment = rpc_message(data, &boxoffice__v1__payment__descriptor, &r, rpc_refund_fill);
    if (reply.payment != NULL && rc == BO_OK) {
        reply.payment->user_id = rpc_call_context(data)->caller.who.user_id;
        rpc_payment_seats(data, reply.payment, &r.seats,
                          BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE);
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* ---- venues --------------------------------------------------------------------------- */

/* rpc_venue_sections fills the repeated sections of a reply from v. */
static Boxoffice__V1__Section **rpc_venue_sections(void *data, const struct venue *v)
{
    return rpc_messages(data, &boxoffice__v1__section__descriptor, v->sections, v->n_sections,
                        rpc_section_fill, NULL);
}

static void rpc_create_venue(Svc *svc, const Boxoffice__V1__CreateVenueRequest *in,
                             Boxoffice__V1__CreateVenueReply_Closure closure, void *data)
{
    Boxoffice__V1__CreateVenueReply reply = BOXOFFICE__V1__CREATE_VENUE_REPLY__INIT;
    Boxoffice__V1__Venue venue = BOXOFFICE__V1__VENUE__INIT;
    struct venue *v = rpc_call_alloc(data, sizeof(*v), NULL);
    int rc = v != NULL ? BO_OK : BO_E_NOMEM;

    if (rc == BO_OK && (in->n_sections == 0 || in->n_sections > VENUE_SECTIONS_MAX)) {
        rc = BO_E_INVALID_ARGUMENT;
        snprintf(rpc_call_detail(data), RPC_CALL_DETAIL, "a venue has 1 to %d sections, not %zu",
                 VENUE_SECTIONS_MAX, in->n_sections);
    }
    for (size_t i = 0; rc == BO_OK && i < in->n_sections; i++) {
        const Boxoffice__V1__Section *sec = in->sections[i];
        if (strlen(sec->name) > VENUE_SECTION_NAME_MAX) {
            rc = BO_E_INVALID_ARGUMENT;
            break;
        }
        snprintf(v->sections[i].name, sizeof(v->sections[i].name), "%s", sec->name);
        v->sections[i].rows = sec->rows;
        v->sections[i].seats_per_row = sec->seats_per_row;
        v->sections[i].price = sec->price;
    }
    if (rc == BO_OK && strlen(in->name) >= sizeof(v->name)) {
        rc = BO_E_INVALID_ARGUMENT;
    }
    if (rc == BO_OK) {
        snprintf(v->name, sizeof(v->name), "%s", in->name);
        v->n_sections = in->n_sections;
        rc = venues_create(rpc_call_context(data), in->admin_key, v);
    }
    if (rc == BO_OK) {
        venue.id = v->id;
        venue.name = v->name;
        venue.capacity = v->capacity;
        venue.n_sections = v->n_sections;
        if ((venue.sections = rpc_venue_sections(data, v)) == NULL) {
            rc = BO_E_NOMEM;
        }
        reply.venue = &venue;
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_list_sections(Svc *svc, const Boxoffice__V1__ListSectionsRequest *in,
                              Boxoffice__V1__ListSectionsReply_Closure closure, void *data)
{
    Boxoffice__V1__ListSectionsReply reply = BOXOFFICE__V1__LIST_SECTIONS_REPLY__INIT;
    struct venue *v = rpc_call_alloc(data, sizeof(*v), NULL);
    int rc = v != NULL ? BO_OK : BO_E_NOMEM;

    if (rc == BO_OK) {
        rc = venues_sections(rpc_call_context(data), in->token, in->schedule_id, &reply.concert_id,
                             v, &reply.token_active_until_ms);
    }
    if (rc == BO_OK) {
        reply.schedule_id = in->schedule_id;
        reply.n_sections = v->n_sections;
        if ((reply.sections = rpc_venue_sections(data, v)) == NULL) {
            rc = BO_E_NOMEM;
        }
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* ---- admin ---------------------------------------------------------------------------- */

static void rpc_create_concert(Svc *svc, const Boxoffice__V1__CreateConcertRequest *in,
                               Boxoffice__V1__CreateConcertReply_Closure closure, void *data)
{
    Boxoffice__V1__CreateConcertReply reply = BOXOFFICE__V1__CREATE_CONCERT_REPLY__INIT;
    struct concert c = {0};
    int rc = admin_concert_create(rpc_call_context(data), in->admin_key, in->title, in->artist,
                                  in->venue, in->sale_opens_at_ms, &c);

    reply.concert = rpc_message(data, &boxoffice__v1__concert__descriptor, &c, rpc_concert_fill);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_update_concert(Svc *svc, const Boxoffice__V1__UpdateConcertRequest *in,
                               Boxoffice__V1__UpdateConcertReply_Closure closure, void *data)
{
    Boxoffice__V1__UpdateConcertReply reply = BOXOFFICE__V1__UPDATE_CONCERT_REPLY__INIT;
    struct concert c = {0};
    int rc = admin_concert_opens(rpc_call_context(data), in->admin_key, in->concert_id,
                                 in->sale_opens_at_ms, &c);

    reply.concert = rpc_message(data, &boxoffice__v1__concert__descriptor, &c, rpc_concert_fill);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

static void rpc_create_schedule(Svc *svc, const Boxoffice__V1__CreateScheduleRequest *in,
                                Boxoffice__V1__CreateScheduleReply_Closure closure, void *data)
{
    Boxoffice__V1__CreateScheduleReply reply = BOXOFFICE__V1__CREATE_SCHEDULE_REPLY__INIT;
    struct schedule s = {0};
    struct admin_schedule_ask ask = {.concert_id = in->concert_id,
                                     .starts_at_ms = in->starts_at_ms,
                                     .price = in->price,
                                     .prices = in->seat_prices,
                                     .nprices = in->n_seat_prices,
                                     .venue_id = in->venue_id};
    int rc = admin_schedule_create(rpc_call_context(data), in->admin_key, &ask, &s);

    reply.schedule = rpc_message(data, &boxoffice__v1__schedule__descriptor, &s, rpc_schedule_fill);
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* rpc_settings_end ends both settings rpcs: unless rc failed them already, applies changes
 * (NULL: none, only read) under the admin key and replies with the settings now in force. */
static void rpc_settings_end(void *data, ProtobufCClosure closure, const char *key,
                             const struct admission_settings *changes, int rc)
{
    Boxoffice__V1__AdmissionSettingsReply reply = BOXOFFICE__V1__ADMISSION_SETTINGS_REPLY__INIT;
    struct admission_settings now = {0};

    if (rc == BO_OK) {
        rc = admin_settings(rpc_call_context(data), key, changes, &now);
    }
    reply.settings =
        rpc_message(data, &boxoffice__v1__admission_settings__descriptor, &now, rpc_settings_fill);
    rpc_call_end(data, closure, &reply.base, rc);
}

static void rpc_get_admission_settings(Svc *svc,
                                       const Boxoffice__V1__GetAdmissionSettingsRequest *in,
                                       Boxoffice__V1__AdmissionSettingsReply_Closure closure,
                                       void *data)
{
    rpc_settings_end(data, (ProtobufCClosure)closure, in->admin_key, NULL, BO_OK);
}

static void rpc_set_admission_settings(Svc *svc,
                                       const Boxoffice__V1__SetAdmissionSettingsRequest *in,
                                       Boxoffice__V1__AdmissionSettingsReply_Closure closure,
                                       void *data)
{
    const Boxoffice__V1__AdmissionSettings *m = in->settings;
    struct admission_settings want = {0};

    if (m != NULL) {
        want.rate_per_second = m->rate_per_second;
        want.max_active = m->max_active;
        want.token_ttl_seconds = m->token_ttl_seconds;
        want.hold_ttl_seconds = m->hold_ttl_seconds;
        want.max_seats_per_hold = m->max_seats_per_hold;
    }
    rpc_settings_end(data, (ProtobufCClosure)closure, in->admin_key, &want,
                     m != NULL ? BO_OK : BO_E_INVALID_ARGUMENT);
}

/* The limits, in the order of struct limits and of message Limits: X(struct field, message
 * field). */
#define RPC_LIMIT_FIELDS(X)                                                                        \
    X(user_logins, user_logins_per_minute)                                                         \
    X(user_token_issues, user_token_issues_per_minute)                                             \
    X(user_holds, user_holds_per_minute)                                                           \
    X(user_charges, user_charges_per_minute)                                                       \
    X(address_signups, address_signups_per_minute)                                                 \
    X(address_logins, address_logins_per_minute)                                                   \
    X(address_token_issues, address_token_issues_per_minute)                                       \
    X(address_holds, address_holds_per_minute)                                                     \
    X(address_charges, address_charges_per_minute)                                                 \
    X(address_push_connections, address_push_connections)                                          \
    X(token_push_connections, token_push_connections)                                              \
    X(address_rest_connections, address_rest_connections)

static void rpc_limits_fill(const void *records, size_t i, void *msg)
{
    const struct limits *l = &((const struct limits *)records)[i];
    Boxoffice__V1__Limits *out = msg;

#define RPC_LIMIT_OUT(f, m) out->m = l->f;
    RPC_LIMIT_FIELDS(RPC_LIMIT_OUT)
#undef RPC_LIMIT_OUT
}

/* rpc_limits_end ends both limits rpcs: unless rc failed them already, applies changes (NULL:
 * none, only read) under the admin key and replies with the limits now in force. */
static void rpc_limits_end(void *data, ProtobufCClosure closure, const char *key,
                           const Boxoffice__V1__Limits *changes, uint32_t fields_set, int rc)
{
    Boxoffice__V1__LimitsReply reply = BOXOFFICE__V1__LIMITS_REPLY__INIT;
    struct limits want = {0}, now = {0};
    uint32_t mask = 0, bit = 1;

    if (changes != NULL) {
#define RPC_LIMIT_IN(f, m)                                                                         \
    if (fields_set & bit) {                                                                        \
        want.f = changes->m;                                                                       \
        mask |= bit;                                                                               \
    }                                                                                              \
    bit <<= 1;
        RPC_LIMIT_FIELDS(RPC_LIMIT_IN)
#undef RPC_LIMIT_IN
    }
    if (rc == BO_OK) {
        rc = admin_limits(rpc_call_context(data), key, changes != NULL ? &want : NULL, mask, &now);
    }
    reply.limits = rpc_message(data, &boxoffice__v1__limits__descriptor, &now, rpc_limits_fill);
    rpc_call_end(data, closure, &reply.base, rc);
}

static void rpc_get_limits(Svc *svc, const Boxoffice__V1__GetLimitsRequest *in,
                           Boxoffice__V1__LimitsReply_Closure closure, void *data)
{
    rpc_limits_end(data, (ProtobufCClosure)closure, in->admin_key, NULL, 0, BO_OK);
}

static void rpc_set_limits(Svc *svc, const Boxoffice__V1__SetLimitsRequest *in,
                           Boxoffice__V1__LimitsReply_Closure closure, void *data)
{
    rpc_limits_end(data, (ProtobufCClosure)closure, in->admin_key, in->limits, in->fields_set,
                   in->limits != NULL || in->fields_set == 0 ? BO_OK : BO_E_INVALID_ARGUMENT);
}

/* ---- presence of push listeners ------------------------------------------------------- */

static void rpc_touch_tokens(Svc *svc, const Boxoffice__V1__TouchTokensRequest *in,
                             Boxoffice__V1__TouchTokensReply_Closure closure, void *data)
{
    Boxoffice__V1__TouchTokensReply reply = BOXOFFICE__V1__TOUCH_TOKENS_REPLY__INIT;
    size_t *expired = rpc_call_alloc(data, in->n_tokens * sizeof(*expired), NULL);
    int rc = BO_E_NOMEM;

    if (expired != NULL) {
        rc = queue_touch(rpc_call_context(data), in->tokens, in->n_tokens, &reply.touched, expired,
                         &reply.n_expired_token_ids);
    }
    if (rc == BO_OK) {
        reply.expired_token_ids =
            rpc_token_ids(data, in->tokens, expired, reply.n_expired_token_ids);
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* ---- several calls in one message ------------------------------------------------------ */

/* The most calls one Batch carries (boxoffice.proto). */
#define RPC_BATCH_MAX 256

/* rpc_batch_serve serves the calls of in into replies[] (one nng message each, NULL where none
 * was made yet): in passes, when its cache can keep their outcomes, so the token calls of all
 * go to Redis in one pipeline a pass; else each in turn. Stops at a call that has no reply
 * (out of memory) and returns that failure. */
static int rpc_batch_serve(struct svc_context *ctx, const Boxoffice__V1__BatchRequest *in,
                           nng_msg **replies)
{
    int passes = in->n_requests > 1 && cache_defer_begin(ctx->cache, in->n_requests) == BO_OK;
    size_t left = in->n_requests;
    int rc = BO_OK;

    /* Each pass answers a call or adds one outcome to what it keeps (at most
     * CACHE_DEFER_DEPTH): the passes end. */
    while (rc == BO_OK && left > 0) {
        size_t was_left = left;
        ctx->batch_waits = 0;
        for (size_t i = 0; rc == BO_OK && i < in->n_requests; i++) {
            const ProtobufCBinaryData *r = &in->requests[i];
            int served = 1;
            if (replies[i] != NULL) {
                continue;
            }
            rc = passes ? dispatch_batch_call(ctx, i, r->data, r->len, &replies[i], &served)
                        : dispatch_request(ctx, r->data, r->len, &replies[i]);
            left -= rc == BO_OK && served;
            if (!served && ctx->batch_waits == 0) {
                ctx->batch_waits = 1;
            }
        }
        if (rc == BO_OK && left > 0 && cache_defer_flush(ctx->cache) == 0 && left == was_left) {
            cache_defer_end(ctx->cache); /* never: a pass that stops a call collects its command */
            passes = 0;
        }
    }
    if (passes) {
        cache_defer_end(ctx->cache);
    }
    ctx->batch_waits = 0;
    return rc;
}

/* rpc_batch serves each call of in as dispatch serves a frame of its own and answers their
 * replies in the same order. */
static void rpc_batch(Svc *svc, const Boxoffice__V1__BatchRequest *in,
                      Boxoffice__V1__BatchReply_Closure closure, void *data)
{
    Boxoffice__V1__BatchReply reply = BOXOFFICE__V1__BATCH_REPLY__INIT;
    struct svc_context *ctx = rpc_call_context(data);
    nng_msg *ones[RPC_BATCH_MAX] = {0};
    int rc = BO_OK;

    if (ctx->in_batch) {
        rc = BO_E_INVALID_ARGUMENT;
        snprintf(rpc_call_detail(data), RPC_CALL_DETAIL, "a Batch cannot carry another Batch");
    } else if (in->n_requests > RPC_BATCH_MAX) {
        rc = BO_E_INVALID_ARGUMENT;
        snprintf(rpc_call_detail(data), RPC_CALL_DETAIL,
                 "a Batch carries at most %d calls, not %zu", RPC_BATCH_MAX, in->n_requests);
    } else if (in->n_requests > 0 &&
               (reply.replies =
                    rpc_call_alloc(data, in->n_requests * sizeof(*reply.replies), NULL)) == NULL) {
        rc = BO_E_NOMEM;
    }
    if (rc == BO_OK) {
        ctx->in_batch = 1;
        rc = rpc_batch_serve(ctx, in, ones);
        ctx->in_batch = 0;
    }
    for (size_t i = 0; rc == BO_OK && i < in->n_requests; i++) {
        ProtobufCBinaryData *r = &reply.replies[i];
        r->len = nng_msg_len(ones[i]);
        if ((r->data = rpc_call_alloc(data, r->len, NULL)) == NULL) {
            rc = BO_E_NOMEM;
        } else {
            memcpy(r->data, nng_msg_body(ones[i]), r->len);
            reply.n_replies = i + 1;
        }
    }
    for (size_t i = 0; i < RPC_BATCH_MAX && i < in->n_requests; i++) {
        if (ones[i] != NULL) {
            nng_msg_free(ones[i]);
        }
    }
    rpc_call_end(data, (ProtobufCClosure)closure, &reply.base, rc);
}

/* Never written: a table of function pointers the generated invoke reads. */
static Svc rpc_service = BOXOFFICE__V1__BOXOFFICE__INIT(rpc_);

ProtobufCService *handlers_service(void)
{
    return &rpc_service.base;
}
