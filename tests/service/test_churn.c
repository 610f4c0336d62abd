/*
 * Integration suite of bounded growth under churn (issue 10, "Unbounded growth"): users of a
 * pool issue queue tokens, get admitted, leave or let their tokens end, and charge points, in a
 * closed loop over several threads, against one service instance whose keep times are short
 * (ended-token records and idempotency keys kept 2 s, ACTIVE tokens 5 s) and whose charge limit
 * is low, so what would pile up in hours piles up in seconds. Redis (INFO used_memory, DBSIZE,
 * rate counters) and PostgreSQL (idempotency_keys, point_ledger, the database) are sampled at
 * the start, after a warm-up, every second of the churn and once it has settled, and must stay
 * bounded:
 *   - idempotency keys in PostgreSQL never outnumber the charges answered OK within the keep
 *     time and a sweep period (with margin), and all are swept once the churn stops;
 *   - every charge answered OK made one ledger row and no refused one made any (a probe user
 *     makes sure some are refused), and the charges answered OK stay within what the per-user
 *     limit allows the pool;
 *   - Redis holds no more keys during the churn than the tokens alive or ended within the keep
 *     time can make, and at most twice its warm memory; once the churn stops every token record
 *     goes (TTL + keep time) and Redis is back at or under its warm level (the rate counters of
 *     the current minute aside).
 * Each sample is printed (ops, Redis bytes and keys, table sizes and rows). The short run makes
 * 20,000 token issues and as many charges; BOXOFFICE_CHURN_LONG=1 makes it a million of each
 * (BOXOFFICE_CHURN_OPS=N any other number), long enough for PostgreSQL's autovacuum (at its
 * defaults, as in the short run) to take back the space of swept keys.
 */
#include "bo_error.h"
#include "boxoffice/client.h"
#include "support.h"
#include "testenv.h"

#include <check.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    THREADS = 8,
    POOL = 2000, /* users, each churned by one thread only */
    FIRST_USER = 60001,
    CONCERTS = 3,
    CHARGE_LIMIT = 6, /* charges per user per minute */
    TOKEN_TTL_S = 5,
    KEEP_S = 2,         /* ended-token records and idempotency keys */
    IDEM_SWEEP_S = 5,   /* the leader's sweep period (service/admission.c) */
    SWEEP_MARGIN_S = 5, /* a leader tick late under load */
    RECORD_LIFE_S = 30, /* a token record's life at most: TTL, abandon time, keep time, margin */
    SHORT_OPS = 20000,
    LONG_OPS = 1000000,
    MAX_SECONDS = 6 * 3600,
    CONCERT_KEYS = 8, /* keys a concert's line keeps at rest (seq, admitted, meta, recent, ...) */
    RATE_KEY_BYTES = 160,
};

static struct testenv env;
static struct bo_client *client;
static const char *const instance_args[] = {
    "--ended-token-keep-seconds=2", "--idempotency-keep-seconds=2", "--abandon-seconds=2", NULL};

/* What the churn did so far. */
static struct {
    atomic_long issues, created, charges, charged, limited, leaves, unexpected;
    atomic_long charged_at[MAX_SECONDS]; /* charges answered OK, by second since t0 */
    atomic_long issued_at[MAX_SECONDS];  /* token issues answered, by second since t0 */
    atomic_int stop;
    long target; /* token issues (and charges) in all */
    int64_t t0;  /* support_now_ms at the start of the churn */
    pthread_mutex_t mu;
    char why[256]; /* the first unexpected answer */
    pthread_t threads[THREADS];
    int nthreads; /* started and not joined yet */
} churn = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* One look at Redis and PostgreSQL. */
struct sample {
    double t_s;
    long issues, charged;
    long long used_memory, keys, rate_keys;
    long long idem_rows, idem_bytes, ledger_rows, ledger_bytes, db_bytes;
};

static void suite_setup(void)
{
    testenv_up(&env, TESTENV_SEED, 1, instance_args);
    ck_assert_int_eq(bo_client_open(env.rpc_urls, 10000, &client), BO_OK);
}

/* churn_threads_stop stops the churn's threads and waits for them (a failed check leaves the
 * test with them running: the teardown stops them before it closes what they use). */
static void churn_threads_stop(void)
{
    atomic_store(&churn.stop, 1);
    for (int i = 0; i < churn.nthreads; i++) {
        pthread_join(churn.threads[i], NULL);
    }
    churn.nthreads = 0;
}

static void suite_teardown(void)
{
    churn_threads_stop();
    bo_client_close(client);
    testenv_stop(&env);
}

/* churn_count_now counts one event in the second of per_second it happened in. */
static void churn_count_now(atomic_long *per_second)
{
    long at = (long)((support_now_ms() - churn.t0) / 1000);

    atomic_fetch_add(&per_second[at < MAX_SECONDS ? at : MAX_SECONDS - 1], 1);
}

/* churn_unexpected records an answer the churn cannot explain (the first one's words kept). */
static void churn_unexpected(const char *what, uint64_t user, int rc)
{
    pthread_mutex_lock(&churn.mu);
    if (atomic_fetch_add(&churn.unexpected, 1) == 0) {
        snprintf(churn.why, sizeof(churn.why), "%s of user %" PRIu64 ": %s", what, user,
                 bo_error_name(rc));
    }
    pthread_mutex_unlock(&churn.mu);
}

/* churn_admin calls an admin method (its request's admin_key set here) and frees the answer. */
static void churn_admin(struct bo_session *s, const char *method, ProtobufCMessage *in,
                        char **admin_key)
{
    ProtobufCMessage *out = NULL;

    *admin_key = env.admin_key;
    ck_assert_int_eq(bo_call(s, method, in, &out, NULL), BO_OK);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* churn_configure opens admission wide with a short token TTL and limits charges per user (the
 * address limit off: every native client shares the address "native"). Runs before any call
 * made for a user, so every worker reads these limits from its first one. */
static void churn_configure(struct bo_session *s)
{
    Boxoffice__V1__SetAdmissionSettingsRequest adm =
        BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
    Boxoffice__V1__AdmissionSettings set = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
    Boxoffice__V1__SetLimitsRequest lim = BOXOFFICE__V1__SET_LIMITS_REQUEST__INIT;
    Boxoffice__V1__Limits l = BOXOFFICE__V1__LIMITS__INIT;

    set.rate_per_second = 100000;
    set.max_active = 100000;
    set.token_ttl_seconds = TOKEN_TTL_S;
    set.hold_ttl_seconds = 300;
    adm.settings = &set;
    churn_admin(s, "SetAdmissionSettings", &adm.base, &adm.admin_key);
    l.user_charges_per_minute = CHARGE_LIMIT;
    lim.limits = &l;
    lim.fields_set = 1u << 3; /* user_charges_per_minute */
    churn_admin(s, "SetLimits", &lim.base, &lim.admin_key);
}

/* churn_status reads the token's status: BO_OK with *status, or the call's failure. */
static int churn_status(struct bo_session *s, char *token, int *status)
{
    Boxoffice__V1__GetTokenRequest get = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    get.token = token;
    if ((rc = bo_call(s, "GetToken", &get.base, &out, NULL)) == BO_OK) {
        *status = ((Boxoffice__V1__GetTokenReply *)out)->token->status;
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return rc;
}

/* churn_token issues user's token for concert and takes it where fate says: 0 leave at once,
 * 1 wait until ACTIVE then leave, 2 wait until ACTIVE then let it end, 3 walk away at once (it
 * is admitted, then ends, or is abandoned). */
static void churn_token(struct bo_session *s, uint64_t user, uint64_t concert, int fate)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    char token[256];
    int status, rc;

    req.user_id = user;
    req.concert_id = concert;
    if ((rc = bo_call(s, "IssueToken", &req.base, &out, NULL)) != BO_OK) {
        churn_unexpected("token issue", user, rc);
        return;
    }
    const Boxoffice__V1__IssueTokenReply *r = (const Boxoffice__V1__IssueTokenReply *)out;
    snprintf(token, sizeof(token), "%s", r->token->token);
    status = r->token->status;
    atomic_fetch_add(&churn.issues, 1);
    churn_count_now(churn.issued_at);
    atomic_fetch_add(&churn.created, r->created ? 1 : 0);
    protobuf_c_message_free_unpacked(out, NULL);
    for (int poll = 0;
         (fate == 1 || fate == 2) && status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING; poll++) {
        if (poll == 1000) {
            churn_unexpected("admission (10 s)", user, BO_E_TIMEOUT);
            return;
        }
        support_sleep_ms(10); /* the next poll, as the holder's page makes it */
        if ((rc = churn_status(s, token, &status)) != BO_OK) {
            churn_unexpected("token read", user, rc);
            return;
        }
    }
    if (fate <= 1) {
        Boxoffice__V1__LeaveQueueRequest leave = BOXOFFICE__V1__LEAVE_QUEUE_REQUEST__INIT;
        leave.token = token;
        rc = bo_call(s, "LeaveQueue", &leave.base, &out, NULL);
        if (rc == BO_OK) {
            atomic_fetch_add(&churn.leaves, 1);
            protobuf_c_message_free_unpacked(out, NULL);
        } else if (rc != BO_E_TOKEN_EXPIRED) { /* ended on its own meanwhile */
            churn_unexpected("leave", user, rc);
        }
    }
}

/* churn_charge charges user one point under a key of its own: OK and RATE_LIMITED are counted,
 * anything else is unexpected (its outcome unknown, the ledger check could not hold). */
static void churn_charge(struct bo_session *s, uint64_t user, long round)
{
    Boxoffice__V1__ChargePointsRequest req = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    char key[64];
    int rc;

    snprintf(key, sizeof(key), "churn-%" PRIu64 "-%ld", user, round);
    req.user_id = user;
    req.amount = 1;
    req.idempotency_key = key;
    rc = bo_call(s, "ChargePoints", &req.base, &out, NULL);
    atomic_fetch_add(&churn.charges, 1);
    if (rc == BO_OK) {
        churn_count_now(churn.charged_at);
        atomic_fetch_add(&churn.charged, 1);
        protobuf_c_message_free_unpacked(out, NULL);
    } else if (rc == BO_E_RATE_LIMITED) {
        atomic_fetch_add(&churn.limited, 1);
    } else {
        churn_unexpected("charge", user, rc);
    }
}

/* churn_probe makes 2 x CHARGE_LIMIT + 1 charges as a user of no thread, back to back: at least
 * CHARGE_LIMIT + 1 of them fall in one minute's window, so at least one is refused, whatever
 * the churn's pace was. */
static void churn_probe(void)
{
    const uint64_t user = FIRST_USER + POOL;
    struct bo_session *s = NULL;
    char jwt[512];

    ck_assert_int_eq(bo_session_open(client, &s), BO_OK);
    ck_assert_int_eq(testenv_jwt(&env, user, 0, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(bo_session_set_caller(s, jwt, NULL), BO_OK);
    for (long i = 0; i < 2 * CHARGE_LIMIT + 1; i++) {
        churn_charge(s, user, i);
    }
    bo_session_close(s);
    ck_assert_msg(atomic_load(&churn.unexpected) == 0, "the probe: %s", churn.why);
}

struct churner {
    int index;
};

/* churn_main: thread index churns its share of the pool, user after user, one token and one
 * charge each, until the issues reach the target or the churn is stopped. */
static void *churn_main(void *arg)
{
    const struct churner *c = arg;
    struct bo_session *s = NULL;
    char jwt[512];

    if (bo_session_open(client, &s) != BO_OK) {
        churn_unexpected("session", 0, BO_E_INTERNAL);
        return NULL;
    }
    for (long round = 0; !atomic_load(&churn.stop); round++) {
        if (atomic_load(&churn.issues) >= churn.target) {
            break;
        }
        uint64_t user = FIRST_USER + (uint64_t)c->index * (POOL / THREADS) +
                        (uint64_t)(round % (POOL / THREADS));
        if (testenv_jwt(&env, user, 0, jwt, sizeof(jwt)) != 0 ||
            bo_session_set_caller(s, jwt, NULL) != BO_OK) {
            churn_unexpected("proof", user, BO_E_INTERNAL);
            break;
        }
        churn_token(s, user, 1 + (uint64_t)(round / (POOL / THREADS)) % CONCERTS,
                    (int)((round + c->index) % 4));
        churn_charge(s, user, round);
        if (atomic_load(&churn.unexpected) > 0) {
            break;
        }
    }
    bo_session_close(s);
    return NULL;
}

/* ---- sampling ------------------------------------------------------------------------------ */

/* churn_redis reads used_memory, the key count and the rate counters (bo:rl:*) into *out. */
static void churn_redis(struct sample *out)
{
    redisContext *r = redisConnect("127.0.0.1", env.redis_port);
    redisReply *rep;
    char cursor[32] = "0";
    const char *at;

    ck_assert_msg(r != NULL && r->err == 0, "redis connect");
    rep = redisCommand(r, "INFO memory");
    ck_assert_msg(rep != NULL && rep->type == REDIS_REPLY_STRING, "INFO memory");
    at = strstr(rep->str, "used_memory:");
    ck_assert_msg(at != NULL, "INFO memory has no used_memory");
    out->used_memory = strtoll(at + strlen("used_memory:"), NULL, 10);
    freeReplyObject(rep);
    rep = redisCommand(r, "DBSIZE");
    ck_assert_msg(rep != NULL && rep->type == REDIS_REPLY_INTEGER, "DBSIZE");
    out->keys = rep->integer;
    freeReplyObject(rep);
    out->rate_keys = 0;
    do {
        rep = redisCommand(r, "SCAN %s MATCH bo:rl:* COUNT 1000", cursor);
        ck_assert_msg(rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2, "SCAN");
        snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
        out->rate_keys += (long long)rep->element[1]->elements;
        freeReplyObject(rep);
    } while (strcmp(cursor, "0") != 0);
    redisFree(r);
}

/* churn_pg reads the rows and sizes of idempotency_keys and point_ledger and the database's
 * size into *out. */
static void churn_pg(struct sample *out)
{
    char text[256];

    ck_assert_int_eq(testenv_psql_value(&env,
                                        "SELECT (SELECT count(*) FROM idempotency_keys) || ' ' || "
                                        "pg_total_relation_size('idempotency_keys') || ' ' || "
                                        "(SELECT count(*) FROM point_ledger) || ' ' || "
                                        "pg_total_relation_size('point_ledger') || ' ' || "
                                        "pg_database_size(current_database())",
                                        text, sizeof(text)),
                     0);
    ck_assert_int_eq(sscanf(text, "%lld %lld %lld %lld %lld", &out->idem_rows, &out->idem_bytes,
                            &out->ledger_rows, &out->ledger_bytes, &out->db_bytes),
                     5);
}

/* churn_sample takes and prints one sample named what. */
static void churn_sample(const char *what, struct sample *out)
{
    memset(out, 0, sizeof(*out));
    out->t_s = (double)(support_now_ms() - churn.t0) / 1000.0;
    out->issues = atomic_load(&churn.issues);
    out->charged = atomic_load(&churn.charged);
    churn_redis(out);
    churn_pg(out);
    printf("churn %-8s %7.1f s  issues %8ld  charges %8ld (ok %7ld)  redis %6.2f MB %7lld keys "
           "(%5lld rate)  idempotency_keys %6lld rows %6.2f MB  point_ledger %7lld rows %6.2f MB"
           "  database %7.2f MB\n",
           what, out->t_s, out->issues, atomic_load(&churn.charges), out->charged,
           (double)out->used_memory / 1048576.0, out->keys, out->rate_keys, out->idem_rows,
           (double)out->idem_bytes / 1048576.0, out->ledger_rows,
           (double)out->ledger_bytes / 1048576.0, (double)out->db_bytes / 1048576.0);
    fflush(stdout);
}

/* churn_recent counts the events of per_second from back_s seconds before the sample s was
 * taken up to now. */
static long churn_recent(const atomic_long *per_second, const struct sample *s, long back_s)
{
    long from = (long)s->t_s - back_s, to = (long)((support_now_ms() - churn.t0) / 1000), n = 0;

    for (long i = from > 0 ? from : 0; i <= to && i < MAX_SECONDS; i++) {
        n += atomic_load(&per_second[i]);
    }
    return n;
}

/*
 * churn_check_bounded checks sample s, taken during the churn after the warm one w, against
 * what the churn allows:
 *   - every idempotency key was made by a charge answered OK within the keep time, a sweep
 *     period and a margin (or is being answered);
 *   - Redis's keys but the rate counters: a line's own few per concert, an entry of the user
 *     index per live token (at most one per user and concert: one key each at most) and a hash
 *     per 64 sequences of the tokens alive or ended within the keep time, all issued within
 *     RECORD_LIFE_S (ACTIVE for the TTL, waiting at most the abandon time, then kept);
 *   - Redis's memory: at most twice its warm level (the live tokens follow the churn's pace)
 *     and the rate counters of a new minute beside those of the last.
 */
static void churn_check_bounded(const struct sample *s, const struct sample *w,
                                const struct sample *start)
{
    long charged = churn_recent(churn.charged_at, s, KEEP_S + IDEM_SWEEP_S + SWEEP_MARGIN_S);
    long issued = churn_recent(churn.issued_at, s, RECORD_LIFE_S);
    long long rate_more = s->rate_keys > w->rate_keys ? s->rate_keys - w->rate_keys : 0;
    long long keys_max =
        start->keys - start->rate_keys + CONCERTS * (POOL + CONCERT_KEYS + 2) + issued / 64;

    ck_assert_msg(s->idem_rows <= charged,
                  "%lld idempotency keys at %.1f s, but only %ld charges were answered OK in the "
                  "%d s before: the sweep does not keep up",
                  s->idem_rows, s->t_s, charged, KEEP_S + IDEM_SWEEP_S + SWEEP_MARGIN_S);
    ck_assert_msg(s->keys - s->rate_keys <= keys_max,
                  "Redis holds %lld keys besides %lld rate counters at %.1f s: more than the %lld "
                  "that %ld tokens issued in the last %d s allow",
                  s->keys - s->rate_keys, s->rate_keys, s->t_s, keys_max, issued, RECORD_LIFE_S);
    ck_assert_msg(s->used_memory <= 2 * w->used_memory + rate_more * RATE_KEY_BYTES,
                  "Redis grew to %lld bytes at %.1f s from %lld warm", s->used_memory, s->t_s,
                  w->used_memory);
}

/* The condition that the churn has left nothing in Redis but what a line keeps at rest and the
 * rate counters: every token record swept. */
static int churn_redis_settled(void *arg)
{
    const struct sample *start = arg;
    struct sample now;

    churn_redis(&now);
    return now.keys - now.rate_keys <= start->keys - start->rate_keys + CONCERTS * CONCERT_KEYS;
}

/* The condition that every idempotency key has been swept. */
static int churn_keys_swept(void *arg)
{
    (void)arg;
    return testenv_sql_i64(&env, "SELECT count(*) FROM idempotency_keys") == 0;
}

/* churn_target reads how many token issues to make from the environment (see the top). */
static long churn_target(int *is_long)
{
    const char *ops = getenv("BOXOFFICE_CHURN_OPS");
    const char *lng = getenv("BOXOFFICE_CHURN_LONG");

    *is_long = lng != NULL && strcmp(lng, "1") == 0;
    if (ops != NULL && atol(ops) > 0) {
        return atol(ops);
    }
    return *is_long ? LONG_OPS : SHORT_OPS;
}

/* Redis and PostgreSQL stay bounded under a churn of token issues and charges, and come back
 * to their warm level once it stops (see the top). */
START_TEST(growth_is_bounded_under_churn)
{
    static struct churner workers[THREADS];
    struct bo_session *admin = NULL;
    struct sample start, warm, s, settled;
    int is_long = 0, warm_taken = 0;
    long warm_ops;

    churn.target = churn_target(&is_long);
    warm_ops = churn.target / 4;
    ck_assert_int_eq(bo_session_open(client, &admin), BO_OK);
    churn_configure(admin);
    bo_session_close(admin);
    churn.t0 = support_now_ms();
    churn_sample("start", &start);
    for (int i = 0; i < THREADS; i++) {
        workers[i].index = i;
        ck_assert_int_eq(pthread_create(&churn.threads[i], NULL, churn_main, &workers[i]), 0);
        churn.nthreads++;
    }
    /* The warm sample: a quarter of the issues made, and long enough for tokens to end and be
     * swept and for keys to be swept (steady state). */
    while (atomic_load(&churn.issues) < churn.target && atomic_load(&churn.unexpected) == 0) {
        support_sleep_ms(is_long ? 10000 : 1000); /* the sampling period */
        if (!warm_taken) {
            if (atomic_load(&churn.issues) >= warm_ops &&
                support_now_ms() - churn.t0 >= (TOKEN_TTL_S + KEEP_S + IDEM_SWEEP_S) * 1000) {
                churn_sample("warm", &warm);
                warm_taken = 1;
            } else {
                churn_sample("warming", &s);
            }
            continue;
        }
        churn_sample("churn", &s);
        churn_check_bounded(&s, &warm, &start);
    }
    churn_threads_stop();
    ck_assert_msg(atomic_load(&churn.unexpected) == 0, "%ld unexpected answers, the first: %s",
                  atomic_load(&churn.unexpected), churn.why);
    ck_assert_msg(warm_taken, "the churn ended before its warm-up did");
    churn_probe();
    churn_sample("end", &s);
    churn_check_bounded(&s, &warm, &start);

    /* Once the churn stops, every token ends within its TTL and its record goes after the keep
     * time; every key goes after the keep time and a sweep. */
    SUPPORT_WAIT(churn_redis_settled, &start, (TOKEN_TTL_S + KEEP_S + 30) * 1000,
                 "token records still in Redis %d s after the churn stopped (keep time %d s)",
                 TOKEN_TTL_S + KEEP_S + 30, KEEP_S);
    SUPPORT_WAIT(churn_keys_swept, NULL, (KEEP_S + IDEM_SWEEP_S + 30) * 1000,
                 "idempotency keys still in PostgreSQL %d s after the churn stopped",
                 KEEP_S + IDEM_SWEEP_S + 30);
    churn_sample("settled", &settled);
    long long rate_more =
        settled.rate_keys > warm.rate_keys ? settled.rate_keys - warm.rate_keys : 0;
    ck_assert_msg(settled.used_memory <= warm.used_memory + rate_more * RATE_KEY_BYTES + 262144,
                  "Redis holds %lld bytes at rest after the churn, %lld warm", settled.used_memory,
                  warm.used_memory);

    /* Charges: one ledger row for each answered OK and none for a refused one; no more answered
     * OK than the limit allows the pool in the minutes the churn spanned. */
    long charged = atomic_load(&churn.charged);
    long minutes = (long)(settled.t_s / 60.0) + 2;
    ck_assert_int_eq(settled.ledger_rows - start.ledger_rows, charged);
    ck_assert_msg(atomic_load(&churn.limited) > 0, "no charge reached the limit");
    ck_assert_msg(charged <= (long)(POOL + 1) * CHARGE_LIMIT * minutes,
                  "%ld charges answered OK: more than %d users x %d a minute x %ld minutes",
                  charged, POOL + 1, CHARGE_LIMIT, minutes);
    /* PostgreSQL grows only by what the charges answered OK wrote: a ledger row, a key, a new
     * version of a balance row and their index entries, well under 1 KiB each (token issues
     * write nothing there). */
    ck_assert_msg(settled.db_bytes - start.db_bytes <= charged * 1024LL + 4 * 1048576LL,
                  "the database grew by %lld bytes for %ld charges answered OK",
                  settled.db_bytes - start.db_bytes, charged);
    ck_assert_msg(settled.ledger_bytes - start.ledger_bytes <= charged * 256LL + 262144,
                  "point_ledger grew by %lld bytes for %ld rows",
                  settled.ledger_bytes - start.ledger_bytes, charged);
    printf("churn: %ld token issues (%ld new tokens, %ld left), %ld charges (%ld OK, %ld refused "
           "by the limit) in %.1f s\n",
           atomic_load(&churn.issues), atomic_load(&churn.created), atomic_load(&churn.leaves),
           atomic_load(&churn.charges), charged, atomic_load(&churn.limited), s.t_s);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {growth_is_bounded_under_churn, NULL};
    const struct support_case cases[] = {
        {"churn", tests, suite_setup, suite_teardown, NULL, NULL, 4 * 3600}};

    /* nng refuses to run in a child forked after the parent used it (the fixture did). */
    return SUPPORT_RUN("churn", cases, SUPPORT_NOFORK | SUPPORT_VERBOSE);
}
