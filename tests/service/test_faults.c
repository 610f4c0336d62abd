/*
 * Integration suite of faults, repeated: three service instances serve a full-flow load
 * (token, admission, seat map, hold, charge, pay) from many threads while the suite kills one
 * instance with SIGKILL, starts it again, and does so five times in a row; then it restarts
 * PostgreSQL under the same load. Afterwards what users rely on must hold: every payment that
 * was answered as done exists, completed, with its reservation confirmed; no seat is held or
 * sold twice; every balance equals its ledger; the load went on after each fault; and no call
 * failed other than as UNAVAILABLE or TIMEOUT while its instance or PostgreSQL was away, or as
 * TOKEN_EXPIRED once Redis lost the token (emptied: the last test).
 *
 * Calls that die with their instance fail with UNAVAILABLE or TIMEOUT (or are moved to another
 * instance by NNG): the flows call again, as a client would, with the same idempotency keys,
 * and an answer lost that way is never counted as a payment here unless it was answered.
 */
#include "bo_error.h"
#include "boxoffice/client.h"
#include "support.h"
#include "testenv.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    INSTANCES = 3,
    KILLS = 5,
    FLOWS = 8,        /* threads, each one user after another */
    PER_ROUND = 40,   /* purchases let start each round: 6 rounds stay well within 750 seats */
    BEFORE_KILL = 10, /* of them paid before the kill; the rest are under way or queued */
    MAX_PAID = 1000,  /* payments recorded at most */
    FIRST_USER = 40001,
    USERS_PER_FLOW = 1000,
};

static struct testenv env;
static struct bo_client *client;
static const char *const instance_args[] = {"--workers=8", "--abandon-seconds=0", NULL};

/* What the flows did, for the checks at the end. */
static struct {
    pthread_mutex_t mu;
    uint64_t payment[MAX_PAID];
    size_t npaid;
    atomic_int stop;
    atomic_int flows_done;
    atomic_int transient;   /* calls that failed with their instance and were made again */
    atomic_int tokens_lost; /* Redis lost its data: a token may be gone (TOKEN_EXPIRED) */
    pthread_cond_t cv;
    size_t allowed; /* purchases let start in all so far */
    size_t started; /* purchases started and not failed (paid or under way) */
} seen = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* flow_begin waits until a purchase may start (the round's budget has room) and counts it:
 * 1, or 0 once the flows are told to stop. */
static int flow_begin(void)
{
    int go = 0;

    pthread_mutex_lock(&seen.mu);
    while (!atomic_load(&seen.stop) && seen.started >= seen.allowed) {
        pthread_cond_wait(&seen.cv, &seen.mu);
    }
    if (!atomic_load(&seen.stop)) {
        seen.started++;
        go = 1;
    }
    pthread_mutex_unlock(&seen.mu);
    return go;
}

/* flow_end counts a purchase's end: a failed one gives its place in the budget back. */
static void flow_end(int paid_ok)
{
    pthread_mutex_lock(&seen.mu);
    if (!paid_ok) {
        seen.started--;
        pthread_cond_broadcast(&seen.cv);
    }
    pthread_mutex_unlock(&seen.mu);
}

/* flows_allow lets n more purchases start; flows_stop ends the flows. */
static void flows_allow(size_t n)
{
    pthread_mutex_lock(&seen.mu);
    seen.allowed += n;
    pthread_cond_broadcast(&seen.cv);
    pthread_mutex_unlock(&seen.mu);
}

static void flows_stop(void)
{
    pthread_mutex_lock(&seen.mu);
    atomic_store(&seen.stop, 1);
    pthread_cond_broadcast(&seen.cv);
    pthread_mutex_unlock(&seen.mu);
}

static void suite_setup(void)
{
    testenv_up(&env, TESTENV_SEED, INSTANCES, instance_args);
    ck_assert_int_eq(bo_client_open(env.rpc_urls, 3000, &client), BO_OK);
}

static void suite_teardown(void)
{
    testenv_stop(&env);
    bo_client_close(client);
}

/* transient tells whether a call failed only because its instance went away. */
static int transient(int rc)
{
    return rc == BO_E_UNAVAILABLE || rc == BO_E_TIMEOUT;
}

/* lost tells whether a call failed for a fault the flows ride out: an instance gone, or, once
 * Redis lost its data, the token forgotten with it (TOKEN_EXPIRED: "join the queue again"). */
static int lost(int rc)
{
    return transient(rc) || (rc == BO_E_TOKEN_EXPIRED && atomic_load(&seen.tokens_lost));
}

/* call_on calls method and, while the failure is transient, again (at most ~15 s of tries). */
static int call_on(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                   ProtobufCMessage **out)
{
    int rc = BO_E_UNAVAILABLE;

    for (int attempt = 0; attempt < 60 && transient(rc); attempt++) {
        rc = bo_call(s, method, in, out, NULL);
        if (transient(rc)) {
            atomic_fetch_add(&seen.transient, 1);
            support_sleep_ms(50); /* the instance is gone: the next try goes to another */
        }
    }
    return rc;
}

static void set_admission_open(struct bo_session *s)
{
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings set = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    ProtobufCMessage *out = NULL;

    set.rate_per_second = 100000;
    set.max_active = 100000;
    req.admin_key = env.admin_key;
    req.settings = &set;
    ck_assert_int_eq(call_on(s, "SetAdmissionSettings", &req.base, &out), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* flow_token gets user's ACTIVE token for concert into text: 0, or -1 when it could not. */
static int flow_token(struct bo_session *s, uint64_t user, uint64_t concert, char *text, size_t len)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    char jwt[512];

    if (testenv_jwt(&env, user, 0, jwt, sizeof(jwt)) != 0 ||
        bo_session_set_caller(s, jwt, NULL) != BO_OK) {
        return -1;
    }
    req.user_id = user;
    req.concert_id = concert;
    if (call_on(s, "IssueToken", &req.base, &out) != BO_OK) {
        return -1;
    }
    snprintf(text, len, "%s", ((Boxoffice__V1__IssueTokenReply *)out)->token->token);
    protobuf_c_message_free_unpacked(out, NULL);
    for (int poll = 0; poll < 500; poll++) {
        Boxoffice__V1__GetTokenRequest get = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
        get.token = text;
        if (call_on(s, "GetToken", &get.base, &out) != BO_OK) {
            return -1;
        }
        int status = ((Boxoffice__V1__GetTokenReply *)out)->token->status;
        protobuf_c_message_free_unpacked(out, NULL);
        if (status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
            return 0;
        }
        if (status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED) {
            return -1;
        }
        support_sleep_ms(20); /* the next poll, as the holder's page makes it */
    }
    return -1;
}

/* flow_free_seat finds an available seat of concert's dates: 0 with *schedule and *seat; -1 when
 * every date is sold out or a map could not be read for a fault the flows ride out (lost), -2
 * for any other failure, whose code goes to *failed. */
static int flow_free_seat(struct bo_session *s, const char *token, uint64_t concert, unsigned pick,
                          uint64_t *schedule, uint32_t *seat, int *failed)
{
    for (uint64_t d = 0; d < 5; d++) {
        Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
        ProtobufCMessage *out = NULL;
        req.token = (char *)token;
        req.schedule_id = (concert - 1) * 5 + 1 + (d + pick) % 5;
        int rc = call_on(s, "ListSeats", &req.base, &out);
        if (rc != BO_OK) {
            *failed = rc;
            return lost(rc) ? -1 : -2;
        }
        const Boxoffice__V1__ListSeatsReply *r = (const Boxoffice__V1__ListSeatsReply *)out;
        for (size_t k = 0; k < r->n_seats; k++) {
            const Boxoffice__V1__Seat *st = r->seats[(k + pick) % r->n_seats];
            if (st->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE) {
                *schedule = req.schedule_id;
                *seat = st->seat_no;
                protobuf_c_message_free_unpacked(out, NULL);
                return 0;
            }
        }
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return -1;
}

/* flow_buy makes one purchase as user: 0 with the payment recorded, 1 when it could not (the
 * seat taken, a hold whose answer was lost, sold out), -1 on an unexpected answer. */
static int flow_buy(struct bo_session *s, uint64_t user, char *why, size_t whylen)
{
    uint64_t concert = 1 + user % 3, schedule = 0;
    uint32_t seat = 0;
    char token[200], key[64];
    ProtobufCMessage *out = NULL;
    int rc;

    if (flow_token(s, user, concert, token, sizeof(token)) != 0) {
        return 1;
    }
    int failed = BO_OK;
    if ((rc = flow_free_seat(s, token, concert, (unsigned)user, &schedule, &seat, &failed)) != 0) {
        snprintf(why, whylen, "seat map of user %llu: %s", (unsigned long long)user,
                 bo_error_name(failed));
        return rc == -2 ? -1 : 1;
    }
    Boxoffice__V1__HoldSeatRequest hold = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    hold.token = token;
    hold.schedule_id = schedule;
    hold.seat_no = seat;
    if ((rc = call_on(s, "HoldSeat", &hold.base, &out)) != BO_OK) {
        /* taken by another flow, held by an earlier try whose answer was lost, or the token
         * lost with Redis's data (the holder is told to join again) */
        return rc == BO_E_SEAT_TAKEN || rc == BO_E_HOLD_LIMIT || lost(rc) ? 1 : -1;
    }
    uint64_t reservation = ((Boxoffice__V1__HoldSeatReply *)out)->reservation->id;
    int64_t price = ((Boxoffice__V1__HoldSeatReply *)out)->reservation->price;
    protobuf_c_message_free_unpacked(out, NULL);

    Boxoffice__V1__ChargePointsRequest charge = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    snprintf(key, sizeof(key), "charge-%llu", (unsigned long long)user);
    charge.token = token;
    charge.user_id = user;
    charge.amount = price;
    charge.idempotency_key = key;
    if ((rc = call_on(s, "ChargePoints", &charge.base, &out)) != BO_OK) {
        snprintf(why, whylen, "charge of user %llu: %s", (unsigned long long)user,
                 bo_error_name(rc));
        return lost(rc) ? 1 : -1;
    }
    protobuf_c_message_free_unpacked(out, NULL);

    Boxoffice__V1__PayRequest pay = BOXOFFICE__V1__PAY_REQUEST__INIT;
    snprintf(key, sizeof(key), "pay-%llu", (unsigned long long)user);
    pay.token = token;
    pay.reservation_id = reservation;
    pay.idempotency_key = key;
    if ((rc = call_on(s, "Pay", &pay.base, &out)) != BO_OK) {
        snprintf(why, whylen, "payment of user %llu: %s", (unsigned long long)user,
                 bo_error_name(rc));
        return lost(rc) ? 1 : -1;
    }
    uint64_t payment = ((Boxoffice__V1__PayReply *)out)->payment->id;
    protobuf_c_message_free_unpacked(out, NULL);
    pthread_mutex_lock(&seen.mu);
    if (seen.npaid < MAX_PAID) {
        seen.payment[seen.npaid++] = payment;
    }
    pthread_mutex_unlock(&seen.mu);
    return 0;
}

struct flow {
    int index;
    uint64_t first_user; /* of the test: each test's flows buy as users of their own */
    int unexpected;
    char why[200];
};

static void *flow_main(void *arg)
{
    struct flow *f = arg;
    struct bo_session *s = NULL;

    if (bo_session_open(client, &s) != BO_OK) {
        f->unexpected++;
        return NULL;
    }
    for (int k = 0; k < USERS_PER_FLOW && flow_begin(); k++) {
        uint64_t user = f->first_user + (uint64_t)f->index * USERS_PER_FLOW + (uint64_t)k;
        int rc = flow_buy(s, user, f->why, sizeof(f->why));
        if (rc < 0) {
            f->unexpected++;
        }
        flow_end(rc == 0);
    }
    bo_session_close(s);
    atomic_fetch_add(&seen.flows_done, 1);
    return NULL;
}

/* paid_at_least holds once *arg payments were answered (or every flow ended). */
static int paid_at_least(void *arg)
{
    size_t want = *(size_t *)arg, n;

    pthread_mutex_lock(&seen.mu);
    n = seen.npaid;
    pthread_mutex_unlock(&seen.mu);
    return n >= want || atomic_load(&seen.flows_done) == FLOWS;
}

static size_t paid(void)
{
    size_t n;

    pthread_mutex_lock(&seen.mu);
    n = seen.npaid;
    pthread_mutex_unlock(&seen.mu);
    return n;
}

/* instance_answers holds once instance *arg answers Ping on its own address. */
static int instance_answers(void *arg)
{
    struct bo_client *one = arg;
    struct bo_session *s = NULL;
    Boxoffice__V1__PingRequest ping = BOXOFFICE__V1__PING_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int ok = 0;

    if (bo_session_open(one, &s) == BO_OK) {
        ok = bo_call(s, "Ping", &ping.base, &out, NULL) == BO_OK;
        if (ok) {
            protobuf_c_message_free_unpacked(out, NULL);
        }
        bo_session_close(s);
    }
    return ok;
}

/* The flows of one test. */
struct load {
    pthread_t threads[FLOWS];
    struct flow flows[FLOWS];
};

/* load_start starts the flows as users from first_user on, with no purchase allowed yet. */
static void load_start(struct load *l, uint64_t first_user)
{
    pthread_mutex_lock(&seen.mu);
    atomic_store(&seen.stop, 0);
    atomic_store(&seen.flows_done, 0);
    seen.allowed = seen.started = seen.npaid; /* the budget counts from here */
    pthread_mutex_unlock(&seen.mu);
    for (int i = 0; i < FLOWS; i++) {
        l->flows[i] = (struct flow){.index = i, .first_user = first_user};
        ck_assert_int_eq(pthread_create(&l->threads[i], NULL, flow_main, &l->flows[i]), 0);
    }
}

/* load_round lets PER_ROUND more purchases start and waits until BEFORE_KILL of them are paid:
 * the fault comes then, with the rest under way. Returns the payments the round ends at. */
static size_t load_round(int round)
{
    size_t base = paid(), want = base + BEFORE_KILL;

    flows_allow(PER_ROUND);
    SUPPORT_WAIT(paid_at_least, &want, 60000, "round %d: no %d payments within 60 s", round,
                 BEFORE_KILL);
    ck_assert_msg(atomic_load(&seen.flows_done) < FLOWS, "the flows ended early");
    return base + PER_ROUND;
}

/* load_finish stops the flows; none may have met an answer other than a lost instance's. */
static void load_finish(struct load *l)
{
    flows_stop();
    for (int i = 0; i < FLOWS; i++) {
        pthread_join(l->threads[i], NULL);
        ck_assert_msg(l->flows[i].unexpected == 0, "flow %d: %d unexpected answers, last: %s", i,
                      l->flows[i].unexpected, l->flows[i].why);
    }
}

/* assert_invariants checks what users rely on after the faults (see the top). */
static void assert_invariants(void)
{
    size_t n = paid();

    /* Every payment answered as done exists, completed, its reservation confirmed (ids are
     * distinct: a payment is answered once), asked 100 at a time. */
    for (size_t i = 0; i < n; i += 100) {
        char ids[1200];
        size_t len = 0, k;
        for (k = i; k < n && k < i + 100; k++) {
            len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%llu", k > i ? "," : "",
                                    (unsigned long long)seen.payment[k]);
        }
        ck_assert_uint_lt(len, sizeof(ids));
        ck_assert_int_eq(testenv_sql_i64(&env,
                                         "SELECT count(*) FROM payments p JOIN reservations r ON "
                                         "r.id = p.reservation_id WHERE r.status = 'CONFIRMED' "
                                         "AND p.id IN (%s)",
                                         ids),
                         (int64_t)(k - i));
    }
    /* No seat held or sold twice: at most one live reservation per seat. */
    ck_assert_int_eq(testenv_sql_i64(&env, "SELECT count(*) FROM (SELECT schedule_id, seat_no "
                                           "FROM reservations WHERE status = 'CONFIRMED' OR "
                                           "(status = 'HELD' AND expires_at > now()) "
                                           "GROUP BY 1, 2 HAVING count(*) > 1) twice"),
                     0);
    /* Every payment confirmed its reservation, and only those are confirmed. */
    ck_assert_int_eq(testenv_sql_i64(&env, "SELECT count(*) FROM reservations r WHERE "
                                           "(r.status = 'CONFIRMED') <> EXISTS (SELECT 1 FROM "
                                           "payments p WHERE p.reservation_id = r.id)"),
                     0);
    /* Every balance equals its ledger, and none is negative. */
    ck_assert_int_eq(testenv_sql_i64(&env, "SELECT count(*) FROM wallets w WHERE w.balance < 0 "
                                           "OR w.balance <> (SELECT coalesce(sum(delta), 0) "
                                           "FROM point_ledger l WHERE l.user_id = w.user_id)"),
                     0);
}

START_TEST(five_kills_during_a_full_flow_load)
{
    struct load l;
    struct bo_session *admin = NULL;

    ck_assert_int_eq(bo_session_open(client, &admin), BO_OK);
    set_admission_open(admin);
    bo_session_close(admin);
    load_start(&l, FIRST_USER);
    for (int round = 0; round < KILLS; round++) {
        size_t end = load_round(round);
        int victim = round % INSTANCES;
        testenv_service_kill(&env, victim, SIGKILL);
        ck_assert_int_eq(testenv_service_restart(&env, victim), 0);
        struct bo_client *one = NULL;
        ck_assert_int_eq(bo_client_open(env.rpc_url[victim], 1000, &one), BO_OK);
        SUPPORT_WAIT(instance_answers, one, 30000, "instance %d did not come back in 30 s", victim);
        bo_client_close(one);
        SUPPORT_WAIT(paid_at_least, &end, 60000, "round %d: its purchases were not all paid",
                     round);
    }
    /* The load goes on after the last kill too. */
    size_t end = load_round(KILLS);
    SUPPORT_WAIT(paid_at_least, &end, 60000, "the purchases after the last kill were not paid");
    load_finish(&l);
    printf("faults: %d kills, %zu payments answered and found, %d calls made again after their "
           "instance went away\n",
           KILLS, paid(), atomic_load(&seen.transient));
    assert_invariants();
}
END_TEST

/* PostgreSQL stopped (fast shutdown) and started again in the middle of the load: the instances
 * ride it out by reconnecting, with no restart of their own; calls during the outage fail as
 * UNAVAILABLE (503 over REST) and nothing else; the load goes on after it. */
START_TEST(postgres_restarted_during_the_load)
{
    struct load l;
    int before = atomic_load(&seen.transient);

    load_start(&l, FIRST_USER + FLOWS * USERS_PER_FLOW);
    size_t end = load_round(0);
    ck_assert_int_eq(testenv_pg_restart(&env), 0);
    SUPPORT_WAIT(paid_at_least, &end, 60000, "the purchases under way were not all paid");
    end = load_round(1);
    SUPPORT_WAIT(paid_at_least, &end, 60000, "the purchases after the restart were not paid");
    load_finish(&l);
    for (int i = 0; i < INSTANCES; i++) {
        ck_assert_msg(testenv_service_running(&env, i), "instance %d did not ride it out", i);
    }
    printf("faults: PostgreSQL restarted, %d calls made again while it was away\n",
           atomic_load(&seen.transient) - before);
    assert_invariants();
}
END_TEST

/* Redis emptied in the middle of the load (restarted without persistence, as a Redis that lost
 * its data): queue places and tokens are gone, and a holder acting with a lost token is told
 * TOKEN_EXPIRED (join again), never anything else; money and seats stay consistent, and new
 * purchases go on once the instances have reconnected and loaded their functions again. */
START_TEST(redis_emptied_during_the_load)
{
    struct load l;
    struct bo_session *admin = NULL;

    load_start(&l, FIRST_USER + 2 * FLOWS * USERS_PER_FLOW);
    size_t end = load_round(0);
    atomic_store(&seen.tokens_lost, 1);
    int64_t t0 = support_now_ms();
    ck_assert_int_eq(testenv_redis_restart(&env), 0);
    /* The admission settings went with the data: open the line again, as an operator would. */
    ck_assert_int_eq(bo_session_open(client, &admin), BO_OK);
    set_admission_open(admin);
    bo_session_close(admin);
    SUPPORT_WAIT(paid_at_least, &end, 60000, "the purchases of the round were not all paid");
    int64_t t1 = support_now_ms();
    end = load_round(1);
    SUPPORT_WAIT(paid_at_least, &end, 60000, "the purchases after Redis came back were not paid");
    printf("faults: Redis emptied; the round's purchases paid %lld ms after, the next round's "
           "%lld ms later\n",
           (long long)(t1 - t0), (long long)(support_now_ms() - t1));
    load_finish(&l);
    for (int i = 0; i < INSTANCES; i++) {
        ck_assert_msg(testenv_service_running(&env, i), "instance %d did not ride it out", i);
    }
    assert_invariants();
}
END_TEST

int main(void)
{
    const TTest *tests[] = {five_kills_during_a_full_flow_load, postgres_restarted_during_the_load,
                            redis_emptied_during_the_load, NULL};
    const struct support_case cases[] = {
        {"faults", tests, suite_setup, suite_teardown, NULL, NULL, 600}};

    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("faults", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
