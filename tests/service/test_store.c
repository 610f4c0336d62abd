/*
 * test_store: the store against a real PostgreSQL (started by testenv), asserting what
 * the service and its users rely on: the seat map, holds and their races, expiry,
 * points, payments, idempotency, the ledger invariant, migrations and the seed.
 *
 * Each test makes its own dates (store_schedule_create) and uses its own users, so the
 * tests do not depend on one another's leftovers.
 */
#include "bo_error.h"
#include "store.h"
#include "support.h"
#include "store_fixture.h"
#include "testenv.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* hold_ended holds once the hold *(uint64_t *)id is past its expiry by the database's clock. */
static int hold_ended(void *id)
{
    return sql_i64("SELECT count(*) FROM reservations WHERE id = %" PRIu64
                   " AND expires_at <= now()",
                   *(uint64_t *)id) == 1;
}

/* wait_hold_ended waits until reservation id's hold has run out (the store then treats it as
 * ended, whether or not anything marked it yet). */
static void wait_hold_ended(uint64_t id)
{
    SUPPORT_WAIT(hold_ended, &id, 10000, "hold %" PRIu64 " not past its expiry in 10 s", id);
}

/* Seat i costs 1000 * i, so every seat's price is distinct and checkable. */
static void test_prices(int64_t prices[SEATS_PER_SCHEDULE])
{
    for (int i = 0; i < SEATS_PER_SCHEDULE; i++) {
        prices[i] = 1000 * (i + 1);
    }
}

/* new_schedule makes a fresh date (of concert 1) whose seats are all free. */
static uint64_t new_schedule(void)
{
    int64_t prices[SEATS_PER_SCHEDULE];
    struct schedule sc;
    test_prices(prices);
    ASSERT_RC(store_schedule_create(db, 1, 1800000000000LL, prices, &sc), BO_OK);
    ck_assert_uint_eq(sc.total_seats, SEATS_PER_SCHEDULE);
    return sc.id;
}

static int seat_status(uint64_t schedule_id, uint32_t seat_no)
{
    struct seat seats[SEATS_PER_SCHEDULE];
    size_t n = 0;
    ASSERT_RC(store_seats_list(db, schedule_id, seats, &n), BO_OK);
    ck_assert_uint_eq(n, SEATS_PER_SCHEDULE);
    ck_assert_uint_eq(seats[seat_no - 1].seat_no, seat_no);
    return seats[seat_no - 1].status;
}

static void assert_ledger_matches(uint64_t user_id)
{
    int64_t balance = sql_i64("SELECT balance FROM wallets WHERE user_id = %" PRIu64, user_id);
    int64_t sum = sql_i64(
        "SELECT coalesce(sum(delta), 0) FROM point_ledger WHERE user_id = %" PRIu64, user_id);
    ck_assert_int_ge(balance, 0);
    ck_assert_int_eq(balance, sum);
}

/* assert_balance checks the balance the store reads for user_id. */
static void assert_balance(uint64_t user_id, int64_t want)
{
    int64_t balance = -1;
    ASSERT_RC(store_balance_get(db, user_id, &balance), BO_OK);
    ck_assert_int_eq(balance, want);
}

/* funded_hold charges user_id points (none when 0), then holds seat_no of sched for hold_ms. */
static struct reservation funded_hold(uint64_t user_id, int64_t points, uint64_t sched,
                                      uint32_t seat_no, int64_t hold_ms)
{
    struct charge c;
    struct reservation r;
    if (points > 0) {
        ASSERT_RC(store_points_charge(db, user_id, points, NULL, &c, NULL), BO_OK);
    }
    ASSERT_RC(store_hold_insert(db, user_id, sched, seat_no, hold_ms, &r), BO_OK);
    return r;
}

/* user_rows counts the rows of table (a fixed name) that belong to user_id. */
static int64_t user_rows(const char *table, uint64_t user_id)
{
    return sql_i64("SELECT count(*) FROM %s WHERE user_id = %" PRIu64, table, user_id);
}

/* reservation_in tells whether reservation id is stored with status (e.g. "EXPIRED"). */
static int reservation_in(uint64_t id, const char *status)
{
    return sql_i64("SELECT count(*) FROM reservations WHERE id = %" PRIu64 " AND status = '%s'", id,
                   status) == 1;
}

/* payments_of counts the payments of a reservation. */
static int64_t payments_of(uint64_t reservation_id)
{
    return sql_i64("SELECT count(*) FROM payments WHERE reservation_id = %" PRIu64, reservation_id);
}

/* kill_store_sessions ends every store session from the server side; there is at least one. */
static void kill_store_sessions(void)
{
    ck_assert_int_ge(sql_i64("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM "
                             "pg_stat_activity WHERE application_name = 'boxoffice') t"),
                     1);
}

/* ---- migrations and seed ------------------------------------------------------ */

START_TEST(test_seed_counts)
{
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM users"), 100000);
    ck_assert_int_eq(
        sql_i64("SELECT count(*) FROM wallets WHERE balance = 0 AND user_id <= 100000"), 100000);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM concerts WHERE id <= 3"), 3);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM schedules WHERE id <= 15"), 15);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM seats WHERE schedule_id <= 15"), 750);
    ck_assert_int_eq(sql_i64("SELECT price FROM seats WHERE schedule_id = 1 AND seat_no = 1"),
                     150000);
    ck_assert_int_eq(sql_i64("SELECT price FROM seats WHERE schedule_id = 15 AND seat_no = 30"),
                     120000);
    ck_assert_int_eq(sql_i64("SELECT price FROM seats WHERE schedule_id = 7 AND seat_no = 50"),
                     90000);

    /* The seed runs twice without error or duplicates. */
    char path[1024];
    snprintf(path, sizeof(path), "%s/db/seed.sql", support_source_dir());
    ASSERT_RC(store_exec_file(db, path), BO_OK);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM users"), 100000);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM seats WHERE schedule_id <= 15"), 750);

    /* Rows made later do not collide with the seeded ids. */
    struct concert c;
    ASSERT_RC(store_concert_create(db, "After the seed", "", "", 0, &c), BO_OK);
    ck_assert_uint_gt(c.id, 3);
    ASSERT_RC(store_exec_file(db, "/nonexistent/seed.sql"), BO_E_NOT_FOUND);
}
END_TEST

START_TEST(test_migrate_twice)
{
    char dir[1024];
    int applied = -1;
    snprintf(dir, sizeof(dir), "%s/db/migrations", support_source_dir());
    int64_t recorded = sql_i64("SELECT count(*) FROM schema_migrations");
    ck_assert_int_ge(recorded, 1);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM schema_migrations WHERE version = 1 "
                             "AND name = '001_schema.sql'"),
                     1);
    ASSERT_RC(store_migrate(db, dir, &applied), BO_OK);
    ck_assert_int_eq(applied, 0);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM schema_migrations"), recorded);
}
END_TEST

/* ---- catalog ------------------------------------------------------------------ */

START_TEST(test_catalog)
{
    struct concert *concerts = NULL;
    struct schedule *schedules = NULL;
    struct schedule one;
    size_t n = 0;

    ASSERT_RC(store_concerts_list(db, &concerts, &n), BO_OK);
    ck_assert_uint_ge(n, 3);
    ck_assert_uint_eq(concerts[0].id, 1);
    ck_assert_str_eq(concerts[0].title, "Opening Night");
    ck_assert_uint_ge(concerts[1].schedule_count, 5);
    ck_assert_uint_eq(concerts[2].id, 3);
    free(concerts);

    ASSERT_RC(store_schedule_dates(db, 2, &schedules, &n), BO_OK);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(schedules[i].concert_id, 2);
        ck_assert_uint_eq(schedules[i].total_seats, 0); /* the seat maps count them */
        if (i > 0) {
            ck_assert_int_gt(schedules[i].starts_at_ms, schedules[i - 1].starts_at_ms);
        }
    }
    free(schedules);

    ASSERT_RC(store_schedule_get(db, 6, &one), BO_OK);
    ck_assert_uint_eq(one.id, 6);
    ck_assert_uint_eq(one.concert_id, 2);
    ck_assert_uint_eq(one.total_seats, 50);
    /* 2027-01-11 20:00 UTC: concert 2's first date. */
    ck_assert_int_eq(one.starts_at_ms, 1799697600000LL);

    uint64_t concert = 0, venue = 1;
    ASSERT_RC(store_schedule_venue(db, 6, &concert, &venue), BO_OK);
    ck_assert_uint_eq(concert, 2);
    ck_assert_uint_eq(venue, 0); /* the seed's dates are in the hall */

    ASSERT_RC(store_schedule_dates(db, 999999, &schedules, &n), BO_E_CONCERT_NOT_FOUND);
    ASSERT_RC(store_schedule_get(db, 999999, &one), BO_E_SCHEDULE_NOT_FOUND);
    ASSERT_RC(store_schedule_venue(db, 999999, &concert, &venue), BO_E_SCHEDULE_NOT_FOUND);
    ASSERT_RC(store_concert_exists(db, 3), BO_OK);
    ASSERT_RC(store_concert_exists(db, 999999), BO_E_CONCERT_NOT_FOUND);
    ASSERT_RC(store_user_exists(db, 100000), BO_OK);
    ASSERT_RC(store_user_exists(db, 100001), BO_E_USER_NOT_FOUND);
    ASSERT_RC(store_ping(db), BO_OK);
}
END_TEST

START_TEST(test_accounts_and_sale_opening)
{
    char hash[160];
    struct concert c;
    uint64_t a = 0, b = 0;
    int64_t opens = -1;

    /* Seeded users share the demo hash; a sign-up goes past every existing id. */
    ASSERT_RC(store_user_password(db, 42, hash, sizeof(hash)), BO_OK);
    ck_assert_int_eq(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
    ASSERT_RC(store_user_password(db, 99999999, hash, sizeof(hash)), BO_E_USER_NOT_FOUND);
    ASSERT_RC(store_user_ensure(db, 7000001), BO_OK); /* a user of an operator token */
    ASSERT_RC(store_user_ensure(db, 7000001), BO_OK); /* made once */
    ASSERT_RC(store_user_password(db, 7000001, hash, sizeof(hash)), BO_OK);
    ck_assert_str_eq(hash, "");
    ASSERT_RC(store_user_create(db, "Ann", "$argon2id$v=19$m=19456,t=2,p=1$x$y", &a), BO_OK);
    ASSERT_RC(store_user_create(db, "Bob", "$argon2id$v=19$m=19456,t=2,p=1$x$z", &b), BO_OK);
    ck_assert_uint_eq(a, 7000002);
    ck_assert_uint_eq(b, a + 1);
    ck_assert_int_eq(testenv_sql_i64(&env,
                                     "SELECT count(*) FROM wallets WHERE user_id IN "
                                     "(7000001, %llu, %llu) AND balance = 0",
                                     (unsigned long long)a, (unsigned long long)b),
                     3);

    /* A concert's opening: set at creation, moved, cleared. */
    ASSERT_RC(store_concert_create(db, "Later", "", "", 1900000000000LL, &c), BO_OK);
    ASSERT_RC(store_concert_opens(db, c.id, &opens), BO_OK);
    ck_assert_int_eq(opens, 1900000000000LL);
    ASSERT_RC(store_concert_set_opens(db, c.id, 1900000001000LL, &c), BO_OK);
    ck_assert_int_eq(c.sale_opens_at_ms, 1900000001000LL);
    ASSERT_RC(store_concert_set_opens(db, c.id, 0, &c), BO_OK);
    ck_assert_int_eq(c.sale_opens_at_ms, 0);
    ASSERT_RC(store_concert_opens(db, c.id, &opens), BO_OK);
    ck_assert_int_eq(opens, 0);
    ASSERT_RC(store_concert_opens(db, 999999, &opens), BO_E_CONCERT_NOT_FOUND);
    ASSERT_RC(store_concert_set_opens(db, 999999, 0, &c), BO_E_CONCERT_NOT_FOUND);
}
END_TEST

START_TEST(test_full_date_counts_none)
{
    struct concert c;
    struct schedule *dates = NULL;
    struct schedule sc;
    struct store_seat_row *rows = NULL;
    int64_t prices[SEATS_PER_SCHEDULE] = {0};
    size_t n = 99;
    char ids[64];

    ASSERT_RC(store_concert_create(db, "Tiny Hall", "Solo", "Room", 0, &c), BO_OK);
    ASSERT_RC(store_schedule_dates(db, c.id, &dates, &n), BO_OK);
    ck_assert_uint_eq(n, 0);
    free(dates);
    ASSERT_RC(store_schedule_create(db, c.id, 1800000000000LL, prices, &sc), BO_OK);
    ASSERT_RC(store_schedule_create(db, c.id, 1800000000000LL + 3600000, prices, &sc), BO_OK);
    /* Fill the first date: one hold per user per date, so 50 users. */
    ASSERT_RC(store_schedule_dates(db, c.id, &dates, &n), BO_OK);
    ck_assert_uint_eq(n, 2);
    for (uint32_t seat = 1; seat <= SEATS_PER_SCHEDULE; seat++) {
        struct reservation r;
        ASSERT_RC(store_hold_insert(db, 90000 + seat, dates[0].id, seat, 60000, &r), BO_OK);
    }
    ASSERT_RC(store_schedule_get(db, dates[0].id, &sc), BO_OK);
    ck_assert_uint_eq(sc.available_seats, 0);
    ASSERT_RC(store_schedule_get(db, dates[1].id, &sc), BO_OK);
    ck_assert_uint_eq(sc.available_seats, 50);

    /* Both maps in one read, date by date and seat by seat (the later date asked first), and
     * an unknown date reads no rows. */
    snprintf(ids, sizeof(ids), "{%llu,999999,%llu}", (unsigned long long)dates[1].id,
             (unsigned long long)dates[0].id);
    ASSERT_RC(store_seat_states_many(db, ids, &rows, &n), BO_OK);
    ck_assert_uint_eq(n, 2 * SEATS_PER_SCHEDULE);
    for (size_t i = 0; i < n; i++) {
        int first = i < SEATS_PER_SCHEDULE;
        ck_assert_uint_eq(rows[i].schedule_id, first ? dates[0].id : dates[1].id);
        ck_assert_uint_eq(rows[i].seat.seat_no, i % SEATS_PER_SCHEDULE + 1);
        ck_assert_int_eq(rows[i].seat.status, first ? BO_SEAT_HELD : BO_SEAT_AVAILABLE);
        ck_assert_int_eq(rows[i].seat.reservation_id != 0, first);
    }
    free(rows);

    /* Their live reservations alone: the full date's 50 holds, nothing of the other. */
    ASSERT_RC(store_live_seats_many(db, ids, &rows, &n), BO_OK);
    ck_assert_uint_eq(n, SEATS_PER_SCHEDULE);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(rows[i].schedule_id, dates[0].id);
        ck_assert_uint_eq(rows[i].seat.seat_no, i + 1);
        ck_assert_int_eq(rows[i].seat.status, BO_SEAT_HELD);
        ck_assert_uint_ne(rows[i].seat.reservation_id, 0);
        ck_assert_int_gt(rows[i].seat.held_until_ms, 0);
    }
    free(rows);
    free(dates);
}
END_TEST

START_TEST(test_admin_create)
{
    struct concert c;
    struct schedule sc;
    int64_t prices[SEATS_PER_SCHEDULE];
    char long_title[200];

    memset(long_title, 'x', sizeof(long_title) - 1);
    long_title[sizeof(long_title) - 1] = '\0';
    test_prices(prices);
    ASSERT_RC(store_concert_create(db, "", "a", "v", 0, &c), BO_E_INVALID_ARGUMENT);
    ASSERT_RC(store_concert_create(db, long_title, "a", "v", 0, &c), BO_E_INVALID_ARGUMENT);
    ASSERT_RC(
        store_concert_create(db, "Quote's \"test\"; DROP TABLE users;--", "Art", "Ven", 0, &c),
        BO_OK);
    ck_assert_str_eq(c.title, "Quote's \"test\"; DROP TABLE users;--");
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM concerts WHERE id = %" PRIu64
                             " AND title = 'Quote''s \"test\"; DROP TABLE users;--'",
                             c.id),
                     1);

    ASSERT_RC(store_schedule_create(db, 999999, 1800000000123LL, prices, &sc),
              BO_E_CONCERT_NOT_FOUND);
    prices[3] = -1;
    ASSERT_RC(store_schedule_create(db, c.id, 1800000000123LL, prices, &sc), BO_E_INVALID_ARGUMENT);
    prices[3] = 4000;
    ASSERT_RC(store_schedule_create(db, c.id, 1800000000123LL, prices, &sc), BO_OK);
    ck_assert_uint_eq(sc.concert_id, c.id);
    ck_assert_int_eq(sc.starts_at_ms, 1800000000123LL);
    ck_assert_uint_eq(sc.available_seats, 50);

    struct seat seats[SEATS_PER_SCHEDULE];
    size_t n = 0;
    ASSERT_RC(store_seats_list(db, sc.id, seats, &n), BO_OK);
    ck_assert_uint_eq(n, 50);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(seats[i].seat_no, i + 1);
        ck_assert_int_eq(seats[i].price, prices[i]);
        ck_assert_int_eq(seats[i].status, SEAT_AVAILABLE);
    }
    struct concert *list = NULL;
    ASSERT_RC(store_concerts_list(db, &list, &n), BO_OK);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].id == c.id) {
            found = 1;
            ck_assert_uint_eq(list[i].schedule_count, 1);
            ck_assert_str_eq(list[i].artist, "Art");
            ck_assert_str_eq(list[i].venue, "Ven");
        }
    }
    ck_assert(found);
    free(list);
}
END_TEST

/* ---- seat map and holds --------------------------------------------------- */

START_TEST(test_seat_map_seeded)
{
    struct seat seats[SEATS_PER_SCHEDULE];
    size_t n = 0;
    ASSERT_RC(store_seats_list(db, 15, seats, &n), BO_OK);
    ck_assert_uint_eq(n, 50);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(seats[i].seat_no, i + 1);
        ck_assert_int_eq(seats[i].price, i < 10 ? 150000 : i < 30 ? 120000 : 90000);
        ck_assert_int_eq(seats[i].status, SEAT_AVAILABLE);
    }
    ASSERT_RC(store_seats_list(db, 999999, seats, &n), BO_E_SCHEDULE_NOT_FOUND);
}
END_TEST

START_TEST(test_hold)
{
    uint64_t sched = new_schedule();
    struct reservation r, other, got;
    struct schedule sc;

    ASSERT_RC(store_hold_insert(db, 101, sched, 7, 300000, &r), BO_OK);
    ck_assert_uint_gt(r.id, 0);
    ck_assert_uint_eq(r.user_id, 101);
    ck_assert_uint_eq(r.concert_id, 1);
    ck_assert_uint_eq(r.schedule_id, sched);
    ck_assert_uint_eq(r.seat_no, 7);
    ck_assert_int_eq(r.price, 7000);
    ck_assert_int_eq(r.status, RESERVATION_HELD);
    ck_assert_int_eq(r.expires_at_ms - r.held_at_ms, 300000);
    ck_assert_int_gt(r.held_at_ms, 1700000000000LL);

    ck_assert_int_eq(seat_status(sched, 7), SEAT_HELD);
    ck_assert_int_eq(seat_status(sched, 8), SEAT_AVAILABLE);
    ASSERT_RC(store_schedule_get(db, sched, &sc), BO_OK);
    ck_assert_uint_eq(sc.available_seats, 49);

    ASSERT_RC(store_reservation_get(db, r.id, &got), BO_OK);
    ck_assert_uint_eq(got.id, r.id);
    ck_assert_uint_eq(got.user_id, 101);
    ck_assert_int_eq(got.status, RESERVATION_HELD);
    ck_assert_int_eq(got.expires_at_ms, r.expires_at_ms);

    /* The seat is taken for everyone else, and the user holds one seat per date. */
    ASSERT_RC(store_hold_insert(db, 102, sched, 7, 300000, &other), BO_E_SEAT_TAKEN);
    ASSERT_RC(store_hold_insert(db, 101, sched, 7, 300000, &other), BO_E_SEAT_TAKEN);
    ASSERT_RC(store_hold_insert(db, 101, sched, 8, 300000, &other), BO_E_HOLD_LIMIT);
    /* ...but may hold on another date. */
    uint64_t sched2 = new_schedule();
    ASSERT_RC(store_hold_insert(db, 101, sched2, 8, 300000, &other), BO_OK);

    ASSERT_RC(store_hold_insert(db, 102, sched, 51, 300000, &other), BO_E_SEAT_NOT_FOUND);
    ASSERT_RC(store_hold_insert(db, 102, sched, 0, 300000, &other), BO_E_SEAT_NOT_FOUND);
    ASSERT_RC(store_hold_insert(db, 102, 999999, 1, 300000, &other), BO_E_SCHEDULE_NOT_FOUND);
    ASSERT_RC(store_hold_insert(db, 999999, sched, 1, 300000, &other), BO_E_USER_NOT_FOUND);
    ASSERT_RC(store_hold_insert(db, 102, sched, 1, 0, &other), BO_E_INVALID_ARGUMENT);
    ASSERT_RC(store_reservation_get(db, 99999999, &got), BO_E_RESERVATION_NOT_FOUND);
    ck_assert_int_eq(
        sql_i64("SELECT count(*) FROM reservations WHERE schedule_id = %" PRIu64, sched), 1);
}
END_TEST

START_TEST(test_hold_expiry)
{
    uint64_t sched = new_schedule();
    /* Long enough that the next query sees it live on a loaded machine (with 400 ms it once
     * read the seat after the hold had ended, with several builds running here). */
    struct reservation r = funded_hold(201, 0, sched, 3, 2000), r2, got;

    ck_assert_int_eq(seat_status(sched, 3), SEAT_HELD);
    wait_hold_ended(r.id);
    /* Past its expiry the seat is free again without anyone sweeping. */
    ck_assert_int_eq(seat_status(sched, 3), SEAT_AVAILABLE);
    ASSERT_RC(store_reservation_get(db, r.id, &got), BO_OK);
    ck_assert_int_eq(got.status, RESERVATION_EXPIRED);

    ASSERT_RC(store_hold_insert(db, 202, sched, 3, 300000, &r2), BO_OK);
    ck_assert_uint_ne(r2.id, r.id);
    ck_assert_int_eq(seat_status(sched, 3), SEAT_HELD);
    /* The hold ended for its user too: another seat of the date can be held. */
    ASSERT_RC(store_hold_insert(db, 201, sched, 4, 300000, &r2), BO_OK);
    ck_assert(reservation_in(r.id, "EXPIRED"));

    /* The sweeper marks what ended. */
    ASSERT_RC(store_hold_insert(db, 203, sched, 5, 100, &r), BO_OK);
    wait_hold_ended(r.id);
    size_t n = 0;
    ASSERT_RC(store_holds_expire(db, &n), BO_OK);
    ck_assert_uint_ge(n, 1);
    ck_assert(reservation_in(r.id, "EXPIRED"));
    ck_assert_int_eq(
        sql_i64("SELECT count(*) FROM reservations WHERE status = 'HELD' AND expires_at <= now()"),
        0);
}
END_TEST

START_TEST(test_release)
{
    uint64_t sched = new_schedule();
    struct reservation r = funded_hold(301, 0, sched, 10, 300000), r2;
    struct hold out;

    ASSERT_RC(store_hold_release(db, 302, 1, r.id, &out), BO_E_NOT_OWNER);
    ck_assert_int_eq(seat_status(sched, 10), SEAT_HELD);
    ASSERT_RC(store_hold_release(db, 301, 1, r.id, &out), BO_OK);
    ck_assert_uint_eq(out.r.id, r.id);
    ck_assert_int_eq(out.r.status, RESERVATION_CANCELLED);
    ck_assert_uint_eq(out.seats.n, 1);
    ck_assert_uint_eq(out.seats.seat_nos[0], 10);
    ck_assert_int_eq(seat_status(sched, 10), SEAT_AVAILABLE);
    ASSERT_RC(store_hold_release(db, 301, 1, r.id, &out), BO_E_RESERVATION_NOT_HELD);
    ASSERT_RC(store_hold_release(db, 301, 1, 99999999, &out), BO_E_RESERVATION_NOT_FOUND);
    /* Released: the user may hold again on that date, someone else the seat. */
    ASSERT_RC(store_hold_insert(db, 302, sched, 10, 300000, &r2), BO_OK);
    ASSERT_RC(store_hold_insert(db, 301, sched, 11, 200, &r2), BO_OK);
    wait_hold_ended(r2.id);
    ASSERT_RC(store_hold_release(db, 301, 1, r2.id, &out), BO_E_HOLD_EXPIRED);
}
END_TEST

/* ---- points ----------------------------------------------------------------- */

START_TEST(test_charge)
{
    struct charge c;
    int64_t balance = -1;
    int replayed = -1;

    assert_balance(401, 0);
    ASSERT_RC(store_points_charge(db, 401, 1000, NULL, &c, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ck_assert_int_eq(c.amount, 1000);
    ck_assert_int_eq(c.balance, 1000);
    ck_assert_uint_eq(c.user_id, 401);
    ck_assert_uint_gt(c.ledger_id, 0);
    ASSERT_RC(store_points_charge(db, 401, 2500, "", &c, &replayed), BO_OK);
    ck_assert_int_eq(c.balance, 3500);
    assert_balance(401, 3500);
    assert_ledger_matches(401);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM point_ledger WHERE user_id = 401 "
                             "AND kind = 'CHARGE' AND delta > 0"),
                     2);

    ASSERT_RC(store_points_charge(db, 401, 0, NULL, &c, &replayed), BO_E_INVALID_ARGUMENT);
    ASSERT_RC(store_points_charge(db, 401, -5, NULL, &c, &replayed), BO_E_INVALID_ARGUMENT);
    ASSERT_RC(store_points_charge(db, 401, POINTS_CHARGE_MAX + 1, NULL, &c, &replayed),
              BO_E_INVALID_ARGUMENT);
    ASSERT_RC(store_points_charge(db, 401, POINTS_CHARGE_MAX, NULL, &c, &replayed), BO_OK);
    ASSERT_RC(store_points_charge(db, 999999, 10, NULL, &c, &replayed), BO_E_USER_NOT_FOUND);
    ASSERT_RC(store_points_charge(db, 999999, 10, "k", &c, &replayed), BO_E_USER_NOT_FOUND);
    ASSERT_RC(store_balance_get(db, 999999, &balance), BO_E_USER_NOT_FOUND);

    /* Near the cap (brought there with a matching ledger row), a charge past it fails. */
    int64_t near = POINTS_BALANCE_MAX - 50;
    ck_assert_int_eq(
        sql_i64("WITH w AS (UPDATE wallets SET balance = %" PRId64
                " WHERE user_id = 402 RETURNING balance) "
                "INSERT INTO point_ledger (user_id, delta, balance_after, kind) "
                "SELECT 402, balance, balance, 'CHARGE' FROM w RETURNING balance_after",
                near),
        near);
    ASSERT_RC(store_points_charge(db, 402, 51, NULL, &c, &replayed), BO_E_BALANCE_LIMIT);
    ASSERT_RC(store_points_charge(db, 402, 50, NULL, &c, &replayed), BO_OK);
    ck_assert_int_eq(c.balance, POINTS_BALANCE_MAX);
    assert_ledger_matches(402);
}
END_TEST

START_TEST(test_charge_idempotent)
{
    struct charge c1, c2;
    int replayed = -1;

    ASSERT_RC(store_points_charge(db, 501, 500, "charge-key-1", &c1, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ck_assert_int_eq(c1.balance, 500);
    ASSERT_RC(store_points_charge(db, 501, 500, "charge-key-1", &c2, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 1);
    ck_assert_uint_eq(c2.ledger_id, c1.ledger_id);
    ck_assert_int_eq(c2.amount, 500);
    ck_assert_int_eq(c2.balance, 500);
    assert_balance(501, 500);
    ck_assert_int_eq(user_rows("point_ledger", 501), 1);

    ASSERT_RC(store_points_charge(db, 501, 600, "charge-key-1", &c2, &replayed),
              BO_E_IDEMPOTENCY_MISMATCH);
    ASSERT_RC(store_points_charge(db, 501, 500, "bad\nkey", &c2, &replayed), BO_E_INVALID_ARGUMENT);
    /* Keys are per user: another user's same key is a new charge. */
    ASSERT_RC(store_points_charge(db, 502, 500, "charge-key-1", &c2, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ASSERT_RC(store_points_charge(db, 501, 700, "charge-key-2", &c2, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ck_assert_int_eq(c2.balance, 1200);
    assert_ledger_matches(501);
    assert_ledger_matches(502);
}
END_TEST

/* Keys older than the keep are swept oldest first, a batch at a time; a retry with a swept key
 * is a new charge, one with a kept key still a replay. */
START_TEST(test_idem_sweep)
{
    struct charge c;
    int replayed = -1;
    size_t n = 99;

    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof(key), "sweep-old-%d", i);
        ASSERT_RC(store_points_charge(db, 511, 100, key, &c, &replayed), BO_OK);
    }
    ASSERT_RC(store_points_charge(db, 511, 100, "sweep-new", &c, &replayed), BO_OK);
    ck_assert_int_eq(sql_i64("WITH u AS (UPDATE idempotency_keys SET created_at = now() - "
                             "interval '2 hours' - make_interval(secs => right(key, 1)::int) "
                             "WHERE user_id = 511 AND key LIKE 'sweep-old-%%' RETURNING 1) "
                             "SELECT count(*) FROM u"),
                     3);
    ASSERT_RC(store_idem_sweep(db, 3600, 2, &n), BO_OK);
    ck_assert_uint_eq(n, 2);
    /* The oldest went first: sweep-old-2 is 2 s older than sweep-old-1, which is older than 0. */
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM idempotency_keys WHERE user_id = 511 AND "
                             "key IN ('sweep-old-0', 'sweep-new')"),
                     2);
    ASSERT_RC(store_idem_sweep(db, 3600, 2, &n), BO_OK);
    ck_assert_uint_eq(n, 1);
    ASSERT_RC(store_idem_sweep(db, 3600, 2, &n), BO_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM idempotency_keys WHERE user_id = 511"), 1);
    /* A kept key still replays; a swept one is a new charge. */
    ASSERT_RC(store_points_charge(db, 511, 100, "sweep-new", &c, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 1);
    ASSERT_RC(store_points_charge(db, 511, 100, "sweep-old-0", &c, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    assert_balance(511, 500);
    assert_ledger_matches(511);
    ASSERT_RC(store_idem_sweep(db, -1, 2, &n), BO_E_INVALID_ARGUMENT);
    ASSERT_RC(store_idem_sweep(db, 3600, 0, &n), BO_E_INVALID_ARGUMENT);
}
END_TEST

/* ---- payments ----------------------------------------------------------------- */

START_TEST(test_payment)
{
    uint64_t sched = new_schedule();
    struct reservation r = funded_hold(601, 20000, sched, 15, 300000), got;
    struct payment p, again;
    struct schedule sc;
    int replayed = -1;

    ASSERT_RC(store_payment_make(db, 601, 1, r.id, NULL, &p, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ck_assert_uint_gt(p.id, 0);
    ck_assert_uint_eq(p.reservation_id, r.id);
    ck_assert_uint_eq(p.user_id, 601);
    ck_assert_uint_eq(p.schedule_id, sched);
    ck_assert_uint_eq(p.seat_no, 15);
    ck_assert_int_eq(p.amount, 15000);
    ck_assert_int_eq(p.balance_after, 5000);
    ck_assert_int_gt(p.paid_at_ms, 1700000000000LL);

    assert_balance(601, 5000);
    assert_ledger_matches(601);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM point_ledger WHERE user_id = 601 "
                             "AND kind = 'PAYMENT' AND delta = -15000 AND payment_id = %" PRIu64,
                             p.id),
                     1);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM payments WHERE reservation_id = %" PRIu64
                             " AND status = 'COMPLETED' AND amount = 15000",
                             r.id),
                     1);
    ASSERT_RC(store_reservation_get(db, r.id, &got), BO_OK);
    ck_assert_int_eq(got.status, RESERVATION_CONFIRMED);
    ck_assert_int_eq(seat_status(sched, 15), SEAT_SOLD);
    ASSERT_RC(store_schedule_get(db, sched, &sc), BO_OK);
    ck_assert_uint_eq(sc.available_seats, 49);

    /* A sold seat stays taken; its buyer may hold another seat of the date. */
    ASSERT_RC(store_hold_insert(db, 602, sched, 15, 300000, &got), BO_E_SEAT_TAKEN);
    ASSERT_RC(store_hold_insert(db, 601, sched, 16, 300000, &got), BO_OK);

    /* Paying again without a key returns the payment, charging nothing. */
    ASSERT_RC(store_payment_make(db, 601, 1, r.id, NULL, &again, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 1);
    ck_assert_uint_eq(again.id, p.id);
    ck_assert_int_eq(again.amount, 15000);
    ck_assert_int_eq(again.balance_after, 5000);
    assert_balance(601, 5000);
    /* ...but with a fresh key it is no longer held. */
    ASSERT_RC(store_payment_make(db, 601, 1, r.id, "fresh", &again, &replayed),
              BO_E_RESERVATION_NOT_HELD);
    ck_assert_int_eq(payments_of(r.id), 1);
    ck_assert_int_eq(user_rows("idempotency_keys", 601), 0);
}
END_TEST

START_TEST(test_payment_insufficient)
{
    uint64_t sched = new_schedule();
    struct reservation r = funded_hold(701, 1000, sched, 2, 300000), got; /* costs 2000 */
    struct payment p;
    struct charge c;
    int replayed = -1;

    ASSERT_RC(store_payment_make(db, 701, 1, r.id, "pay-1", &p, &replayed),
              BO_E_INSUFFICIENT_POINTS);
    assert_balance(701, 1000);
    ASSERT_RC(store_reservation_get(db, r.id, &got), BO_OK);
    ck_assert_int_eq(got.status, RESERVATION_HELD);
    ck_assert_int_eq(seat_status(sched, 2), SEAT_HELD);
    ck_assert_int_eq(user_rows("payments", 701), 0);
    ck_assert_int_eq(user_rows("point_ledger", 701), 1);
    ck_assert_int_eq(user_rows("idempotency_keys", 701), 0);
    assert_ledger_matches(701);

    /* After charging enough, the same key pays. */
    ASSERT_RC(store_points_charge(db, 701, 1000, NULL, &c, &replayed), BO_OK);
    ASSERT_RC(store_payment_make(db, 701, 1, r.id, "pay-1", &p, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ck_assert_int_eq(p.balance_after, 0);
    assert_ledger_matches(701);
}
END_TEST

START_TEST(test_payment_expired)
{
    uint64_t sched = new_schedule();
    struct reservation r = funded_hold(801, 100000, sched, 1, 200);
    struct payment p;
    int replayed = -1;

    wait_hold_ended(r.id);
    ASSERT_RC(store_payment_make(db, 801, 1, r.id, "late", &p, &replayed), BO_E_HOLD_EXPIRED);
    ck_assert(reservation_in(r.id, "EXPIRED"));
    assert_balance(801, 100000);
    ck_assert_int_eq(user_rows("payments", 801), 0);
    ck_assert_int_eq(user_rows("idempotency_keys", 801), 0);
    /* Once marked (here or by the sweeper), paying still says why. */
    ASSERT_RC(store_payment_make(db, 801, 1, r.id, NULL, &p, &replayed), BO_E_HOLD_EXPIRED);
    ck_assert_int_eq(seat_status(sched, 1), SEAT_AVAILABLE);
}
END_TEST

START_TEST(test_payment_not_owner)
{
    uint64_t sched = new_schedule();
    struct reservation r = funded_hold(901, 0, sched, 1, 300000);
    struct hold out;
    struct payment p;
    struct charge c;
    int replayed = -1;

    ASSERT_RC(store_points_charge(db, 902, 100000, NULL, &c, &replayed), BO_OK);
    ASSERT_RC(store_payment_make(db, 902, 1, r.id, NULL, &p, &replayed), BO_E_NOT_OWNER);
    ASSERT_RC(store_payment_make(db, 902, 1, r.id, "k", &p, &replayed), BO_E_NOT_OWNER);
    ASSERT_RC(store_payment_make(db, 902, 1, 99999999, NULL, &p, &replayed),
              BO_E_RESERVATION_NOT_FOUND);
    ck_assert_int_eq(seat_status(sched, 1), SEAT_HELD);
    ck_assert_int_eq(sql_i64("SELECT balance FROM wallets WHERE user_id = 902"), 100000);
    ASSERT_RC(store_hold_release(db, 901, 1, r.id, &out), BO_OK);
    ASSERT_RC(store_payment_make(db, 901, 1, r.id, NULL, &p, &replayed), BO_E_RESERVATION_NOT_HELD);
    ASSERT_RC(store_payment_make(db, 901, 1, r.id, "bad\x01", &p, &replayed),
              BO_E_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_payment_idempotent)
{
    uint64_t sched = new_schedule();
    uint64_t sched2 = new_schedule();
    struct reservation r = funded_hold(1001, 100000, sched, 20, 300000);
    struct reservation r2 = funded_hold(1001, 0, sched2, 1, 300000);
    struct payment p1, p2;
    struct charge c;
    int replayed = -1;

    ASSERT_RC(store_payment_make(db, 1001, 1, r.id, "pay-key", &p1, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    ck_assert_int_eq(p1.balance_after, 80000);
    ASSERT_RC(store_payment_make(db, 1001, 1, r.id, "pay-key", &p2, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 1);
    ck_assert_uint_eq(p2.id, p1.id);
    ck_assert_int_eq(p2.amount, 20000);
    ck_assert_int_eq(p2.balance_after, 80000);
    ck_assert_uint_eq(p2.seat_no, 20);
    ck_assert_int_eq(p2.paid_at_ms, p1.paid_at_ms);
    ck_assert_int_eq(payments_of(r.id), 1);
    assert_balance(1001, 80000);

    /* The same key for another reservation is refused and changes nothing. */
    ASSERT_RC(store_payment_make(db, 1001, 1, r2.id, "pay-key", &p2, &replayed),
              BO_E_IDEMPOTENCY_MISMATCH);
    ck_assert_int_eq(seat_status(sched2, 1), SEAT_HELD);
    assert_balance(1001, 80000);
    /* A key used for a charge is a different scope. */
    ASSERT_RC(store_points_charge(db, 1001, 5, "pay-key", &c, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    assert_ledger_matches(1001);
}
END_TEST

/* A free seat is paid without a ledger row: nothing changed. */
START_TEST(test_payment_free_seat)
{
    int64_t prices[SEATS_PER_SCHEDULE] = {0};
    struct schedule sc;
    struct payment p;
    int replayed = -1;

    ASSERT_RC(store_schedule_create(db, 1, 1800000000000LL, prices, &sc), BO_OK);
    struct reservation r = funded_hold(1101, 0, sc.id, 1, 300000);
    ASSERT_RC(store_payment_make(db, 1101, 1, r.id, NULL, &p, &replayed), BO_OK);
    ck_assert_int_eq(p.amount, 0);
    ck_assert_int_eq(p.balance_after, 0);
    ck_assert_int_eq(seat_status(sc.id, 1), SEAT_SOLD);
    assert_ledger_matches(1101);
}
END_TEST

/* ---- connections -------------------------------------------------------------- */

START_TEST(test_reconnect)
{
    struct seat seats[SEATS_PER_SCHEDULE];
    struct charge c;
    size_t n = 0;
    int replayed;

    ASSERT_RC(store_seats_list(db, 1, seats, &n), BO_OK);
    kill_store_sessions();
    /* A read is retried on a new connection, with its statements prepared again. */
    ASSERT_RC(store_seats_list(db, 1, seats, &n), BO_OK);
    ck_assert_uint_eq(n, 50);

    kill_store_sessions();
    /* A write whose outcome is unknown is not repeated blindly: OK or UNAVAILABLE. */
    int rc = store_points_charge(db, 1201, 10, NULL, &c, &replayed);
    ck_assert_msg(rc == BO_OK || rc == BO_E_UNAVAILABLE, "got %s", bo_error_name(rc));
    ASSERT_RC(store_points_charge(db, 1201, 10, NULL, &c, &replayed), BO_OK);
    assert_balance(1201, rc == BO_OK ? 20 : 10);
    assert_ledger_matches(1201);

    /* A keyed charge is a transaction: lost before COMMIT, it is retried and applies once. */
    kill_store_sessions();
    ASSERT_RC(store_points_charge(db, 1201, 5, "after-reset", &c, &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    assert_balance(1201, rc == BO_OK ? 25 : 15);
    assert_ledger_matches(1201);

    struct store *bad = NULL;
    ASSERT_RC(store_open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", &bad),
              BO_E_UNAVAILABLE);
    ck_assert_ptr_null(bad);
    store_close(NULL);
}
END_TEST

/* ---- concurrency ---------------------------------------------------------- */

#define RACERS 50

struct racer {
    pthread_barrier_t *go;
    uint64_t user_id;
    uint64_t schedule_id;
    int rc;
};

static void *hold_racer(void *arg)
{
    struct racer *r = arg;
    struct store *s = NULL;
    struct reservation res;
    r->rc = store_open(env.database_url, &s);
    pthread_barrier_wait(r->go);
    if (r->rc == BO_OK) {
        r->rc = store_hold_insert(s, r->user_id, r->schedule_id, 25, 300000, &res);
    }
    store_close(s);
    return NULL;
}

START_TEST(test_concurrent_hold)
{
    uint64_t sched = new_schedule();
    pthread_barrier_t go;
    struct racer racers[RACERS];
    int ok = 0, taken = 0;

    pthread_barrier_init(&go, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){&go, 2000 + (uint64_t)i, sched, -1};
    }
    support_threads_run(hold_racer, racers, sizeof(racers[0]), RACERS);
    for (int i = 0; i < RACERS; i++) {
        ok += racers[i].rc == BO_OK;
        taken += racers[i].rc == BO_E_SEAT_TAKEN;
    }
    pthread_barrier_destroy(&go);
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(taken, RACERS - 1);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM reservations WHERE schedule_id = %" PRIu64
                             " AND seat_no = 25",
                             sched),
                     1);
}
END_TEST

#define MONEY_THREADS 8
#define MONEY_ROUNDS  12
#define MONEY_USER    3001

struct money_worker {
    uint64_t schedule_id; /* its own date, since a user holds one seat per date */
    int failures;         /* unexpected codes */
    int paid;
};

static void *money_worker(void *arg)
{
    struct money_worker *w = arg;
    struct store *s = NULL;
    if (store_open(env.database_url, &s) != BO_OK) {
        w->failures++;
        return NULL;
    }
    for (int round = 0; round < MONEY_ROUNDS; round++) {
        struct charge c;
        struct reservation r;
        struct payment p;
        int replayed;
        char key[64];
        snprintf(key, sizeof(key), "w%" PRIu64 "-%d", w->schedule_id, round);
        /* Seat price 1000 * seat; charges 9000 per round so payments sometimes fail. */
        if (store_points_charge(s, MONEY_USER, 9000, round % 2 ? key : NULL, &c, &replayed) !=
            BO_OK) {
            w->failures++;
        }
        if (store_hold_insert(s, MONEY_USER, w->schedule_id, (uint32_t)(round + 10), 300000, &r) !=
            BO_OK) {
            w->failures++;
            continue;
        }
        int rc = store_payment_make(s, MONEY_USER, 1, r.id, round % 3 ? key : NULL, &p, &replayed);
        if (rc == BO_OK) {
            w->paid++;
            /* A retry with the key changes nothing. */
            if (round % 3 &&
                store_payment_make(s, MONEY_USER, 1, r.id, key, &p, &replayed) != BO_OK) {
                w->failures++;
            }
        } else if (rc == BO_E_INSUFFICIENT_POINTS) {
            struct hold out;
            if (store_hold_release(s, MONEY_USER, 1, r.id, &out) != BO_OK) {
                w->failures++;
            }
        } else {
            w->failures++;
        }
    }
    store_close(s);
    return NULL;
}

START_TEST(test_concurrent_money)
{
    struct money_worker workers[MONEY_THREADS];
    int paid = 0;

    for (int i = 0; i < MONEY_THREADS; i++) {
        workers[i] = (struct money_worker){new_schedule(), 0, 0};
    }
    support_threads_run(money_worker, workers, sizeof(workers[0]), MONEY_THREADS);
    for (int i = 0; i < MONEY_THREADS; i++) {
        ck_assert_int_eq(workers[i].failures, 0);
        paid += workers[i].paid;
    }
    ck_assert_int_gt(paid, 0);
    assert_ledger_matches(MONEY_USER);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM payments WHERE user_id = %d", MONEY_USER), paid);
    ck_assert_int_eq(
        sql_i64("SELECT count(*) FROM point_ledger WHERE user_id = %d AND balance_after < 0",
                MONEY_USER),
        0);
    int64_t charged = (int64_t)MONEY_THREADS * MONEY_ROUNDS * 9000;
    int64_t spent =
        sql_i64("SELECT coalesce(sum(amount), 0) FROM payments WHERE user_id = %d", MONEY_USER);
    ck_assert_int_eq(sql_i64("SELECT balance FROM wallets WHERE user_id = %d", MONEY_USER),
                     charged - spent);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {test_seed_counts,
                            test_migrate_twice,
                            test_catalog,
                            test_accounts_and_sale_opening,
                            test_full_date_counts_none,
                            test_admin_create,
                            test_seat_map_seeded,
                            test_hold,
                            test_hold_expiry,
                            test_release,
                            test_charge,
                            test_charge_idempotent,
                            test_idem_sweep,
                            test_payment,
                            test_payment_insufficient,
                            test_payment_expired,
                            test_payment_not_owner,
                            test_payment_idempotent,
                            test_payment_free_seat,
                            test_reconnect,
                            test_concurrent_hold,
                            test_concurrent_money,
                            NULL};
    const struct support_case cases[] = {{"postgres", tests, store_fixture_suite_setup,
                                          store_fixture_suite_teardown, store_fixture_setup,
                                          store_fixture_teardown, 120}};

    return SUPPORT_RUN("store", cases, 0);
}
