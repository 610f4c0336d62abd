/*
 * Integration suite of boxoffice-cli: the binary from the build tree runs as a
 * child process (stdout, stderr and exit code captured) against one service
 * instance on a throwaway PostgreSQL and Redis with the demo seed.
 *
 * "local" needs no service: usage errors (exit 2), help, and an unreachable
 * service (exit 3). "service" walks the whole flow through the CLI, and runs
 * 'watch' as a long-lived child stopped by SIGTERM. Each test
 * uses its own users and seats, so tests do not see each other's tokens or
 * holds; the admin test runs last because it adds a concert.
 */
#include "events.h"
#include "testenv.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS   32
#define OUT_SIZE   (64 * 1024)
#define ERR_SIZE   (8 * 1024)
#define TIMEOUT_MS "10000"

static struct testenv env;
static char cli_path[1024];

/* What one run of the CLI printed and how it ended. */
struct run {
    int code; /* exit code, or 128 + signal */
    char out[OUT_SIZE];
    char err[ERR_SIZE];
};

static void find_cli(void)
{
    const char *dir = getenv("BOXOFFICE_BINARY_DIR");
    ck_assert_msg(dir != NULL, "BOXOFFICE_BINARY_DIR is not set (run through ctest)");
    snprintf(cli_path, sizeof(cli_path), "%s/clients/boxoffice-cli", dir);
    ck_assert_msg(access(cli_path, X_OK) == 0, "%s is not executable", cli_path);
}

/* drain reads what fd has into buf (keeping it NUL-terminated); returns 0 at EOF. */
static int drain(int fd, char *buf, size_t size, size_t *len)
{
    char scratch[4096];
    ssize_t n = read(fd, scratch, sizeof(scratch));
    if (n < 0 && errno == EINTR) {
        return 1;
    }
    if (n <= 0) {
        return 0;
    }
    size_t room = size - 1 - *len;
    size_t take = (size_t)n < room ? (size_t)n : room;
    memcpy(buf + *len, scratch, take);
    *len += take;
    buf[*len] = '\0';
    return 1;
}

/* run_argv runs the CLI with argv (NULL-terminated, argv[0] filled in here) into r. */
static void run_argv(struct run *r, char **argv)
{
    int po[2], pe[2];
    size_t lo = 0, le = 0;
    int status;

    memset(r, 0, sizeof(*r));
    argv[0] = cli_path;
    ck_assert_int_eq(pipe(po), 0);
    ck_assert_int_eq(pipe(pe), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        execv(cli_path, argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        if (fds[0].fd >= 0 && fds[0].revents != 0 && !drain(po[0], r->out, sizeof(r->out), &lo)) {
            fds[0].fd = -1;
            open_fds--;
        }
        if (fds[1].fd >= 0 && fds[1].revents != 0 && !drain(pe[0], r->err, sizeof(r->err), &le)) {
            fds[1].fd = -1;
            open_fds--;
        }
    }
    close(po[0]);
    close(pe[0]);
    while (waitpid(pid, &status, 0) < 0) {
        ck_assert_int_eq(errno, EINTR);
    }
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* run_at runs the CLI with --rpc-url=url (when not NULL) and the given arguments (NULL-ended). */
static void run_at(struct run *r, const char *url, ...)
{
    char *argv[MAX_ARGS];
    char url_arg[sizeof(env.rpc_urls) + 16];
    int n = 1;
    va_list ap;

    if (url != NULL) {
        snprintf(url_arg, sizeof(url_arg), "--rpc-url=%s", url);
        argv[n++] = url_arg;
        argv[n++] = "--timeout-ms=" TIMEOUT_MS;
    }
    va_start(ap, url);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(n, MAX_ARGS - 1);
        argv[n++] = (char *)a;
    }
    va_end(ap);
    argv[n] = NULL;
    run_argv(r, argv);
}

/* run runs the CLI against the suite's service. */
#define run(r, ...) run_at((r), env.rpc_urls, __VA_ARGS__, NULL)

/* run_local runs the CLI with no --rpc-url (for usage errors that never dial). */
#define run_local(r, ...) run_at((r), NULL, __VA_ARGS__, NULL)

#define assert_exit(r, want)                                                                       \
    ck_assert_msg((r)->code == (want), "exit %d, want %d\nstdout: %s\nstderr: %s", (r)->code,      \
                  (want), (r)->out, (r)->err)

/* json_str copies the string member key of the first object in json into out; 0 or -1. */
static int json_str(const char *json, const char *key, char *out, size_t len)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    if (p == NULL) {
        return -1;
    }
    p += strlen(pat);
    const char *end = strchr(p, '"');
    if (end == NULL || (size_t)(end - p) >= len) {
        return -1;
    }
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 0;
}

/* json_num returns the number member key of the first object in json; fails the test if absent. */
static int64_t json_num(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(json, pat);
    ck_assert_msg(p != NULL, "no \"%s\" in %s", key, json);
    p += strlen(pat);
    ck_assert_msg(*p == '-' || (*p >= '0' && *p <= '9'), "\"%s\" is not a number in %s", key, json);
    return strtoll(p, NULL, 10);
}

/* count counts the occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* token_for issues (or re-reads) the token of user for concert into out. */
static void token_for(uint64_t user, uint64_t concert, char *out, size_t len)
{
    struct run r;
    char u[32], c[32];

    snprintf(u, sizeof(u), "%" PRIu64, user);
    snprintf(c, sizeof(c), "%" PRIu64, concert);
    run(&r, "--json", "token", "--user", u, "--concert", c);
    assert_exit(&r, 0);
    ck_assert_msg(json_str(r.out, "token", out, len) == 0, "no token in %s", r.out);
}

/* active_token issues a token for user and waits (up to 15 s) until it is ACTIVE. */
static void active_token(uint64_t user, uint64_t concert, char *out, size_t len)
{
    struct run r;
    char status[32] = "";

    token_for(user, concert, out, len);
    for (int i = 0; i < 150; i++) {
        run(&r, "--json", "status", "--token", out);
        assert_exit(&r, 0);
        ck_assert_int_eq(json_str(r.out, "status", status, sizeof(status)), 0);
        if (strcmp(status, "ACTIVE") == 0) {
            return;
        }
        ck_assert_str_eq(status, "WAITING");
        sleep_ms(100);
    }
    ck_abort_msg("token of user %" PRIu64 " not ACTIVE after 15 s", user);
}

/* first_schedule returns the id of concert's first schedule listed. */
static int64_t first_schedule(const char *token, const char *concert)
{
    struct run r;
    run(&r, "--json", "schedules", "--concert", concert, "--token", token);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_num(r.out, "concertId"), strtoll(concert, NULL, 10));
    const char *list = strstr(r.out, "\"schedules\":[{");
    ck_assert_msg(list != NULL, "schedules: %s", r.out);
    return json_num(list, "id");
}

/* seat_json points at the JSON object of seat no in a seats answer. */
static const char *seat_json(const char *json, int no)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "{\"seatNo\":%d,", no);
    const char *p = strstr(json, pat);
    ck_assert_msg(p != NULL, "seat %d missing in %s", no, json);
    return p;
}

/* ---- fixture -------------------------------------------------------------- */

static void suite_setup(void)
{
    find_cli();
    ck_assert_int_eq(testenv_start(&env, TESTENV_SEED), 0);
    ck_assert_int_eq(testenv_service_start(&env, 1, NULL), 0);
}

static void suite_teardown(void)
{
    testenv_stop(&env);
}

/* ---- local: no service needed --------------------------------------------- */

START_TEST(test_unknown_command)
{
    struct run r;
    run_local(&r, "frobnicate");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown command 'frobnicate'"));
    ck_assert_str_eq(r.out, "");
}
END_TEST

START_TEST(test_no_command)
{
    struct run r;
    run_local(&r, "--json");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "no command"));
}
END_TEST

START_TEST(test_unknown_global_option)
{
    struct run r;
    run_local(&r, "--frob", "ping");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--frob"));
}
END_TEST

START_TEST(test_missing_option)
{
    struct run r;
    run_local(&r, "hold", "--seat", "3", "--token", "x");
    assert_exit(&r, 2);
    ck_assert_msg(strstr(r.err, "--schedule") != NULL, "stderr: %s", r.err);
}
END_TEST

/* A missing --token is caught before dialling: usage error naming it and BOXOFFICE_TOKEN. */
START_TEST(test_missing_token_local)
{
    struct run r;
    unsetenv("BOXOFFICE_TOKEN");
    run_local(&r, "seats", "--schedule", "1");
    assert_exit(&r, 2);
    ck_assert_msg(strstr(r.err, "--token") != NULL && strstr(r.err, "BOXOFFICE_TOKEN") != NULL,
                  "stderr: %s", r.err);
}
END_TEST

START_TEST(test_bad_values)
{
    struct run r;
    run_local(&r, "hold", "--schedule", "abc", "--seat", "3", "--token", "x");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--schedule"));
    run_local(&r, "token", "--user", "-4", "--concert", "1");
    assert_exit(&r, 2);
    run_local(&r, "admin-schedule", "--concert", "1", "--starts-at", "tomorrow", "--price", "5",
              "--admin-key", "k");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "RFC 3339"));
    run_local(&r, "ping", "--bogus=1");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--bogus"));
    run_local(&r, "ping", "stray");
    assert_exit(&r, 2);
}
END_TEST

START_TEST(test_help)
{
    struct run r;
    run_local(&r, "--help");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "Usage: boxoffice-cli"));
    ck_assert_ptr_nonnull(strstr(r.out, "admin-settings"));
    ck_assert_ptr_nonnull(strstr(r.out, "BOXOFFICE_RPC_URL"));
    run_local(&r, "hold", "--help");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--schedule ID"));
    ck_assert_ptr_nonnull(strstr(r.out, "--seat N"));
    run_local(&r, "help", "pay");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--reservation ID"));
}
END_TEST

START_TEST(test_watch_local)
{
    struct run r;
    run_local(&r, "watch", "--help");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--events-url URLS"));
    ck_assert_ptr_nonnull(strstr(r.out, "BOXOFFICE_EVENTS_URL"));
    run_local(&r, "watch", "--events-url", "bogus://nowhere");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--events-url"));
    run_local(&r, "watch", "--concert", "0");
    assert_exit(&r, 2);
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
    ck_assert_ptr_nonnull(strstr(r.err, "{\"error\":{\"code\":"));
}
END_TEST

/* ---- service: the whole flow ---------------------------------------------- */

START_TEST(test_ping)
{
    struct run r;
    run(&r, "--json", "ping");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"databaseOk\":true"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"redisOk\":true"));
    run(&r, "ping");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "pong from "));
}
END_TEST

START_TEST(test_token_twice)
{
    struct run r;
    char a[512], b[512];

    token_for(101, 1, a, sizeof(a));
    token_for(101, 1, b, sizeof(b));
    ck_assert_str_eq(a, b);
    run(&r, "token", "--user", "101", "--concert", "1");
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "token ", 6) == 0 && strstr(r.out, a) != NULL, "out: %s", r.out);
    ck_assert_msg(strstr(r.out, "WAITING") != NULL || strstr(r.out, "ACTIVE") != NULL, "out: %s",
                  r.out);
}
END_TEST

START_TEST(test_status)
{
    struct run r;
    char tok[512], status[32];

    token_for(102, 2, tok, sizeof(tok));
    run(&r, "--json", "status", "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_num(r.out, "userId"), 102);
    ck_assert_int_eq(json_num(r.out, "concertId"), 2);
    ck_assert_int_eq(json_str(r.out, "status", status, sizeof(status)), 0);
    ck_assert_msg(strcmp(status, "WAITING") == 0 || strcmp(status, "ACTIVE") == 0, "%s", status);
    ck_assert_int_eq(json_str(r.out, "issuedAt", status, sizeof(status)), 0);

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
    run(&r, "--json", "concerts");
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "{\"concerts\":[", 13) == 0, "out: %s", r.out);
    ck_assert_int_eq(count(r.out, "\"scheduleCount\":5"), 3);
    ck_assert_int_eq(count(r.out, "\n"), 1);
    run(&r, "concerts");
    assert_exit(&r, 0);
    ck_assert_int_eq(count(r.out, "\n"), 4); /* header and three concerts */
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
    char tok[512], other[512], sched[32], resv[32], status[32];

    active_token(103, 1, tok, sizeof(tok));
    snprintf(sched, sizeof(sched), "%" PRId64, first_schedule(tok, "1"));

    run(&r, "--json", "seats", "--schedule", sched, "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(count(r.out, "\"seatNo\":"), 50);
    ck_assert_ptr_nonnull(strstr(seat_json(r.out, 5), "\"status\":\"AVAILABLE\"}"));
    int64_t price = json_num(seat_json(r.out, 5), "price");
    ck_assert_int_gt(price, 0);

    run(&r, "seats", "--schedule", sched, "--token", tok);
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "   5 ."));
    ck_assert_ptr_nonnull(strstr(r.out, "legend:"));
    ck_assert_ptr_nonnull(strstr(r.out, "prices:"));

    run(&r, "--json", "hold", "--schedule", sched, "--seat", "5", "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_str(r.out, "status", status, sizeof(status)), 0);
    ck_assert_str_eq(status, "HELD");
    ck_assert_int_eq(json_num(r.out, "price"), price);
    ck_assert_int_eq(json_num(r.out, "seatNo"), 5);
    ck_assert_int_eq(json_num(r.out, "userId"), 103);
    ck_assert_int_eq(json_num(r.out, "concertId"), 1);
    ck_assert_int_eq(json_num(r.out, "scheduleId"), strtoll(sched, NULL, 10));
    ck_assert_int_eq(json_str(r.out, "expiresAt", status, sizeof(status)), 0);
    snprintf(resv, sizeof(resv), "%" PRId64, json_num(r.out, "reservationId"));

    char amount[32];
    snprintf(amount, sizeof(amount), "%" PRId64, price);
    run(&r, "--json", "charge", "--user", "103", "--amount", amount, "--key", "cli-charge-103",
        "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_num(r.out, "balance"), price);
    ck_assert_int_eq(json_num(r.out, "amount"), price);
    ck_assert_ptr_nonnull(strstr(r.out, "\"replayed\":false"));
    run(&r, "--json", "charge", "--user", "103", "--amount", amount, "--key", "cli-charge-103",
        "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_num(r.out, "balance"), price);
    ck_assert_ptr_nonnull(strstr(r.out, "\"replayed\":true"));

    run(&r, "--json", "balance", "--user", "103", "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_num(r.out, "balance"), price);

    /* Someone else's balance is not ours to read. */
    run(&r, "balance", "--user", "104", "--token", tok);
    assert_exit(&r, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "NOT_OWNER"));

    run(&r, "--json", "pay", "--reservation", resv, "--key", "cli-pay-103", "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_str(r.out, "status", status, sizeof(status)), 0);
    ck_assert_str_eq(status, "COMPLETED");
    ck_assert_int_eq(json_num(r.out, "amount"), price);
    ck_assert_int_eq(json_num(r.out, "balance"), 0);
    ck_assert_int_eq(json_num(r.out, "seatNo"), 5);
    ck_assert_int_gt(json_num(r.out, "paymentId"), 0);

    /* The seat is sold, as another user sees it. */
    active_token(104, 1, other, sizeof(other));
    run(&r, "--json", "seats", "--schedule", sched, "--token", other);
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(seat_json(r.out, 5), "\"status\":\"SOLD\"}"));
    run(&r, "seats", "--schedule", sched, "--token", other);
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "   5 S"));
}
END_TEST

START_TEST(test_seat_taken)
{
    struct run r;
    char a[512], b[512], sched[32];

    active_token(105, 2, a, sizeof(a));
    active_token(106, 2, b, sizeof(b));
    snprintf(sched, sizeof(sched), "%" PRId64, first_schedule(a, "2"));
    run(&r, "hold", "--schedule", sched, "--seat", "6", "--token", a);
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "held seat 6 ", 12) == 0, "out: %s", r.out);

    run(&r, "hold", "--schedule", sched, "--seat", "6", "--token", b);
    assert_exit(&r, 1);
    ck_assert_msg(strncmp(r.err, "error: SEAT_TAKEN: ", 19) == 0, "stderr: %s", r.err);
    ck_assert_str_eq(r.out, "");

    run(&r, "--json", "hold", "--schedule", sched, "--seat", "6", "--token", b);
    assert_exit(&r, 1);
    ck_assert_msg(strstr(r.err, "{\"error\":{\"code\":\"SEAT_TAKEN\",\"message\":\"") != NULL,
                  "stderr: %s", r.err);
}
END_TEST

START_TEST(test_release)
{
    struct run r;
    char tok[512], sched[32], resv[32], status[32];

    active_token(107, 3, tok, sizeof(tok));
    snprintf(sched, sizeof(sched), "%" PRId64, first_schedule(tok, "3"));
    run(&r, "--json", "hold", "--schedule", sched, "--seat", "9", "--token", tok);
    assert_exit(&r, 0);
    snprintf(resv, sizeof(resv), "%" PRId64, json_num(r.out, "reservationId"));
    run(&r, "--json", "release", "--reservation", resv, "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(json_str(r.out, "status", status, sizeof(status)), 0);
    ck_assert_str_eq(status, "CANCELLED");
    run(&r, "--json", "seats", "--schedule", sched, "--token", tok);
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(seat_json(r.out, 9), "\"status\":\"AVAILABLE\"}"));
    run(&r, "release", "--reservation", "999999", "--token", tok);
    assert_exit(&r, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "RESERVATION_NOT_FOUND"));
}
END_TEST

/* Runs last: it adds a concert. */
START_TEST(test_admin)
{
    struct run r;
    char concert[32];

    run(&r, "admin-settings", "--admin-key", "wrong");
    assert_exit(&r, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "ADMIN_KEY_INVALID"));

    setenv("BOXOFFICE_ADMIN_KEY", env.admin_key, 1);
    run(&r, "--json", "admin-settings");
    assert_exit(&r, 0);
    ck_assert_int_gt(json_num(r.out, "ratePerSecond"), 0);
    ck_assert_int_gt(json_num(r.out, "holdTtlSeconds"), 0);

    run(&r, "--json", "admin-concert", "--title", "CLI Test Night", "--artist", "The Testers",
        "--venue", "Hall \"A\"");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"title\":\"CLI Test Night\""));
    ck_assert_ptr_nonnull(strstr(r.out, "\"venue\":\"Hall \\\"A\\\"\""));
    snprintf(concert, sizeof(concert), "%" PRId64, json_num(r.out, "id"));

    run(&r, "--json", "admin-schedule", "--concert", concert, "--starts-at",
        "2030-05-01T19:30:00+09:00", "--price", "77000");
    assert_exit(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"startsAt\":\"2030-05-01T10:30:00.000Z\""));
    ck_assert_int_eq(json_num(r.out, "totalSeats"), 50);
    unsetenv("BOXOFFICE_ADMIN_KEY");

    run(&r, "admin-concert", "--title", "No Key");
    assert_exit(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--admin-key"));
}
END_TEST

/* A child CLI whose stdout is read while it runs; its stderr is read once it ended. */
struct child {
    pid_t pid;
    int out; /* read end of its stdout */
    int err; /* read end of its stderr */
    char buf[OUT_SIZE];
    size_t len;
    char errbuf[ERR_SIZE];
};

/* child_start runs the CLI with argv (NULL-terminated, argv[0] filled in here). */
static void child_start(struct child *ch, char **argv)
{
    int po[2], pe[2];

    memset(ch, 0, sizeof(*ch));
    argv[0] = cli_path;
    ck_assert_int_eq(pipe(po), 0);
    ck_assert_int_eq(pipe(pe), 0);
    fflush(NULL);
    ch->pid = fork();
    ck_assert_int_ge(ch->pid, 0);
    if (ch->pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        execv(cli_path, argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    ch->out = po[0];
    ch->err = pe[0];
}

/* child_wait_for reads the child's stdout until a line holds every needle (NULL-terminated
 * list) or timeout_ms passes; returns that line (within ch->buf) or NULL. */
static const char *child_wait_for(struct child *ch, int timeout_ms, const char *const *needles)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
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
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int left = timeout_ms -
                   (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) {
            return NULL;
        }
        struct pollfd p = {ch->out, POLLIN, 0};
        if (poll(&p, 1, left) > 0 && !drain(ch->out, ch->buf, sizeof(ch->buf), &ch->len)) {
            return NULL; /* the child closed its stdout */
        }
    }
}

/* child_stop sends sig and returns the exit code (128 + signal when killed by one). */
static int child_stop(struct child *ch, int sig)
{
    int status;
    size_t elen = 0;
    kill(ch->pid, sig);
    while (waitpid(ch->pid, &status, 0) < 0) {
        ck_assert_int_eq(errno, EINTR);
    }
    while (drain(ch->out, ch->buf, sizeof(ch->buf), &ch->len)) {
    }
    while (drain(ch->err, ch->errbuf, sizeof(ch->errbuf), &elen)) {
    }
    close(ch->out);
    close(ch->err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
    sleep_ms(700); /* let it dial and subscribe */
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
    ck_assert_int_eq(count(ch.buf, " ADMITTED concert 9 user 12 token 9-22 admission 2 "), 1);
    ck_assert_int_eq(count(ch.buf, " ADMITTED "), 3);
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
    char events[sizeof(env.events_url[0]) + 16], tok[512], token_id[64], text[64];
    char *argv[] = {NULL, "--json", "watch", "--concert", "3", "--events-url", events, NULL};
    const char *want[] = {"\"kind\":\"ADMITTED\"", "\"userId\":108,", NULL};
    const char *line;

    snprintf(events, sizeof(events), "%s", env.events_url[0]);
    child_start(&ch, argv);
    sleep_ms(500); /* let it subscribe before the token exists */
    token_for(108, 3, tok, sizeof(tok));
    line = child_wait_for(&ch, 10000, want);
    int code = child_stop(&ch, SIGTERM);
    ck_assert_msg(line != NULL, "no ADMITTED line for user 108 in: %s", ch.buf);
    ck_assert_int_eq(code, 0);
    ck_assert_msg(line[0] == '{' && line[strlen(line) - 1] == '}', "not one object: %s", line);
    ck_assert_int_eq(json_num(line, "concertId"), 3);
    ck_assert_int_ge(json_num(line, "sequence"), 1);
    ck_assert_int_eq(json_num(line, "position"), 0);
    ck_assert_int_eq(json_str(line, "tokenId", token_id, sizeof(token_id)), 0);
    ck_assert_msg(strncmp(token_id, "3-", 2) == 0, "tokenId %s", token_id);
    ck_assert_int_eq(json_str(line, "admittedAt", text, sizeof(text)), 0);
    ck_assert_msg(text[strlen(text) - 1] == 'Z', "admittedAt %s", text);
    ck_assert_int_eq(json_str(line, "activeUntil", text, sizeof(text)), 0);

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
    sleep_ms(500);
    token_for(109, 3, tok, sizeof(tok));
    line = child_wait_for(&ch, 10000, want_text);
    code = child_stop(&ch, SIGINT);
    ck_assert_msg(line != NULL, "no ADMITTED line for user 109 in: %s", ch.buf);
    ck_assert_int_eq(code, 0);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");

    TCase *local = tcase_create("local");
    tcase_add_unchecked_fixture(local, find_cli, NULL);
    tcase_add_test(local, test_unknown_command);
    tcase_add_test(local, test_no_command);
    tcase_add_test(local, test_unknown_global_option);
    tcase_add_test(local, test_missing_option);
    tcase_add_test(local, test_missing_token_local);
    tcase_add_test(local, test_bad_values);
    tcase_add_test(local, test_help);
    tcase_add_test(local, test_unreachable);
    tcase_add_test(local, test_watch_local);
    tcase_add_test(local, test_watch_text_and_gaps);
    suite_add_tcase(s, local);

    TCase *svc = tcase_create("service");
    tcase_add_unchecked_fixture(svc, suite_setup, suite_teardown);
    tcase_set_timeout(svc, 120);
    tcase_add_test(svc, test_ping);
    tcase_add_test(svc, test_token_twice);
    tcase_add_test(svc, test_status);
    tcase_add_test(svc, test_concerts);
    tcase_add_test(svc, test_token_missing_service);
    tcase_add_test(svc, test_full_flow);
    tcase_add_test(svc, test_seat_taken);
    tcase_add_test(svc, test_release);
    tcase_add_test(svc, test_watch_json);
    tcase_add_test(svc, test_admin);
    suite_add_tcase(s, svc);
    return s;
}

int main(void)
{
    /* The children inherit the environment: nothing from the caller's shell may steer them. */
    unsetenv("BOXOFFICE_TOKEN");
    unsetenv("BOXOFFICE_ADMIN_KEY");
    unsetenv("BOXOFFICE_RPC_URL");
    unsetenv("BOXOFFICE_TIMEOUT_MS");
    unsetenv("BOXOFFICE_EVENTS_URL");
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
