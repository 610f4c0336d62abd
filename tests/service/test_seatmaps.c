/*
 * Integration suite of the seat maps each service instance answers ListSeats from (issue 9):
 * three instances on one PostgreSQL and Redis. A and B follow each other's events (each has
 * the other as peer); C follows nobody, so it learns of changes only by reading its maps again
 * (BO_SEATMAP_REFRESH_MS), as when every event is lost.
 *
 * Tested by outcome, as the freshness contract says: the instance that made a change shows it
 * on the next read; a peer within 1 s (the delay is printed: it is typically a few ms); an
 * instance that lost every event within 1 s plus slack; the last state wins everywhere; a
 * payment ends the payer's token for reads here at once and at the peer within 1 s; a stale
 * map can only lead to SEAT_TAKEN. Each test makes a date of its own and uses users of its own.
 */
#include "bo_error.h"
#include "bo_time.h"
#include "boxoffice/client.h"
#include "support.h"
#include "support_proc.h"
#include "testenv.h"
#include "token_memory.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { A, B, C, NINSTANCES };

/* Every instance is asked this often while a test waits for it to show something. */
#define POLL_MS 10
/* How long a test waits for an instance to show a change: far past the contract (100 ms with
 * events, 1 s without), so that a loaded machine cannot fail it. The tests check that changes
 * show up, in order; the delays themselves are the bench's to measure (its freshness cell). */
#define PEER_MS     5000
#define NO_PEERS_MS 10000

static struct testenv env;
static struct bo_client *clients[NINSTANCES];
static const char *const names[NINSTANCES] = {"A", "B", "C"};

/* Users of the tests, from 7001 on: each test takes its own. */
static uint64_t next_user = 7001;

/* suite_setup starts the servers, then A and B, which follow each other's events, then C, which
 * follows nobody (all before this process uses NNG, which testenv needs). */
static void suite_setup(void)
{
    ck_assert_int_eq(testenv_start(&env, TESTENV_SEED), 0);
    env.peers = 1;
    ck_assert_int_eq(testenv_service_start(&env, 2, NULL), 0);
    env.peers = 0;
    ck_assert_int_eq(testenv_service_start(&env, 1, NULL), 0);
    for (int i = 0; i < NINSTANCES; i++) {
        ck_assert_int_eq(bo_client_open(env.rpc_url[i], 10000, &clients[i]), BO_OK);
    }
}

static void suite_teardown(void)
{
    /* Servers first: a client socket without live connections closes without the risk of
     * libnng 1.5's close race (nanomsg/nng#1543). */
    testenv_stop(&env);
    for (int i = 0; i < NINSTANCES; i++) {
        bo_client_close(clients[i]);
        clients[i] = NULL;
    }
}

/* The sessions of the running test, one per instance. */
static struct bo_session *at[NINSTANCES];

static void test_setup(void)
{
    for (int i = 0; i < NINSTANCES; i++) {
        ck_assert_int_eq(bo_session_open(clients[i], &at[i]), BO_OK);
    }
}

static void test_teardown(void)
{
    for (int i = 0; i < NINSTANCES; i++) {
        bo_session_close(at[i]);
        at[i] = NULL;
    }
}

/* ---- calls ------------------------------------------------------------------------------ */

/* as_user makes s's calls from now on as user, proven by an operator identity token. */
static void as_user(struct bo_session *s, uint64_t user)
{
    char jwt[512];

    ck_assert_int_eq(testenv_jwt(&env, user, 0, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(bo_session_set_caller(s, jwt, NULL), BO_OK);
}

/* new_date makes a concert with one date of seats priced 100 and returns the date. */
static uint64_t new_date(uint64_t *concert_id)
{
    Boxoffice__V1__CreateConcertRequest creq = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    Boxoffice__V1__CreateScheduleRequest sreq = BOXOFFICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;
    uint64_t id;

    creq.admin_key = env.admin_key;
    creq.title = "Seat maps";
    ck_assert_msg(bo_call(at[A], "CreateConcert", &creq.base, &out, &st) == BO_OK, "%s",
                  st.message);
    *concert_id = ((Boxoffice__V1__CreateConcertReply *)out)->concert->id;
    protobuf_c_message_free_unpacked(out, NULL);
    sreq.admin_key = env.admin_key;
    sreq.concert_id = *concert_id;
    sreq.starts_at_ms = bo_time_now_ms() + 86400000;
    sreq.price = 100;
    ck_assert_msg(bo_call(at[A], "CreateSchedule", &sreq.base, &out, &st) == BO_OK, "%s",
                  st.message);
    id = ((Boxoffice__V1__CreateScheduleReply *)out)->schedule->id;
    protobuf_c_message_free_unpacked(out, NULL);
    return id;
}

/* add_date adds a date of seats priced 100 to concert_id through A and returns it. */
static uint64_t add_date(uint64_t concert_id)
{
    Boxoffice__V1__CreateScheduleRequest req = BOXOFFICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;
    uint64_t id;

    req.admin_key = env.admin_key;
    req.concert_id = concert_id;
    req.starts_at_ms = bo_time_now_ms() + 2 * 86400000;
    req.price = 100;
    ck_assert_msg(bo_call(at[A], "CreateSchedule", &req.base, &out, &st) == BO_OK, "%s",
                  st.message);
    id = ((Boxoffice__V1__CreateScheduleReply *)out)->schedule->id;
    protobuf_c_message_free_unpacked(out, NULL);
    return id;
}

/* The token of a test's user. */
struct user {
    uint64_t id;
    char token[256];
    int64_t active_until_ms;
};

/* call_as makes the call method with in through instance i as u; returns the code and, on
 * BO_OK, the reply in *out (caller frees; NULL: freed here). */
static int call_as(int i, const struct user *u, const char *method, const ProtobufCMessage *in,
                   ProtobufCMessage **out)
{
    ProtobufCMessage *reply = NULL;
    int rc;

    as_user(at[i], u->id);
    if ((rc = bo_call(at[i], method, in, &reply, NULL)) == BO_OK) {
        if (out != NULL) {
            *out = reply;
        } else {
            protobuf_c_message_free_unpacked(reply, NULL);
        }
    }
    return rc;
}

/* token_active holds once the user's token is ACTIVE (asked through A). */
static int token_active(void *arg)
{
    struct user *u = arg;
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int active;

    req.token = u->token;
    ck_assert_int_eq(bo_call(at[A], "GetToken", &req.base, &out, NULL), BO_OK);
    Boxoffice__V1__Token *t = ((Boxoffice__V1__GetTokenReply *)out)->token;
    active = t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE;
    u->active_until_ms = t->expires_at_ms;
    protobuf_c_message_free_unpacked(out, NULL);
    return active;
}

/* new_user gives a new user an ACTIVE token for concert_id. */
static struct user new_user(uint64_t concert_id)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;
    struct user u = {.id = next_user++};

    req.user_id = u.id;
    req.concert_id = concert_id;
    as_user(at[A], u.id);
    ck_assert_msg(bo_call(at[A], "IssueToken", &req.base, &out, &st) == BO_OK, "%s", st.message);
    snprintf(u.token, sizeof(u.token), "%s", ((Boxoffice__V1__IssueTokenReply *)out)->token->token);
    protobuf_c_message_free_unpacked(out, NULL);
    SUPPORT_WAIT(token_active, &u, 15000, "user %llu was not admitted in 15 s",
                 (unsigned long long)u.id);
    return u;
}

/* hold holds seat of schedule for u through instance i; returns the code, *reservation the
 * hold. */
static int hold(int i, const struct user *u, uint64_t schedule, uint32_t seat,
                uint64_t *reservation)
{
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)u->token;
    req.schedule_id = schedule;
    req.seat_no = seat;
    if ((rc = call_as(i, u, "HoldSeat", &req.base, &out)) == BO_OK) {
        *reservation = ((Boxoffice__V1__HoldSeatReply *)out)->reservation->id;
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

static int release(int i, const struct user *u, uint64_t reservation)
{
    Boxoffice__V1__ReleaseHoldRequest req = BOXOFFICE__V1__RELEASE_HOLD_REQUEST__INIT;

    req.token = (char *)u->token;
    req.reservation_id = reservation;
    return call_as(i, u, "ReleaseHold", &req.base, NULL);
}

/* pay charges u enough points and pays the reservation through instance i. */
static void pay(int i, const struct user *u, uint64_t reservation)
{
    Boxoffice__V1__ChargePointsRequest creq = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    Boxoffice__V1__PayRequest preq = BOXOFFICE__V1__PAY_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;

    as_user(at[i], u->id);
    creq.user_id = u->id;
    creq.amount = 1000;
    creq.idempotency_key = "";
    ck_assert_msg(bo_call(at[i], "ChargePoints", &creq.base, &out, &st) == BO_OK, "%s", st.message);
    protobuf_c_message_free_unpacked(out, NULL);
    preq.token = (char *)u->token;
    preq.reservation_id = reservation;
    preq.idempotency_key = "";
    ck_assert_msg(bo_call(at[i], "Pay", &preq.base, &out, &st) == BO_OK, "%s", st.message);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* leave ends u's token through instance i. */
static void leave(int i, const struct user *u)
{
    Boxoffice__V1__LeaveQueueRequest req = BOXOFFICE__V1__LEAVE_QUEUE_REQUEST__INIT;

    req.token = (char *)u->token;
    ck_assert_int_eq(call_as(i, u, "LeaveQueue", &req.base, NULL), BO_OK);
}

/* metric_read reads instance i's GET /metrics and returns the value of the sample line that
 * starts with name (its labels included), -1 when there is none. */
static long long metric_read(int i, const char *name)
{
    char path[300], url[128], line[512];
    long long value = -1;
    FILE *f;

    snprintf(path, sizeof(path), "%s/metrics-%d.txt", env.dir, i);
    snprintf(url, sizeof(url), "http://%s/metrics", env.metrics_listen[i]);
    char *curl[] = {"/usr/bin/curl", "-fsS", "--max-time", "5", "-o", path, url, NULL};
    ck_assert_msg(support_run(curl, NULL, 10000) == 0, "GET %s failed", url);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    while (value < 0 && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ' ') {
            value = atoll(line + strlen(name) + 1);
        }
    }
    fclose(f);
    return value;
}

/* metric is metric_read of a line that must be there: fails the test when there is none. */
static long long metric(int i, const char *name)
{
    long long value = metric_read(i, name);

    ck_assert_msg(value >= 0, "instance %s has no metric %s", names[i], name);
    return value;
}

/* metric_or_zero is metric_read of a counter printed once it is past 0. */
static long long metric_or_zero(int i, const char *name)
{
    long long value = metric_read(i, name);

    return value >= 0 ? value : 0;
}

/* A seat as one ListSeats answer showed it. */
struct seen {
    int rc;
    int status;
    uint64_t reservation_id;
    int64_t held_until_ms;
    int64_t token_active_until_ms;
};

/* list_seat asks instance i for the map of schedule with u's token and returns what it says of
 * seat (rc alone when the call failed). */
static struct seen list_seat(int i, const struct user *u, uint64_t schedule, uint32_t seat)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct seen s = {0};

    req.token = (char *)u->token;
    req.schedule_id = schedule;
    if ((s.rc = call_as(i, u, "ListSeats", &req.base, &out)) != BO_OK) {
        return s;
    }
    Boxoffice__V1__ListSeatsReply *r = (Boxoffice__V1__ListSeatsReply *)out;
    ck_assert_uint_eq(r->schedule_id, schedule);
    ck_assert_uint_ge(r->n_seats, seat);
    ck_assert_uint_eq(r->seats[seat - 1]->seat_no, seat);
    s.status = r->seats[seat - 1]->status;
    s.reservation_id = r->seats[seat - 1]->reservation_id;
    s.held_until_ms = r->seats[seat - 1]->held_until_ms;
    s.token_active_until_ms = r->token_active_until_ms;
    protobuf_c_message_free_unpacked(out, NULL);
    return s;
}

/* What a test waits for instance i to show. */
struct want {
    int i;
    const struct user *u;
    uint64_t schedule;
    uint32_t seat;
    int rc;                  /* the code of ListSeats */
    int status;              /* when rc is BO_OK: the seat's status */
    uint64_t reservation_id; /* and its reservation (0: any) */
};

/* shows says whether instance w->i now answers as w wants. */
static int shows(const struct want *w)
{
    struct seen s = list_seat(w->i, w->u, w->schedule, w->seat);

    if (s.rc != w->rc) {
        ck_assert_msg(s.rc == BO_OK, "instance %s: ListSeats failed with %s", names[w->i],
                      bo_error_name(s.rc));
        return 0;
    }
    return w->rc != BO_OK || (s.status == w->status &&
                              (w->reservation_id == 0 || s.reservation_id == w->reservation_id));
}

/* wait_shows asks instance w->i every POLL_MS until it answers as w wants and returns how long
 * that took (ms); fails the test past within_ms. */
static long wait_shows(const struct want *w, long within_ms)
{
    int64_t start = bo_time_mono_ms(), took;

    while (!shows(w)) {
        took = bo_time_mono_ms() - start;
        ck_assert_msg(took <= within_ms, "instance %s did not show the change in %ld ms",
                      names[w->i], within_ms);
        support_sleep_ms(POLL_MS);
    }
    took = bo_time_mono_ms() - start;
    return (long)took;
}

/* prime reads the map of schedule through every instance, so each holds it in memory. */
static void prime(const struct user *u, uint64_t schedule, uint32_t seat)
{
    for (int i = 0; i < NINSTANCES; i++) {
        struct seen s = list_seat(i, u, schedule, seat);
        ck_assert_int_eq(s.rc, BO_OK);
        ck_assert_int_eq(s.status, BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE);
    }
}

/* A hold made through A on a new date whose map every instance held before. */
struct held {
    uint64_t concert, schedule, reservation;
    uint32_t seat;
    struct user u;
};

/* hold_primed makes a date and a user, has every instance read the map, then holds seat through
 * A. */
static struct held hold_primed(uint32_t seat)
{
    struct held h = {.seat = seat};

    h.schedule = new_date(&h.concert);
    h.u = new_user(h.concert);
    prime(&h.u, h.schedule, seat);
    ck_assert_int_eq(hold(A, &h.u, h.schedule, seat, &h.reservation), BO_OK);
    return h;
}

/* wait_held waits until instance i shows h's hold, within_ms at most; returns how long it took. */
static long wait_held(int i, const struct held *h, long within_ms)
{
    struct want w = {i,
                     &h->u,
                     h->schedule,
                     h->seat,
                     BO_OK,
                     BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD,
                     h->reservation};
    return wait_shows(&w, within_ms);
}

/* A concert's dates as one ListSchedules answer showed them: how many, and the seats left of
 * two of them (-1: not listed). */
struct dates_seen {
    size_t n;
    long left[2];
};

/* list_dates asks instance i for the dates of concert with u's token. */
static struct dates_seen list_dates(int i, const struct user *u, uint64_t concert,
                                    const uint64_t dates[2])
{
    Boxoffice__V1__ListSchedulesRequest req = BOXOFFICE__V1__LIST_SCHEDULES_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct dates_seen d = {0, {-1, -1}};

    req.token = (char *)u->token;
    req.concert_id = concert;
    ck_assert_int_eq(call_as(i, u, "ListSchedules", &req.base, &out), BO_OK);
    Boxoffice__V1__ListSchedulesReply *r = (Boxoffice__V1__ListSchedulesReply *)out;
    d.n = r->n_schedules;
    for (size_t k = 0; k < r->n_schedules; k++) {
        ck_assert_uint_eq(r->schedules[k]->concert_id, concert);
        ck_assert_uint_eq(r->schedules[k]->total_seats, 50);
        ck_assert(k == 0 || r->schedules[k]->starts_at_ms >= r->schedules[k - 1]->starts_at_ms);
        for (int j = 0; j < 2; j++) {
            if (r->schedules[k]->id == dates[j]) {
                d.left[j] = r->schedules[k]->available_seats;
            }
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return d;
}

/* What a test waits for an instance's list of dates to show. */
struct dates_want {
    int i;
    const struct user *u;
    uint64_t concert;
    const uint64_t *dates;
    size_t n;
    long left[2];
};

static int dates_show(void *arg)
{
    const struct dates_want *w = arg;
    struct dates_seen d = list_dates(w->i, w->u, w->concert, w->dates);

    return d.n == w->n && d.left[0] == w->left[0] && d.left[1] == w->left[1];
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(dates_list_counts_seats_from_the_maps)
{
    uint64_t concert, dates[2], r = 0;
    struct user u;

    dates[0] = new_date(&concert);
    u = new_user(concert);
    prime(&u, dates[0], 5);

    /* A date just added shows at once everywhere, even where no event ever arrives. */
    dates[1] = add_date(concert);
    for (int i = 0; i < NINSTANCES; i++) {
        struct dates_seen d = list_dates(i, &u, concert, dates);
        ck_assert_uint_eq(d.n, 2);
        ck_assert_int_eq(d.left[0], 50);
        ck_assert_int_eq(d.left[1], 50);
    }

    /* A hold counts here on the next read, at the peer and without events within their time. */
    ck_assert_int_eq(hold(A, &u, dates[0], 5, &r), BO_OK);
    struct dates_seen d = list_dates(A, &u, concert, dates);
    ck_assert_int_eq(d.left[0], 49);
    for (int i = B; i < NINSTANCES; i++) {
        struct dates_want w = {i, &u, concert, dates, 2, {49, 50}};
        SUPPORT_WAIT(dates_show, &w, i == C ? NO_PEERS_MS : PEER_MS,
                     "instance %s did not count the hold", names[i]);
    }

    /* A date sold out behind every instance's back leaves every list within the re-read. */
    (void)testenv_sql_i64(&env,
                          "WITH s AS (INSERT INTO reservations (user_id, schedule_id, seat_no, "
                          "price, status, expires_at, confirmed_at) SELECT %llu, %llu, g, 100, "
                          "'CONFIRMED', now(), now() FROM generate_series(1, 50) g RETURNING 1) "
                          "SELECT count(*) FROM s",
                          (unsigned long long)u.id, (unsigned long long)dates[1]);
    for (int i = 0; i < NINSTANCES; i++) {
        struct dates_want w = {i, &u, concert, dates, 1, {49, -1}};
        SUPPORT_WAIT(dates_show, &w, NO_PEERS_MS, "instance %s still lists the sold-out date",
                     names[i]);
    }

    /* A released hold counts as free again, also where the map is only read again. */
    ck_assert_int_eq(release(A, &u, r), BO_OK);
    for (int i = 0; i < NINSTANCES; i++) {
        struct dates_want w = {i, &u, concert, dates, 1, {50, -1}};
        SUPPORT_WAIT(dates_show, &w, i == C ? NO_PEERS_MS : PEER_MS,
                     "instance %s did not count the released seat", names[i]);
    }
}
END_TEST

START_TEST(hold_shows_here_at_once_and_at_the_peer_within_a_second)
{
    struct held h = hold_primed(7);

    /* The instance that made the change shows it on the very next read. */
    struct seen s = list_seat(A, &h.u, h.schedule, 7);
    ck_assert_int_eq(s.rc, BO_OK);
    ck_assert_int_eq(s.status, BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD);
    ck_assert_uint_eq(s.reservation_id, h.reservation);
    ck_assert_int_gt(s.held_until_ms, bo_time_now_ms());
    ck_assert_int_eq(s.token_active_until_ms, h.u.active_until_ms);

    printf("seatmaps: the peer showed a hold after %ld ms\n", wait_held(B, &h, PEER_MS));
}
END_TEST

START_TEST(an_instance_without_events_shows_a_hold_within_its_reread)
{
    struct held h = hold_primed(3);

    printf("seatmaps: the instance without peers showed a hold after %ld ms\n",
           wait_held(C, &h, NO_PEERS_MS));
}
END_TEST

START_TEST(hold_release_hold_end_in_the_last_state_everywhere)
{
    uint64_t concert, schedule = new_date(&concert), r1 = 0, r2 = 0, r3 = 0;
    struct user u1 = new_user(concert), u2 = new_user(concert);

    prime(&u1, schedule, 12);
    ck_assert_int_eq(hold(A, &u1, schedule, 12, &r1), BO_OK);
    ck_assert_int_eq(release(B, &u1, r1), BO_OK);
    ck_assert_int_eq(hold(B, &u2, schedule, 12, &r2), BO_OK);
    ck_assert_int_eq(release(A, &u2, r2), BO_OK);
    ck_assert_int_eq(hold(A, &u1, schedule, 12, &r3), BO_OK);
    ck_assert_uint_gt(r3, r2);

    for (int i = 0; i < NINSTANCES; i++) {
        struct want w = {i, &u2, schedule, 12, BO_OK, BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD, r3};
        (void)wait_shows(&w, i == C ? NO_PEERS_MS : PEER_MS);
    }
    /* and keep showing it: nothing older comes back. */
    for (int i = 0; i < NINSTANCES; i++) {
        struct seen s = list_seat(i, &u2, schedule, 12);
        ck_assert_int_eq(s.status, BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD);
        ck_assert_uint_eq(s.reservation_id, r3);
    }
}
END_TEST

START_TEST(a_payment_sells_everywhere_and_ends_the_token_for_reads)
{
    uint64_t concert, schedule = new_date(&concert), r = 0;
    struct user payer = new_user(concert), other = new_user(concert);

    prime(&payer, schedule, 20);
    prime(&other, schedule, 20);
    ck_assert_int_eq(hold(A, &payer, schedule, 20, &r), BO_OK);
    pay(A, &payer, r);

    /* Here at once: the seat is SOLD and the payer's token is refused. */
    struct seen s = list_seat(A, &other, schedule, 20);
    ck_assert_int_eq(s.status, BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD);
    ck_assert_uint_eq(s.reservation_id, r);
    ck_assert_int_eq(list_seat(A, &payer, schedule, 20).rc, BO_E_TOKEN_EXPIRED);

    /* At the peer within a second, at the instance without events within its re-read. */
    struct want sold = {B, &other, schedule, 20, BO_OK, BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD, r};
    (void)wait_shows(&sold, PEER_MS);
    sold.i = C;
    (void)wait_shows(&sold, NO_PEERS_MS);
    struct want refused = {B, &payer, schedule, 20, BO_E_TOKEN_EXPIRED, 0, 0};
    long took = wait_shows(&refused, PEER_MS);
    printf("seatmaps: the peer refused the payer's token after %ld ms\n", took);
}
END_TEST

START_TEST(a_stale_map_only_leads_to_seat_taken)
{
    uint64_t concert, schedule = new_date(&concert), r = 0, lost = 0;
    struct user u1 = new_user(concert), u2 = new_user(concert);

    prime(&u2, schedule, 30);
    ck_assert_int_eq(hold(A, &u1, schedule, 30, &r), BO_OK);
    /* C has heard nothing of it: PostgreSQL decides. */
    ck_assert_int_eq(hold(C, &u2, schedule, 30, &lost), BO_E_SEAT_TAKEN);
    ck_assert_int_eq(testenv_sql_i64(&env,
                                     "SELECT count(*) FROM reservations WHERE schedule_id = %llu "
                                     "AND seat_no = 30 AND status IN ('HELD', 'CONFIRMED')",
                                     (unsigned long long)schedule),
                     1);
}
END_TEST

START_TEST(leaving_ends_the_token_for_reads_here_at_once_and_at_the_peer)
{
    uint64_t concert, schedule = new_date(&concert);
    struct user u = new_user(concert);

    prime(&u, schedule, 1); /* every instance has seen the token ACTIVE */
    leave(B, &u);
    ck_assert_int_eq(list_seat(B, &u, schedule, 1).rc, BO_E_TOKEN_EXPIRED);
    struct want refused = {A, &u, schedule, 1, BO_E_TOKEN_EXPIRED, 0, 0};
    long took = wait_shows(&refused, PEER_MS);
    printf("seatmaps: the peer refused a token that left after %ld ms\n", took);
}
END_TEST

START_TEST(metrics_count_reads_from_memory_and_peer_events)
{
    struct held h = hold_primed(9);

    (void)wait_held(B, &h, PEER_MS);
    (void)list_seat(B, &h.u, h.schedule, 9);

    ck_assert_int_gt(metric(B, "boxoffice_peer_events_total{kind=\"seats\"}"), 0);
    ck_assert_int_gt(metric(B, "boxoffice_seat_map_reads_total{source=\"memory\"}"), 0);
    ck_assert_int_gt(metric(B, "boxoffice_seat_map_reads_total{source=\"database\"}"), 0);
    ck_assert_int_gt(metric(B, "boxoffice_token_checks_total{source=\"memory\"}"), 0);
    ck_assert_int_eq(metric(C, "boxoffice_peer_events_total{kind=\"seats\"}"), 0);
}
END_TEST

/* The first read of a new date needs PostgreSQL: nng's thread finds it missing from memory
 * and leaves it to the worker, which answers it; the next comes from memory. Each read is
 * answered once and counted once, as it was answered (never as the attempt that gave way). */
START_TEST(a_read_left_to_the_worker_is_answered_and_counted_once)
{
    uint64_t concert, schedule = new_date(&concert);
    struct user u = new_user(concert);
    const char *ok = "boxoffice_rpc_requests_total{method=\"ListSeats\",code=\"OK\"}";
    const char *unavailable =
        "boxoffice_rpc_requests_total{method=\"ListSeats\",code=\"UNAVAILABLE\"}";
    const char *memory = "boxoffice_seat_map_reads_total{source=\"memory\"}";
    const char *database = "boxoffice_seat_map_reads_total{source=\"database\"}";
    long long calls = metric(B, ok), refused = metric_or_zero(B, unavailable);
    long long from_memory = metric(B, memory), from_database = metric(B, database);

    for (int k = 0; k < 2; k++) {
        struct seen s = list_seat(B, &u, schedule, 4);
        ck_assert_int_eq(s.rc, BO_OK);
        ck_assert_int_eq(s.status, BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE);
    }
    ck_assert_int_eq(metric(B, ok), calls + 2);
    ck_assert_int_eq(metric_or_zero(B, unavailable), refused);
    /* The second read too comes from the database if over a second passed between them. */
    ck_assert_int_ge(metric(B, database) - from_database, 1);
    ck_assert_int_eq(metric(B, memory) - from_memory + metric(B, database) - from_database, 2);
}
END_TEST

/* ---- the token memory alone ------------------------------------------------------------- */

#define NOW 1800000000000LL

START_TEST(token_memory_knows_a_remembered_token_until_its_window_ends)
{
    struct token_memory *tm = NULL;
    int64_t until = 0;

    ck_assert_int_eq(token_memory_open(64, &tm), BO_OK);
    ck_assert_int_eq(token_memory_active(tm, 5, 1, 77, NOW, &until), 0);
    token_memory_remember(tm, 5, 1, 77, NOW + 1000, NOW);
    ck_assert_int_eq(token_memory_active(tm, 5, 1, 77, NOW + 999, &until), 1);
    ck_assert_int_eq(until, NOW + 1000);
    ck_assert_int_eq(token_memory_active(tm, 5, 1, 77, NOW + 1000, &until), 0); /* ended */
    ck_assert_int_eq(token_memory_active(tm, 5, 1, 78, NOW, &until), 0);        /* other user */
    ck_assert_int_eq(token_memory_active(tm, 5, 2, 77, NOW, &until), 0);        /* other token */
    token_memory_remember(tm, 5, 3, 77, NOW - 1, NOW); /* already over: not kept */
    ck_assert_int_eq(token_memory_active(tm, 5, 3, 77, NOW - 2, &until), 0);
    token_memory_close(tm);
    token_memory_close(NULL);
    ck_assert_int_eq(token_memory_active(NULL, 5, 1, 77, NOW, &until), 0);
}
END_TEST

START_TEST(token_memory_forgets_an_ended_token_and_does_not_take_it_back)
{
    struct token_memory *tm = NULL;
    int64_t until = 0;

    ck_assert_int_eq(token_memory_open(64, &tm), BO_OK);
    token_memory_remember(tm, 5, 1, 77, NOW + 60000, NOW);
    token_memory_forget(tm, 5, 1, NOW + 10);
    ck_assert_int_eq(token_memory_active(tm, 5, 1, 77, NOW + 11, &until), 0);
    /* A check that read it ACTIVE just before it ended comes too late. */
    token_memory_remember(tm, 5, 1, 77, NOW + 60000, NOW + 12);
    ck_assert_int_eq(token_memory_active(tm, 5, 1, 77, NOW + 13, &until), 0);
    /* An end heard before the token was ever seen counts the same. */
    token_memory_forget(tm, 5, 2, NOW);
    token_memory_remember(tm, 5, 2, 77, NOW + 60000, NOW + 1);
    ck_assert_int_eq(token_memory_active(tm, 5, 2, 77, NOW + 2, &until), 0);
    token_memory_close(tm);
}
END_TEST

START_TEST(token_memory_stays_bounded)
{
    struct token_memory *tm = NULL;
    int64_t until = 0;
    int known = 0;

    ck_assert_int_eq(token_memory_open(16, &tm), BO_OK);
    for (uint64_t seq = 1; seq <= 1000; seq++) {
        token_memory_remember(tm, 9, seq, 100 + seq, NOW + 60000 + (int64_t)seq, NOW);
    }
    for (uint64_t seq = 1; seq <= 1000; seq++) {
        known += token_memory_active(tm, 9, seq, 100 + seq, NOW, &until);
    }
    ck_assert_int_gt(known, 0);
    ck_assert_int_le(known, 16);
    /* The latest is always kept: it took the place of the one that ends first. */
    ck_assert_int_eq(token_memory_active(tm, 9, 1000, 1100, NOW, &until), 1);
    ck_assert_int_eq(token_memory_open(0, &tm), BO_E_INVALID_ARGUMENT);
    token_memory_close(tm);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {dates_list_counts_seats_from_the_maps,
                            hold_shows_here_at_once_and_at_the_peer_within_a_second,
                            an_instance_without_events_shows_a_hold_within_its_reread,
                            hold_release_hold_end_in_the_last_state_everywhere,
                            a_payment_sells_everywhere_and_ends_the_token_for_reads,
                            a_stale_map_only_leads_to_seat_taken,
                            leaving_ends_the_token_for_reads_here_at_once_and_at_the_peer,
                            metrics_count_reads_from_memory_and_peer_events,
                            a_read_left_to_the_worker_is_answered_and_counted_once,
                            NULL};
    const TTest *memory[] = {token_memory_knows_a_remembered_token_until_its_window_ends,
                             token_memory_forgets_an_ended_token_and_does_not_take_it_back,
                             token_memory_stays_bounded, NULL};
    const struct support_case cases[] = {
        {"token_memory", memory, NULL, NULL, NULL, NULL, 10},
        {"nng", tests, suite_setup, suite_teardown, test_setup, test_teardown, 60}};

    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("seatmaps", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
