/*
 * testenv: throwaway servers for integration suites.
 *
 * testenv_start creates a temporary folder, runs initdb there (as an
 * unprivileged user when the suite runs as root), starts postgres and
 * redis-server on free loopback ports, creates the database and applies
 * db/migrations and, if asked, db/seed.sql. testenv_stop stops everything it
 * started and removes the folder. Start it from an unchecked fixture (once
 * per suite, in the parent process) so forked tests share the servers.
 * testenv.c holds the servers and queries, testenv_service.c the service
 * instances, testenv_exe.c the suites of programs from the build tree.
 *
 * The suites find the source tree through BOXOFFICE_SOURCE_DIR and the build
 * tree through BOXOFFICE_BINARY_DIR (set by ctest, see bo_check_test).
 */
#ifndef TESTENV_H
#define TESTENV_H

#include "support_proc.h"

#include <check.h>
#include <stddef.h>
#include <stdint.h>

enum testenv_flags {
    TESTENV_SEED = 1 << 0, /* also load db/seed.sql (users 1..100000, demo concerts) */
    /* Redis keeps an append-only file, as in production (appendonly yes, fsync every second):
     * stopped in any way, even killed, it comes back with every write it acknowledged. */
    TESTENV_REDIS_DURABLE = 1 << 1,
};

#define TESTENV_MAX_INSTANCES 4

struct testenv {
    char dir[256]; /* temporary folder holding everything */
    int pg_port;
    char database_url[512]; /* postgresql://...@127.0.0.1:port/boxoffice */
    struct support_child pg;
    int redis_port;
    char redis_url[128]; /* redis://127.0.0.1:port */
    struct support_child redis;
    int ninstances; /* service instances started by testenv_service_start */
    struct support_child service[TESTENV_MAX_INSTANCES];
    char rpc_url[TESTENV_MAX_INSTANCES][128];
    char events_url[TESTENV_MAX_INSTANCES][128];
    char metrics_listen[TESTENV_MAX_INSTANCES][64]; /* host:port of GET /metrics */
    char rpc_urls[TESTENV_MAX_INSTANCES * 130];     /* all rpc urls, comma-separated */
    char admin_key[64];
    char token_secret[64];
    char jwt_secret[72]; /* HS256 key of operator identity tokens (--jwt-secret) */
    /* Set before testenv_service_start: the instances one call starts follow each other's
     * seat and ended-token events (--peer-events-urls with all their events addresses). */
    int peers;
    const char *const *extra_args; /* of testenv_service_start, borrowed: kept for restarts */
    struct support_spawn pg_as;    /* who runs postgres: kept for restarts */
    int flags;                     /* of testenv_start */
};

/* testenv_start starts PostgreSQL and Redis and migrates (see top). Returns 0 or -1 after
 * printing why to stderr; testenv_stop is safe after a failed start. */
int testenv_start(struct testenv *env, int flags);

/* testenv_stop stops every process started and removes the folder. */
void testenv_stop(struct testenv *env);

/* testenv_service_start starts n boxoffice-service instances from the build tree on free ports
 * against env's servers (instance i has the id "test-<i>", admission tick 20 ms, the given
 * extra "--flag=value" arguments, NULL terminated, may be NULL) and waits until each answers
 * Ping. Returns 0 or -1. */
int testenv_service_start(struct testenv *env, int n, const char *const *extra_args);

/* testenv_up starts PostgreSQL and Redis (testenv_start with flags) and then n service instances
 * (testenv_service_start with extra_args; none when n is 0), failing the test when one does not
 * start: the set-up of an unchecked fixture. */
void testenv_up(struct testenv *env, int flags, int n, const char *const *extra_args);

/* testenv_service_running tells whether instance i was started and still runs. */
int testenv_service_running(struct testenv *env, int i);

/* testenv_service_kill sends sig to instance i (e.g. SIGKILL) and reaps it. */
void testenv_service_kill(struct testenv *env, int i, int sig);

/* testenv_pg_restart stops PostgreSQL (fast shutdown: what was committed is kept) and starts it
 * again on the same data and port, waiting until it accepts connections. 0 or -1. */
int testenv_pg_restart(struct testenv *env);

/* testenv_redis_restart stops Redis and starts it again on the same port with its files
 * removed, so it comes back empty, as a Redis that lost its data. 0 or -1. */
int testenv_redis_restart(struct testenv *env);

/* testenv_redis_kill sends sig to Redis (SIGKILL: a crash) and reaps it: Redis stays away until
 * testenv_redis_start_again. */
void testenv_redis_kill(struct testenv *env, int sig);

/* testenv_redis_start_again starts Redis after testenv_redis_kill on the same port and folder
 * and waits until it answers PING: with TESTENV_REDIS_DURABLE it has read its append-only file
 * back by then (every write it acknowledged), without it comes back empty. 0 or -1. */
int testenv_redis_start_again(struct testenv *env);

/* testenv_service_pause stops instance i with SIGSTOP and waits until every thread of it has
 * stopped (paused nonzero), or lets it go on with SIGCONT (paused 0). 0, or -1 when i is not
 * running. A paused instance is not reaped: testenv_stop's SIGKILL ends it after its grace. */
int testenv_service_pause(struct testenv *env, int i, int paused);

/* testenv_service_restart starts instance i again, after testenv_service_kill, on the same
 * addresses and with the same arguments (extra_args of testenv_service_start must still be
 * alive). It does not wait: once this process has used NNG, testenv's readiness ping (a forked
 * child) cannot run, so the caller waits with its own client. Returns 0 or -1. */
int testenv_service_restart(struct testenv *env, int i);

/* testenv_jwt writes into out an operator identity token (HS256 JWT under env->jwt_secret,
 * {"sub":"<user_id>","exp":exp_unix}; exp_unix 0: an hour from now). 0 or -1. */
int testenv_jwt(const struct testenv *env, uint64_t user_id, int64_t exp_unix, char *out,
                size_t outlen);

/* testenv_limits_off turns every rate limit off in env's Redis (the suites test the limits by
 * setting them; testenv_service_start calls this). 0 or -1. */
int testenv_limits_off(const struct testenv *env);

/* testenv_free_port returns a loopback TCP port that was free a moment ago. */
int testenv_free_port(void);

/* testenv_psql_value runs one SQL query returning one value (as text) into out; 0 or -1. */
int testenv_psql_value(const struct testenv *env, const char *sql, char *out, size_t outlen);

/* testenv_sql_i64 runs a one-value query (printf format) and returns the value as an integer;
 * fails the test, naming the query, when it fails. */
int64_t testenv_sql_i64(const struct testenv *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* testenv_redis_command runs one command (argv, NULL-terminated) on a fresh connection, after
 * AUTH password when password is not NULL, for what the cache module has no call for; writes
 * the reply's hiredis type (REDIS_REPLY_*) to *type. Returns 0, or -1 when there was no reply. */
int testenv_redis_command(const struct testenv *env, const char *password, const char *const *argv,
                          int *type);

/* testenv_redis_text runs one command (argv, NULL-terminated) on a fresh connection and writes
 * its reply into out as text: a string, status or integer as it is, nil as "", an array as its
 * elements' texts one per line. Returns 0, or -1 when there was no reply, the reply was an
 * error, or out was too small. */
int testenv_redis_text(const struct testenv *env, const char *const *argv, char *out,
                       size_t outlen);

/* testenv_redis_flush empties Redis (FLUSHALL) between tests; 0 or -1. */
int testenv_redis_flush(const struct testenv *env);

/* A suite of a program from the build tree (the CLI, the bench) that its tests run as a child:
 * what testenv_exe_main runs. */
struct testenv_exe_suite {
    const char *name;            /* the suite's */
    const char *rel;             /* the program, e.g. "clients/boxoffice-cli" */
    char *path;                  /* its path is written here before the first test */
    size_t path_size;            /* of path */
    struct testenv *env;         /* the stack of "service": demo seed, one service instance */
    const TTest *const *local;   /* tests that need no servers, NULL-terminated */
    const TTest *const *service; /* tests against env, NULL-terminated */
    int service_timeout_s;       /* per "service" test; 0 keeps Check's default */
};

/* testenv_exe_main runs suite (borrowed until it returns) as case "local" (the program found,
 * no servers) and case "service" (env started for the case and stopped after it), after
 * scrubbing the environment (support_env_scrub) and ignoring SIGPIPE, which the program
 * inherits; returns the suite's exit code. */
int testenv_exe_main(const struct testenv_exe_suite *suite);

#endif
