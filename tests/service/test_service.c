/*
 * Integration suite of the whole service over NNG: three instances against one
 * throwaway PostgreSQL and Redis, driven through libboxoffice like any client.
 * Each test uses its own users so tests do not see each other's tokens; the
 * event tests use concerts of their own, so admission numbers start at 1.
 *
 * Every instance skips waiting tokens unseen for SUITE_ABANDON_SECONDS, so a
 * test that lets tokens wait keeps them alive (GetToken or TouchTokens), as a
 * client or the push listener would. The last two tests kill two instances, so
 * they run last, in the order listed in main. All three start in the fixture:
 * testenv cannot start one once this process has used NNG.
 */
#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_time.h"
#include "boxoffice/client.h"
#include "cache.h"
#include "support.h"
#include "support_proc.h"
#include "testenv.h"

#include <check.h>
#include <nng/protocol/reqrep0/req.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUITE_ABANDON_SECONDS "4"

static struct testenv env;
static struct bo_client *client;
static const char *const instance_args[] = {"--workers=24",
                                            "--abandon-seconds=" SUITE_ABANDON_SECONDS,
                                            "--idempotency-keep-seconds=3600", NULL};

static void suite_setup(void)
{
    testenv_up(&env, TESTENV_SEED, 3, instance_args);
    ck_assert_int_eq(bo_client_open(env.rpc_urls, 10000, &client), BO_OK);
}

static void suite_teardown(void)
{
    /* Servers first: a client socket without live connections closes without the risk of
     * libnng 1.5's close race (nanomsg/nng#1543). */
    testenv_stop(&env);
    bo_client_close(client);
}

/*
 * Without forking, Check cannot time a test out: this watchdog turns a hung test into a
 * failure within seconds instead of the suite's ctest timeout, naming the test (Check prints
 * its results only at the end of the suite, which a hung test never reaches).
 */
#define TEST_WATCHDOG_SECONDS 150

/* main's list of tests, and how many of them have started (test_setup counts them). */
static const TTest *const *test_order;
static size_t tests_started;

static void watchdog_fire(int sig)
{
    static const char msg[] = "test_service: a test did not finish in time (the watchdog's "
                              "TEST_WATCHDOG_SECONDS): stopping the servers and failing: ";
    const char *name = tests_started > 0 ? test_order[tests_started - 1]->name : "(none)";
    ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    w = write(STDERR_FILENO, name, strlen(name));
    w = write(STDERR_FILENO, "\n", 1);
    (void)w;
    (void)sig;
    testenv_stop(&env);
    _exit(EXIT_FAILURE);
}

static struct bo_session *session(void)
{
    struct bo_session *s = NULL;
    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    return s;
}

/* The session of the running test, opened by the checked fixture. */
static struct bo_session *sess;

/* test_setup arms the watchdog and opens the test's session. */
static void test_setup(void)
{
    tests_started++;
    signal(SIGALRM, watchdog_fire);
    alarm(TEST_WATCHDOG_SECONDS);
    sess = session();
}

static void test_teardown(void)
{
    bo_session_close(sess);
    sess = NULL;
    alarm(0);
}

/* Sets admission settings through the admin rpc (zero fields unchanged). */
static void set_settings(struct bo_session *s, uint32_t rate, uint32_t max_active,
                         uint32_t hold_ttl)
{
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings set = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;

    set.rate_per_second = rate;
    set.max_active = max_active;
    set.hold_ttl_seconds = hold_ttl;
    req.admin_key = env.admin_key;
    req.settings = &set;
    ck_assert_int_eq(bo_call(s, "SetAdmissionSettings", &req.base, &out, &st), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
}

static void set_admission(struct bo_session *s, uint32_t rate, uint32_t hold_ttl)
{
    set_settings(s, rate, 0, hold_ttl);
}

/* Creates a concert through the admin rpc: a line of its own, admission numbers from 1. */
static uint64_t new_concert(struct bo_session *s, const char *title)
{
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;
    uint64_t id;

    req.admin_key = env.admin_key;
    req.title = (char *)title;
    req.artist = "Test";
    req.venue = "Hall";
    ck_assert_msg(bo_call(s, "CreateConcert", &req.base, &out, &st) == BO_OK, "create: %s",
                  st.message);
    id = ((Boxoffice__V1__CreateConcertReply *)out)->concert->id;
    protobuf_c_message_free_unpacked(out, NULL);
    return id;
}

/* Calls TouchTokens with tokens[0..n); returns the code, *out the reply (caller frees). */
static int touch(struct bo_session *s, char **tokens, size_t n,
                 Boxoffice__V1__TouchTokensReply **out)
{
    Boxoffice__V1__TouchTokensRequest req = BOXOFFICE__V1__TOUCH_TOKENS_REQUEST__INIT;
    ProtobufCMessage *msg = NULL;
    int rc;

    req.n_tokens = n;
    req.tokens = tokens;
    rc = bo_call(s, "TouchTokens", &req.base, &msg, NULL);
    *out = (Boxoffice__V1__TouchTokensReply *)msg;
    return rc;
}

/* Touches tokens[0..n) and checks they are all still live. */
static void touch_all(struct bo_session *s, char **tokens, size_t n)
{
    Boxoffice__V1__TouchTokensReply *r = NULL;
    ck_assert_int_eq(touch(s, tokens, n, &r), BO_OK);
    ck_assert_uint_eq(r->touched, n);
    ck_assert_uint_eq(r->n_expired_token_ids, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* The admission lease's holder to wait for: for support_wait_until. */
struct leader_wait {
    struct cache *c;
    int not ;        /* an instance that does not count (-1: none) */
    int index;       /* the holder "test-<index>", once found */
    char holder[64]; /* as last read */
};

/* leader_found holds once the lease names a running instance ("test-<i>") other than not. */
static int leader_found(void *arg)
{
    struct leader_wait *w = arg;
    ck_assert_int_eq(cache_lease_holder(w->c, w->holder, sizeof(w->holder)), BO_OK);
    return sscanf(w->holder, "test-%d", &w->index) == 1 &&
           w->index != w->not &&testenv_service_running(&env, w->index);
}

/* leader_other_than returns the index of the running instance that holds the admission lease
 * (read from Redis), waiting for one other than instance not (-1: any) to take it. */
static int leader_other_than(int not )
{
    struct leader_wait w = {NULL, not, -1, ""};

    ck_assert_int_eq(cache_open(env.redis_url, &w.c), BO_OK);
    int rc = support_wait_until(leader_found, &w, 15000);
    cache_close(w.c);
    ck_assert_msg(rc == 0, "no running instance other than %d took the lease in 15 s (holder '%s')",
                  not, w.holder);
    return w.index;
}

/* leader_index returns the index of the running instance that holds the admission lease. */
static int leader_index(void)
{
    return leader_other_than(-1);
}

/* Which running instances a test subscribed to and how many subscriptions it opened: for
 * support_wait_until. */
struct sub_wait {
    int instances; /* instances 0 .. instances - 1 */
    int subscriptions;
};

/* subscribed holds once this process has the subscriptions' connections to every running one of
 * the instances' events ports. The publisher adds the pipe a handshake later, so events sent in
 * the same instant may still be lost: callers publish nothing before their next rpc round trips. */
static int subscribed(void *arg)
{
    const struct sub_wait *w = arg;
    for (int i = 0; i < w->instances; i++) {
        if (testenv_service_running(&env, i) &&
            support_tcp_connections(getpid(), support_url_port(env.events_url[i])) <
                w->subscriptions) {
            return 0;
        }
    }
    return 1;
}

/* wait_subscribed waits until subscriptions subscriptions of this process reach instances
 * 0 .. instances - 1. */
static void wait_subscribed(int instances, int subscriptions)
{
    struct sub_wait w = {instances, subscriptions};
    SUPPORT_WAIT(subscribed, &w, 10000, "%d subscriptions did not connect in 10 s", subscriptions);
}

/* One call made until it is answered: for support_wait_until. */
struct call {
    struct bo_session *s;
    const char *method;
    const ProtobufCMessage *in;
    ProtobufCMessage **out;
    struct bo_status *st;
    int rc;
};

/* call_answered makes the call and holds once it was answered (anything but UNAVAILABLE). */
static int call_answered(void *arg)
{
    struct call *c = arg;
    c->rc = bo_call(c->s, c->method, c->in, c->out, c->st);
    return c->rc != BO_E_UNAVAILABLE;
}

/*
 * call_again is bo_call for idempotent calls, made again when the answer was lost: a request
 * on its way to an instance killed by a test fails with UNAVAILABLE (libboxoffice never
 * resends by itself), and a client tries such a call again.
 */
static int call_again(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                      ProtobufCMessage **out, struct bo_status *st)
{
    struct call c = {s, method, in, out, st, BO_E_UNAVAILABLE};

    (void)support_wait_until(call_answered, &c, 2000); /* else c.rc says UNAVAILABLE */
    return c.rc;
}

/* as_user makes s's calls from now on as user, proven by an operator identity token. */
static void as_user(struct bo_session *s, uint64_t user)
{
    char jwt[512];

    ck_assert_int_eq(testenv_jwt(&env, user, 0, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(bo_session_set_caller(s, jwt, NULL), BO_OK);
}

/* as_token_user makes s's calls as the user a queue token names ("v1.<c>.<u>.<s>.<sig>"); a
 * text that names none leaves the caller as it was. */
static void as_token_user(struct bo_session *s, const char *token)
{
    unsigned long long concert = 0, user = 0;

    if (sscanf(token, "v1.%llu.%llu.", &concert, &user) == 2 && user != 0) {
        as_user(s, user);
    }
}

/* Issues a token for (user, concert); returns the reply (caller frees). */
static Boxoffice__V1__IssueTokenReply *issue(struct bo_session *s, uint64_t user, uint64_t concert)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;

    req.user_id = user;
    req.concert_id = concert;
    as_user(s, user);
    ck_assert_msg(call_again(s, "IssueToken", &req.base, &out, &st) == BO_OK, "issue: %s",
                  st.message);
    return (Boxoffice__V1__IssueTokenReply *)out;
}

static int token_status(struct bo_session *s, const char *token, Boxoffice__V1__Token *copy)
{
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)token;
    if ((rc = call_again(s, "GetToken", &req.base, &out, NULL)) != BO_OK) {
        return rc;
    }
    Boxoffice__V1__GetTokenReply *r = (Boxoffice__V1__GetTokenReply *)out;
    *copy = *r->token;
    copy->token = NULL;
    copy->token_id = NULL;
    protobuf_c_message_free_unpacked(out, NULL);
    return BO_OK;
}

/* A token to wait for until it is ACTIVE: for support_wait_until. */
struct token_wait {
    struct bo_session *s;
    const char *text;
    Boxoffice__V1__Token t; /* as last read */
};

/* token_active holds once the token is ACTIVE. */
static int token_active(void *arg)
{
    struct token_wait *w = arg;
    ck_assert_int_eq(token_status(w->s, w->text, &w->t), BO_OK);
    return w->t.status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE;
}

/* Gets an ACTIVE token for (user, concert) into text (waits for admission, up to 15 s). */
static void active_token(struct bo_session *s, uint64_t user, uint64_t concert, char *text,
                         size_t len)
{
    Boxoffice__V1__IssueTokenReply *r = issue(s, user, concert);
    struct token_wait w = {s, text, BOXOFFICE__V1__TOKEN__INIT};

    snprintf(text, len, "%s", r->token->token);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    SUPPORT_WAIT(token_active, &w, 15000, "user %llu was not admitted within 15 s",
                 (unsigned long long)user);
}

static int hold(struct bo_session *s, const char *token, uint64_t schedule, uint32_t seat,
                uint64_t *reservation_id, int64_t *price)
{
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)token;
    req.schedule_id = schedule;
    req.seat_no = seat;
    as_token_user(s, token);
    if ((rc = bo_call(s, "HoldSeat", &req.base, &out, NULL)) == BO_OK) {
        Boxoffice__V1__HoldSeatReply *r = (Boxoffice__V1__HoldSeatReply *)out;
        if (reservation_id != NULL) {
            *reservation_id = r->reservation->id;
        }
        if (price != NULL) {
            *price = r->reservation->price;
        }
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

/* sql_long runs a one-value query and returns the value. */
static long sql_long(const char *sql)
{
    return (long)testenv_sql_i64(&env, "%s", sql);
}

static int release(struct bo_session *s, const char *token, uint64_t reservation)
{
    Boxoffice__V1__ReleaseHoldRequest req = BOXOFFICE__V1__RELEASE_HOLD_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)token;
    req.reservation_id = reservation;
    as_token_user(s, token);
    if ((rc = bo_call(s, "ReleaseHold", &req.base, &out, NULL)) == BO_OK) {
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

/* A hold to make until it lasts the hold TTL wanted: for support_wait_until. */
struct ttl_hold {
    struct bo_session *s;
    const char *token;
    uint64_t schedule;
    uint32_t seat;
    long ttl_ms;
    uint64_t reservation; /* the hold, once made */
};

/* hold_of_ttl holds the seat and keeps the hold when it lasts ttl_ms (the worker that made it
 * has read the settings); otherwise it releases the hold again. */
static int hold_of_ttl(void *arg)
{
    struct ttl_hold *h = arg;
    char sql[160];

    ck_assert_int_eq(hold(h->s, h->token, h->schedule, h->seat, &h->reservation, NULL), BO_OK);
    snprintf(sql, sizeof(sql),
             "SELECT (extract(epoch FROM expires_at - held_at) * 1000)::bigint "
             "FROM reservations WHERE id = %llu",
             (unsigned long long)h->reservation);
    if (sql_long(sql) == h->ttl_ms) {
        return 1;
    }
    ck_assert_int_eq(release(h->s, h->token, h->reservation), BO_OK);
    return 0;
}

/*
 * hold_with_ttl holds seat of schedule with token once the workers make holds of ttl_seconds
 * (each re-reads the admission settings within a second of a change, whichever instance and
 * worker the call reaches) and returns the reservation.
 */
static uint64_t hold_with_ttl(struct bo_session *s, const char *token, uint64_t schedule,
                              uint32_t seat, long ttl_seconds)
{
    struct ttl_hold h = {s, token, schedule, seat, ttl_seconds * 1000, 0};
    SUPPORT_WAIT(hold_of_ttl, &h, 10000, "no hold of %ld s within 10 s of the change", ttl_seconds);
    return h.reservation;
}

/* hold_ended holds once the hold *(uint64_t *)id is past its expiry by the database's clock. */
static int hold_ended(void *id)
{
    char sql[128];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM reservations WHERE id = %llu AND expires_at <= now()",
             (unsigned long long)*(uint64_t *)id);
    return sql_long(sql) == 1;
}

static int charge(struct bo_session *s, const char *token, uint64_t user, int64_t amount,
                  const char *key, int64_t *balance)
{
    Boxoffice__V1__ChargePointsRequest req = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)token;
    req.user_id = user;
    req.amount = amount;
    req.idempotency_key = (char *)(key != NULL ? key : "");
    as_user(s, user);
    as_token_user(s, token); /* the token's holder, when it names one */
    if ((rc = bo_call(s, "ChargePoints", &req.base, &out, NULL)) == BO_OK) {
        if (balance != NULL) {
            *balance = ((Boxoffice__V1__ChargePointsReply *)out)->balance;
        }
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

static int pay(struct bo_session *s, const char *token, uint64_t reservation, const char *key,
               int *replayed)
{
    Boxoffice__V1__PayRequest req = BOXOFFICE__V1__PAY_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)token;
    req.reservation_id = reservation;
    req.idempotency_key = (char *)(key != NULL ? key : "");
    as_token_user(s, token);
    if ((rc = bo_call(s, "Pay", &req.base, &out, NULL)) == BO_OK) {
        if (replayed != NULL) {
            *replayed = ((Boxoffice__V1__PayReply *)out)->replayed;
        }
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

/* leave ends the token (LeaveQueue) as its holder. */
static int leave(struct bo_session *s, const char *token)
{
    Boxoffice__V1__LeaveQueueRequest req = BOXOFFICE__V1__LEAVE_QUEUE_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)token;
    as_token_user(s, token);
    if ((rc = bo_call(s, "LeaveQueue", &req.base, &out, NULL)) == BO_OK) {
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

static int seat_status(struct bo_session *s, const char *token, uint64_t schedule, uint32_t seat)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int status = -1;

    req.token = (char *)token;
    req.schedule_id = schedule;
    ck_assert_int_eq(bo_call(s, "ListSeats", &req.base, &out, NULL), BO_OK);
    Boxoffice__V1__ListSeatsReply *r = (Boxoffice__V1__ListSeatsReply *)out;
    ck_assert_uint_eq(r->n_seats, 50);
    for (size_t i = 0; i < r->n_seats; i++) {
        ck_assert_uint_eq(r->seats[i]->seat_no, i + 1);
        if (r->seats[i]->seat_no == seat) {
            status = r->seats[i]->status;
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return status;
}

/* A seat to watch until it shows a status, through whichever instance answers. */
struct seat_wait {
    struct bo_session *s;
    const char *token;
    uint64_t schedule;
    uint32_t seat;
    int want;
};

static int seat_shows(void *arg)
{
    const struct seat_wait *w = arg;
    return seat_status(w->s, w->token, w->schedule, w->seat) == w->want;
}

/* wait_seat waits until a read shows seat's status want. The client spreads its calls over
 * the suite's instances, which follow no one's events here: an instance that did not make a
 * change shows it when it next reads the map from PostgreSQL (BO_SEATMAP_REFRESH_MS), so the
 * contract is "within a second", not "on the next call". */
static void wait_seat(struct bo_session *s, const char *token, uint64_t schedule, uint32_t seat,
                      int want)
{
    struct seat_wait w = {s, token, schedule, seat, want};
    SUPPORT_WAIT(seat_shows, &w, 2000, "seat %u of date %llu did not show status %d within 2 s",
                 seat, (unsigned long long)schedule, want);
}

/* ---- tests ---------------------------------------------------------------------- */

START_TEST(full_flow_over_nng)
{
    char token[160];
    uint64_t res = 0;
    int64_t price = 0, balance = 0;
    int replayed = -1;
    Boxoffice__V1__Token t;

    active_token(sess, 11, 1, token, sizeof(token));
    wait_seat(sess, token, 1, 5, BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE);
    ck_assert_int_eq(hold(sess, token, 1, 5, &res, &price), BO_OK);
    ck_assert_int_gt(price, 0);
    wait_seat(sess, token, 1, 5, BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD);
    ck_assert_int_eq(pay(sess, token, res, "k-flow", NULL), BO_E_INSUFFICIENT_POINTS);
    ck_assert_int_eq(charge(sess, token, 11, price + 1000, "c-flow", &balance), BO_OK);
    ck_assert_int_eq(balance, price + 1000);
    ck_assert_int_eq(pay(sess, token, res, "k-flow", &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    /* The payment ended the token: the user's turn is over. */
    ck_assert_int_eq(token_status(sess, token, &t), BO_OK);
    ck_assert_int_eq(t.status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED);
    /* A retry whose first answer was lost gets the same payment, charged once. */
    ck_assert_int_eq(pay(sess, token, res, "k-flow", &replayed), BO_OK);
    ck_assert_int_eq(replayed, 1);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM payments WHERE user_id = 11"), 1);
    ck_assert_int_eq(sql_long("SELECT balance FROM wallets WHERE user_id = 11"), 1000);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM reservations WHERE user_id = 11 AND "
                              "status = 'CONFIRMED' AND schedule_id = 1 AND seat_no = 5"),
                     1);
    /* Another admitted user sees the seat sold. */
    active_token(sess, 12, 1, token, sizeof(token));
    wait_seat(sess, token, 1, 5, BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD);
    ck_assert_int_eq(hold(sess, token, 1, 5, NULL, NULL), BO_E_SEAT_TAKEN);
}
END_TEST

/* One of many users holding the same seat at once, on a session of its own. */
struct racer {
    struct bo_session *s;
    char token[160];
    int rc;
};

static void *race_hold(void *arg)
{
    struct racer *r = arg;

    r->rc = hold(r->s, r->token, 2, 17, NULL, NULL);
    return NULL;
}

START_TEST(two_hundred_holds_on_one_seat_one_winner)
{
    enum { N = 200 };
    static struct racer racers[N];
    int ok = 0, taken = 0;

    set_admission(sess, 100000, 0);
    for (int i = 0; i < N; i++) {
        racers[i].s = session();
        active_token(sess, 1000 + (uint64_t)i, 1, racers[i].token, sizeof(racers[i].token));
    }
    support_threads_run(race_hold, racers, sizeof(racers[0]), N);
    for (int i = 0; i < N; i++) {
        bo_session_close(racers[i].s);
        ok += racers[i].rc == BO_OK;
        taken += racers[i].rc == BO_E_SEAT_TAKEN;
    }
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(taken, N - 1);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM reservations WHERE schedule_id = 2 AND "
                              "seat_no = 17 AND status IN ('HELD','CONFIRMED')"),
                     1);
}
END_TEST

/* One of many users charging and paying at once, on a session of its own. */
struct payer {
    struct bo_session *s;
    uint64_t user;
    char token[160];
    uint64_t reservation;
    int pay_rc;
    int charge_ok;
};

static void *pay_and_charge(void *arg)
{
    struct payer *p = arg;
    char key[32];

    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "c-%llu-%d", (unsigned long long)p->user, i);
        p->charge_ok += charge(p->s, p->token, p->user, 20000, key, NULL) == BO_OK;
        if (i == 1) {
            p->pay_rc = pay(p->s, p->token, p->reservation, NULL, NULL);
        }
    }
    return NULL;
}

START_TEST(concurrent_charges_and_payments_keep_ledger)
{
    enum { N = 12 };
    static struct payer payers[N];
    char sql[256];

    set_admission(sess, 100000, 0);
    for (int i = 0; i < N; i++) {
        payers[i].s = session();
        payers[i].user = 2000 + (uint64_t)i;
        active_token(sess, payers[i].user, 2, payers[i].token, sizeof(payers[i].token));
        /* Schedules 6..10 belong to concert 2; seats 1..N on schedule 6. */
        ck_assert_int_eq(
            hold(sess, payers[i].token, 6, (uint32_t)(i + 1), &payers[i].reservation, NULL), BO_OK);
        /* Half the users start with enough for any seat, half with too little. */
        ck_assert_int_eq(
            charge(sess, payers[i].token, payers[i].user, i % 2 ? 150000 : 10000, NULL, NULL),
            BO_OK);
    }
    support_threads_run(pay_and_charge, payers, sizeof(payers[0]), N);
    for (int i = 0; i < N; i++) {
        bo_session_close(payers[i].s);
        snprintf(sql, sizeof(sql),
                 "SELECT (SELECT balance FROM wallets WHERE user_id = %llu) - "
                 "(SELECT coalesce(sum(delta), 0) FROM point_ledger WHERE user_id = %llu)",
                 (unsigned long long)payers[i].user, (unsigned long long)payers[i].user);
        ck_assert_int_eq(sql_long(sql), 0);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM payments WHERE reservation_id = %llu",
                 (unsigned long long)payers[i].reservation);
        ck_assert_int_eq(sql_long(sql), payers[i].pay_rc == BO_OK ? 1 : 0);
        ck_assert_msg(payers[i].pay_rc == BO_OK || payers[i].pay_rc == BO_E_INSUFFICIENT_POINTS ||
                          payers[i].pay_rc == BO_E_TOKEN_EXPIRED,
                      "payment of user %llu: %s", (unsigned long long)payers[i].user,
                      bo_error_name(payers[i].pay_rc));
    }
    ck_assert_int_eq(sql_long("SELECT count(*) FROM wallets WHERE balance < 0"), 0);
    ck_assert_int_ge(sql_long("SELECT count(*) FROM payments p JOIN reservations r ON "
                              "r.id = p.reservation_id WHERE r.schedule_id = 6"),
                     N / 2);
}
END_TEST

/* only_fresh_key_left tells whether user *arg has one idempotency key left (for SUPPORT_WAIT). */
static int only_fresh_key_left(void *arg)
{
    return testenv_sql_i64(&env, "SELECT count(*) FROM idempotency_keys WHERE user_id = %llu",
                           *(unsigned long long *)arg) == 1;
}

START_TEST(the_leader_sweeps_expired_idempotency_keys)
{
    unsigned long long user = 3011;
    char token[160];
    int64_t b = 0;

    active_token(sess, user, 3, token, sizeof(token));
    ck_assert_int_eq(charge(sess, token, user, 1000, "old-key", &b), BO_OK);
    ck_assert_int_eq(charge(sess, token, user, 1000, "fresh-key", &b), BO_OK);
    ck_assert_int_eq(testenv_sql_i64(&env,
                                     "WITH u AS (UPDATE idempotency_keys SET created_at = now() - "
                                     "interval '2 hours' WHERE user_id = %llu AND key = 'old-key' "
                                     "RETURNING 1) SELECT count(*) FROM u",
                                     user),
                     1);
    /* The instances keep keys an hour (instance_args): the leader deletes the old one within
     * a few of its sweeps, and leaves the fresh one. */
    SUPPORT_WAIT(only_fresh_key_left, &user, 30000, "the expired key was not swept");
    ck_assert_int_eq(charge(sess, token, user, 1000, "fresh-key", &b), BO_OK);
    ck_assert_int_eq(b, 2000); /* replayed */
    ck_assert_int_eq(charge(sess, token, user, 1000, "old-key", &b), BO_OK);
    ck_assert_int_eq(b, 3000); /* a new charge */
    ck_assert_int_eq(
        testenv_sql_i64(&env, "SELECT count(*) FROM point_ledger WHERE user_id = %llu", user), 3);
}
END_TEST

START_TEST(idempotent_charge_counts_once)
{
    char token[160];
    int64_t b1 = 0, b2 = 0;

    active_token(sess, 3001, 3, token, sizeof(token));
    ck_assert_int_eq(charge(sess, token, 3001, 5000, "same-key", &b1), BO_OK);
    ck_assert_int_eq(charge(sess, token, 3001, 5000, "same-key", &b2), BO_OK);
    ck_assert_int_eq(b1, 5000);
    ck_assert_int_eq(b2, 5000);
    ck_assert_int_eq(charge(sess, token, 3001, 7000, "same-key", NULL), BO_E_IDEMPOTENCY_MISMATCH);
    ck_assert_int_eq(sql_long("SELECT balance FROM wallets WHERE user_id = 3001"), 5000);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM point_ledger WHERE user_id = 3001"), 1);
    /* Someone else's wallet is refused to the proven user (the token's holder here). */
    ck_assert_int_eq(charge(sess, token, 3002, 5000, NULL, NULL), BO_E_NOT_OWNER);
}
END_TEST

START_TEST(forged_and_altered_tokens_refused)
{
    char token[160], forged[160];
    Boxoffice__V1__Token t;

    active_token(sess, 3101, 1, token, sizeof(token));
    /* Same user and concert, signature of another secret. */
    snprintf(forged, sizeof(forged), "%s", token);
    char *sig = strrchr(forged, '.');
    ck_assert_ptr_nonnull(sig);
    sig[1] = sig[1] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(token_status(sess, forged, &t), BO_E_TOKEN_INVALID);
    ck_assert_int_eq(hold(sess, forged, 1, 30, NULL, NULL), BO_E_TOKEN_INVALID);
    /* Another user id with the original signature. */
    ck_assert_int_eq(
        hold(sess, "v1.1.3102.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, 30, NULL, NULL),
        BO_E_TOKEN_INVALID);
    ck_assert_int_eq(hold(sess, "", 1, 30, NULL, NULL), BO_E_TOKEN_MISSING);
    ck_assert_int_eq(hold(sess, "garbage", 1, 30, NULL, NULL), BO_E_TOKEN_INVALID);
    /* A token of concert 1 cannot hold a seat of concert 2 (schedule 6). */
    ck_assert_int_eq(hold(sess, token, 6, 30, NULL, NULL), BO_E_WRONG_CONCERT);
}
END_TEST

/* A token of one concert cannot release or pay a hold on a date of another, as it cannot make
 * one there: WRONG_CONCERT, and the hold, the balance, the payments, the idempotency key and
 * the token stay as they were. The token of the hold's concert releases and pays it. */
START_TEST(a_token_of_another_concert_cannot_release_or_pay)
{
    char a[160], b[160];
    uint64_t res = 0, again = 0;
    int64_t price = 0;
    int replayed = -1;
    Boxoffice__V1__Token t;

    active_token(sess, 3301, 1, a, sizeof(a));
    active_token(sess, 3301, 3, b, sizeof(b));
    /* Schedule 3 is a date of concert 1. */
    ck_assert_int_eq(hold(sess, a, 3, 33, &res, &price), BO_OK);
    ck_assert_int_eq(charge(sess, a, 3301, price, "c-3301", NULL), BO_OK);
    ck_assert_int_eq(release(sess, b, res), BO_E_WRONG_CONCERT);
    ck_assert_int_eq(pay(sess, b, res, "k-3301", NULL), BO_E_WRONG_CONCERT);
    ck_assert_int_eq(pay(sess, b, res, NULL, NULL), BO_E_WRONG_CONCERT);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM reservations WHERE user_id = 3301 AND "
                              "status = 'HELD' AND schedule_id = 3 AND seat_no = 33"),
                     1);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM payments WHERE user_id = 3301"), 0);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM idempotency_keys WHERE user_id = 3301 AND "
                              "scope = 'payment'"),
                     0);
    ck_assert_int_eq(sql_long("SELECT balance FROM wallets WHERE user_id = 3301"), price);
    ck_assert_int_eq(token_status(sess, b, &t), BO_OK);
    ck_assert_int_eq(t.status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE);

    /* With the token of the date's concert: released, held again and paid (the key the refused
     * payment named was not taken). */
    ck_assert_int_eq(release(sess, a, res), BO_OK);
    ck_assert_int_eq(hold(sess, a, 3, 33, &again, NULL), BO_OK);
    ck_assert_int_eq(pay(sess, a, again, "k-3301", &replayed), BO_OK);
    ck_assert_int_eq(replayed, 0);
    /* A retry of that payment with the other concert's token is no retry of it: refused while
     * that token is ACTIVE, and no replay once it has ended. Its own token replays it. */
    ck_assert_int_eq(pay(sess, b, again, "k-3301", NULL), BO_E_WRONG_CONCERT);
    ck_assert_int_eq(leave(sess, b), BO_OK);
    ck_assert_int_eq(pay(sess, b, again, "k-3301", NULL), BO_E_TOKEN_EXPIRED);
    ck_assert_int_eq(pay(sess, a, again, "k-3301", &replayed), BO_OK);
    ck_assert_int_eq(replayed, 1);
    ck_assert_int_eq(sql_long("SELECT count(*) FROM payments WHERE user_id = 3301"), 1);
    ck_assert_int_eq(sql_long("SELECT balance FROM wallets WHERE user_id = 3301"), 0);
}
END_TEST

START_TEST(expired_hold_frees_the_seat)
{
    char a[160], b[160];
    uint64_t held;

    set_admission(sess, 100000, 1);
    active_token(sess, 3201, 3, a, sizeof(a));
    active_token(sess, 3202, 3, b, sizeof(b));
    held = hold_with_ttl(sess, a, 11, 40, 1);
    ck_assert_int_eq(hold(sess, b, 11, 40, NULL, NULL), BO_E_SEAT_TAKEN);
    SUPPORT_WAIT(hold_ended, &held, 5000, "the hold of 1 sess did not end in 5 s");
    ck_assert_int_eq(seat_status(sess, b, 11, 40), BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE);
    ck_assert_int_eq(hold(sess, b, 11, 40, NULL, NULL), BO_OK);
    /* Back to holds of 300 sess before the next test (a's hold ended: it may hold again). */
    set_admission(sess, 0, 300);
    ck_assert_int_eq(release(sess, a, hold_with_ttl(sess, a, 11, 41, 300)), BO_OK);
}
END_TEST

/* Sends a raw frame on its own req socket to the first instance and decodes the reply. */
static int raw_call(const void *frame, size_t len, char *msg, size_t msglen)
{
    nng_socket sock;
    nng_msg *rep = NULL;
    ProtobufCMessage *out = NULL;
    struct bo_envelope_failure why;
    int rc;

    ck_assert_int_eq(nng_req0_open(&sock), 0);
    ck_assert_int_eq(nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 5000), 0);
    ck_assert_int_eq(nng_dial(sock, env.rpc_url[0], NULL, 0), 0);
    ck_assert_int_eq(nng_send(sock, (void *)frame, len, 0), 0);
    ck_assert_int_eq(nng_recvmsg(sock, &rep, 0), 0);
    /* A frame without a readable request id is answered as request 0. */
    rc = bo_envelope_reply_decode(nng_msg_body(rep), nng_msg_len(rep), 0,
                                  &boxoffice__v1__ping_reply__descriptor, &out, &why);
    if (rc == BO_E_INTERNAL) {
        rc = bo_envelope_reply_decode(nng_msg_body(rep), nng_msg_len(rep), 77,
                                      &boxoffice__v1__ping_reply__descriptor, &out, &why);
    }
    snprintf(msg, msglen, "%s", why.message);
    if (out != NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
    }
    nng_msg_free(rep);
    nng_close(sock);
    return rc;
}

START_TEST(malformed_frames_get_invalid_argument)
{
    Boxoffice__V1__RequestEnvelope env_msg = BOXOFFICE__V1__REQUEST_ENVELOPE__INIT;
    uint8_t buf[64];
    char msg[256];
    size_t n;

    ck_assert_int_eq(raw_call("\xff\xff\xff\xff", 4, msg, sizeof(msg)), BO_E_MALFORMED_REQUEST);
    env_msg.request_id = 77;
    env_msg.method = 9999;
    n = boxoffice__v1__request_envelope__pack(&env_msg, buf);
    ck_assert_int_eq(raw_call(buf, n, msg, sizeof(msg)), BO_E_UNKNOWN_METHOD);
    ck_assert_ptr_nonnull(strstr(msg, "9999"));
    ck_assert_int_eq(bo_method_index("HoldSeat", &env_msg.method), BO_OK);
    env_msg.body.data = (uint8_t *)"\x0a\xff";
    env_msg.body.len = 2;
    n = boxoffice__v1__request_envelope__pack(&env_msg, buf);
    ck_assert_int_eq(raw_call(buf, n, msg, sizeof(msg)), BO_E_MALFORMED_REQUEST);
    size_t big = BO_ENVELOPE_MAX_SIZE + 1024;
    char *huge = calloc(1, big);
    ck_assert_int_eq(raw_call(huge, big, msg, sizeof(msg)), BO_E_TOO_LARGE);
    free(huge);
    /* The instance still serves after all that. */
    Boxoffice__V1__PingRequest ping = BOXOFFICE__V1__PING_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    ck_assert_int_eq(bo_call(sess, "Ping", &ping.base, &out, NULL), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
}
END_TEST

/* list_concerts calls ListConcerts: its code, the count into *n, the message into msg. */
static int list_concerts(size_t *n, char *msg, size_t msglen)
{
    Boxoffice__V1__ListConcertsRequest req = BOXOFFICE__V1__LIST_CONCERTS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct bo_status st;
    int rc = bo_call(sess, "ListConcerts", &req.base, &out, &st);

    *n = rc == BO_OK ? ((Boxoffice__V1__ListConcertsReply *)out)->n_concerts : 0;
    snprintf(msg, msglen, "%s", st.message);
    if (out != NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

/* add_concerts inserts n concerts of long names from id first on; 0 or -1. */
static int add_concerts(int first, int n)
{
    char sql[512], value[32];

    snprintf(sql, sizeof(sql),
             "WITH c AS (INSERT INTO concerts (id, title, artist, venue) "
             "SELECT i, 'A catalog entry with a long title number ' || i, "
             "'An artist of some renown', 'A hall in a large city' "
             "FROM generate_series(%d, %d) i RETURNING id) SELECT count(*) FROM c",
             first, first + n - 1);
    return testenv_psql_value(&env, sql, value, sizeof(value)) == 0 && atoi(value) == n ? 0 : -1;
}

/* A catalog larger than a request may be still comes back whole; one larger than any reply may
 * be is a fault the service names, not one it blames on the request. */
START_TEST(a_large_catalog_is_answered_whole)
{
    char msg[256], value[32];
    size_t before = 0, n = 0;

    ck_assert_int_eq(list_concerts(&before, msg, sizeof(msg)), BO_OK);
    /* About 100 bytes a concert: 4,000 pass a request's 256 KB. */
    ck_assert_int_eq(add_concerts(900001, 4000), 0);
    ck_assert_int_eq(list_concerts(&n, msg, sizeof(msg)), BO_OK);
    ck_assert_uint_eq(n, before + 4000);
    /* 12,000 pass a reply's 1 MB. */
    ck_assert_int_eq(add_concerts(904001, 8000), 0);
    ck_assert_int_eq(list_concerts(&n, msg, sizeof(msg)), BO_E_INTERNAL);
    ck_assert_msg(strstr(msg, "larger than a reply may be") != NULL, "%s", msg);
    ck_assert_int_eq(
        testenv_psql_value(&env,
                           "WITH d AS (DELETE FROM concerts WHERE id > 900000 RETURNING id) "
                           "SELECT count(*) FROM d",
                           value, sizeof(value)),
        0);
    ck_assert_str_eq(value, "12000");
    ck_assert_int_eq(list_concerts(&n, msg, sizeof(msg)), BO_OK);
    ck_assert_uint_eq(n, before);
}
END_TEST

START_TEST(admission_is_fifo_across_instances)
{
    enum { N = 60 };
    char tokens[N][160];
    Boxoffice__V1__Token t;
    uint64_t admission_of[N];
    int left = N;

    set_admission(sess, 20, 0);
    for (int i = 0; i < N; i++) {
        Boxoffice__V1__IssueTokenReply *r = issue(sess, 4000 + (uint64_t)i, 3);
        snprintf(tokens[i], sizeof(tokens[i]), "%s", r->token->token);
        protobuf_c_message_free_unpacked(&r->base, NULL);
        admission_of[i] = 0;
    }
    /* Every waiting token is polled each round, as its holder's page would: unpolled ones
     * would be skipped as abandoned. */
    for (int round = 0; left > 0; round++) {
        ck_assert_int_lt(round, 2000);
        for (int i = 0; i < N; i++) {
            if (admission_of[i] != 0) {
                continue;
            }
            ck_assert_int_eq(token_status(sess, tokens[i], &t), BO_OK);
            ck_assert_int_ne(t.status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED);
            if (t.status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
                admission_of[i] = t.admission_no;
                left--;
            }
        }
        support_sleep_ms(10); /* the next round of polls, as the holders' pages make them */
    }
    for (int i = 1; i < N; i++) {
        ck_assert_uint_gt(admission_of[i], admission_of[i - 1]);
    }
    set_admission(sess, 100000, 0);
}
END_TEST

START_TEST(admission_events_reach_subscribers_in_order)
{
    struct bo_subscription *by_user = NULL, *by_concert = NULL;
    Boxoffice__V1__AdmissionEvent *e = NULL;
    char urls[2 * 130];
    uint64_t last = 0;
    int seen = 0;

    snprintf(urls, sizeof(urls), "%s,%s", env.events_url[0], env.events_url[1]);
    ck_assert_int_eq(bo_subscribe(urls, 0, 6001, &by_user), BO_OK);
    ck_assert_int_eq(bo_subscribe(urls, 2, 0, &by_concert), BO_OK);
    wait_subscribed(2, 2); /* both connected before anything is admitted */
    for (uint64_t u = 6001; u <= 6005; u++) {
        Boxoffice__V1__IssueTokenReply *r = issue(sess, u, 2);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    /* Position updates and token ends come on the same topics: take the admission. Each loop
     * has a deadline: other events keep arriving, so a missed one must not wait forever. */
    int64_t deadline = bo_time_mono_ms() + 15000;
    for (;;) {
        ck_assert_msg(bo_time_mono_ms() < deadline, "no ADMITTED event for user 6001 in 15 s");
        ck_assert_int_eq(bo_subscription_next(by_user, 5000, &e), BO_OK);
        if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED) {
            break;
        }
        ck_assert_uint_eq(e->sequence, 0);
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
    ck_assert_uint_eq(e->user_id, 6001);
    ck_assert_uint_eq(e->concert_id, 2);
    ck_assert_int_gt(e->active_until_ms, e->admitted_at_ms);
    boxoffice__v1__admission_event__free_unpacked(e, NULL);
    /* The concert's subscriber sees all five, in admission order. */
    deadline = bo_time_mono_ms() + 15000;
    while (seen < 5 && bo_time_mono_ms() < deadline &&
           bo_subscription_next(by_concert, 5000, &e) == BO_OK) {
        ck_assert_uint_eq(e->concert_id, 2);
        if (e->kind != BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED) {
            boxoffice__v1__admission_event__free_unpacked(e, NULL);
            continue;
        }
        ck_assert_uint_gt(e->sequence, last);
        last = e->sequence;
        seen += e->user_id >= 6001 && e->user_id <= 6005;
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
    ck_assert_int_eq(seen, 5);
    bo_subscription_close(by_concert);
    bo_subscription_close(by_user);
}
END_TEST

/* all_events_urls writes every started instance's events address, comma-separated. */
static void all_events_urls(char *out, size_t len)
{
    out[0] = '\0';
    for (int i = 0; i < env.ninstances; i++) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", i ? "," : "", env.events_url[i]);
    }
}

/* Issues a token for (user, concert) and copies its text into a new string (caller frees). */
static char *issue_text(struct bo_session *s, uint64_t user, uint64_t concert)
{
    Boxoffice__V1__IssueTokenReply *r = issue(s, user, concert);
    char *text = strdup(r->token->token);
    ck_assert_ptr_nonnull(text);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return text;
}

START_TEST(position_events_count_down)
{
    enum { N = 8 };
    struct bo_subscription *by_user = NULL, *by_concert = NULL;
    Boxoffice__V1__AdmissionEvent *e = NULL;
    char urls[TESTENV_MAX_INSTANCES * 130];
    char *tokens[N];
    uint64_t concert = new_concert(sess, "Positions");
    uint64_t last_pos = UINT64_MAX, prev_user = 0, prev_pos = 0;
    int64_t last_at = 0, deadline, next_touch = 0;
    int updates = 0, moved_down = 0, batch = 0;

    all_events_urls(urls, sizeof(urls));
    ck_assert_int_eq(bo_subscribe(urls, 0, 8000 + N, &by_user), BO_OK);
    ck_assert_int_eq(bo_subscribe(urls, concert, 0, &by_concert), BO_OK);
    wait_subscribed(env.ninstances, 2);
    set_admission(sess, 1, 0); /* one a second: the line moves while we watch */
    for (int i = 0; i < N; i++) {
        tokens[i] = issue_text(sess, 8001 + (uint64_t)i, concert);
    }
    /* The last user's updates: a few seconds apart, the place moving down towards the head. */
    deadline = bo_time_mono_ms() + 6500;
    while (bo_time_mono_ms() < deadline) {
        if (bo_time_mono_ms() >= next_touch) {
            touch_all(sess, tokens, N); /* the push listener keeps them from being skipped */
            next_touch = bo_time_mono_ms() + 500;
        }
        if (bo_subscription_next(by_user, 100, &e) != BO_OK) {
            continue;
        }
        if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION) {
            int64_t now = bo_time_mono_ms();
            ck_assert_uint_eq(e->sequence, 0);
            ck_assert_uint_eq(e->concert_id, concert);
            ck_assert_uint_ge(e->position, 1);
            ck_assert_uint_le(e->position, N);
            ck_assert_uint_ge(e->eta_seconds, 1);
            ck_assert_uint_le(e->position, last_pos); /* never back up the line */
            ck_assert_msg(last_at == 0 || now - last_at >= 1500,
                          "two updates of one token %lld ms apart", (long long)(now - last_at));
            moved_down += e->position < last_pos && last_pos != UINT64_MAX;
            last_pos = e->position;
            last_at = now;
            updates++;
        }
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
    ck_assert_msg(updates >= 2, "%d position updates in 6.5 s", updates);
    ck_assert_int_ge(moved_down, 1);
    ck_assert_uint_lt(last_pos, N);

    /* The concert's subscriber got them too: within one round, places in line order. */
    while (bo_subscription_next(by_concert, 0, &e) == BO_OK) {
        if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION) {
            if (e->user_id > prev_user && prev_user != 0) {
                /* Later in line is never further back than the gap between the two; it is
                 * behind the earlier one unless the line moved between two slices. */
                ck_assert_uint_ge(e->position, 1);
                ck_assert_uint_le(e->position, prev_pos + (e->user_id - prev_user));
                batch += e->position > prev_pos;
            }
            prev_user = e->user_id;
            prev_pos = e->position;
        }
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
    ck_assert_int_ge(batch, 3);
    set_admission(sess, 100000, 0);
    for (int i = 0; i < N; i++) {
        free(tokens[i]);
    }
    bo_subscription_close(by_concert);
    bo_subscription_close(by_user);
}
END_TEST

START_TEST(touch_keeps_a_waiting_token_and_names_the_skipped)
{
    Boxoffice__V1__TouchTokensReply *r = NULL;
    Boxoffice__V1__Token t, tt, tg;
    uint64_t concert = new_concert(sess, "Presence");
    char head[160], forged[160], id[48];
    char *touched, *abandoned, *polled, *list[4];
    int64_t until;

    /* One ACTIVE token fills the concert (max_active 1); three wait behind it. */
    set_settings(sess, 100000, 1, 0);
    active_token(sess, 8101, concert, head, sizeof(head));
    touched = issue_text(sess, 8102, concert);
    abandoned = issue_text(sess, 8103, concert);
    polled = issue_text(sess, 8104, concert);
    /* Longer than the abandon time: one is kept by TouchTokens, one by GetToken polls, one by
     * nothing. */
    until = bo_time_mono_ms() + (atoi(SUITE_ABANDON_SECONDS) + 2) * 1000;
    while (bo_time_mono_ms() < until) {
        touch_all(sess, &touched, 1);
        ck_assert_int_eq(token_status(sess, polled, &t), BO_OK);
        ck_assert_int_eq(t.status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING);
        support_sleep_ms(700); /* the thing tested: kept alive by a poll every 700 ms */
    }
    /* Room again: admission reaches the three, skips the abandoned one, admits the others in
     * line order with consecutive admission numbers. */
    set_settings(sess, 0, 1000, 0);
    struct token_wait polled_wait = {sess, polled, BOXOFFICE__V1__TOKEN__INIT};
    SUPPORT_WAIT(token_active, &polled_wait, 5000, "the polled token was not admitted in 5 s");
    tg = polled_wait.t;
    ck_assert_int_eq(token_status(sess, touched, &tt), BO_OK);
    ck_assert_int_eq(tt.status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE);
    ck_assert_uint_eq(tt.admission_no, 2);
    ck_assert_uint_eq(tg.admission_no, 3);
    ck_assert_int_eq(token_status(sess, abandoned, &t), BO_OK);
    ck_assert_int_eq(t.status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED);

    /* TouchTokens names the ended one, counts the live ones, ignores a forged one. */
    snprintf(forged, sizeof(forged), "%s", touched);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == 'A' ? 'B' : 'A';
    list[0] = touched;
    list[1] = abandoned;
    list[2] = polled;
    list[3] = forged;
    ck_assert_int_eq(touch(sess, list, 4, &r), BO_OK);
    ck_assert_uint_eq(r->touched, 2);
    ck_assert_uint_eq(r->n_expired_token_ids, 1);
    snprintf(id, sizeof(id), "%llu-%llu", (unsigned long long)concert,
             (unsigned long long)t.sequence);
    ck_assert_str_eq(r->expired_token_ids[0], id);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* At most 4,096 tokens a request, and 4,096 of the shortest a token can be fit one
     * envelope: the count, not the size, is what refuses (forged ones are only ignored). */
    enum { OVER = 4097 };
    static char shortest[] = "v1.1.1.1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    char **many = calloc(OVER, sizeof(*many));
    ck_assert_ptr_nonnull(many);
    ck_assert_uint_eq(strlen(shortest), 9 + 43);
    for (int i = 0; i < OVER; i++) {
        many[i] = shortest;
    }
    ck_assert_int_eq(touch(sess, many, OVER, &r), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(touch(sess, many, OVER - 1, &r), BO_OK);
    ck_assert_uint_eq(r->touched, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    free(many);
    free(touched);
    free(abandoned);
    free(polled);
}
END_TEST

START_TEST(admitted_events_survive_leader_kill)
{
    enum { N = 40 };
    struct bo_subscription *sub = NULL;
    Boxoffice__V1__AdmissionEvent *e = NULL;
    char urls[TESTENV_MAX_INSTANCES * 130];
    char *tokens[N];
    uint64_t concert, last = 0, last_at_kill = 0;
    int64_t start, deadline, next_touch = 0;
    int killed = -1, repeats = 0;

    concert = new_concert(sess, "Leader change");
    all_events_urls(urls, sizeof(urls));
    ck_assert_int_eq(bo_subscribe(urls, concert, 0, &sub), BO_OK);
    wait_subscribed(env.ninstances, 1);

    /* Slow while the line forms (issuing may itself be slow on a loaded machine), then 10/s:
     * the kill below then lands while most of the line still waits. */
    set_admission(sess, 1, 0);
    for (int i = 0; i < N; i++) {
        tokens[i] = issue_text(sess, 7001 + (uint64_t)i, concert);
    }
    set_admission(sess, 10, 0);
    start = bo_time_mono_ms();
    deadline = start + 30000;
    while (last < N && bo_time_mono_ms() < deadline) {
        if (killed < 0 && bo_time_mono_ms() - start > 1200) {
            /* Mid-run: the admitting instance dies without a word. */
            killed = leader_index();
            testenv_service_kill(&env, killed, SIGKILL);
            last_at_kill = last;
        }
        if (bo_time_mono_ms() >= next_touch) {
            Boxoffice__V1__TouchTokensReply *r = NULL;
            if (touch(sess, tokens, N, &r) == BO_OK) {
                protobuf_c_message_free_unpacked(&r->base, NULL);
            }
            next_touch = bo_time_mono_ms() + 500;
        }
        if (bo_subscription_next(sub, 100, &e) != BO_OK) {
            continue;
        }
        if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED) {
            ck_assert_uint_eq(e->concert_id, concert);
            if (e->sequence <= last) {
                repeats++; /* the new leader's announcement of its predecessor's last ones */
            } else {
                ck_assert_msg(e->sequence == last + 1, "admission %llu after %llu: a gap",
                              (unsigned long long)e->sequence, (unsigned long long)last);
                /* Admission order is issue order. */
                ck_assert_uint_eq(e->user_id, 7000 + e->sequence);
                last = e->sequence;
            }
        }
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
    ck_assert_int_ge(killed, 0);
    ck_assert_msg(last_at_kill < N, "the whole line was admitted before the leader died");
    ck_assert_msg(last == N, "received admissions 1..%llu of %d", (unsigned long long)last, N);
    ck_assert_int_ne(leader_index(), killed);
    set_admission(sess, 100000, 0);
    for (int i = 0; i < N; i++) {
        free(tokens[i]);
    }
    bo_subscription_close(sub);
}
END_TEST

START_TEST(admission_survives_instance_kill)
{
    char token[160];
    int leader = leader_index();
    int survivor;

    /* The instance holding the admission lease goes without a word: the last one left takes
     * the lease over once it lapses, and admits. */
    testenv_service_kill(&env, leader, SIGKILL);
    survivor = leader_other_than(leader);
    ck_assert_int_ne(survivor, leader);
    active_token(sess, 5001, 2, token, sizeof(token));
    ck_assert_int_eq(hold(sess, token, 7, 1, NULL, NULL), BO_OK);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        full_flow_over_nng, two_hundred_holds_on_one_seat_one_winner,
        concurrent_charges_and_payments_keep_ledger, idempotent_charge_counts_once,
        the_leader_sweeps_expired_idempotency_keys, forged_and_altered_tokens_refused,
        a_token_of_another_concert_cannot_release_or_pay, expired_hold_frees_the_seat,
        malformed_frames_get_invalid_argument, a_large_catalog_is_answered_whole,
        admission_is_fifo_across_instances, admission_events_reach_subscribers_in_order,
        position_events_count_down, touch_keeps_a_waiting_token_and_names_the_skipped,
        /* Last, in this order: each kills the instance holding the lease. */
        admitted_events_survive_leader_kill, admission_survives_instance_kill, NULL};
    const struct support_case cases[] = {
        {"nng", tests, suite_setup, suite_teardown, test_setup, test_teardown, 120}};

    test_order = tests;
    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("service", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
