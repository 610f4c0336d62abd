/*
 * test_store_venues: venues, their dates, holds of several seats and refunds in a real
 * PostgreSQL (started by testenv), asserting what users rely on: places and prices of seats,
 * all-or-nothing holds that name the taken seats, one live hold per user and date, no seat in
 * two live holds when holds of several seats race, a payment of the whole hold, and a refund
 * made once with the ledger still equal to the balance.
 */
#include "bo_error.h"
#include "bo_time.h"
#include "seat_maps.h"
#include "store.h"
#include "support.h"
#include "store_fixture.h"
#include "testenv.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Demo concert 1 of the seed; users from 90000 up are left alone by the other suites. */
#define CONCERT   1
#define HOLD_MS   60000
#define DAY_MS    (24LL * 3600 * 1000)
#define FAR_AHEAD (30 * DAY_MS)

/* arena makes a venue of sections A (10 rows of 20 at 1,000), B (5 x 10 at 2,000) and
 * C (2 x 5 at 3,000): 260 seats. */
static void arena(struct venue *v)
{
    memset(v, 0, sizeof(*v));
    snprintf(v->name, sizeof(v->name), "test arena");
    const struct section s[] = {
        {"A", 10, 20, 1000, 0, 0}, {"B", 5, 10, 2000, 0, 0}, {"C", 2, 5, 3000, 0, 0}};
    v->n_sections = 3;
    memcpy(v->sections, s, sizeof(s));
    ASSERT_RC(store_venue_create(db, v), BO_OK);
}

/* arena_date makes a date of CONCERT on a new arena, 30 days ahead. */
static uint64_t arena_date(struct venue *v)
{
    struct schedule sc;
    arena(v);
    ASSERT_RC(store_schedule_create_venue(db, CONCERT, bo_time_now_ms() + FAR_AHEAD, v->id, &sc),
              BO_OK);
    ck_assert_uint_eq(sc.total_seats, 260);
    ck_assert_uint_eq(sc.venue_id, v->id);
    return sc.id;
}

/* hold asks for seats[0..n) of date for user. */
static int hold(uint64_t user, uint64_t date, const uint32_t *seats, size_t n, struct hold *out,
                uint32_t bad[HOLD_SEATS_MAX], size_t *n_bad)
{
    struct store_hold_ask ask = {.user_id = user,
                                 .concert_id = CONCERT,
                                 .schedule_id = date,
                                 .seat_nos = seats,
                                 .n = n,
                                 .hold_ms = HOLD_MS};
    return store_hold_seats(db, &ask, out, bad, n_bad);
}

START_TEST(test_venue_sections_and_places)
{
    struct venue v, got;
    struct seat_place p;

    arena(&v);
    ck_assert_uint_eq(v.capacity, 260);
    ck_assert_uint_eq(v.sections[0].first_seat_no, 1);
    ck_assert_uint_eq(v.sections[1].first_seat_no, 201);
    ck_assert_uint_eq(v.sections[2].first_seat_no, 251);
    ASSERT_RC(store_venue_get(db, v.id, &got), BO_OK);
    ck_assert_str_eq(got.name, "test arena");
    ck_assert_uint_eq(got.n_sections, 3);
    ck_assert_str_eq(got.sections[1].name, "B");
    ck_assert_uint_eq(got.sections[1].first_seat_no, 201);
    ck_assert_int_eq(got.sections[2].price, 3000);

    /* Seat 47 is A, row 3 (from the stage), number 7; the last seat is C-2-5. */
    ASSERT_RC(store_venue_place(&got, 47, &p), BO_OK);
    ck_assert_str_eq(p.section->name, "A");
    ck_assert_uint_eq(p.row, 3);
    ck_assert_uint_eq(p.number, 7);
    ASSERT_RC(store_venue_place(&got, 260, &p), BO_OK);
    ck_assert_str_eq(p.section->name, "C");
    ck_assert_uint_eq(p.row, 2);
    ck_assert_uint_eq(p.number, 5);
    ASSERT_RC(store_venue_place(&got, 261, &p), BO_E_SEAT_NOT_FOUND);
    ASSERT_RC(store_venue_place(&got, 0, &p), BO_E_SEAT_NOT_FOUND);
    ASSERT_RC(store_venue_get(db, 999999999, &got), BO_E_VENUE_NOT_FOUND);
}
END_TEST

START_TEST(test_venue_refused)
{
    struct venue v;
    struct schedule sc;

    memset(&v, 0, sizeof(v));
    snprintf(v.name, sizeof(v.name), "bad");
    v.n_sections = 2;
    v.sections[0] = (struct section){"A", 10, 10, 100, 0, 0};
    v.sections[1] = (struct section){"A", 10, 10, 100, 0, 0}; /* the same name twice */
    ASSERT_RC(store_venue_create(db, &v), BO_E_INVALID_ARGUMENT);
    v.sections[1] = (struct section){"B-1", 10, 10, 100, 0, 0}; /* not letters and digits */
    ASSERT_RC(store_venue_create(db, &v), BO_E_INVALID_ARGUMENT);
    v.sections[1] = (struct section){"B", 0, 10, 100, 0, 0}; /* no rows */
    ASSERT_RC(store_venue_create(db, &v), BO_E_INVALID_ARGUMENT);
    v.sections[1] = (struct section){"B", 1000, 100, 100, 0, 0}; /* 100,100 seats in all */
    ASSERT_RC(store_venue_create(db, &v), BO_E_INVALID_ARGUMENT);
    v.sections[1] = (struct section){"B", 10, 10, -1, 0, 0}; /* a negative price */
    ASSERT_RC(store_venue_create(db, &v), BO_E_INVALID_ARGUMENT);
    v.n_sections = 0;
    ASSERT_RC(store_venue_create(db, &v), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM venues WHERE name = 'bad'"), 0);

    /* The largest venue takes one insert of its date, whatever its size. */
    v.n_sections = 1;
    v.sections[0] = (struct section){"Z", 100, 1000, 5, 0, 0};
    ASSERT_RC(store_venue_create(db, &v), BO_OK);
    ck_assert_uint_eq(v.capacity, 100000);
    ASSERT_RC(store_schedule_create_venue(db, CONCERT, bo_time_now_ms() + DAY_MS, v.id, &sc),
              BO_OK);
    ck_assert_uint_eq(sc.total_seats, 100000);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM seats WHERE schedule_id = %" PRIu64, sc.id), 0);
    ASSERT_RC(store_schedule_create_venue(db, CONCERT, bo_time_now_ms() + DAY_MS, 999999999, &sc),
              BO_E_VENUE_NOT_FOUND);
}
END_TEST

START_TEST(test_hold_several_all_or_nothing)
{
    struct venue v;
    struct hold h;
    uint32_t bad[HOLD_SEATS_MAX];
    size_t n_bad = 0;
    uint64_t date = arena_date(&v);
    const uint32_t three[] = {203, 201, 202}, overlap[] = {204, 203}, missing[] = {5, 261},
                   twice[] = {7, 7};

    ASSERT_RC(hold(90001, date, three, 3, &h, bad, &n_bad), BO_OK);
    ck_assert_uint_eq(h.seats.n, 3);
    ck_assert_uint_eq(h.r.seat_no, 201); /* the hold is its lowest seat */
    ck_assert_uint_eq(h.seats.seat_nos[0], 201);
    ck_assert_uint_eq(h.seats.seat_nos[2], 203);
    ck_assert_int_eq(h.r.price, 6000);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM reservations WHERE id = %" PRIu64
                             " OR hold_id = %" PRIu64,
                             h.r.id, h.r.id),
                     3);

    /* One taken seat of two: nothing held, the taken one named. */
    ASSERT_RC(hold(90002, date, overlap, 2, &h, bad, &n_bad), BO_E_SEAT_TAKEN);
    ck_assert_uint_eq(n_bad, 1);
    ck_assert_uint_eq(bad[0], 203);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM reservations WHERE user_id = 90002"), 0);

    ASSERT_RC(hold(90002, date, missing, 2, &h, bad, &n_bad), BO_E_SEAT_NOT_FOUND);
    ck_assert_uint_eq(n_bad, 1);
    ck_assert_uint_eq(bad[0], 261);
    ASSERT_RC(hold(90002, date, twice, 2, &h, bad, &n_bad), BO_E_INVALID_ARGUMENT);

    /* One live hold per user and date, of however many seats. */
    const uint32_t other[] = {10};
    ASSERT_RC(hold(90001, date, other, 1, &h, bad, &n_bad), BO_E_HOLD_LIMIT);

    /* A token of another concert holds nothing here. */
    struct store_hold_ask wrong = {.user_id = 90003,
                                   .concert_id = CONCERT + 1,
                                   .schedule_id = date,
                                   .seat_nos = other,
                                   .n = 1,
                                   .hold_ms = HOLD_MS};
    ASSERT_RC(store_hold_seats(db, &wrong, &h, bad, &n_bad), BO_E_WRONG_CONCERT);
}
END_TEST

START_TEST(test_hold_hall_date)
{
    /* A date of the 50-seat hall takes holds of several seats too, at its seats' prices. */
    struct hold h;
    uint32_t bad[HOLD_SEATS_MAX];
    size_t n_bad = 0;
    int64_t prices[SEATS_PER_SCHEDULE];
    struct schedule sc;
    for (int i = 0; i < SEATS_PER_SCHEDULE; i++) {
        prices[i] = 100 * (i + 1);
    }
    ASSERT_RC(store_schedule_create(db, CONCERT, bo_time_now_ms() + DAY_MS, prices, &sc), BO_OK);
    const uint32_t two[] = {49, 50}, out_of_hall[] = {51};
    ASSERT_RC(hold(90010, sc.id, two, 2, &h, bad, &n_bad), BO_OK);
    ck_assert_int_eq(h.r.price, 4900 + 5000);
    ASSERT_RC(hold(90011, sc.id, out_of_hall, 1, &h, bad, &n_bad), BO_E_SEAT_NOT_FOUND);
}
END_TEST

/* A racer holds random runs of 1-4 seats of a small section, over and over. */
struct racer {
    uint64_t date;
    uint64_t user;
    unsigned seed;
    int held;
};

static void *racer_run(void *arg)
{
    struct racer *r = arg;
    struct store *own = NULL;
    if (store_open(env.database_url, &own) != BO_OK) {
        return NULL;
    }
    for (int i = 0; i < 200; i++) {
        uint32_t seats[4], bad[HOLD_SEATS_MAX];
        size_t n = 1 + (size_t)(rand_r(&r->seed) % 4), n_bad;
        uint32_t first = 251 + (uint32_t)(rand_r(&r->seed) % 10);
        if (first + n > 261) {
            n = 261 - first; /* within section C, seats 251..260 */
        }
        for (size_t k = 0; k < n; k++) {
            seats[k] = first + (uint32_t)(n - 1 - k); /* descending: the store sorts them */
        }
        struct store_hold_ask ask = {.user_id = r->user + (uint64_t)i * 8,
                                     .concert_id = CONCERT,
                                     .schedule_id = r->date,
                                     .seat_nos = seats,
                                     .n = n,
                                     .hold_ms = 50};
        struct hold h;
        if (store_hold_seats(own, &ask, &h, bad, &n_bad) == BO_OK) {
            r->held++;
        }
    }
    store_close(own);
    return NULL;
}

START_TEST(test_holds_race)
{
    /* Eight threads race for section C's 10 seats with holds of several seats that lapse
     * within 50 ms: never two live holds on a seat, never a hold left in part, no deadlock. */
    struct venue v;
    uint64_t date = arena_date(&v);
    struct racer r[8];
    pthread_t th[8];
    int held = 0;

    for (int i = 0; i < 8; i++) {
        r[i] = (struct racer){.date = date, .user = 91000 + (uint64_t)i, .seed = (unsigned)i + 1};
        ck_assert_int_eq(pthread_create(&th[i], NULL, racer_run, &r[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        held += r[i].held;
    }
    ck_assert_msg(held > 8, "only %d holds were made in the race", held);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM (SELECT seat_no FROM reservations"
                             " WHERE schedule_id = %" PRIu64 " AND status IN ('HELD', 'CONFIRMED')"
                             " GROUP BY seat_no HAVING count(*) > 1) x",
                             date),
                     0);
    /* Every row of a hold shares its hold's fate and expiry. */
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM reservations r JOIN reservations h"
                             " ON h.id = r.hold_id WHERE r.schedule_id = %" PRIu64
                             " AND (r.expires_at <> h.expires_at OR r.user_id <> h.user_id)",
                             date),
                     0);
    printf("store_venues: %d holds of 1-4 seats made by 8 racing threads on 10 seats\n", held);
}
END_TEST

START_TEST(test_pay_and_refund)
{
    struct venue v;
    struct hold h;
    struct payment p;
    struct refund rf, again;
    struct charge c;
    uint32_t bad[HOLD_SEATS_MAX];
    size_t n_bad = 0;
    int replayed = 0;
    uint64_t date = arena_date(&v), user = 90020;
    const uint32_t seats[] = {1, 2, 201};

    ASSERT_RC(store_points_charge(db, user, 10000, NULL, &c, &replayed), BO_OK);
    ASSERT_RC(hold(user, date, seats, 3, &h, bad, &n_bad), BO_OK);
    ck_assert_int_eq(h.r.price, 4000);
    ASSERT_RC(store_payment_make(db, user, CONCERT, h.r.id, "pay-1", &p, &replayed), BO_OK);
    ck_assert_int_eq(p.amount, 4000);
    ck_assert_int_eq(p.balance_after, c.balance - 4000);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM reservations WHERE (id = %" PRIu64
                             " OR hold_id = %" PRIu64 ") AND status = 'CONFIRMED'",
                             h.r.id, h.r.id),
                     3);

    /* Refunds: not another user's, then once, then the same answer again. */
    ASSERT_RC(store_refund(db, user + 1, p.id, DAY_MS, NULL, "x", &rf, &replayed), BO_E_NOT_OWNER);
    ASSERT_RC(store_refund(db, user, p.id, DAY_MS, "refund-1", "refund:1", &rf, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ck_assert_int_eq(rf.amount, 4000);
    ck_assert_int_eq(rf.balance_after, c.balance);
    ASSERT_RC(store_refund(db, user, p.id, DAY_MS, "refund-1", "refund:1", &again, &replayed),
              BO_OK);
    ck_assert_int_eq(replayed, 1);
    ck_assert_int_eq(again.refunded_at_ms, rf.refunded_at_ms);
    ASSERT_RC(store_refund(db, user, p.id, DAY_MS, "refund-1", "refund:2", &again, &replayed),
              BO_E_IDEMPOTENCY_MISMATCH);
    ASSERT_RC(store_refund(db, user, p.id, DAY_MS, NULL, NULL, &again, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 1);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM point_ledger WHERE payment_id = %" PRIu64
                             " AND kind = 'REFUND'",
                             p.id),
                     1);
    ck_assert_int_eq(sql_i64("SELECT w.balance - coalesce(sum(l.delta), 0) FROM wallets w"
                             " LEFT JOIN point_ledger l ON l.user_id = w.user_id"
                             " WHERE w.user_id = %" PRIu64 " GROUP BY w.balance",
                             user),
                     0);

    /* The seats are on sale again. */
    ASSERT_RC(hold(user + 1, date, seats, 3, &h, bad, &n_bad), BO_OK);
    ASSERT_RC(store_refund(db, user, 999999999, DAY_MS, NULL, NULL, &rf, &replayed),
              BO_E_PAYMENT_NOT_FOUND);
}
END_TEST

START_TEST(test_refund_closed)
{
    /* A date two hours ahead with a cutoff of a day: too late to refund. */
    struct venue v;
    struct schedule sc;
    struct hold h;
    struct payment p;
    struct refund rf;
    struct charge c;
    uint32_t bad[HOLD_SEATS_MAX];
    size_t n_bad = 0;
    int replayed = 0;
    uint64_t user = 90030;
    const uint32_t seats[] = {5};

    arena(&v);
    ASSERT_RC(
        store_schedule_create_venue(db, CONCERT, bo_time_now_ms() + 2 * 3600 * 1000, v.id, &sc),
        BO_OK);
    ASSERT_RC(store_points_charge(db, user, 5000, NULL, &c, &replayed), BO_OK);
    ASSERT_RC(hold(user, sc.id, seats, 1, &h, bad, &n_bad), BO_OK);
    ASSERT_RC(store_payment_make(db, user, CONCERT, h.r.id, NULL, &p, &replayed), BO_OK);
    ASSERT_RC(store_refund(db, user, p.id, DAY_MS, NULL, NULL, &rf, &replayed), BO_E_REFUND_CLOSED);
    ASSERT_RC(store_refund(db, user, p.id, 3600 * 1000, NULL, NULL, &rf, &replayed), BO_OK);
}
END_TEST

START_TEST(test_venue_map_read)
{
    /* A venue date's map comes from its sections and its live holds (it has no seats rows):
     * a range of it, and its counts among a concert's dates. */
    struct venue v;
    struct hold h;
    struct bo_seat_state out[10];
    uint32_t bad[HOLD_SEATS_MAX];
    size_t n_bad = 0;
    uint64_t date = arena_date(&v);
    const uint32_t three[] = {201, 202, 203};

    ASSERT_RC(hold(90040, date, three, 3, &h, bad, &n_bad), BO_OK);
    ASSERT_RC(seat_maps_read_range(NULL, db, date, CONCERT, &v, 201, 10, out), BO_OK);
    for (int i = 0; i < 10; i++) {
        ck_assert_uint_eq(out[i].seat_no, 201 + (uint32_t)i);
        ck_assert_int_eq(out[i].price, 2000);
        ck_assert_int_eq(out[i].status, i < 3 ? BO_SEAT_HELD : BO_SEAT_AVAILABLE);
    }
    ck_assert_uint_eq(out[0].reservation_id, h.r.id); /* every seat names the hold */
    ck_assert_uint_eq(out[2].reservation_id, h.r.id);
    ASSERT_RC(seat_maps_read_range(NULL, db, date, CONCERT, &v, 255, 10, out),
              BO_E_INVALID_ARGUMENT);

    struct schedule d = {.id = date, .concert_id = CONCERT, .venue_id = v.id};
    ASSERT_RC(seat_maps_count_dates(NULL, db, NULL, CONCERT, &d, 1, bo_time_now_ms()), BO_OK);
    ck_assert_uint_eq(d.total_seats, 260);
    ck_assert_uint_eq(d.available_seats, 257);

    ASSERT_RC(seat_maps_count_sections(NULL, db, date, CONCERT, &v, bo_time_now_ms()), BO_OK);
    ck_assert_uint_eq(v.sections[0].available_seats, 200);
    ck_assert_uint_eq(v.sections[1].available_seats, 47);
    ck_assert_uint_eq(v.sections[2].available_seats, 10);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {test_venue_sections_and_places,
                            test_venue_refused,
                            test_hold_several_all_or_nothing,
                            test_hold_hall_date,
                            test_holds_race,
                            test_pay_and_refund,
                            test_refund_closed,
                            test_venue_map_read,
                            NULL};
    const struct support_case cases[] = {{"venues", tests, store_fixture_suite_setup,
                                          store_fixture_suite_teardown, store_fixture_setup,
                                          store_fixture_teardown, 120}};

    return SUPPORT_RUN("store_venues", cases, 0);
}
