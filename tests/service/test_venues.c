/*
 * test_venues: dates on venues through the service's rpc, two instances: a venue and a date on
 * it made by the admin, its sections counted, a section's seats with their places, the compact
 * map, holds of several seats and best available, all or nothing, and buyers racing for the best
 * seats of one section on both instances never sharing a seat.
 */
#include "bo_error.h"
#include "bo_time.h"
#include "boxoffice/client.h"
#include "support.h"
#include "testenv.h"

#include "boxoffice/v1/boxoffice.pb-c.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define INSTANCES  2
#define CONCERT    1
#define FIRST_USER 95000

static struct testenv env;
static struct bo_client *client;

static void suite_setup(void)
{
    testenv_up(&env, TESTENV_SEED, INSTANCES, NULL);
    ck_assert_int_eq(bo_client_open(env.rpc_urls, 3000, &client), BO_OK);
}

static void suite_teardown(void)
{
    bo_client_close(client);
    testenv_stop(&env);
}

/* call makes one call; the reply (NULL on failure) goes to *out, the code comes back. */
static int call(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                ProtobufCMessage **out)
{
    *out = NULL;
    return bo_call(s, method, in, out, NULL);
}

/* venue_date makes venue "A" 10 rows x 20 at 1,000, "B" 5 x 10 at 2,000 and a date of CONCERT
 * on it; returns the date's id. */
static uint64_t venue_date(struct bo_session *s)
{
    Boxoffice__V1__CreateVenueRequest cv = BOXOFFICE__V1__CREATE_VENUE_REQUEST__INIT;
    Boxoffice__V1__Section a = BOXOFFICE__V1__SECTION__INIT, b = BOXOFFICE__V1__SECTION__INIT;
    Boxoffice__V1__Section *secs[] = {&a, &b};
    ProtobufCMessage *out = NULL;

    a.name = "A", a.rows = 10, a.seats_per_row = 20, a.price = 1000;
    b.name = "B", b.rows = 5, b.seats_per_row = 10, b.price = 2000;
    cv.admin_key = env.admin_key;
    cv.name = "test arena";
    cv.sections = secs;
    cv.n_sections = 2;
    ck_assert_int_eq(call(s, "CreateVenue", &cv.base, &out), BO_OK);
    const Boxoffice__V1__Venue *v = ((Boxoffice__V1__CreateVenueReply *)out)->venue;
    ck_assert_uint_eq(v->capacity, 250);
    ck_assert_uint_eq(v->n_sections, 2);
    ck_assert_uint_eq(v->sections[1]->first_seat_no, 201);
    uint64_t venue = v->id;
    protobuf_c_message_free_unpacked(out, NULL);

    Boxoffice__V1__CreateScheduleRequest cs = BOXOFFICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    cs.admin_key = env.admin_key;
    cs.concert_id = CONCERT;
    cs.starts_at_ms = bo_time_now_ms() + 30LL * 24 * 3600 * 1000;
    cs.venue_id = venue;
    ck_assert_int_eq(call(s, "CreateSchedule", &cs.base, &out), BO_OK);
    const Boxoffice__V1__Schedule *d = ((Boxoffice__V1__CreateScheduleReply *)out)->schedule;
    ck_assert_uint_eq(d->total_seats, 250);
    ck_assert_uint_eq(d->venue_id, venue);
    uint64_t id = d->id;
    protobuf_c_message_free_unpacked(out, NULL);
    return id;
}

/* admitted holds once the token *(arg) is ACTIVE. */
struct token_wait {
    struct bo_session *s;
    char text[512];
};

static int admitted(void *arg)
{
    struct token_wait *w = arg;
    Boxoffice__V1__GetTokenRequest get = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int active = 0;

    get.token = w->text;
    if (call(w->s, "GetToken", &get.base, &out) == BO_OK) {
        active = ((Boxoffice__V1__GetTokenReply *)out)->token->status ==
                 BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE;
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return active;
}

/* active_token makes s call as user and gets user's ACTIVE token of CONCERT into text. */
static void active_token(struct bo_session *s, uint64_t user, char *text, size_t len)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    char jwt[512];
    struct token_wait w = {.s = s};

    ck_assert_int_eq(testenv_jwt(&env, user, 0, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(bo_session_set_caller(s, jwt, NULL), BO_OK);
    req.concert_id = CONCERT;
    ck_assert_int_eq(call(s, "IssueToken", &req.base, &out), BO_OK);
    snprintf(w.text, sizeof(w.text), "%s", ((Boxoffice__V1__IssueTokenReply *)out)->token->token);
    protobuf_c_message_free_unpacked(out, NULL);
    SUPPORT_WAIT(admitted, &w, 15000, "user %" PRIu64 "'s token not admitted in 15 s", user);
    snprintf(text, len, "%s", w.text);
}

/* open_line lets every token in at once. */
static void open_line(struct bo_session *s)
{
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings set = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    ProtobufCMessage *out = NULL;

    set.rate_per_second = 100000;
    set.max_active = 100000;
    req.admin_key = env.admin_key;
    req.settings = &set;
    ck_assert_int_eq(call(s, "SetAdmissionSettings", &req.base, &out), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* fresh_date lets every token in and makes a new venue date (see venue_date). */
static uint64_t fresh_date(void)
{
    struct bo_session *s = NULL;

    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    open_line(s);
    uint64_t date = venue_date(s);
    bo_session_close(s);
    return date;
}

/* race runs fn on each of the n items (size bytes each) in threads started together. */
static void race(void *(*fn)(void *), void *items, size_t size, int n)
{
    pthread_t th[32];

    ck_assert_int_le(n, 32);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, fn, (char *)items + (size_t)i * size), 0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
    }
}

/* seats_live_twice counts the seats of date in more than one live reservation (invariant 1). */
static int64_t seats_live_twice(uint64_t date)
{
    return testenv_sql_i64(&env,
                           "SELECT count(*) FROM (SELECT seat_no FROM reservations"
                           " WHERE schedule_id = %" PRIu64 " AND status IN ('HELD', 'CONFIRMED')"
                           " GROUP BY seat_no HAVING count(*) > 1) x",
                           date);
}

START_TEST(sections_seats_and_holds)
{
    struct bo_session *s = NULL;
    ProtobufCMessage *out = NULL;
    char token[512];

    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    open_line(s);
    uint64_t date = venue_date(s);
    active_token(s, FIRST_USER, token, sizeof(token));

    /* Three seats of B in one hold: B-1-1..B-1-3, priced together. */
    Boxoffice__V1__HoldSeatRequest hold = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    uint32_t three[] = {203, 201, 202};
    hold.token = token;
    hold.schedule_id = date;
    hold.seat_nos = three;
    hold.n_seat_nos = 3;
    ck_assert_int_eq(call(s, "HoldSeat", &hold.base, &out), BO_OK);
    const Boxoffice__V1__Reservation *r = ((Boxoffice__V1__HoldSeatReply *)out)->reservation;
    ck_assert_int_eq(r->price, 6000);
    ck_assert_uint_eq(r->n_seats, 3);
    ck_assert_uint_eq(r->seats[0]->seat_no, 201);
    ck_assert_str_eq(r->seats[0]->section, "B");
    ck_assert_uint_eq(r->seats[2]->row, 1);
    ck_assert_uint_eq(r->seats[2]->number, 3);
    protobuf_c_message_free_unpacked(out, NULL);

    /* Another user: one of those seats among hers, nothing held, the taken seat named. */
    char other[512];
    struct bo_session *s2 = NULL;
    ck_assert_int_eq(bo_session_open(client, &s2), BO_OK);
    active_token(s2, FIRST_USER + 1, other, sizeof(other));
    uint32_t overlap[] = {203, 204};
    hold.token = other;
    hold.seat_nos = overlap;
    hold.n_seat_nos = 2;
    ck_assert_int_eq(call(s2, "HoldSeat", &hold.base, &out), BO_E_SEAT_TAKEN);
    ck_assert_ptr_nonnull(strstr(bo_session_last_status(s2)->message, "203"));
    ck_assert_uint_eq(bo_session_last_status(s2)->n_seat_nos, 1);
    ck_assert_uint_eq(bo_session_last_status(s2)->seat_nos[0], 203);

    /* More seats than a hold takes (4 by default), for given seats or best available. */
    uint32_t five[] = {1, 2, 3, 4, 5};
    hold.seat_nos = five;
    hold.n_seat_nos = 5;
    ck_assert_int_eq(call(s2, "HoldSeat", &hold.base, &out), BO_E_INVALID_ARGUMENT);
    ck_assert_str_eq(bo_session_last_status(s2)->message, "a hold takes at most 4 seats, not 5");
    Boxoffice__V1__HoldSeatRequest many = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    many.token = other;
    many.schedule_id = date;
    many.section = "A";
    many.quantity = 5;
    ck_assert_int_eq(call(s2, "HoldSeat", &many.base, &out), BO_E_INVALID_ARGUMENT);
    ck_assert_str_eq(bo_session_last_status(s2)->message,
                     "quantity must be 1 to 4: a hold takes at most 4 seats");

    /* Best available of A, 2 together: the middle of row 1. */
    Boxoffice__V1__HoldSeatRequest best = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    best.token = other;
    best.schedule_id = date;
    best.section = "A";
    best.quantity = 2;
    best.together = 1;
    ck_assert_int_eq(call(s2, "HoldSeat", &best.base, &out), BO_OK);
    r = ((Boxoffice__V1__HoldSeatReply *)out)->reservation;
    ck_assert_uint_eq(r->n_seats, 2);
    ck_assert_uint_eq(r->seats[0]->row, 1);
    ck_assert_uint_eq(r->seats[1]->seat_no, r->seats[0]->seat_no + 1);
    protobuf_c_message_free_unpacked(out, NULL);

    /* The sections, counted now; the compact map of B. */
    Boxoffice__V1__ListSectionsRequest ls = BOXOFFICE__V1__LIST_SECTIONS_REQUEST__INIT;
    ls.token = token;
    ls.schedule_id = date;
    ck_assert_int_eq(call(s, "ListSections", &ls.base, &out), BO_OK);
    const Boxoffice__V1__ListSectionsReply *sr = (Boxoffice__V1__ListSectionsReply *)out;
    ck_assert_uint_eq(sr->n_sections, 2);
    ck_assert_uint_eq(sr->sections[0]->available_seats, 198);
    ck_assert_uint_eq(sr->sections[1]->available_seats, 47);
    protobuf_c_message_free_unpacked(out, NULL);

    Boxoffice__V1__ListSeatsRequest seats = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    seats.token = token;
    seats.schedule_id = date;
    seats.section = "B";
    seats.compact = 1;
    ck_assert_int_eq(call(s, "ListSeats", &seats.base, &out), BO_OK);
    const Boxoffice__V1__ListSeatsReply *m = (Boxoffice__V1__ListSeatsReply *)out;
    ck_assert_uint_eq(m->first_seat_no, 201);
    ck_assert_uint_eq(strlen(m->statuses), 50);
    ck_assert(strncmp(m->statuses, "HHHA", 4) == 0);
    protobuf_c_message_free_unpacked(out, NULL);

    /* The whole map answers up to 2,000 seats: this one (250) with places. */
    seats.section = "";
    seats.compact = 0;
    ck_assert_int_eq(call(s, "ListSeats", &seats.base, &out), BO_OK);
    m = (Boxoffice__V1__ListSeatsReply *)out;
    ck_assert_uint_eq(m->n_seats, 250);
    ck_assert_str_eq(m->seats[249]->section, "B");
    ck_assert_uint_eq(m->seats[249]->row, 5);
    ck_assert_uint_eq(m->seats[249]->number, 10);
    protobuf_c_message_free_unpacked(out, NULL);
    seats.section = "Z";
    ck_assert_int_eq(call(s, "ListSeats", &seats.base, &out), BO_E_SECTION_NOT_FOUND);

    bo_session_close(s2);
    bo_session_close(s);
}
END_TEST

/* A buyer of the race: best available of 2 together in A with its own session and ACTIVE
 * token, both made by the test's thread (no check runs in a buyer's thread). */
struct buyer {
    struct bo_session *s;
    char token[512];
    uint64_t date;
    int rc;
    uint32_t seats[2];
};

static void *buyer_run(void *arg)
{
    struct buyer *b = arg;
    ProtobufCMessage *out = NULL;
    Boxoffice__V1__HoldSeatRequest best = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;

    best.token = b->token;
    best.schedule_id = b->date;
    best.section = "A";
    best.quantity = 2;
    best.together = 1;
    if ((b->rc = call(b->s, "HoldSeat", &best.base, &out)) == BO_OK) {
        const Boxoffice__V1__Reservation *r = ((Boxoffice__V1__HoldSeatReply *)out)->reservation;
        if (r->n_seats == 2) {
            b->seats[0] = r->seats[0]->seat_no;
            b->seats[1] = r->seats[1]->seat_no;
        } else {
            b->rc = BO_E_INTERNAL;
        }
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return NULL;
}

START_TEST(best_available_race)
{
    /* 24 buyers at once on two instances, best 2 together of A's 200 seats: every one gets a
     * pair, no seat twice. */
    enum { BUYERS = 24 };
    static struct buyer b[BUYERS];
    int held = 0;
    uint64_t date = fresh_date();

    for (int i = 0; i < BUYERS; i++) {
        b[i] = (struct buyer){.date = date};
        ck_assert_int_eq(bo_session_open(client, &b[i].s), BO_OK);
        active_token(b[i].s, FIRST_USER + 100 + (uint64_t)i, b[i].token, sizeof(b[i].token));
    }
    race(buyer_run, b, sizeof(*b), BUYERS);
    for (int i = 0; i < BUYERS; i++) {
        bo_session_close(b[i].s);
        ck_assert_msg(b[i].rc == BO_OK || b[i].rc == BO_E_SEAT_TAKEN, "buyer %d: %s", i,
                      bo_error_name(b[i].rc));
        held += b[i].rc == BO_OK;
        for (int j = 0; j < i && b[i].rc == BO_OK; j++) {
            ck_assert_msg(b[j].rc != BO_OK ||
                              (b[j].seats[0] != b[i].seats[0] && b[j].seats[0] != b[i].seats[1] &&
                               b[j].seats[1] != b[i].seats[0]),
                          "buyers %d and %d share a seat", i, j);
        }
    }
    ck_assert_int_eq(seats_live_twice(date), 0);
    printf("venues: %d of %d racing buyers got 2 seats together\n", held, BUYERS);
    /* 200 seats for 24 pairs: a buyer who loses a block to another tries the next (and
     * remembers the seats found taken), so every one gets a pair. */
    ck_assert_int_eq(held, BUYERS);
}
END_TEST

/* A buyer of the mixed race: three given seats of B (kind 0) or the best 2 together (kind 1). */
struct mixed_buyer {
    struct bo_session *s;
    char token[512];
    uint64_t date;
    int kind;
    uint32_t asked[3];
    int rc;
    uint64_t reservation;
    size_t n;
    uint32_t seats[3];
    size_t n_named;
    uint32_t named[16];
};

static void *mixed_buyer_run(void *arg)
{
    struct mixed_buyer *b = arg;
    ProtobufCMessage *out = NULL;
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;

    req.token = b->token;
    req.schedule_id = b->date;
    if (b->kind == 0) {
        req.seat_nos = b->asked;
        req.n_seat_nos = 3;
    } else {
        req.section = "B";
        req.quantity = 2;
        req.together = 1;
    }
    if ((b->rc = call(b->s, "HoldSeat", &req.base, &out)) == BO_OK) {
        const Boxoffice__V1__Reservation *r = ((Boxoffice__V1__HoldSeatReply *)out)->reservation;
        b->reservation = r->id;
        for (size_t i = 0; i < r->n_seats && i < 3; i++) {
            b->seats[b->n++] = r->seats[i]->seat_no;
        }
        protobuf_c_message_free_unpacked(out, NULL);
    } else {
        const struct bo_status *st = bo_session_last_status(b->s);
        b->n_named = st->n_seat_nos;
        memcpy(b->named, st->seat_nos, sizeof(b->named));
    }
    return NULL;
}

START_TEST(overlapping_and_best_holds_race)
{
    /* 20 buyers at once on two instances in B's 50 seats: even ones ask three given seats that
     * overlap their neighbours', odd ones the best 2 together. Every hold is all or nothing,
     * no seat is held twice, a refused buyer holds nothing and is told which seats were taken. */
    enum { BUYERS = 20 };
    static struct mixed_buyer b[BUYERS];
    int held = 0;
    uint64_t date = fresh_date();

    for (int i = 0; i < BUYERS; i++) {
        uint32_t first = 201 + (uint32_t)(i / 2) * 2; /* 201-203, 203-205, ... */
        b[i] = (struct mixed_buyer){
            .date = date, .kind = i % 2, .asked = {first, first + 1, first + 2}};
        ck_assert_int_eq(bo_session_open(client, &b[i].s), BO_OK);
        active_token(b[i].s, FIRST_USER + 200 + (uint64_t)i, b[i].token, sizeof(b[i].token));
    }
    race(mixed_buyer_run, b, sizeof(*b), BUYERS);
    for (int i = 0; i < BUYERS; i++) {
        uint64_t user = FIRST_USER + 200 + (uint64_t)i;
        bo_session_close(b[i].s);
        if (b[i].rc == BO_OK) {
            held++;
            ck_assert_uint_eq(b[i].n, b[i].kind == 0 ? 3 : 2);
            /* The rows of the hold are exactly the seats answered, all HELD, all hers. */
            for (size_t k = 0; k < b[i].n; k++) {
                ck_assert_int_eq(testenv_sql_i64(&env,
                                                 "SELECT count(*) FROM reservations WHERE"
                                                 " coalesce(hold_id, id) = %" PRIu64
                                                 " AND seat_no = %u AND status = 'HELD'"
                                                 " AND user_id = %" PRIu64,
                                                 b[i].reservation, b[i].seats[k], user),
                                 1);
            }
            ck_assert_int_eq(testenv_sql_i64(&env,
                                             "SELECT count(*) FROM reservations WHERE"
                                             " coalesce(hold_id, id) = %" PRIu64,
                                             b[i].reservation),
                             (int64_t)b[i].n);
            continue;
        }
        ck_assert_msg(b[i].rc == BO_E_SEAT_TAKEN || b[i].rc == BO_E_NOT_ENOUGH_SEATS,
                      "buyer %d: %s", i, bo_error_name(b[i].rc));
        ck_assert_int_eq(
            testenv_sql_i64(&env,
                            "SELECT count(*) FROM reservations WHERE user_id = %" PRIu64
                            " AND schedule_id = %" PRIu64 " AND status IN ('HELD', 'CONFIRMED')",
                            user, date),
            0);
        if (b[i].kind == 0) {
            /* Refused given seats: the taken ones are named, and they are among those asked. */
            ck_assert_uint_ge(b[i].n_named, 1);
            for (size_t k = 0; k < b[i].n_named; k++) {
                ck_assert_msg(b[i].named[k] >= b[i].asked[0] && b[i].named[k] <= b[i].asked[2],
                              "buyer %d told seat %u was taken, asked %u-%u", i, b[i].named[k],
                              b[i].asked[0], b[i].asked[2]);
            }
        }
    }
    ck_assert_int_eq(seats_live_twice(date), 0);
    printf("venues: %d of %d overlapping and best-available holds won\n", held, BUYERS);
    ck_assert_int_ge(held, 1);
}
END_TEST

/* A refunder: one Refund call of a payment with its own session (and key when given). */
struct refunder {
    struct bo_session *s;
    uint64_t payment;
    char key[40];
    int rc;
    int replayed;
    int64_t balance_after;
};

static void *refunder_run(void *arg)
{
    struct refunder *f = arg;
    Boxoffice__V1__RefundRequest req = BOXOFFICE__V1__REFUND_REQUEST__INIT;
    ProtobufCMessage *out = NULL;

    req.payment_id = f->payment;
    req.idempotency_key = f->key;
    if ((f->rc = call(f->s, "Refund", &req.base, &out)) == BO_OK) {
        const Boxoffice__V1__RefundReply *r = (Boxoffice__V1__RefundReply *)out;
        f->replayed = r->replayed;
        f->balance_after = r->payment->balance_after;
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return NULL;
}

/* compact_of answers the compact statuses of section B of date into text. */
static void compact_of(struct bo_session *s, const char *token, uint64_t date, char *text,
                       size_t len)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;

    req.token = (char *)token;
    req.schedule_id = date;
    req.section = "B";
    req.compact = 1;
    ck_assert_int_eq(call(s, "ListSeats", &req.base, &out), BO_OK);
    snprintf(text, len, "%s", ((Boxoffice__V1__ListSeatsReply *)out)->statuses);
    protobuf_c_message_free_unpacked(out, NULL);
}

START_TEST(refund_is_made_once)
{
    /* A 3-seat purchase refunded by 8 calls at once on two instances (some with keys, some
     * without): one refund, one REFUND ledger row, the balance equal to the ledger, the seats
     * on sale again in the refunder's next read and in the other instance's. */
    enum { CALLS = 8 };
    const uint64_t user = FIRST_USER + 300;
    struct bo_session *s = NULL, *other = NULL;
    ProtobufCMessage *out = NULL;
    char token[512], reader[512], map[64];
    char jwt[512];

    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    ck_assert_int_eq(bo_session_open(client, &other), BO_OK);
    open_line(s);
    uint64_t date = venue_date(s);
    active_token(other, FIRST_USER + 301, reader, sizeof(reader));
    active_token(s, user, token, sizeof(token));

    Boxoffice__V1__ChargePointsRequest charge = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    charge.amount = 10000;
    ck_assert_int_eq(call(s, "ChargePoints", &charge.base, &out), BO_OK);
    int64_t before = ((Boxoffice__V1__ChargePointsReply *)out)->balance;
    protobuf_c_message_free_unpacked(out, NULL);

    Boxoffice__V1__HoldSeatRequest hold = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    uint32_t three[] = {241, 242, 243};
    hold.token = token;
    hold.schedule_id = date;
    hold.seat_nos = three;
    hold.n_seat_nos = 3;
    ck_assert_int_eq(call(s, "HoldSeat", &hold.base, &out), BO_OK);
    uint64_t reservation = ((Boxoffice__V1__HoldSeatReply *)out)->reservation->id;
    protobuf_c_message_free_unpacked(out, NULL);

    Boxoffice__V1__PayRequest pay = BOXOFFICE__V1__PAY_REQUEST__INIT;
    pay.token = token;
    pay.reservation_id = reservation;
    ck_assert_int_eq(call(s, "Pay", &pay.base, &out), BO_OK);
    const Boxoffice__V1__Payment *p = ((Boxoffice__V1__PayReply *)out)->payment;
    ck_assert_int_eq(p->amount, 6000);
    ck_assert_uint_eq(p->n_seats, 3);
    uint64_t payment = p->id;
    protobuf_c_message_free_unpacked(out, NULL);
    compact_of(other, reader, date, map, sizeof(map));
    ck_assert_str_eq(map + 40, "SSSAAAAAAA");

    static struct refunder f[CALLS];
    ck_assert_int_eq(testenv_jwt(&env, user, 0, jwt, sizeof(jwt)), 0);
    for (int i = 0; i < CALLS; i++) {
        f[i] = (struct refunder){.payment = payment};
        if (i % 2 == 0) {
            snprintf(f[i].key, sizeof(f[i].key), "refund-%d", i);
        }
        ck_assert_int_eq(bo_session_open(client, &f[i].s), BO_OK);
        ck_assert_int_eq(bo_session_set_caller(f[i].s, jwt, NULL), BO_OK);
    }
    race(refunder_run, f, sizeof(*f), CALLS);
    int fresh = 0;
    for (int i = 0; i < CALLS; i++) {
        bo_session_close(f[i].s);
        ck_assert_msg(f[i].rc == BO_OK, "refund %d: %s", i, bo_error_name(f[i].rc));
        ck_assert_int_eq(f[i].balance_after, before);
        fresh += !f[i].replayed;
    }
    ck_assert_int_eq(fresh, 1);
    ck_assert_int_eq(testenv_sql_i64(&env,
                                     "SELECT count(*) FROM point_ledger WHERE payment_id = %" PRIu64
                                     " AND kind = 'REFUND'",
                                     payment),
                     1);
    ck_assert_int_eq(testenv_sql_i64(&env,
                                     "SELECT count(*) FROM wallets w WHERE w.user_id = %" PRIu64
                                     " AND w.balance = (SELECT sum(delta) FROM point_ledger l"
                                     " WHERE l.user_id = w.user_id)",
                                     user),
                     1);
    ck_assert_int_eq(testenv_sql_i64(&env,
                                     "SELECT count(*) FROM payments WHERE id = %" PRIu64
                                     " AND status = 'REFUNDED'",
                                     payment),
                     1);
    /* On sale again, on the instance of the next read and on the other one. */
    compact_of(other, reader, date, map, sizeof(map));
    ck_assert_str_eq(map + 40, "AAAAAAAAAA");
    compact_of(s, reader, date, map, sizeof(map));
    ck_assert_str_eq(map + 40, "AAAAAAAAAA");
    bo_session_close(other);
    bo_session_close(s);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {sections_seats_and_holds, best_available_race,
                            overlapping_and_best_holds_race, refund_is_made_once, NULL};
    const struct support_case cases[] = {
        {"venues", tests, suite_setup, suite_teardown, NULL, NULL, 300}};

    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("venues", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
