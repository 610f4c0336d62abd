/*
 * testenv: throwaway servers for integration suites.
 *
 * testenv_start creates a temporary folder, runs initdb there (as an
 * unprivileged user when the suite runs as root), starts postgres and
 * redis-server on free loopback ports, creates the database and applies
 * db/migrations and, if asked, db/seed.sql. testenv_stop stops everything it
 * started and removes the folder. Start it from an unchecked fixture (once
 * per suite, in the parent process) so forked tests share the servers.
 *
 * The suites find the source tree through BOXOFFICE_SOURCE_DIR and the build
 * tree through BOXOFFICE_BINARY_DIR (set by ctest, see bo_check_test).
 */
#ifndef TESTENV_H
#define TESTENV_H

#include <stddef.h>
#include <sys/types.h>

enum testenv_flags {
    TESTENV_SEED = 1 << 0, /* also load db/seed.sql (users 1..100000, demo concerts) */
};

#define TESTENV_MAX_INSTANCES 4

struct testenv {
    char dir[256]; /* temporary folder holding everything */
    int pg_port;
    char database_url[512]; /* postgresql://...@127.0.0.1:port/boxoffice */
    pid_t pg_pid;           /* 0 when not running */
    int redis_port;
    char redis_url[128]; /* redis://127.0.0.1:port */
    pid_t redis_pid;
    int ninstances; /* service instances started by testenv_service_start */
    pid_t service_pid[TESTENV_MAX_INSTANCES];
    char rpc_url[TESTENV_MAX_INSTANCES][128];
    char events_url[TESTENV_MAX_INSTANCES][128];
    char metrics_listen[TESTENV_MAX_INSTANCES][64]; /* host:port of GET /metrics */
    char rpc_urls[TESTENV_MAX_INSTANCES * 130];     /* all rpc urls, comma-separated */
    char admin_key[64];
    char token_secret[64];
};

/* testenv_start starts PostgreSQL and Redis and migrates (see top). Returns 0 or -1 after
 * printing why to stderr; testenv_stop is safe after a failed start. */
int testenv_start(struct testenv *env, int flags);

/* testenv_stop stops every process started and removes the folder. */
void testenv_stop(struct testenv *env);

/* testenv_service_start starts n boxoffice-service instances from the build tree on free ports
 * against env's servers (admission tick 20 ms, the given extra "--flag=value" arguments, NULL
 * terminated, may be NULL) and waits until each answers Ping. Returns 0 or -1. */
int testenv_service_start(struct testenv *env, int n, const char *const *extra_args);

/* testenv_service_kill sends sig to instance i (e.g. SIGKILL) and reaps it. */
void testenv_service_kill(struct testenv *env, int i, int sig);

/* testenv_free_port returns a loopback TCP port that was free a moment ago. */
int testenv_free_port(void);

/* testenv_psql_value runs one SQL query returning one value (as text) into out; 0 or -1. */
int testenv_psql_value(const struct testenv *env, const char *sql, char *out, size_t outlen);

/* testenv_redis_flush empties Redis (FLUSHALL) between tests. */
int testenv_redis_flush(const struct testenv *env);

#endif
