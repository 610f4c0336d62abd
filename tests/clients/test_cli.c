/*
 * Integration suite of boxoffice-cli: the binary from the build tree runs as a
 * child process (stdout, stderr and exit code captured, cli_harness.c) against
 * one service instance on a throwaway PostgreSQL and Redis with the demo seed.
 * Venues (sections, holds of several seats, refunds) are test_cli_venues.c's.
 *
 * "local" needs no service: usage errors (exit 2), help, and an unreachable
 * service (exit 3). "service" walks the whole flow through the CLI, and runs
 * 'watch' as a long-lived child stopped by SIGTERM. Each test
 * uses its own users and seats, so tests do not see each other's tokens or
 * holds; the admin test runs late because it adds a concert, the limits test
 * last because its limits linger a moment. A user acts
 * with --session: an operator identity token minted with the instance's key
 * (testenv_jwt), or a session from 'login' with the seed's password "demo".
 * The instance starts with every rate limit off; the limits test sets some and
 * turns them off again.
 */
#include "cli_harness.h"
#include "events.h"
#include "support.h"
#include "support_json.h"
#include "support_proc.h"
#include "testenv.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- local: no service needed --------------------------------------------- */

/* A run of the CLI that needs no service: its arguments, its exit code and what stdout and
 * stderr hold (every needle up to a NULL). A run that fails prints nothing on stdout. */
struct local_case {
    const char *argv[12];
    int code;
    const char *out[6];
    const char *err[4];
};

static const struct local_case local_cases[] = {
    {{"frobnicate"}, 2, {NULL}, {"unknown command 'frobnicate'", NULL}},
    {{"--json"}, 2, {NULL}, {"no command", NULL}},
    {{"--frob", "ping"}, 2, {NULL}, {"--frob", NULL}},
    {{"hold", "--seat", "3", "--token", "x"}, 2, {NULL}, {"--schedule", NULL}},
    /* A missing --token is caught before dialling: usage error naming it and BOXOFFICE_TOKEN. */
    {{"seats", "--schedule", "1"}, 2, {NULL}, {"--token", "BOXOFFICE_TOKEN", NULL}},
    {{"hold", "--schedule", "abc", "--seat", "3", "--token", "x"}, 2, {NULL}, {"--schedule", NULL}},
    {{"token", "--user", "-4", "--concert", "1"}, 2, {NULL}, {NULL}},
    /* No password source: a usage error before any call. */
    {{"login", "--user", "1"}, 2, {NULL}, {"BOXOFFICE_PASSWORD", "--password-stdin", NULL}},
    {{"signup", "--name", "x", "--password-stdin=1"}, 2, {NULL}, {"takes no value", NULL}},
    {{"concert-opens", "--concert", "1", "--at", "soon", "--admin-key", "k"},
     2,
     {NULL},
     {"or now", NULL}},
    {{"limits", "--set", "userBogusPerMinute=1", "--admin-key", "k"},
     2,
     {NULL},
     {"userHoldsPerMinute", "addressChargesPerMinute", NULL}},
    {{"limits", "--set", "userHoldsPerMinute=-1", "--admin-key", "k"},
     2,
     {NULL},
     {"0 (off)", NULL}},
    {{"limits", "--set", "userHoldsPerMinute=1,", "--admin-key", "k"}, 2, {NULL}, {"--set", NULL}},
    {{"admin-schedule", "--concert", "1", "--starts-at", "tomorrow", "--price", "5", "--admin-key",
      "k"},
     2,
     {NULL},
     {"RFC 3339", NULL}},
    {{"ping", "--bogus=1"}, 2, {NULL}, {"--bogus", NULL}},
    {{"ping", "stray"}, 2, {NULL}, {NULL}},
    {{"--help"},
     0,
     {"Usage: boxoffice-cli", "admin-settings", "BOXOFFICE_RPC_URL", "BOXOFFICE_SESSION"},
     {NULL}},
    {{"login", "--help"},
     0,
     {"--user ID", "[--password-stdin]", "BOXOFFICE_PASSWORD", NULL},
     {NULL}},
    {{"hold", "--help"}, 0, {"--schedule ID", "--seat N", NULL}, {NULL}},
    {{"help", "pay"}, 0, {"--reservation ID", NULL}, {NULL}},
    {{"watch", "--help"}, 0, {"--events-url URLS", "BOXOFFICE_EVENTS_URL", NULL}, {NULL}},
    {{"watch", "--events-url", "bogus://nowhere"}, 2, {NULL}, {"--events-url", NULL}},
    {{"watch", "--concert", "0"}, 2, {NULL}, {NULL}},
};

/* assert_holds fails unless text (what names it) holds every needle up to a NULL. */
static void assert_holds(const char *what, const char *text, const char *const *needles,
                         const char *args)
{
    for (size_t i = 0; needles[i] != NULL; i++) {
        ck_assert_msg(strstr(text, needles[i]) != NULL, "%s: no '%s' in %s: %s", args, needles[i],
                      what, text);
    }
}

/* Usage errors (exit 2, before anything is dialled) and help, from local_cases. */
START_TEST(test_usage)
{
    for (size_t k = 0; k < sizeof(local_cases) / sizeof(local_cases[0]); k++) {
        const struct local_case *lc = &local_cases[k];
        char *argv[MAX_ARGS] = {NULL};
        char args[256] = "";
        struct run r;

        for (size_t i = 0; lc->argv[i] != NULL; i++) {
            argv[i + 1] = (char *)lc->argv[i];
            snprintf(args + strlen(args), sizeof(args) - strlen(args), " %s", lc->argv[i]);
        }
        cli_run_argv(&r, argv);
        ck_assert_msg(r.code == lc->code, "%s: exit %d, want %d\nstdout: %s\nstderr: %s", args,
                      r.code, lc->code, r.out, r.err);
        ck_assert_msg(lc->code == 0 || r.out[0] == '\0', "%s: stdout: %s", args, r.out);
        assert_holds("stdout", r.out, lc->out, args);
        assert_holds("stderr", r.err, lc->err, args);
    }
}
END_TEST

START_TEST(test_unreachable)
{
    struct run r;
    char url[64], t0s[32];
    int port = testenv_free_port();

    ck_assert_int_gt(port, 0);
    snprintf(url, sizeof(url), "--rpc-url=tcp://127.0.0.1:%d", port);
    snprintf(t0s, sizeof(t0s), "--timeout-ms=%d", 500);
    time_t t0 = time(NULL);
    run_local(&r, url, t0s, "ping");
    assert_exit(&r, 3);
    ck_assert_msg(strstr(r.err, "TIMEOUT") != NULL || strstr(r.err, "UNAVAILABLE") != NULL,
                  "stderr: %s", r.err);
    ck_assert_int_le(time(NULL) - t0, 5);
    run_local(&r, url, t0s, "--json", "concerts");
    assert_exit(&r, 3);
    cli_error_code(&r, NULL);
}
END_TEST

/* ---- service: the whole flow ---------------------------------------------- */

START_TEST(test_ping)
{
    struct run r;
    run(&r, "--json", "ping");
    cJSON *j = cli_json_ok(&r);
    ck_assert(cli_json_bool(j, "databaseOk"));
    ck_assert(cli_json_bool(j, "redisOk"));
    cJSON_Delete(j);
    run(&r, "ping");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "pong from "));
}
END_TEST

START_TEST(test_token_twice)
{
    struct run r;
    char a[512], b[512];

    char me[SESSION_ARG];

    cli_token_for(101, 1, a, sizeof(a));
    cli_token_for(101, 1, b, sizeof(b));
    ck_assert_str_eq(a, b);
    run(&r, cli_as_user(me, 101), "token", "--user", "101", "--concert", "1");
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "token ", 6) == 0 && strstr(r.out, a) != NULL, "out: %s", r.out);
    ck_assert_msg(strstr(r.out, "WAITING") != NULL || strstr(r.out, "ACTIVE") != NULL, "out: %s",
                  r.out);
}
END_TEST

START_TEST(test_status)
{
    struct run r;
    char tok[512];

    cli_token_for(102, 2, tok, sizeof(tok));
    run(&r, "--json", "status", "--token", tok);
    cJSON *j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("userId", 102), INT("concertId", 2)));
    const char *status = support_json_str(j, "status");
    ck_assert_msg(strcmp(status, "WAITING") == 0 || strcmp(status, "ACTIVE") == 0, "%s", status);
    ck_assert_msg(support_json_is_time(j, "issuedAt"), "issuedAt in %s", r.out);
    cJSON_Delete(j);

    /* The token also comes from BOXOFFICE_TOKEN. */
    setenv("BOXOFFICE_TOKEN", tok, 1);
    run(&r, "status");
    unsetenv("BOXOFFICE_TOKEN");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, tok));

    run(&r, "status", "--token", "v1.1.1.1.forged");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: TOKEN_") != NULL, "stderr: %s", r.err);
}
END_TEST

START_TEST(test_concerts)
{
    struct run r;
    const cJSON *concert;
    int five = 0;

    run(&r, "--json", "concerts");
    cJSON *j = cli_json_ok(&r); /* one line */
    ck_assert_msg(j->child != NULL && strcmp(j->child->string, "concerts") == 0, "out: %s", r.out);
    cJSON_ArrayForEach(concert, cli_json_item(j, "concerts", cJSON_Array))
    {
        five += support_json_int(concert, "scheduleCount") == 5;
    }
    ck_assert_int_eq(five, 3);
    cJSON_Delete(j);
    run(&r, "concerts");
    assert_exit(&r, 0);
    ck_assert_int_eq(cli_count(r.out, "\n"), 5); /* header, three hall concerts and the arena */
}
END_TEST

/* A missing token sent to the service (given empty on purpose) is TOKEN_MISSING, exit 1. */
START_TEST(test_token_missing_service)
{
    struct run r;
    run(&r, "seats", "--schedule", "1", "--token=");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: TOKEN_MISSING: ") != NULL, "stderr: %s", r.err);
}
END_TEST

START_TEST(test_full_flow)
{
    struct run r;
    char tok[512], other[512], sched[32], resv[32], me[SESSION_ARG];
    cJSON *j;

    cli_as_user(me, 103);
    cli_active_token(103, 1, tok, sizeof(tok));
    int64_t sched_id = cli_first_schedule(tok, "1");
    snprintf(sched, sizeof(sched), "%" PRId64, sched_id);

    run(&r, "--json", "seats", "--schedule", sched, "--token", tok);
    j = cli_json_ok(&r);
    ck_assert_int_eq(cJSON_GetArraySize(cli_json_item(j, "seats", cJSON_Array)), 50);
    cli_assert_members(cli_seat_of(j, 5), WANT(STR("status", "AVAILABLE")));
    int64_t price = support_json_int(cli_seat_of(j, 5), "price");
    ck_assert_int_gt(price, 0);
    cJSON_Delete(j);

    run(&r, "seats", "--schedule", sched, "--token", tok);
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "   5 ."));
    ck_assert_ptr_nonnull(strstr(r.out, "legend:"));
    ck_assert_ptr_nonnull(strstr(r.out, "prices:"));

    /* Holds need the identity as well as the token. */
    run(&r, "hold", "--schedule", sched, "--seat", "5", "--token", tok);
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: SESSION_MISSING: ") != NULL, "stderr: %s", r.err);

    run(&r, me, "--json", "hold", "--schedule", sched, "--seat", "5", "--token", tok);
    j = cli_json_ok(&r);
    cli_assert_members(j,
                       WANT(STR("status", "HELD"), INT("price", price), INT("seatNo", 5),
                            INT("userId", 103), INT("concertId", 1), INT("scheduleId", sched_id)));
    support_json_str(j, "expiresAt");
    snprintf(resv, sizeof(resv), "%lld", support_json_int(j, "reservationId"));
    cJSON_Delete(j);

    char amount[32];
    snprintf(amount, sizeof(amount), "%" PRId64, price);
    for (int replayed = 0; replayed <= 1; replayed++) {
        run(&r, me, "--json", "charge", "--amount", amount, "--key", "cli-charge-103");
        j = cli_json_ok(&r);
        cli_assert_members(j, WANT(INT("balance", price), INT("amount", price)));
        ck_assert_int_eq(cli_json_bool(j, "replayed"), replayed);
        cJSON_Delete(j);
    }

    run(&r, me, "--json", "balance", "--user", "103");
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("balance", price), INT("userId", 103)));
    cJSON_Delete(j);

    /* Someone else's balance is not ours to read. */
    run(&r, me, "balance", "--user", "104");
    assert_exit(&r, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "NOT_OWNER"));

    run(&r, me, "--json", "pay", "--reservation", resv, "--key", "cli-pay-103", "--token", tok);
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(STR("status", "COMPLETED"), INT("amount", price), INT("balance", 0),
                               INT("seatNo", 5)));
    ck_assert_int_gt(support_json_int(j, "paymentId"), 0);
    cJSON_Delete(j);

    /* The seat is sold, as another user sees it. */
    cli_active_token(104, 1, other, sizeof(other));
    cli_seat_status(sched, other, 5, "SOLD");
    run(&r, "seats", "--schedule", sched, "--token", other);
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "   5 S"));
}
END_TEST

START_TEST(test_seat_taken)
{
    struct run r;
    char a[512], b[512], sched[32], me_a[SESSION_ARG], me_b[SESSION_ARG];

    cli_as_user(me_a, 105);
    cli_as_user(me_b, 106);
    cli_active_token(105, 2, a, sizeof(a));
    cli_active_token(106, 2, b, sizeof(b));
    snprintf(sched, sizeof(sched), "%" PRId64, cli_first_schedule(a, "2"));
    /* Another user's token is not ours to hold with. */
    run(&r, me_b, "hold", "--schedule", sched, "--seat", "6", "--token", a);
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: NOT_OWNER: ") != NULL, "stderr: %s", r.err);

    run(&r, me_a, "hold", "--schedule", sched, "--seat", "6", "--token", a);
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "held seat 6 ", 12) == 0, "out: %s", r.out);

    run(&r, me_b, "hold", "--schedule", sched, "--seat", "6", "--token", b);
    assert_exit(&r, 1);
    ck_assert_msg(strncmp(r.err, "error: SEAT_TAKEN: ", 19) == 0, "stderr: %s", r.err);
    ck_assert_str_eq(r.out, "");

    run(&r, me_b, "--json", "hold", "--schedule", sched, "--seat", "6", "--token", b);
    assert_exit(&r, 1);
    cli_error_code(&r, "SEAT_TAKEN");
}
END_TEST

START_TEST(test_release)
{
    struct run r;
    char tok[512], sched[32], resv[32], me[SESSION_ARG];
    cJSON *j;

    cli_as_user(me, 107);
    cli_active_token(107, 3, tok, sizeof(tok));
    snprintf(sched, sizeof(sched), "%" PRId64, cli_first_schedule(tok, "3"));
    run(&r, me, "--json", "hold", "--schedule", sched, "--seat", "9", "--token", tok);
    j = cli_json_ok(&r);
    snprintf(resv, sizeof(resv), "%lld", support_json_int(j, "reservationId"));
    cJSON_Delete(j);
    run(&r, me, "--json", "release", "--reservation", resv, "--token", tok);
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(STR("status", "CANCELLED")));
    cJSON_Delete(j);
    cli_seat_status(sched, tok, 9, "AVAILABLE");
    run(&r, me, "release", "--reservation", "999999", "--token", tok);
    assert_exit(&r, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "RESERVATION_NOT_FOUND"));
}
END_TEST

/* admin_begin asserts that the admin command cmd refuses a wrong key, then puts the instance's
 * key in BOXOFFICE_ADMIN_KEY for the rest of the test. */
static void admin_begin(const char *cmd)
{
    struct run r;

    run(&r, cmd, "--admin-key", "wrong");
    assert_exit(&r, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "ADMIN_KEY_INVALID"));
    setenv("BOXOFFICE_ADMIN_KEY", cli_env.admin_key, 1);
}

/* session_of logs user in with password and writes "--session=<session>" into arg
 * (SESSION_ARG bytes); returns arg. */
static char *session_of(char *arg, const char *user, const char *password)
{
    struct run r;
    size_t len;

    run(&r, "login", "--user", user, "--password", password);
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "s1.", 3) == 0 && cli_count(r.out, "\n") == 1, "session: %s",
                  r.out);
    len = strcspn(r.out, "\n");
    ck_assert_int_lt(len, SESSION_ARG - 11);
    memcpy(arg, "--session=", 10);
    memcpy(arg + 10, r.out, len);
    arg[10 + len] = '\0';
    return arg;
}

/* A seeded user logs in with "demo" (the password given, in BOXOFFICE_PASSWORD, or on stdin)
 * and acts with the session, given as --session or in BOXOFFICE_SESSION; without one, or with
 * a wrong password, the service refuses. */
START_TEST(test_login)
{
    struct run r;
    char me[SESSION_ARG];
    cJSON *j;

    run(&r, "token", "--concert", "1");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: SESSION_MISSING: ") != NULL, "stderr: %s", r.err);

    run(&r, "login", "--user", "110", "--password", "not-demo");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: LOGIN_FAILED: ") != NULL, "stderr: %s", r.err);
    ck_assert_str_eq(r.out, "");

    cli_run_stdin(&r, "demo", "--json", "login", "--user", "110", "--password-stdin", NULL);
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("userId", 110)));
    ck_assert_msg(strncmp(support_json_str(j, "session"), "s1.", 3) == 0, "out: %s", r.out);
    ck_assert_msg(support_json_is_time(j, "expiresAt"), "expiresAt in %s", r.out);
    cJSON_Delete(j);

    setenv("BOXOFFICE_PASSWORD", "demo", 1);
    run(&r, "login", "--user", "110");
    unsetenv("BOXOFFICE_PASSWORD");
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "s1.", 3) == 0, "out: %s", r.out);

    run(&r, session_of(me, "110", "demo"), "--json", "token", "--concert", "1");
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("userId", 110), INT("concertId", 1)));
    cJSON_Delete(j);

    setenv("BOXOFFICE_SESSION", me + strlen("--session="), 1);
    run(&r, "--json", "token", "--concert", "2");
    unsetenv("BOXOFFICE_SESSION");
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("userId", 110), INT("concertId", 2)));
    cJSON_Delete(j);
}
END_TEST

/* A new account (password from stdin) signs in and acts as itself. */
START_TEST(test_signup)
{
    struct run r;
    char user[32], me[SESSION_ARG];
    cJSON *j;

    cli_run_stdin(&r, "correct horse", "--json", "signup", "--name", "Ann \"CLI\" Test",
                  "--password-stdin", NULL);
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(STR("name", "Ann \"CLI\" Test")));
    long long id = support_json_int(j, "userId");
    ck_assert_msg(id > 100000, "userId %lld: the seed's users are 1..100000", id);
    cJSON_Delete(j);
    snprintf(user, sizeof(user), "%lld", id);

    run(&r, "signup", "--name", "Bo", "--password", "short");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: INVALID_ARGUMENT: ") != NULL, "stderr: %s", r.err);

    run(&r, "login", "--user", user, "--password", "demo");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "LOGIN_FAILED") != NULL, "stderr: %s", r.err);
    run(&r, session_of(me, user, "correct horse"), "--json", "balance");
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("userId", id), INT("balance", 0)));
    cJSON_Delete(j);
}
END_TEST

/* After logout the session is refused. */
START_TEST(test_logout)
{
    struct run r;
    char me[SESSION_ARG];

    session_of(me, "111", "demo");
    run(&r, me, "--json", "balance");
    assert_exit(&r, 0);
    run(&r, me, "logout");
    assert_exit(&r, 0);
    ck_assert_msg(strstr(r.out, "logged out user 111") != NULL, "out: %s", r.out);
    run(&r, me, "balance");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: SESSION_EXPIRED: ") != NULL, "stderr: %s", r.err);
    run(&r, me, "--json", "token", "--concert", "1");
    assert_exit(&r, 1);
    cli_error_code(&r, "SESSION_EXPIRED");
}
END_TEST

/* Leaving ends one's token; another user can neither leave with it nor take a place for us. */
START_TEST(test_leave_and_not_owner)
{
    struct run r;
    char tok[512], me[SESSION_ARG], other[SESSION_ARG];
    cJSON *j;

    cli_as_user(me, 112);
    cli_as_user(other, 113);
    run(&r, other, "token", "--user", "112", "--concert", "1");
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: NOT_OWNER: ") != NULL, "stderr: %s", r.err);

    cli_token_for(112, 1, tok, sizeof(tok));
    run(&r, other, "leave", "--token", tok);
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "error: NOT_OWNER: ") != NULL, "stderr: %s", r.err);

    run(&r, me, "--json", "leave", "--token", tok);
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(STR("status", "EXPIRED"), INT("userId", 112), STR("token", tok)));
    cJSON_Delete(j);
    run(&r, "--json", "status", "--token", tok);
    if (r.code == 0) {
        j = cli_json_ok(&r);
        cli_assert_members(j, WANT(STR("status", "EXPIRED")));
        cJSON_Delete(j);
    } else {
        assert_exit(&r, 1);
        cli_error_code(&r, "TOKEN_EXPIRED");
    }
}
END_TEST

/* A token issue of a user that is to be refused: its session argument, whether with --json,
 * and the run (for support_wait_until). */
struct refusal {
    const char *session;
    int json;
    struct run r;
};

/* token_refused takes a place in concert 1 as f->session and holds once the service refuses
 * it; it must otherwise succeed. Every instance's workers read the limits anew once a second,
 * so a new limit takes effect within about a second. */
static int token_refused(void *arg)
{
    struct refusal *f = arg;

    if (f->json) {
        run(&f->r, f->session, "--json", "token", "--concert", "1");
    } else {
        run(&f->r, f->session, "token", "--concert", "1");
    }
    ck_assert_msg(f->r.code == 0 || f->r.code == 1, "exit %d: %s", f->r.code, f->r.err);
    return f->r.code == 1;
}

/* Rate limits: read, set, hit (RATE_LIMITED says when to try again), and off again. Runs last:
 * a limit lingers up to a second after it is turned off. */
START_TEST(test_limits)
{
    static const char *const names[] = {
        "userLoginsPerMinute",         "userTokenIssuesPerMinute", "userHoldsPerMinute",
        "userChargesPerMinute",        "addressSignupsPerMinute",  "addressLoginsPerMinute",
        "addressTokenIssuesPerMinute", "addressHoldsPerMinute",    "addressChargesPerMinute",
        "addressPushConnections",      "tokenPushConnections",     "addressRestConnections"};
    enum { NLIMITS = sizeof(names) / sizeof(names[0]) };
    struct run r;
    char me[SESSION_ARG];
    cJSON *j;

    admin_begin("limits");
    run(&r, "--json", "limits");
    j = cli_json_ok(&r);
    ck_assert_int_eq(cJSON_GetArraySize(j), NLIMITS);
    for (size_t i = 0; i < NLIMITS; i++) {
        ck_assert_msg(support_json_int(j, names[i]) == 0, "%s in %s (the suite's are off)",
                      names[i], r.out);
    }
    cJSON_Delete(j);

    run(&r, "--json", "limits", "--set", "userTokenIssuesPerMinute=1,userHoldsPerMinute=5");
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("userTokenIssuesPerMinute", 1), INT("userHoldsPerMinute", 5),
                               INT("userLoginsPerMinute", 0), INT("addressChargesPerMinute", 0)));
    cJSON_Delete(j);
    run(&r, "limits");
    assert_exit(&r, 0);
    ck_assert_int_eq(cli_count(r.out, "\n"), NLIMITS);
    ck_assert_msg(strstr(r.out, "userHoldsPerMinute") != NULL && strstr(r.out, " 5 per minute") &&
                      strstr(r.out, " 0 (off)"),
                  "out: %s", r.out);

    /* One token issue a minute for user 114: once the limit is read, the second is refused until
     * the minute ends. */
    struct refusal f = {cli_as_user(me, 114), 0, {0}};
    SUPPORT_WAIT(token_refused, &f, 10000, "user 114 was never refused: %s", f.r.out);
    ck_assert_msg(strstr(f.r.err, "error: RATE_LIMITED: ") != NULL &&
                      strstr(f.r.err, "(retry after "),
                  "stderr: %s", f.r.err);
    f.json = 1;
    SUPPORT_WAIT(token_refused, &f, 10000, "user 114 was never refused: %s", f.r.out);
    cli_error_code(&f.r, "RATE_LIMITED");
    j = cli_out_json(f.r.err, "stderr");
    long long retry =
        support_json_int(cli_json_item(j, "error", cJSON_Object), "retryAfterSeconds");
    ck_assert_msg(retry >= 1 && retry <= 60, "retryAfterSeconds %lld", retry);
    cJSON_Delete(j);

    run(&r, "--json", "limits", "--set", "userTokenIssuesPerMinute=0,userHoldsPerMinute=0");
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("userTokenIssuesPerMinute", 0), INT("userHoldsPerMinute", 0)));
    cJSON_Delete(j);
    unsetenv("BOXOFFICE_ADMIN_KEY");
}
END_TEST

/* Runs after the others but the limits: it adds a concert. */
START_TEST(test_admin)
{
    struct run r;
    char concert[32], me[SESSION_ARG];
    cJSON *j;

    admin_begin("admin-settings");
    run(&r, "--json", "admin-settings");
    j = cli_json_ok(&r);
    ck_assert_int_gt(support_json_int(j, "ratePerSecond"), 0);
    ck_assert_int_gt(support_json_int(j, "holdTtlSeconds"), 0);
    cJSON_Delete(j);

    run(&r, "--json", "admin-concert", "--title", "CLI Test Night", "--artist", "The Testers",
        "--venue", "Hall \"A\"", "--sale-opens-at", "2030-01-02T03:04:05Z");
    j = cli_json_ok(&r); /* a quote in a value stays valid JSON */
    cli_assert_members(j, WANT(STR("title", "CLI Test Night"), STR("venue", "Hall \"A\""),
                               STR("saleOpensAt", "2030-01-02T03:04:05.000Z")));
    snprintf(concert, sizeof(concert), "%lld", support_json_int(j, "id"));
    cJSON_Delete(j);

    /* Before the opening a token waits with the time; opened, the concert says so. */
    run(&r, cli_as_user(me, 115), "token", "--concert", concert);
    assert_exit(&r, 0);
    ck_assert_msg(strstr(r.out, " WAITING  waiting for the sale to open at 2030-01-02T03:04:05") !=
                      NULL,
                  "out: %s", r.out);
    run(&r, me, "--json", "token", "--concert", concert);
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(STR("saleOpensAt", "2030-01-02T03:04:05.000Z"), INT("position", 0)));
    cJSON_Delete(j);
    run(&r, "concert-opens", "--concert", concert, "--at", "2031-05-06T07:08:09Z");
    assert_exit(&r, 0);
    ck_assert_msg(strstr(r.out, ": the sale opens at 2031-05-06T07:08:09") != NULL, "out: %s",
                  r.out);
    run(&r, "--json", "concert-opens", "--concert", concert, "--at", "now");
    j = cli_json_ok(&r);
    const cJSON *opens = cJSON_GetObjectItemCaseSensitive(j, "saleOpensAt");
    ck_assert_msg(cJSON_IsNull(opens), "saleOpensAt not null: %s", r.out);
    cJSON_Delete(j);
    run(&r, "concert-opens", "--concert", concert, "--at", "now");
    assert_exit(&r, 0);
    ck_assert_msg(strstr(r.out, ": the sale is open") != NULL, "out: %s", r.out);

    run(&r, "--json", "admin-schedule", "--concert", concert, "--starts-at",
        "2030-05-01T19:30:00+09:00", "--price", "77000");
    j = cli_json_ok(&r);
    cli_assert_members(j, WANT(STR("startsAt", "2030-05-01T10:30:00.000Z"), INT("totalSeats", 50)));
    cJSON_Delete(j);
    unsetenv("BOXOFFICE_ADMIN_KEY");

    run(&r, "admin-concert", "--title", "No Key");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--admin-key"));
}
END_TEST

/* A child CLI whose stdout and stderr are read while it runs. */
struct child {
    struct support_child proc;
    char buf[OUT_SIZE];    /* its stdout so far */
    char errbuf[ERR_SIZE]; /* its stderr so far */
};

/* child_start runs the CLI with argv (NULL-terminated, argv[0] filled in here). */
static void child_start(struct child *ch, char **argv)
{
    struct support_spawn how = {.out = ch->buf,
                                .out_size = sizeof(ch->buf),
                                .err = ch->errbuf,
                                .err_size = sizeof(ch->errbuf)};

    argv[0] = cli_path;
    ck_assert_msg(support_spawn(argv, &how, &ch->proc) == 0, "could not start %s", cli_path);
}

/* child_wait_for reads the child's stdout until a line holds every needle (NULL-terminated
 * list) or timeout_ms passes; returns that line (within ch->buf) or NULL. */
static const char *child_wait_for(struct child *ch, int timeout_ms, const char *const *needles)
{
    int64_t deadline = support_now_ms() + timeout_ms;
    for (;;) {
        for (char *line = ch->buf; *line != '\0';) {
            char *nl = strchr(line, '\n');
            if (nl == NULL) {
                break;
            }
            *nl = '\0';
            int all = 1;
            for (size_t i = 0; needles[i] != NULL && all; i++) {
                all = strstr(line, needles[i]) != NULL;
            }
            *nl = '\n';
            if (all) {
                *nl = '\0'; /* the caller reads this one line */
                return line;
            }
            line = nl + 1;
        }
        int64_t left = deadline - support_now_ms();
        if (left <= 0 || !support_child_read(&ch->proc, (long)left)) {
            return NULL; /* out of time, or the child closed its output */
        }
    }
}

/* child_stop sends sig and returns the exit code (128 + signal when killed by one; SIGKILL
 * after 10 s). */
static int child_stop(struct child *ch, int sig)
{
    return support_child_stop(&ch->proc, sig, 10000);
}

/* A watch and the events port it dials: for support_wait_until. */
struct child_dial {
    struct child *ch;
    int port;
};

/* child_connected holds once the child has a TCP connection to the port. */
static int child_connected(void *arg)
{
    struct child_dial *d = arg;
    return support_tcp_connections(d->ch->proc.pid, d->port) > 0;
}

/* child_wait_subscribed waits until the watch in ch is connected to the events address url (the
 * publisher adds its pipe a handshake later: child_wait_hears makes sure of that). */
static void child_wait_subscribed(struct child *ch, const char *url)
{
    struct child_dial d = {ch, support_url_port(url)};
    ck_assert_int_gt(d.port, 0);
    SUPPORT_WAIT(child_connected, &d, 10000, "the watch did not connect to %s within 10 s", url);
}

/* child_wait_hears publishes probe events (concert 8, user 99) on ev until the watch in ch
 * prints one: a TCP connection alone does not mean the publisher has added the subscriber's
 * pipe yet, and pub/sub drops what it sends before that. */
static void child_wait_hears(struct child *ch, struct events *ev)
{
    const char *probe[] = {" POSITION concert 8 user 99 ", NULL};
    int64_t deadline = support_now_ms() + 10000;

    for (;;) {
        events_publish_position(ev, 8, 99, 98, 1, 1);
        const char *line = child_wait_for(ch, 50, probe);
        if (line != NULL) {
            ((char *)line)[strlen(line)] = '\n'; /* keep the whole output readable */
            return;
        }
        ck_assert_msg(support_now_ms() < deadline, "the watch heard no event within 10 s: %s",
                      ch->buf);
    }
}

/* A publisher of our own (the service's events module) feeds a watch crafted events: a
 * repeated admission is printed once, a missing one reported on stderr. */
START_TEST(test_watch_text_and_gaps)
{
    struct events *ev = NULL;
    struct child ch;
    char url[64];
    char *argv[] = {NULL, "watch", "--events-url", url, NULL};
    struct queue_token t[4];
    const char *last[] = {"ADMITTED concert 9 user 15 token 9-25 admission 5 active until ", NULL};

    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", testenv_free_port());
    ck_assert_int_eq(events_open(url, &ev), 0);
    child_start(&ch, argv);
    child_wait_subscribed(&ch, url);
    child_wait_hears(&ch, ev);
    memset(t, 0, sizeof(t));
    for (int i = 0; i < 4; i++) {
        t[i].concert_id = 9;
        t[i].admitted_at_ms = 1795000000000LL;
        t[i].expires_at_ms = 1795000300000LL;
        t[i].status = TOKEN_ACTIVE;
    }
    t[0].admission_no = 1, t[0].sequence = 21, t[0].user_id = 11;
    t[1].admission_no = 2, t[1].sequence = 22, t[1].user_id = 12;
    t[2] = t[1]; /* announced again, as a new leader does */
    t[3].admission_no = 5, t[3].sequence = 25, t[3].user_id = 15;
    events_publish_admitted(ev, t, 3);
    events_publish_position(ev, 9, 16, 26, 4, 2);
    events_publish_expired(ev, &t[0], 1);
    events_publish_admitted(ev, &t[3], 1);
    const char *line = child_wait_for(&ch, 5000, last);
    int code = child_stop(&ch, SIGTERM);
    events_close(ev);
    ck_assert_msg(line != NULL, "no line for admission 5 in: %s", ch.buf);
    ck_assert_int_eq(code, 0);
    ck_assert_ptr_nonnull(strstr(line, "active until 2026-11-18T11:11:40.000Z"));
    ck_assert_int_eq(cli_count(ch.buf, " ADMITTED concert 9 user 12 token 9-22 admission 2 "), 1);
    ck_assert_int_eq(cli_count(ch.buf, " ADMITTED "), 3);
    ck_assert_ptr_nonnull(
        strstr(ch.buf, " POSITION concert 9 user 16 token 9-26 position 4 eta 2s\n"));
    ck_assert_ptr_nonnull(strstr(ch.buf, " EXPIRED concert 9 user 11 token 9-21\n"));
    ck_assert_msg(strstr(ch.errbuf, "gap: concert 9: admissions 3..4 ") != NULL, "stderr: %s",
                  ch.errbuf);
}
END_TEST

START_TEST(test_watch_json)
{
    struct child ch;
    char events[sizeof(cli_env.events_url[0]) + 16], tok[512];
    char *argv[] = {NULL, "--json", "watch", "--concert", "3", "--events-url", events, NULL};
    const char *want[] = {"\"kind\":\"ADMITTED\"", "\"userId\":108,", NULL};
    const char *line;

    snprintf(events, sizeof(events), "%s", cli_env.events_url[0]);
    child_start(&ch, argv);
    child_wait_subscribed(&ch, events); /* subscribed before the token exists */
    cli_token_for(108, 3, tok, sizeof(tok));
    line = child_wait_for(&ch, 10000, want);
    int code = child_stop(&ch, SIGTERM);
    ck_assert_msg(line != NULL, "no ADMITTED line for user 108 in: %s", ch.buf);
    ck_assert_int_eq(code, 0);
    cJSON *j = support_json_parse(line, "a line of watch");
    ck_assert_msg(cJSON_IsObject(j), "not one object: %s", line);
    cli_assert_members(j, WANT(INT("concertId", 3), INT("position", 0)));
    ck_assert_int_ge(support_json_int(j, "sequence"), 1);
    ck_assert_msg(strncmp(support_json_str(j, "tokenId"), "3-", 2) == 0, "tokenId in %s", line);
    ck_assert_msg(support_json_is_time(j, "admittedAt"), "admittedAt in %s", line);
    support_json_str(j, "activeUntil");
    cJSON_Delete(j);

    /* Text lines, stopped by SIGINT just the same. */
    argv[1] = "watch";
    argv[2] = "--user";
    argv[3] = "109";
    argv[4] = "--events-url";
    argv[5] = events;
    argv[6] = NULL;
    const char *want_text[] = {" ADMITTED concert 3 user 109 token 3-", " admission ",
                               " active until ", NULL};
    child_start(&ch, argv);
    child_wait_subscribed(&ch, events);
    cli_token_for(109, 3, tok, sizeof(tok));
    line = child_wait_for(&ch, 10000, want_text);
    code = child_stop(&ch, SIGINT);
    ck_assert_msg(line != NULL, "no ADMITTED line for user 109 in: %s", ch.buf);
    ck_assert_int_eq(code, 0);
}
END_TEST

int main(void)
{
    const TTest *local[] = {test_usage, test_unreachable, test_watch_text_and_gaps, NULL};
    const TTest *service[] = {test_ping,
                              test_token_twice,
                              test_status,
                              test_concerts,
                              test_token_missing_service,
                              test_full_flow,
                              test_seat_taken,
                              test_release,
                              test_login,
                              test_signup,
                              test_logout,
                              test_leave_and_not_owner,
                              test_watch_json,
                              test_admin,
                              test_limits,
                              NULL};
    const struct testenv_exe_suite suite = {
        "cli", "clients/boxoffice-cli", cli_path, sizeof(cli_path), &cli_env, local, service, 120};

    return testenv_exe_main(&suite);
}
