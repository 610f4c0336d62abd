/*
 * Integration suite of faults, repeated: three service instances serve a full-flow load
 * (token, admission, seat map, hold, charge, pay) from many threads while the suite kills one
 * instance with SIGKILL, starts it again, and does so five times in a row; then, under the same
 * load, it restarts PostgreSQL (and once more with no load: then not one call may fail), kills
 * Redis and starts it again on its append-only file (as production runs it), and empties Redis.
 * Afterwards what users rely on must hold: every payment that was answered as done exists,
 * completed, with its reservation confirmed; no seat is held or sold twice; every balance equals
 * its ledger; the load went on after each fault; and no call failed other than as UNAVAILABLE or
 * TIMEOUT while its instance, PostgreSQL or Redis was away, or as TOKEN_EXPIRED once Redis lost the
 * token (emptied).
 *
 * The last test pauses (SIGSTOP) the instance holding the admission lease until the lease
 * lapses and the other instance admits, then lets it go on: admission stays in join order and
 * within max-active throughout, and the old leader admits nothing once it has lost the lease.
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
#include <time.h>
#include <unistd.h>

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
/* A short lease: the pause test waits for it to lapse, the kill test for a new leader. */
static const char *const instance_args[] = {"--workers=8", "--abandon-seconds=0", "--lease-ms=1000",
                                            NULL};

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
    /* Calls that failed transiently since failures_reset: the first one's end, and the start
     * of the last one (monotonic ms). */
    _Atomic int64_t fail_first_end;
    _Atomic int64_t fail_last_start;
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
    testenv_up(&env, TESTENV_SEED | TESTENV_REDIS_DURABLE, INSTANCES, instance_args);
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

/* failures_reset forgets the transient failures noted so far. */
static void failures_reset(void)
{
    atomic_store(&seen.fail_first_end, INT64_MAX);
    atomic_store(&seen.fail_last_start, 0);
}

/* failure_note notes a call that failed transiently, made from start to end (monotonic ms). */
static void failure_note(int64_t start, int64_t end)
{
    int64_t v = atomic_load(&seen.fail_first_end);

    while (end < v && !atomic_compare_exchange_weak(&seen.fail_first_end, &v, end)) {
    }
    v = atomic_load(&seen.fail_last_start);
    while (start > v && !atomic_compare_exchange_weak(&seen.fail_last_start, &v, start)) {
    }
}

/* call_on calls method and, while the failure is transient, again (at most ~15 s of tries). */
static int call_on(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                   ProtobufCMessage **out)
{
    int rc = BO_E_UNAVAILABLE;

    for (int attempt = 0; attempt < 60 && transient(rc); attempt++) {
        int64_t start = support_now_ms();
        rc = bo_call(s, method, in, out, NULL);
        if (transient(rc)) {
            failure_note(start, support_now_ms());
            atomic_fetch_add(&seen.transient, 1);
            support_sleep_ms(50); /* the instance is gone: the next try goes to another */
        }
    }
    return rc;
}

/* set_admission sets the admission rate (per second and concert) and max-active through s. */
static void set_admission(struct bo_session *s, uint32_t rate, uint32_t max_active)
{
    Boxoffice__V1__SetAdmissionSettingsRequest req =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings set = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    ProtobufCMessage *out = NULL;

    set.rate_per_second = rate;
    set.max_active = max_active;
    req.admin_key = env.admin_key;
    req.settings = &set;
    ck_assert_int_eq(call_on(s, "SetAdmissionSettings", &req.base, &out), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* set_admission_open lets every token in at once: the flows wait on nothing but the faults. */
static void set_admission_open(struct bo_session *s)
{
    set_admission(s, 100000, 100000);
}

/* as_user makes s call as user (an identity token of the suite's secret): BO_OK or not. */
static int as_user(struct bo_session *s, uint64_t user)
{
    char jwt[512];

    if (testenv_jwt(&env, user, 0, jwt, sizeof(jwt)) != 0) {
        return BO_E_INTERNAL;
    }
    return bo_session_set_caller(s, jwt, NULL);
}

/* issue_token issues user's token for concert as user: BO_OK with its text in text and its
 * sequence and status in *sequence and *status (either may be NULL), or the call's code. */
static int issue_token(struct bo_session *s, uint64_t user, uint64_t concert, char *text,
                       size_t len, uint64_t *sequence, int *status)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    if ((rc = as_user(s, user)) != BO_OK) {
        return rc;
    }
    req.user_id = user;
    req.concert_id = concert;
    if ((rc = call_on(s, "IssueToken", &req.base, &out)) != BO_OK) {
        return rc;
    }
    const Boxoffice__V1__Token *t = ((Boxoffice__V1__IssueTokenReply *)out)->token;
    snprintf(text, len, "%s", t->token);
    if (sequence != NULL) {
        *sequence = t->sequence;
    }
    if (status != NULL) {
        *status = t->status;
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return BO_OK;
}

/* get_token reads the token text (s calls as its user already): BO_OK with its status and
 * sequence in *status and *sequence, or the call's code. */
static int get_token(struct bo_session *s, const char *text, int *status, uint64_t *sequence)
{
    Boxoffice__V1__GetTokenRequest get = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    get.token = (char *)text;
    if ((rc = call_on(s, "GetToken", &get.base, &out)) != BO_OK) {
        return rc;
    }
    *status = ((Boxoffice__V1__GetTokenReply *)out)->token->status;
    *sequence = ((Boxoffice__V1__GetTokenReply *)out)->token->sequence;
    protobuf_c_message_free_unpacked(out, NULL);
    return BO_OK;
}

/* flow_token gets user's ACTIVE token for concert into text: BO_OK, or the code of the call that
 * failed, TOKEN_EXPIRED when the token ended before its turn, INTERNAL when it was not admitted
 * within ~10 s; what failed goes to why. */
static int flow_token(struct bo_session *s, uint64_t user, uint64_t concert, char *text, size_t len,
                      char *why, size_t whylen)
{
    const char *step = "GetToken";
    uint64_t sequence = 0;
    int rc, status = 0;

    if ((rc = issue_token(s, user, concert, text, len, NULL, NULL)) != BO_OK) {
        step = "IssueToken";
        goto done;
    }
    for (int poll = 0; poll < 500; poll++) {
        if ((rc = get_token(s, text, &status, &sequence)) != BO_OK) {
            goto done;
        }
        if (status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
            return BO_OK;
        }
        if (status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED) {
            rc = BO_E_TOKEN_EXPIRED;
            goto done;
        }
        support_sleep_ms(20); /* the next poll, as the holder's page makes it */
    }
    step = "admission within 10 s";
    rc = BO_E_INTERNAL;
done:
    snprintf(why, whylen, "%s of user %llu: %s", step, (unsigned long long)user, bo_error_name(rc));
    return rc;
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

/* flow_failed names the step of user's purchase that failed with rc in why and tells how the
 * purchase ends: 1 (could not) when the failure is one the flows ride out (lost) or tolerated,
 * -1 (unexpected) otherwise. */
static int flow_failed(char *why, size_t whylen, const char *step, uint64_t user, int rc,
                       int tolerated)
{
    snprintf(why, whylen, "%s of user %llu: %s", step, (unsigned long long)user, bo_error_name(rc));
    return tolerated || lost(rc) ? 1 : -1;
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

    if ((rc = flow_token(s, user, concert, token, sizeof(token), why, whylen)) != BO_OK) {
        return lost(rc) ? 1 : -1;
    }
    int failed = BO_OK;
    if ((rc = flow_free_seat(s, token, concert, (unsigned)user, &schedule, &seat, &failed)) != 0) {
        return flow_failed(why, whylen, "seat map", user, failed, rc == -1);
    }
    Boxoffice__V1__HoldSeatRequest hold = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    hold.token = token;
    hold.schedule_id = schedule;
    hold.seat_no = seat;
    if ((rc = call_on(s, "HoldSeat", &hold.base, &out)) != BO_OK) {
        /* taken by another flow, held by an earlier try whose answer was lost, or the token
         * lost with Redis's data (the holder is told to join again) */
        return flow_failed(why, whylen, "hold", user, rc,
                           rc == BO_E_SEAT_TAKEN || rc == BO_E_HOLD_LIMIT);
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
        return flow_failed(why, whylen, "charge", user, rc, 0);
    }
    protobuf_c_message_free_unpacked(out, NULL);

    Boxoffice__V1__PayRequest pay = BOXOFFICE__V1__PAY_REQUEST__INIT;
    snprintf(key, sizeof(key), "pay-%llu", (unsigned long long)user);
    pay.token = token;
    pay.reservation_id = reservation;
    pay.idempotency_key = key;
    if ((rc = call_on(s, "Pay", &pay.base, &out)) != BO_OK) {
        return flow_failed(why, whylen, "payment", user, rc, 0);
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
        char why[sizeof(f->why)] = "";
        int rc = flow_buy(s, user, why, sizeof(why));
        if (rc < 0) {
            f->unexpected++;
            memcpy(f->why, why, sizeof(why)); /* the last unexpected answer, not a tolerated one */
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

/* PostgreSQL restarted while the instances are idle: once it answers again, not one call fails.
 * Each connection that sat idle through the restart holds the server's goodbye unread; an
 * instance finds it dead before a statement goes out on it and connects again, so a write
 * outside a transaction (which is never sent twice, so never tried again once it went out)
 * goes through at its first try too. The calls go to every worker of every instance. */
START_TEST(postgres_restarted_while_idle)
{
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    struct bo_session *s = NULL;
    const int calls = 8 * INSTANCES * 4; /* --workers=8 an instance */
    int failed = 0, last = BO_OK;

    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    req.admin_key = env.admin_key;
    req.artist = "Faults";
    req.venue = "Hall";
    /* Round 0 before the restart: every connection has the statement prepared, so round 1
     * sends it straight away (a statement prepared anew would find the connection dead
     * first, as a read that is safe to try again). */
    for (int round = 0; round < 2; round++) {
        req.title = round == 0 ? "Before a restart" : "After a restart";
        for (int i = 0; i < calls; i++) {
            ProtobufCMessage *out = NULL;
            int rc = bo_call(s, "CreateConcert", &req.base, &out, NULL);

            if (out != NULL) {
                protobuf_c_message_free_unpacked(out, NULL);
            }
            ck_assert_msg(round == 1 || rc == BO_OK, "before the restart: %s", bo_error_name(rc));
            if (rc != BO_OK) {
                failed++;
                last = rc;
            }
        }
        if (round == 0) {
            ck_assert_int_eq(testenv_pg_restart(&env), 0);
        }
    }
    bo_session_close(s);
    ck_assert_msg(failed == 0, "%d of %d calls failed once PostgreSQL was back, the last with %s",
                  failed, calls, bo_error_name(last));
}
END_TEST

/* admin_concert creates a concert whose sale opens at opens_ms (wall clock; 0: open) through s:
 * its id. */
static uint64_t admin_concert(struct bo_session *s, const char *title, int64_t opens_ms)
{
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    uint64_t id;

    req.admin_key = env.admin_key;
    req.title = (char *)title;
    req.artist = "Faults";
    req.venue = "Hall";
    req.sale_opens_at_ms = opens_ms;
    ck_assert_int_eq(call_on(s, "CreateConcert", &req.base, &out), BO_OK);
    id = ((Boxoffice__V1__CreateConcertReply *)out)->concert->id;
    protobuf_c_message_free_unpacked(out, NULL);
    return id;
}

/* transient_more holds once more calls than *arg failed transiently. */
static int transient_more(void *arg)
{
    return atomic_load(&seen.transient) > *(const int *)arg;
}

enum {
    WAITERS = 5,         /* tokens waiting for a sale that opens in an hour */
    WAITER_USER = 90001, /* the first of their users */
};

/* Redis killed (a crash) in the middle of the load and started again on its append-only file,
 * as production runs it (appendonly yes): calls fail only while it is away, and only as
 * UNAVAILABLE or TIMEOUT (503 over REST), never TOKEN_EXPIRED or anything else, as no token is
 * lost; tokens waiting for a sale keep their places, the line's numbering and the admission
 * settings go on; money and seats stay consistent. */
START_TEST(redis_restarted_with_its_data_during_the_load)
{
    struct load l;
    struct bo_session *s = NULL;
    char waiter[WAITERS][200], text[200];
    uint64_t concert, sequence = 0;
    int status = 0;

    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    set_admission_open(s);
    concert = admin_concert(s, "Opens in an hour", (int64_t)time(NULL) * 1000 + 3600000);
    for (int i = 0; i < WAITERS; i++) {
        ck_assert_int_eq(issue_token(s, WAITER_USER + (uint64_t)i, concert, waiter[i],
                                     sizeof(waiter[i]), &sequence, &status),
                         BO_OK);
        ck_assert_int_eq(status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING);
        ck_assert_uint_eq(sequence, (uint64_t)i + 1);
    }
    load_start(&l, FIRST_USER + 3 * FLOWS * USERS_PER_FLOW);
    size_t end = load_round(0);
    int before = atomic_load(&seen.transient);
    failures_reset();
    int64_t down = support_now_ms();
    testenv_redis_kill(&env, SIGKILL);
    /* Away until the load has met it: the outage is felt, not only announced. */
    SUPPORT_WAIT(transient_more, &before, 10000, "no call failed in 10 s without Redis");
    ck_assert_int_eq(testenv_redis_start_again(&env), 0);
    int64_t up = support_now_ms();
    SUPPORT_WAIT(paid_at_least, &end, 60000, "the purchases of the round were not all paid");
    end = load_round(1);
    SUPPORT_WAIT(paid_at_least, &end, 60000, "the purchases after Redis came back were not paid");
    load_finish(&l); /* no answer but UNAVAILABLE or TIMEOUT: no token was lost */
    int64_t first = atomic_load(&seen.fail_first_end), last = atomic_load(&seen.fail_last_start);
    printf("faults: Redis killed and started on its file; %d calls failed, from %lld ms after the "
           "kill to %lld ms after it (back after %lld ms)\n",
           atomic_load(&seen.transient) - before, (long long)(first - down),
           (long long)(last - down), (long long)(up - down));
    ck_assert_msg(first >= down, "a call failed %lld ms before Redis went away",
                  (long long)(down - first));
    ck_assert_msg(last <= up, "a call made %lld ms after Redis was back failed",
                  (long long)(last - up));
    /* The waiting tokens kept their places, and the line numbers on from them. */
    for (int i = 0; i < WAITERS; i++) {
        ck_assert_int_eq(as_user(s, WAITER_USER + (uint64_t)i), BO_OK);
        ck_assert_int_eq(get_token(s, waiter[i], &status, &sequence), BO_OK);
        ck_assert_int_eq(status, BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING);
        ck_assert_uint_eq(sequence, (uint64_t)i + 1);
    }
    ck_assert_int_eq(
        issue_token(s, WAITER_USER + WAITERS, concert, text, sizeof(text), &sequence, &status),
        BO_OK);
    ck_assert_uint_eq(sequence, WAITERS + 1);
    /* The admission settings too: the line is still open as set at the start. */
    Boxoffice__V1__GetAdmissionSettingsRequest get =
        BOXOFFICE__V1__GET_ADMISSION_SETTINGS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    get.admin_key = env.admin_key;
    ck_assert_int_eq(call_on(s, "GetAdmissionSettings", &get.base, &out), BO_OK);
    ck_assert_uint_eq(((Boxoffice__V1__AdmissionSettingsReply *)out)->settings->rate_per_second,
                      100000);
    protobuf_c_message_free_unpacked(out, NULL);
    bo_session_close(s);
    for (int i = 0; i < INSTANCES; i++) {
        ck_assert_msg(testenv_service_running(&env, i), "instance %d did not ride it out", i);
    }
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

enum {
    LINE = 30,         /* tokens in the line of the pause test */
    LINE_USER = 91001, /* the first of their users */
    MAX_ACTIVE = 3,
    RATE = 20,         /* admissions per second */
    PAUSED_ADMITS = 3, /* admissions the other instance makes while the leader is paused */
    PAUSED = 0,
    OTHER = 1 /* the two instances of the pause test, as watched */
};

/* What the pause test watches, a step at each call of a condition (watch_step). */
struct watch {
    struct bo_session *s; /* on the instance not paused: issues and leaves */
    uint64_t concert;
    char tokens[LINE][200];         /* in issue order: token i has sequence i + 1 */
    int instance[2];                /* the paused one (the leader at first) and the other */
    char name[2][16];               /* their lease holder names, "test-<i>" */
    struct bo_subscription *sub[2]; /* the concert's events from each of them */
    int phase;                      /* 0 before the pause, 1 paused, 2 going on again */
    uint64_t want;                  /* admissions a phase waits for */
    char holder[64];                /* of the lease, as last read */
    uint64_t admitted;              /* admissions in all, as last read */
    size_t active, active_max;      /* ACTIVE tokens as last read, and the most at once */
    uint64_t active_seq[LINE];      /* their sequences, the first to expire first */
    size_t left;                    /* tokens the test made leave */
    uint64_t at_pause;              /* admissions in all once the leader had stopped */
    int leader_again;               /* the paused one held the lease again after it went on */
    uint64_t late; /* an admission past at_pause the paused one announced after it went on */
    unsigned char announced[LINE + 1]; /* an ADMITTED event came for admission no */
};

/* watch_leave makes the ACTIVE token of sequence seq leave (through the other instance), as its
 * holder would once done. */
static void watch_leave(struct watch *w, uint64_t seq)
{
    Boxoffice__V1__LeaveQueueRequest req = BOXOFFICE__V1__LEAVE_QUEUE_REQUEST__INIT;
    ProtobufCMessage *out = NULL;

    ck_assert_msg(seq >= 1 && seq <= LINE, "token %llu ACTIVE: not of the line",
                  (unsigned long long)seq);
    req.token = w->tokens[seq - 1];
    ck_assert_int_eq(as_user(w->s, LINE_USER + seq - 1), BO_OK);
    ck_assert_int_eq(call_on(w->s, "LeaveQueue", &req.base, &out), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
    w->left++;
}

/* watch_read reads the lease holder, the admissions in all and the ACTIVE tokens of the line
 * (into w->active_seq) from Redis in one script, and checks max-active. */
static void watch_read(struct watch *w)
{
    static const char script[] =
        "local a = redis.call('ZRANGE', KEYS[1], 0, -1) return {redis.call('GET', KEYS[2]) or "
        "'', redis.call('GET', KEYS[3]) or '0', unpack(a)}";
    char active_key[64], admitted_key[64], text[1024];
    const char *argv[] = {"EVAL",       script, "3", active_key, "bo:admission:leader",
                          admitted_key, NULL};

    snprintf(active_key, sizeof(active_key), "bo:q:%llu:active", (unsigned long long)w->concert);
    snprintf(admitted_key, sizeof(admitted_key), "bo:q:%llu:admitted",
             (unsigned long long)w->concert);
    ck_assert_int_eq(testenv_redis_text(&env, argv, text, sizeof(text)), 0);
    char *save = NULL, *next = strchr(text, '\n');
    ck_assert_ptr_nonnull(next);
    *next = '\0';
    snprintf(w->holder, sizeof(w->holder), "%.63s", text);
    w->admitted = strtoull(next + 1, NULL, 10);
    w->active = 0;
    strtok_r(next + 1, "\n", &save); /* the admissions counted, read above */
    for (char *seq = strtok_r(NULL, "\n", &save); seq != NULL; seq = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(w->active < LINE, "more ACTIVE tokens than the line has");
        w->active_seq[w->active++] = strtoull(seq, NULL, 10);
    }
    if (w->active > w->active_max) {
        w->active_max = w->active;
    }
    ck_assert_msg(w->active <= MAX_ACTIVE, "%zu tokens ACTIVE at once (max-active %d), phase %d",
                  w->active, MAX_ACTIVE, w->phase);
    if (w->phase == 2 && strcmp(w->holder, w->name[PAUSED]) == 0) {
        w->leader_again = 1;
    }
}

/* watch_events takes the ADMITTED events that came from instance k: each names the token whose
 * turn it was (admission number = issue sequence: join order), and the paused instance, once
 * it goes on, announces no admission it did not make before its pause. */
static void watch_events(struct watch *w, int k)
{
    Boxoffice__V1__AdmissionEvent *e = NULL;

    while (bo_subscription_next(w->sub[k], 0, &e) == BO_OK) {
        if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED) {
            char want[48];
            snprintf(want, sizeof(want), "%llu-%llu", (unsigned long long)w->concert,
                     (unsigned long long)e->sequence);
            ck_assert_msg(
                e->sequence >= 1 && e->sequence <= LINE && strcmp(e->token_id, want) == 0 &&
                    e->user_id == LINE_USER + e->sequence - 1,
                "admission %llu went to token %s of user %llu: not in join order",
                (unsigned long long)e->sequence, e->token_id, (unsigned long long)e->user_id);
            w->announced[e->sequence] = 1;
            if (k == PAUSED && w->phase == 2 && e->sequence > w->at_pause && w->late == 0) {
                w->late = e->sequence;
            }
        }
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
}

/* watch_step reads Redis (watch_read) and the events of both instances, and lets the longest
 * ACTIVE token leave when max-active is reached or the whole line was admitted: the line moves
 * at the rate, held back by max-active. */
static void watch_step(struct watch *w)
{
    watch_read(w);
    watch_events(w, PAUSED);
    watch_events(w, OTHER);
    if (w->active > 0 && (w->active >= MAX_ACTIVE || w->admitted == LINE)) {
        watch_leave(w, w->active_seq[0]); /* the first to expire: the first admitted */
    }
}

/* watch_admitted holds once w->want admissions were made. */
static int watch_admitted(void *arg)
{
    struct watch *w = arg;
    watch_step(w);
    return w->admitted >= w->want;
}

/* watch_taken_over holds once the other instance holds the lease and admitted w->want. */
static int watch_taken_over(void *arg)
{
    struct watch *w = arg;
    watch_step(w);
    return strcmp(w->holder, w->name[OTHER]) == 0 && w->admitted >= w->want;
}

/* watch_all_announced holds once the whole line was admitted and announced. */
static int watch_all_announced(void *arg)
{
    struct watch *w = arg;
    watch_step(w);
    for (int no = 1; no <= LINE; no++) {
        if (!w->announced[no]) {
            return 0;
        }
    }
    return w->admitted == LINE;
}

/* watch_holder holds once the lease names a running instance: into w->instance[PAUSED]. */
static int watch_holder(void *arg)
{
    struct watch *w = arg;
    int i = -1;
    watch_read(w);
    if (sscanf(w->holder, "test-%d", &i) != 1 || !testenv_service_running(&env, i)) {
        return 0;
    }
    w->instance[PAUSED] = i;
    return 1;
}

/* watch_subscribed holds once this process has connected to both instances' events. */
static int watch_subscribed(void *arg)
{
    const struct watch *w = arg;
    for (int k = 0; k < 2; k++) {
        if (support_tcp_connections(getpid(), support_url_port(env.events_url[w->instance[k]])) <
            1) {
            return 0;
        }
    }
    return 1;
}

/* watch_line starts the test: two instances (the third stopped for good), the leader to pause
 * found, both subscribed to, and the line issued. */
static void watch_line(struct watch *w, struct bo_client **other)
{
    uint64_t sequence = 0;
    int status = 0;

    testenv_service_kill(&env, 2, SIGTERM); /* it hands the lease back if it held it */
    SUPPORT_WAIT(watch_holder, w, 15000, "no running instance took the lease in 15 s");
    w->instance[OTHER] = 1 - w->instance[PAUSED];
    for (int k = 0; k < 2; k++) {
        snprintf(w->name[k], sizeof(w->name[k]), "test-%d", w->instance[k]);
        ck_assert_int_eq(bo_subscribe(env.events_url[w->instance[k]], w->concert, 0, &w->sub[k]),
                         BO_OK);
    }
    ck_assert_int_eq(bo_client_open(env.rpc_url[w->instance[OTHER]], 3000, other), BO_OK);
    ck_assert_int_eq(bo_session_open(*other, &w->s), BO_OK);
    SUPPORT_WAIT(watch_subscribed, w, 10000, "the subscriptions did not connect in 10 s");
    for (int i = 0; i < LINE; i++) {
        ck_assert_int_eq(issue_token(w->s, LINE_USER + (uint64_t)i, w->concert, w->tokens[i],
                                     sizeof(w->tokens[i]), &sequence, &status),
                         BO_OK);
        ck_assert_uint_eq(sequence, (uint64_t)i + 1);
    }
}

/* The instance holding the admission lease is paused (SIGSTOP) with a line longer than
 * max-active moving at a fixed rate, until its lease lapses and the other instance takes it
 * over and admits; then it goes on (SIGCONT). Before, during and after the pause tokens become
 * ACTIVE in join order (the admissions Redis recorded and the events of both instances), never
 * more than max-active at once (sampled at every step, and reached: the limit held the line
 * back), and the old leader, woken, admits nothing more unless it took the lease again. Last:
 * it stops the third instance for good. */
START_TEST(admission_lease_lapses_under_a_pause)
{
    struct watch *w = calloc(1, sizeof(*w));
    struct bo_session *admin = NULL;
    struct bo_client *other = NULL;

    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(bo_session_open(client, &admin), BO_OK);
    set_admission(admin, RATE, MAX_ACTIVE); /* read by the leader long before the line forms */
    w->concert = admin_concert(admin, "Paused leader", 0);
    bo_session_close(admin);
    watch_line(w, &other);
    w->want = LINE / 3;
    SUPPORT_WAIT(watch_admitted, w, 20000, "%llu of %d admitted in 20 s before the pause",
                 (unsigned long long)w->admitted, LINE / 3);

    ck_assert_int_eq(testenv_service_pause(&env, w->instance[PAUSED], 1), 0);
    int64_t paused_at = support_now_ms();
    watch_read(w); /* the leader has stopped: whatever it admitted is counted now */
    ck_assert_msg(strcmp(w->holder, w->name[PAUSED]) == 0,
                  "the lease moved from %s to '%s' before the pause", w->name[PAUSED], w->holder);
    w->phase = 1;
    w->at_pause = w->admitted;
    w->want = w->at_pause + PAUSED_ADMITS;
    SUPPORT_WAIT(watch_taken_over, w, 20000,
                 "instance %d did not take the lease over and admit while %d was paused (holder "
                 "'%s', %llu admitted, %llu at the pause)",
                 w->instance[OTHER], w->instance[PAUSED], w->holder,
                 (unsigned long long)w->admitted, (unsigned long long)w->at_pause);
    int64_t paused_ms = support_now_ms() - paused_at;
    uint64_t during = w->admitted - w->at_pause;

    /* Room at the wake: every ACTIVE token leaves and the rate drops to one a second, so the
     * other instance fills one place at once and the next a second later: an old leader that
     * still admits finds places free. */
    set_admission(w->s, 1, MAX_ACTIVE);
    watch_read(w);
    for (size_t i = 0; i < w->active; i++) {
        watch_leave(w, w->active_seq[i]);
    }
    w->phase = 2;
    ck_assert_int_eq(testenv_service_pause(&env, w->instance[PAUSED], 0), 0);
    w->want = w->admitted + 2;
    SUPPORT_WAIT(watch_admitted, w, 20000, "no 2 admissions in 20 s at one a second");
    set_admission(w->s, RATE, MAX_ACTIVE);
    SUPPORT_WAIT(watch_all_announced, w, 30000, "%llu of %d admitted and announced in 30 s",
                 (unsigned long long)w->admitted, LINE);
    printf("faults: the leader paused %lld ms, %llu admitted before, %llu by the other meanwhile, "
           "%zu at most ACTIVE at once, the old leader %s\n",
           (long long)paused_ms, (unsigned long long)w->at_pause, (unsigned long long)during,
           w->active_max, w->leader_again ? "took the lease again" : "did not lead again");
    ck_assert_msg(w->late == 0 || w->leader_again,
                  "instance %d admitted token %llu after its pause while %d held the lease",
                  w->instance[PAUSED], (unsigned long long)w->late, w->instance[OTHER]);
    ck_assert_int_eq(w->active_max, MAX_ACTIVE);
    ck_assert_uint_ge(w->left, LINE - MAX_ACTIVE);

    /* What Redis recorded, in admission order: admission k was the token of sequence k. */
    char key[64], text[LINE * 80];
    snprintf(key, sizeof(key), "bo:q:%llu:recent", (unsigned long long)w->concert);
    const char *argv[] = {"LRANGE", key, "0", "-1", NULL};
    ck_assert_int_eq(testenv_redis_text(&env, argv, text, sizeof(text)), 0);
    char *save = NULL;
    int n = 0;
    for (char *e = strtok_r(text, "\n", &save); e != NULL; e = strtok_r(NULL, "\n", &save)) {
        unsigned long long no = 0, seq = 0, user = 0;
        n++;
        ck_assert_int_eq(sscanf(e, "%llu:%llu:%llu:", &no, &seq, &user), 3);
        ck_assert_msg(no == (unsigned long long)n && seq == no && user == LINE_USER + seq - 1,
                      "admission %d was '%s': not in join order", n, e);
    }
    ck_assert_int_eq(n, LINE);

    for (int k = 0; k < 2; k++) {
        bo_subscription_close(w->sub[k]);
    }
    bo_session_close(w->s);
    bo_client_close(other);
    free(w);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {five_kills_during_a_full_flow_load, postgres_restarted_during_the_load,
                            postgres_restarted_while_idle,
                            redis_restarted_with_its_data_during_the_load,
                            redis_emptied_during_the_load,
                            /* Last: it stops an instance for good. */
                            admission_lease_lapses_under_a_pause, NULL};
    const struct support_case cases[] = {
        {"faults", tests, suite_setup, suite_teardown, NULL, NULL, 600}};

    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("faults", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
