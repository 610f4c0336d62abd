/*
 * Integration suite of boxoffice-nngbench: the binary from the build tree runs as a
 * child process against one service instance on a throwaway PostgreSQL and Redis
 * with the demo seed, for each scenario with --quick and a two-second duration,
 * writing --json to a temporary file that the tests read back.
 *
 * "local" needs no service: usage errors (exit 2), an unreachable service
 * (exit 3) and the identity tokens --mint-jwts writes. "service" runs seats (also with
 * --async), tokens and flow and checks the JSON (requests, failure rate, ordered
 * percentiles, VUs), measures freshness (every change seen, by the writer's instance)
 * and, for flow, that payments happened, the bench's own rpc check and the SQL
 * invariants, and that a run id needing escapes stays valid JSON; and that a run
 * turns the rate limits off and raises admission and puts both back (read with boxoffice-cli);
 * on venues
 * (issue 11), that bigmap reads a 2,000-seat section without failures (threads and --async)
 * and that arena's best-available purchases sold exactly two seats each, seen over rpc and in
 * SQL, with the invariants holding; that bench/forget.sql takes out what one run made and
 * nothing else (bench/run does at its end), wallets given back exactly what the run charged
 * and paid; that bench/pgfloor measures a purchase's statements through pgbench and leaves
 * the database as it found it. Every
 * virtual user proves its user with a JWT nngbench mints with the instance's key.
 * About a minute.
 */
#include "support.h"
#include "support_json.h"
#include "support_proc.h"
#include "testenv.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 32
#define TEST_VUS 8

static struct testenv env;
static char bench_path[1024];
static char jwt_arg[sizeof(env.jwt_secret) + 16]; /* --jwt-secret=<the instance's key> */

/* What the last run wrote on stderr (its progress and the first failures it met, which
 * failure messages quote). */
static char bench_err[8192];

/* bench_said returns the failures the last run told of on stderr ("" when none). */
static const char *bench_said(void)
{
    const char *at = strstr(bench_err, " failed: ");

    if (at == NULL) {
        return "";
    }
    while (at > bench_err && at[-1] != '\n') {
        at--;
    }
    return at;
}

/* run_bench runs nngbench with the given arguments (NULL-ended); stdout goes to /dev/null,
 * stderr into bench_err. Returns the exit code (128 + signal when killed). */
static int run_bench(const char *first, ...)
{
    char *argv[MAX_ARGS];
    int argc = 0;
    va_list ap;
    struct support_spawn how = {.quiet = 1, .err = bench_err, .err_size = sizeof(bench_err)};

    argv[argc++] = bench_path;
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < MAX_ARGS - 1; a = va_arg(ap, const char *)) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    int code = support_run(argv, &how, -1);
    ck_assert_msg(code >= 0, "could not start %s", bench_path);
    return code;
}

/* read_json parses the file at path; the caller frees with cJSON_Delete. */
static cJSON *read_json(const char *path)
{
    char buf[8192];
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "nngbench wrote no %s", path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return support_json_parse(buf, "nngbench's JSON");
}

/* The members of nngbench's JSON, read by support_json (each fails the test when missing). */
#define num(obj, name)              support_json_num((obj), (name))
#define assert_str(obj, name, want) ck_assert_str_eq(support_json_str((obj), (name)), (want))

/* bench_scenario runs scenario for ~2 s with TEST_VUS VUs, and the argument extra when not
 * NULL, and returns its parsed JSON after the checks every scenario shares. */
static cJSON *bench_scenario(const char *scenario, const char *extra)
{
    char json_path[512], json_arg[600], url_arg[700], key_arg[128], vus_arg[32];
    char scen_arg[64];

    snprintf(json_path, sizeof(json_path), "%s/nngbench-%s.json", env.dir, scenario);
    unlink(json_path);
    snprintf(json_arg, sizeof(json_arg), "--json=%s", json_path);
    snprintf(url_arg, sizeof(url_arg), "--rpc-url=%s", env.rpc_urls);
    snprintf(key_arg, sizeof(key_arg), "--admin-key=%s", env.admin_key);
    snprintf(vus_arg, sizeof(vus_arg), "--vus=%d", TEST_VUS);
    snprintf(scen_arg, sizeof(scen_arg), "--scenario=%s", scenario);
    snprintf(jwt_arg, sizeof(jwt_arg), "--jwt-secret=%s", env.jwt_secret);
    /* A NULL extra ends the arguments one early. */
    int code =
        run_bench(url_arg, scen_arg, "--type=load", "--quick", "--duration=2", vus_arg, key_arg,
                  json_arg, "--timeout-ms=10000", jwt_arg, extra, (const char *)NULL);
    ck_assert_msg(code == 0, "nngbench --scenario=%s exited with %d", scenario, code);

    cJSON *j = read_json(json_path);
    assert_str(j, "tool", "nngbench");
    assert_str(j, "scenario", scenario);
    assert_str(j, "type", "load");
    ck_assert_int_eq((int)num(j, "vus"), TEST_VUS);
    ck_assert_int_eq((int)num(j, "vusMax"), TEST_VUS);
    ck_assert_msg(num(j, "requests") > 0, "no requests in %s", scenario);
    ck_assert_msg(num(j, "rate") > 0, "no rate in %s", scenario);
    double secs = num(j, "durationSeconds");
    ck_assert_msg(secs >= 1.9 && secs < 10.0, "duration %.3f s, asked 2 s", secs);
    ck_assert_msg(num(j, "dataSent") > 0 && num(j, "dataReceived") > 0, "no bytes counted");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(j, "latencyMs");
    ck_assert_msg(cJSON_IsObject(lat), "latencyMs missing");
    double min = num(lat, "min"), med = num(lat, "med"), p90 = num(lat, "p90");
    double p95 = num(lat, "p95"), p99 = num(lat, "p99"), max = num(lat, "max");
    double avg = num(lat, "avg");
    ck_assert_msg(min > 0 && min <= med && med <= p90 && p90 <= p95 && p95 <= p99 && p99 <= max,
                  "percentiles out of order: min=%g med=%g p90=%g p95=%g p99=%g max=%g", min, med,
                  p90, p95, p99, max);
    ck_assert_msg(avg >= min && avg <= max, "avg %g outside [%g, %g]", avg, min, max);
    double rate = num(j, "failureRate"), failures = num(j, "failures");
    ck_assert_msg(rate >= 0 && rate <= 1 && failures <= num(j, "requests"), "bad failure counts");
    return j;
}

/* sql_zero asserts that a counting query returns 0. */
static void sql_zero(const char *what, const char *sql)
{
    int64_t n = testenv_sql_i64(&env, "%s", sql);
    ck_assert_msg(n == 0, "%s: %lld (want 0)", what, (long long)n);
}

/* The flow's SQL invariants (bench/run's): a seat of a hold of several seats is a reservation
 * row of its own naming the hold (hold_id), whose payment is the hold's. */
static void sql_invariants(void)
{
    sql_zero("seats with two live reservations",
             "SELECT count(*) FROM (SELECT 1 FROM reservations WHERE status = 'CONFIRMED' OR "
             "(status = 'HELD' AND expires_at > now()) GROUP BY schedule_id, seat_no "
             "HAVING count(*) > 1) d");
    sql_zero("wallets off their ledger or negative",
             "SELECT count(*) FROM wallets w LEFT JOIN (SELECT user_id, sum(delta) AS s FROM "
             "point_ledger GROUP BY user_id) l USING (user_id) "
             "WHERE w.balance <> coalesce(l.s, 0) OR w.balance < 0");
    sql_zero("confirmed reservations without exactly one payment",
             "SELECT count(*) FROM reservations r WHERE r.status = 'CONFIRMED' AND "
             "(SELECT count(*) FROM payments p WHERE p.reservation_id = coalesce(r.hold_id, r.id))"
             " <> 1");
}

/* ---- local: no service needed ------------------------------------------------- */

START_TEST(test_usage_errors)
{
    /* Without the operator identity secret no virtual user can prove who it is. */
    ck_assert_int_eq(run_bench("--scenario=tokens", (const char *)NULL), 2);
    ck_assert_int_eq(run_bench("--jwt-secret=k", "--mint-jwts=3", (const char *)NULL), 2);
    ck_assert_int_eq(run_bench("--scenario=nope", (const char *)NULL), 2);
    ck_assert_int_eq(run_bench("--type=endurance", (const char *)NULL), 2);
    ck_assert_int_eq(run_bench("--vus=-3", (const char *)NULL), 2);
    ck_assert_int_eq(run_bench("--bogus", (const char *)NULL), 2);
    ck_assert_int_eq(run_bench("--influx=udp://x", (const char *)NULL), 2);
    ck_assert_int_eq(run_bench("--help", (const char *)NULL), 0);
}
END_TEST

START_TEST(test_unreachable)
{
    char url[128];
    snprintf(url, sizeof(url), "--rpc-url=tcp://127.0.0.1:%d", testenv_free_port());
    ck_assert_int_eq(run_bench(url, "--scenario=tokens", "--quick", "--duration=1", "--vus=2",
                               "--timeout-ms=500", "--jwt-secret=k", (const char *)NULL),
                     3);
}
END_TEST

/* --mint-jwts writes one HS256 token a user, every line as wide, user u's on line u. */
START_TEST(test_mint_jwts)
{
    char path[] = "/tmp/nngbench-jwts-XXXXXX", line[512];
    int fd = mkstemp(path);
    size_t width = 0;
    int n = 0;

    ck_assert_int_ge(fd, 0);
    close(fd);
    char out[sizeof(path) + 8];
    snprintf(out, sizeof(out), "--out=%s", path);
    ck_assert_int_eq(
        run_bench("--jwt-secret=k", "--mint-jwts=12", out, "--duration=60", (const char *)NULL), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        ck_assert_msg(len > 1 && line[len - 1] == '\n', "line %d not ended: %s", n + 1, line);
        ck_assert_msg(width == 0 || len == width, "line %d is %zu wide, not %zu", n + 1, len,
                      width);
        width = len;
        ck_assert_msg(strncmp(line, "eyJ", 3) == 0 && strchr(line, '.') != strrchr(line, '.'),
                      "line %d is no JWT: %s", n + 1, line);
        n++;
    }
    fclose(f);
    unlink(path);
    ck_assert_int_eq(n, 12);
}
END_TEST

/* ---- service ---------------------------------------------------------------------- */

START_TEST(test_seats)
{
    cJSON *j = bench_scenario("seats", NULL);
    ck_assert_msg(num(j, "failureRate") == 0, "seats had %g failures: %s", num(j, "failures"),
                  bench_said());
    cJSON_Delete(j);
}
END_TEST

/* --async: the same closed loop with VUs as NNG contexts. */
START_TEST(test_seats_async)
{
    cJSON *j = bench_scenario("seats", "--async");
    ck_assert_msg(num(j, "failureRate") == 0, "async seats had %g failures: %s", num(j, "failures"),
                  bench_said());
    cJSON_Delete(j);
}
END_TEST

/* --freshness: every hold and release the bench makes shows in the writer's own seat map. */
START_TEST(test_freshness)
{
    char json_path[512], json_arg[600], url_arg[700], key_arg[128];

    snprintf(json_path, sizeof(json_path), "%s/nngbench-fresh.json", env.dir);
    snprintf(json_arg, sizeof(json_arg), "--json=%s", json_path);
    snprintf(url_arg, sizeof(url_arg), "--rpc-url=%s", env.rpc_urls);
    snprintf(key_arg, sizeof(key_arg), "--admin-key=%s", env.admin_key);
    snprintf(jwt_arg, sizeof(jwt_arg), "--jwt-secret=%s", env.jwt_secret);
    ck_assert_int_eq(run_bench(url_arg, "--freshness=3", key_arg, jwt_arg, json_arg, NULL), 0);
    cJSON *j = read_json(json_path);
    ck_assert_int_eq((int)num(j, "rounds"), 3);
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(j, "observers");
    ck_assert_int_eq(cJSON_GetArraySize(obs), 1);
    const cJSON *o = cJSON_GetArrayItem(obs, 0);
    ck_assert_int_eq((int)num(o, "changes"), 6);
    ck_assert_int_eq((int)num(o, "missed"), 0);
    ck_assert_msg(num(o, "p50Ms") <= num(o, "p99Ms") && num(o, "p99Ms") <= num(o, "maxMs"),
                  "freshness percentiles out of order");
    cJSON_Delete(j);
}
END_TEST

/* tokens: every issue is a new entry in a line of the run's own concerts (issuing again for a
 * concert whose token is live returns that token, and concerts every run shares hold tokens of
 * earlier runs): the lines' sequences add up to the issues answered, and at most one more a VU
 * (its last, in flight when the run stopped). */
START_TEST(test_tokens)
{
    char sql[256], ids[512], *save = NULL;
    double issued = 0;
    cJSON *j = bench_scenario("tokens", NULL);

    ck_assert_msg(num(j, "failureRate") == 0, "tokens had %g failures: %s", num(j, "failures"),
                  bench_said());
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(string_agg(id::text, ' '), '') FROM concerts WHERE artist = "
             "'nngbench' AND strpos(title, 'nngbench tokens %s #') = 1",
             support_json_str(j, "runId"));
    ck_assert_int_eq(testenv_psql_value(&env, sql, ids, sizeof(ids)), 0);
    ck_assert_msg(ids[0] != '\0', "the run issued no tokens on concerts of its own");
    for (char *id = strtok_r(ids, " ", &save); id != NULL; id = strtok_r(NULL, " ", &save)) {
        char key[64], seq[32] = "";
        const char *argv[] = {"GET", key, NULL};

        snprintf(key, sizeof(key), "bo:q:%s:seq", id);
        ck_assert_int_eq(testenv_redis_text(&env, argv, seq, sizeof(seq)), 0);
        issued += atof(seq);
    }
    ck_assert_msg(issued >= num(j, "requests") && issued <= num(j, "requests") + TEST_VUS,
                  "%.0f tokens issued in the run's lines for %.0f issues answered", issued,
                  num(j, "requests"));
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_flow)
{
    char sql[256], out[64];
    cJSON *j = bench_scenario("flow", NULL);
    const cJSON *flow = cJSON_GetObjectItemCaseSensitive(j, "flow");
    ck_assert_msg(cJSON_IsObject(flow), "flow summary missing");
    double payments = num(flow, "payments");
    ck_assert_msg(payments > 0, "the flow made no payment");
    ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flow, "checked")),
                  "nngbench could not check the seats");
    ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flow, "invariantsOk")),
                  "payments %g but %g seats SOLD", payments, num(flow, "soldSeats"));

    /* The run's own concert: every payment sold exactly one of its seats. */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM payments p JOIN reservations r ON r.id = p.reservation_id "
             "JOIN schedules s ON s.id = r.schedule_id WHERE s.concert_id = %.0f",
             num(j, "concertId"));
    ck_assert_int_eq(testenv_psql_value(&env, sql, out, sizeof(out)), 0);
    ck_assert_msg(atof(out) == payments, "%s payments in SQL, nngbench counted %g", out, payments);

    sql_invariants();
    cJSON_Delete(j);
}
END_TEST

/* bigmap: lookups of one 2,000-seat section of a venue date of the run's own, none failing,
 * each answer as big as 2,000 seats with their places (at least 10 bytes a seat). */
static void check_bigmap(const char *extra)
{
    cJSON *j = bench_scenario("bigmap", extra);
    double requests = num(j, "requests");

    ck_assert_msg(num(j, "failures") == 0, "bigmap%s had %g failures of %g: %s",
                  extra != NULL ? extra : "", num(j, "failures"), requests, bench_said());
    assert_str(j, "section", "A");
    ck_assert_msg(num(j, "dataReceived") / requests >= 2000 * 10,
                  "bigmap answers of %.0f bytes: not a 2,000-seat section",
                  num(j, "dataReceived") / requests);
    cJSON_Delete(j);
}

START_TEST(test_bigmap)
{
    check_bigmap(NULL);
}
END_TEST

START_TEST(test_bigmap_async)
{
    check_bigmap("--async");
}
END_TEST

/* arena: the flow with best available on venue dates of the run's own: purchases made without
 * failures, every payment sold exactly two seats (nngbench's rpc check and SQL), invariants. */
START_TEST(test_arena)
{
    cJSON *j = bench_scenario("arena", NULL);
    const cJSON *flow = cJSON_GetObjectItemCaseSensitive(j, "flow");
    ck_assert_msg(cJSON_IsObject(flow), "arena summary missing");
    double payments = num(flow, "payments");
    ck_assert_msg(payments > 0, "the arena made no payment");
    ck_assert_msg(num(j, "failures") == 0, "arena had %g failures: %s", num(j, "failures"),
                  bench_said());
    ck_assert_int_eq((int)num(flow, "seatsPerPurchase"), 2);
    ck_assert_msg(num(flow, "seatTakenRetries") >= 0 && num(flow, "notEnoughSeats") >= 0,
                  "best-available counts missing");
    ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flow, "checked")),
                  "nngbench could not check the seats");
    ck_assert_msg(num(flow, "soldSeats") == 2 * payments, "payments %g but %g seats SOLD", payments,
                  num(flow, "soldSeats"));
    ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flow, "invariantsOk")),
                  "nngbench's check failed: payments %g, %g seats SOLD", payments,
                  num(flow, "soldSeats"));

    /* The run's own concert: every payment confirmed a hold of two seats, one row each. */
    double paid = (double)testenv_sql_i64(
        &env,
        "SELECT count(*) FROM payments p JOIN reservations r ON r.id = p.reservation_id "
        "JOIN schedules s ON s.id = r.schedule_id WHERE s.concert_id = %.0f",
        num(j, "concertId"));
    double sold = (double)testenv_sql_i64(
        &env,
        "SELECT count(*) FROM reservations r JOIN schedules s ON s.id = r.schedule_id "
        "WHERE s.concert_id = %.0f AND r.status = 'CONFIRMED' AND s.venue_id IS NOT NULL",
        num(j, "concertId"));
    ck_assert_msg(paid == payments, "%g payments in SQL, nngbench counted %g", paid, payments);
    ck_assert_msg(sold == 2 * payments, "%g seats CONFIRMED in SQL for %g payments", sold,
                  payments);
    sql_invariants();
    cJSON_Delete(j);
}
END_TEST

/* forget_run runs bench/forget.sql with psql for run (bench.run), as bench/run does at its end;
 * fails the test unless psql exits 0. */
static void forget_run(const char *run)
{
    char opt[128], file[1024], err[2048] = "";
    char *env_add[] = {opt, NULL};
    char *argv[] = {"psql", env.database_url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file,
                    NULL};
    struct support_spawn how = {
        .quiet = 1, .err = err, .err_size = sizeof(err), .search_path = 1, .env = env_add};

    snprintf(opt, sizeof(opt), "PGOPTIONS=-c bench.run=%s", run);
    snprintf(file, sizeof(file), "%s/bench/forget.sql", support_source_dir());
    int code = support_run(argv, &how, 120000);
    ck_assert_msg(code == 0, "psql -f bench/forget.sql exited with %d: %s", code, err);
}

/* The rows of every table a run adds to, in one line. */
#define FORGET_COUNTS                                                                              \
    "SELECT (SELECT count(*) FROM concerts) || ' ' || (SELECT count(*) FROM schedules) || ' ' || " \
    "(SELECT count(*) FROM seats) || ' ' || (SELECT count(*) FROM reservations) || ' ' || "        \
    "(SELECT count(*) FROM payments) || ' ' || (SELECT count(*) FROM point_ledger) || ' ' || "     \
    "(SELECT count(*) FROM idempotency_keys) || ' ' || (SELECT count(*) FROM venues) || ' ' || "   \
    "(SELECT count(*) FROM venue_sections)"

/* forget: bench/forget.sql takes out what one run made (its concerts, dates, seats, venues,
 * holds of one and of two seats, payments and charges) and nothing else. Each user the run
 * charged charges 700 points of their own after it, and one of them is charged 500 more under
 * the run's key and never pays: afterwards those wallets hold what they held before the run
 * plus 700, every other wallet what it held, every table the rows it had
 * before the run (the ledger one more a user), nothing of the run is left, nor the indexes
 * forget.sql builds for itself, and the invariants hold. */
START_TEST(test_forget)
{
    char run[64], arg[96], before[256], after[256], want[256];
    long long n[9];

    snprintf(run, sizeof(run), "forget%ld", (long)getpid());
    snprintf(arg, sizeof(arg), "--run-id=%s", run);
    testenv_sql_i64(&env, "CREATE TABLE test_forget_wallets AS SELECT user_id, balance FROM "
                          "wallets; SELECT 0");
    ck_assert_int_eq(testenv_psql_value(&env, FORGET_COUNTS, before, sizeof(before)), 0);

    cJSON_Delete(bench_scenario("flow", arg));
    cJSON_Delete(bench_scenario("arena", arg)); /* holds of two seats, on a venue */
    ck_assert_msg(testenv_sql_i64(&env,
                                  "SELECT count(*) FROM concerts WHERE strpos(title, '%s') > 0",
                                  run) >= 2,
                  "the run made no concerts titled after it");
    ck_assert_msg(testenv_sql_i64(&env,
                                  "SELECT count(*) FROM idempotency_keys WHERE scope = 'payment' "
                                  "AND starts_with(key, 'nngbench-%s')",
                                  run) > 0,
                  "the run paid nothing with its keys");

    testenv_sql_i64(&env,
                    "CREATE TABLE test_forget_users AS SELECT DISTINCT user_id FROM "
                    "idempotency_keys WHERE scope = 'charge' AND starts_with(key, 'nngbench-%s'); "
                    "WITH w AS (UPDATE wallets SET balance = balance + 700 FROM test_forget_users "
                    "u WHERE wallets.user_id = u.user_id RETURNING wallets.user_id, "
                    "wallets.balance) INSERT INTO point_ledger (user_id, delta, balance_after, "
                    "kind) SELECT user_id, 700, balance, 'CHARGE' FROM w; SELECT 0",
                    run);
    int64_t users = testenv_sql_i64(&env, "SELECT count(*) FROM test_forget_users");
    ck_assert_msg(users > 0, "the run charged nobody");
    /* A charge of the run never paid (as when a run stops between the two): its 500 points
     * must go back too, where the run's charges and payments otherwise cancel out. */
    testenv_sql_i64(&env,
                    "WITH k AS (INSERT INTO idempotency_keys (user_id, scope, key, "
                    "request_fingerprint, result_id) SELECT min(user_id), 'charge', "
                    "'nngbench-%s-charge-unpaid', 'test', nextval('point_ledger_id_seq') FROM "
                    "test_forget_users RETURNING user_id, result_id), w AS (UPDATE wallets SET "
                    "balance = balance + 500 FROM k WHERE wallets.user_id = k.user_id RETURNING "
                    "wallets.user_id, wallets.balance) INSERT INTO point_ledger (id, user_id, "
                    "delta, balance_after, kind) SELECT k.result_id, w.user_id, 500, w.balance, "
                    "'CHARGE' FROM k JOIN w USING (user_id); SELECT 0",
                    run);

    forget_run(run);

    ck_assert_int_eq(sscanf(before, "%lld %lld %lld %lld %lld %lld %lld %lld %lld", &n[0], &n[1],
                            &n[2], &n[3], &n[4], &n[5], &n[6], &n[7], &n[8]),
                     9);
    snprintf(want, sizeof(want), "%lld %lld %lld %lld %lld %lld %lld %lld %lld", n[0], n[1], n[2],
             n[3], n[4], n[5] + (long long)users, n[6], n[7], n[8]);
    ck_assert_int_eq(testenv_psql_value(&env, FORGET_COUNTS, after, sizeof(after)), 0);
    ck_assert_msg(strcmp(after, want) == 0,
                  "rows of concerts, dates, seats, reservations, payments, ledger, keys, venues, "
                  "sections: %s after forgetting, %s wanted (%s before the run)",
                  after, want, before);
    sql_zero("wallets other than before the run plus their own 700",
             "SELECT count(*) FROM wallets w FULL JOIN test_forget_wallets b USING (user_id) "
             "WHERE coalesce(w.balance, 0) <> coalesce(b.balance, 0) + CASE WHEN user_id IN "
             "(SELECT user_id FROM test_forget_users) THEN 700 ELSE 0 END");
    sql_zero("indexes forget.sql left", "SELECT count(*) FROM pg_class WHERE relname LIKE "
                                        "'forget\\_%'");
    sql_invariants();
    testenv_sql_i64(&env, "DROP TABLE test_forget_wallets, test_forget_users; SELECT 0");
}
END_TEST

/* run_cli runs boxoffice-cli with the admin key and the given arguments (NULL-ended) against the
 * instance, its stdout into out; fails the test unless it exits 0. */
static void run_cli(char *out, size_t outlen, const char *first, ...)
{
    char cli[1024], url[sizeof(env.rpc_urls) + 16], key[sizeof(env.admin_key) + 16];
    char *argv[MAX_ARGS] = {cli, url, "--json"};
    struct support_spawn how = {.out = out, .out_size = outlen, .quiet = 1};
    int argc = 3;
    va_list ap;

    ck_assert_msg(support_build_exe("clients/boxoffice-cli", cli, sizeof(cli)) == 0,
                  "%s is not built", cli);
    snprintf(url, sizeof(url), "--rpc-url=%s", env.rpc_urls);
    snprintf(key, sizeof(key), "--admin-key=%s", env.admin_key);
    argv[argc++] = (char *)first;
    va_start(ap, first);
    for (const char *a = va_arg(ap, const char *); a != NULL && argc < MAX_ARGS - 2;
         a = va_arg(ap, const char *)) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc++] = key;
    argv[argc] = NULL;
    ck_assert_int_eq(support_run(argv, &how, 30000), 0);
}

/* A run turns the rate limits off (its VUs share one address and would be throttled as one)
 * and admits every VU at once (admission rate and ACTIVE cap raised), then puts back the limits
 * and the admission rate and cap in force before: a stack keeps its limits and its waiting
 * line once the bench is done. */
START_TEST(test_settings_restored)
{
    char out[2048], rate[32], active[32];

    run_cli(out, sizeof(out), "admin-settings", NULL);
    cJSON *was = support_json_parse(out, "admin-settings");
    run_cli(out, sizeof(out), "limits", "--set", "addressTokenIssuesPerMinute=5", NULL);
    run_cli(out, sizeof(out), "admin-settings", "--rate", "7", "--max-active", "70", NULL);
    cJSON *j = bench_scenario("tokens", NULL);
    ck_assert_msg(num(j, "requests") > 5 && num(j, "failureRate") == 0,
                  "tokens: %g failures of %g (the limits were not off)", num(j, "failures"),
                  num(j, "requests"));
    cJSON_Delete(j);
    j = bench_scenario("seats", NULL);
    ck_assert_msg(num(j, "requests") > 0 && num(j, "failureRate") == 0, "seats: %g failures of %g",
                  num(j, "failures"), num(j, "requests"));
    cJSON_Delete(j);
    run_cli(out, sizeof(out), "limits", NULL);
    j = support_json_parse(out, "limits");
    ck_assert_int_eq((int)num(j, "addressTokenIssuesPerMinute"), 5);
    ck_assert_int_eq((int)num(j, "userHoldsPerMinute"), 0);
    cJSON_Delete(j);
    run_cli(out, sizeof(out), "admin-settings", NULL);
    j = support_json_parse(out, "admin-settings");
    ck_assert_int_eq((int)num(j, "ratePerSecond"), 7);
    ck_assert_int_eq((int)num(j, "maxActive"), 70);
    cJSON_Delete(j);
    run_cli(out, sizeof(out), "limits", "--set", "addressTokenIssuesPerMinute=0", NULL);
    snprintf(rate, sizeof(rate), "%d", (int)num(was, "ratePerSecond"));
    snprintf(active, sizeof(active), "%d", (int)num(was, "maxActive"));
    run_cli(out, sizeof(out), "admin-settings", "--rate", rate, "--max-active", active, NULL);
    cJSON_Delete(was);
}
END_TEST

/* A run id with a double quote and a backslash stays valid JSON in the report, and reads back
 * as given. */
START_TEST(test_run_id_escaped)
{
    static const char run_id[] = "q\"uote\\slash";
    char arg[64];

    snprintf(arg, sizeof(arg), "--run-id=%s", run_id);
    cJSON *j = bench_scenario("tokens", arg);
    assert_str(j, "runId", run_id);
    cJSON_Delete(j);
}
END_TEST

/* pgfloor: bench/pgfloor measures each part of a purchase through pgbench on the stack's
 * PostgreSQL (its table: one row a part, with purchases made) and leaves the database as it
 * found it: the same rows in every table a purchase adds to, every wallet as it was, the
 * invariants holding. */
START_TEST(test_pgfloor)
{
    char tool[1024], url[sizeof(env.database_url) + 32], out[8192] = "", err[4096] = "";
    char before[256], after[256];
    char *env_add[] = {url, NULL};
    char *argv[] = {"python3", tool, "--clients", "2", "--seconds", "1", NULL};
    struct support_spawn how = {.out = out,
                                .out_size = sizeof(out),
                                .err = err,
                                .err_size = sizeof(err),
                                .search_path = 1,
                                .env = env_add};
    static const char *const parts[] = {"| writes | 2 | ", "| reads | 2 | ", "| purchase | 2 | "};

    snprintf(tool, sizeof(tool), "%s/bench/pgfloor", support_source_dir());
    snprintf(url, sizeof(url), "BOXOFFICE_DATABASE_URL=%s", env.database_url);
    testenv_sql_i64(&env, "CREATE TABLE test_pgfloor_wallets AS SELECT user_id, balance FROM "
                          "wallets; SELECT 0");
    ck_assert_int_eq(testenv_psql_value(&env, FORGET_COUNTS, before, sizeof(before)), 0);

    int code = support_run(argv, &how, 120000);
    ck_assert_msg(code == 0, "bench/pgfloor exited with %d: %s%s", code, out, err);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const char *row = strstr(out, parts[i]);
        long long n = 0;

        ck_assert_msg(row != NULL, "no row \"%s\" in: %s", parts[i], out);
        ck_assert_msg(sscanf(row + strlen(parts[i]), "%lld", &n) == 1 && n > 0,
                      "no purchases in the row \"%s\": %s", parts[i], out);
    }

    ck_assert_int_eq(testenv_psql_value(&env, FORGET_COUNTS, after, sizeof(after)), 0);
    ck_assert_msg(strcmp(after, before) == 0,
                  "rows of concerts, dates, seats, reservations, payments, ledger, keys, venues, "
                  "sections: %s after pgfloor, %s before",
                  after, before);
    sql_zero("wallets other than before pgfloor",
             "SELECT count(*) FROM wallets w FULL JOIN test_pgfloor_wallets b USING (user_id) "
             "WHERE coalesce(w.balance, 0) <> coalesce(b.balance, 0)");
    sql_invariants();
    testenv_sql_i64(&env, "DROP TABLE test_pgfloor_wallets; SELECT 0");
}
END_TEST

int main(void)
{
    const TTest *local[] = {test_usage_errors, test_unreachable, test_mint_jwts, NULL};
    const TTest *service[] = {test_seats,
                              test_seats_async,
                              test_freshness,
                              test_tokens,
                              test_flow,
                              test_settings_restored,
                              test_run_id_escaped,
                              test_bigmap,
                              test_bigmap_async,
                              test_arena,
                              test_forget,
                              test_pgfloor,
                              NULL};
    const struct testenv_exe_suite suite = {"nngbench", "bench/boxoffice-nngbench",
                                            bench_path, sizeof(bench_path),
                                            &env,       local,
                                            service,    60};

    return testenv_exe_main(&suite);
}
