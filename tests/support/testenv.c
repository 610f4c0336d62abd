/*
 * testenv: throwaway PostgreSQL and Redis for integration suites, and the queries the suites
 * make of them (see testenv.h).
 *
 * Every server is a support_proc child: its pid is kept here, and it gets a signal when the
 * suite dies, so a suite that crashes half-way does not leave servers running. When the suite
 * runs as root, initdb and postgres run as an unprivileged user, since postgres refuses to run
 * as root. Redis is spoken to through hiredis.
 */
#define _XOPEN_SOURCE 700

#include "testenv.h"
#include "testenv_private.h"

#include "bo_error.h"
#include "store.h"
#include "support.h"

#include <check.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define TESTENV_PG_WAIT_MS    20000
#define TESTENV_REDIS_WAIT_MS 10000
#define TESTENV_REDIS_IO_S    5 /* connect and reply timeout of one Redis command */

void testenv_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("testenv: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void testenv_stop_child(struct support_child *c, int sig)
{
    support_child_stop(c, sig, TESTENV_STOP_WAIT_MS);
    memset(c, 0, sizeof(*c));
}

/* free_port_try tells whether port is free on the loopback address now (binds and lets go). */
static int free_port_try(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    int ok;

    if (fd < 0) {
        return 0;
    }
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/*
 * Ports are picked below the kernel's ephemeral range, never by binding port 0: a port of that
 * range stays free only until the next outgoing connection of any process takes it, and the
 * suites open many (1,500 slow clients at once in test_bridge), so a server started a moment
 * later could find its port taken. Below the range only listeners take ports.
 */
int testenv_free_port(void)
{
    static atomic_uint seq;
    unsigned lo = 32768, hi = 60999, first = 10000;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

    if (f != NULL) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2) {
            lo = 32768;
        }
        fclose(f);
    }
    if (lo > first + 1000) {
        unsigned span = lo - first;
        unsigned x = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^
                     (atomic_fetch_add(&seq, 1) * 40503u);
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = (int)(first + (x + (unsigned)attempt * 7919u) % span);
            if (free_port_try(port)) {
                return port;
            }
        }
    }
    /* No room below the ephemeral range: any free port. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        port = ntohs(a.sin_port);
    }
    close(fd);
    return port;
}

/* find_exe locates name on PATH; writes the path into out. */
static int find_exe(const char *name, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(buf, ":", &save); d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(out, outlen, "%s/%s", d, name);
        if (access(out, X_OK) == 0) {
            return 0;
        }
    }
    return -1;
}

/* A server being started and the check that tells it is up: for support_wait_until. */
struct server_wait {
    struct support_child *child;
    int (*up)(const void *arg);
    const void *arg;
};

/* server_up holds once the server answers or has exited. */
static int server_up(void *arg)
{
    struct server_wait *w = arg;
    return !support_child_alive(w->child) || w->up(w->arg) == 0;
}

/*
 * server_wait waits up to timeout_ms until the server in child answers up(arg) == 0: 0 when it
 * does, 1 when it exited first (its port may have been taken: worth another try), -1 when time
 * ran out.
 */
static int server_wait(struct support_child *child, int (*up)(const void *), const void *arg,
                       long timeout_ms)
{
    struct server_wait w = {child, up, arg};
    if (support_wait_until(server_up, &w, timeout_ms) != 0) {
        return -1;
    }
    return support_child_alive(child) ? 0 : 1;
}

/* ---- PostgreSQL ----------------------------------------------------------- */

/* pg_bindir finds the directory of initdb and postgres. */
static int pg_bindir(char *out, size_t outlen)
{
    char line[512] = "";
    char *argv[] = {"pg_config", "--bindir", NULL};
    struct support_spawn how = {.quiet = 1, .out = line, .out_size = sizeof(line)};
    how.search_path = 1;
    if (support_run(argv, &how, 10000) == 0) {
        line[strcspn(line, "\r\n")] = '\0';
        char probe[600];
        snprintf(probe, sizeof(probe), "%s/initdb", line);
        if (line[0] != '\0' && access(probe, X_OK) == 0) {
            snprintf(out, outlen, "%s", line);
            return 0;
        }
    }
    static const char *const guesses[] = {
        "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin",
        "/usr/lib/postgresql/14/bin", "/usr/lib/postgresql/13/bin", "/usr/local/pgsql/bin"};
    for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
        char probe[600];
        snprintf(probe, sizeof(probe), "%s/initdb", guesses[i]);
        if (access(probe, X_OK) == 0) {
            snprintf(out, outlen, "%s", guesses[i]);
            return 0;
        }
    }
    return -1;
}

/* pg_user picks who runs postgres (into how): nobody needs changing unless we are root. */
static int pg_user(struct support_spawn *how)
{
    if (geteuid() != 0) {
        return 0;
    }
    const char *names[4] = {getenv("BOXOFFICE_TEST_PG_USER"), "boxoffice", "postgres", "nobody"};
    for (size_t i = 0; i < 4; i++) {
        if (names[i] == NULL || names[i][0] == '\0') {
            continue;
        }
        struct passwd *pw = getpwnam(names[i]);
        if (pw != NULL && pw->pw_uid != 0) {
            how->as_user = 1;
            how->uid = pw->pw_uid;
            how->gid = pw->pw_gid;
            return 0;
        }
    }
    testenv_say("running as root and no unprivileged user found for postgres");
    return -1;
}

static void pg_conninfo(const struct testenv *env, const char *db, char *out, size_t outlen)
{
    snprintf(out, outlen, "host=127.0.0.1 port=%d user=boxoffice dbname=%s connect_timeout=5",
             env->pg_port, db);
}

/* pg_ping is the "up" check of postgres: 0 when it accepts connections at conninfo. */
static int pg_ping(const void *conninfo)
{
    return PQping(conninfo) == PQPING_OK ? 0 : -1;
}

/* pg_spawn starts postgres (the binary) on datadir and env->pg_port as how says and waits until
 * it accepts connections: 0, 1 when it exited (the port taken, say), -1 when it never answered
 * or could not be started. */
static int pg_spawn(struct testenv *env, struct support_spawn *how, const char *postgres,
                    const char *datadir)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", env->pg_port);
    char *pg_argv[] = {(char *)postgres,
                       "-D",
                       (char *)datadir,
                       "-p",
                       port,
                       "-k",
                       env->dir,
                       "-c",
                       "listen_addresses=127.0.0.1",
                       "-c",
                       "fsync=off",
                       "-c",
                       "synchronous_commit=off",
                       "-c",
                       "full_page_writes=off",
                       "-c",
                       "max_connections=200",
                       "-c",
                       "shared_buffers=32MB",
                       NULL};
    /* SIGQUIT: immediate shutdown, which does not wait for clients to leave. */
    how->deathsig = SIGQUIT;
    if (support_spawn(pg_argv, how, &env->pg) != 0) {
        return -1;
    }
    char conninfo[256];
    pg_conninfo(env, "postgres", conninfo, sizeof(conninfo));
    return server_wait(&env->pg, pg_ping, conninfo, TESTENV_PG_WAIT_MS);
}

int testenv_pg_restart(struct testenv *env)
{
    char bindir[512], postgres[600], datadir[300], log[300];
    struct support_spawn how = env->pg_as;

    if (pg_bindir(bindir, sizeof(bindir)) != 0) {
        return -1;
    }
    snprintf(postgres, sizeof(postgres), "%s/postgres", bindir);
    snprintf(datadir, sizeof(datadir), "%s/pg", env->dir);
    snprintf(log, sizeof(log), "%s/postgres.log", env->dir);
    how.log = log;
    /* SIGINT: fast shutdown, every commit written out (the suites run without fsync and with
     * asynchronous commits, which an immediate shutdown could lose). */
    testenv_stop_child(&env->pg, SIGINT);
    return pg_spawn(env, &how, postgres, datadir) == 0 ? 0 : -1;
}

static int pg_start(struct testenv *env, const struct support_spawn *as)
{
    char bindir[512], initdb[600], postgres[600], datadir[300], log[300];
    if (pg_bindir(bindir, sizeof(bindir)) != 0) {
        testenv_say(
            "PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql)");
        return -1;
    }
    snprintf(initdb, sizeof(initdb), "%s/initdb", bindir);
    snprintf(postgres, sizeof(postgres), "%s/postgres", bindir);
    snprintf(datadir, sizeof(datadir), "%s/pg", env->dir);
    snprintf(log, sizeof(log), "%s/postgres.log", env->dir);

    struct support_spawn how = *as;
    how.log = log;
    char *init_argv[] = {initdb,      "-D",        datadir, "-A",   "trust",      "-U",
                         "boxoffice", "--no-sync", "-E",    "UTF8", "--locale=C", NULL};
    int st = support_run(init_argv, &how, -1);
    if (st != 0) {
        testenv_say("initdb failed (status %d), see %s", st, log);
        return -1;
    }

    /* A port can be taken between probing and binding: try a few. */
    for (int attempt = 0; attempt < 3; attempt++) {
        env->pg_port = testenv_free_port();
        int up = pg_spawn(env, &how, postgres, datadir);
        if (up == 0) {
            env->pg_as = *as;
            return 0;
        }
        if (up < 0) {
            testenv_say("postgres did not accept connections within %d ms, see %s",
                        TESTENV_PG_WAIT_MS, log);
            return -1;
        }
        testenv_say("postgres exited during start (port %d), retrying", env->pg_port);
    }
    testenv_say("postgres would not start, see %s", log);
    return -1;
}

static int pg_create_database(struct testenv *env)
{
    char conninfo[256];
    pg_conninfo(env, "postgres", conninfo, sizeof(conninfo));
    PGconn *c = PQconnectdb(conninfo);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        testenv_say("connect: %s", PQerrorMessage(c));
        goto done;
    }
    PGresult *res = PQexec(c, "CREATE DATABASE boxoffice");
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        rc = 0;
    } else {
        testenv_say("CREATE DATABASE: %s", PQresultErrorMessage(res));
    }
    PQclear(res);
done:
    PQfinish(c);
    snprintf(env->database_url, sizeof(env->database_url),
             "postgresql://boxoffice@127.0.0.1:%d/boxoffice", env->pg_port);
    return rc;
}

static int pg_migrate(struct testenv *env, int flags)
{
    struct store *s = NULL;
    char path[1024];
    int applied = 0;
    int rc = store_open(env->database_url, &s);
    if (rc != BO_OK) {
        testenv_say("store_open: %s", bo_error_name(rc));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/db/migrations", support_source_dir());
    if ((rc = store_migrate(s, path, &applied)) != BO_OK) {
        testenv_say("store_migrate %s: %s", path, bo_error_name(rc));
        goto done;
    }
    if (applied == 0) {
        testenv_say("no migrations found in %s", path);
        rc = BO_E_NOT_FOUND;
        goto done;
    }
    if (flags & TESTENV_SEED) {
        snprintf(path, sizeof(path), "%s/db/seed.sql", support_source_dir());
        if ((rc = store_exec_file(s, path)) != BO_OK) {
            testenv_say("seed %s: %s", path, bo_error_name(rc));
            goto done;
        }
    }
done:
    store_close(s);
    return rc == BO_OK ? 0 : -1;
}

/* ---- Redis ------------------------------------------------------------------ */

/* redis_reply_text writes r into out from offset len on, as testenv_redis_text says; returns
 * the length of the text in out, or -1 for an error reply or when out is too small. */
static int redis_reply_text(const redisReply *r, char *out, size_t outlen, size_t len)
{
    int n;

    if (len >= outlen) {
        return -1;
    }
    if (r->type == REDIS_REPLY_ARRAY) {
        out[len] = '\0';
        for (size_t i = 0; i < r->elements; i++) {
            if (i > 0) {
                if (len + 1 >= outlen) {
                    return -1;
                }
                out[len++] = '\n';
                out[len] = '\0';
            }
            n = redis_reply_text(r->element[i], out, outlen, len);
            if (n < 0) {
                return -1;
            }
            len = (size_t)n;
        }
        return (int)len;
    }
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
        n = snprintf(out + len, outlen - len, "%.*s", (int)r->len, r->str);
    } else if (r->type == REDIS_REPLY_INTEGER) {
        n = snprintf(out + len, outlen - len, "%lld", r->integer);
    } else if (r->type == REDIS_REPLY_NIL) {
        n = snprintf(out + len, outlen - len, "%s", "");
    } else {
        return -1;
    }
    return n < 0 || (size_t)n >= outlen - len ? -1 : (int)(len + (size_t)n);
}

/* redis_argv runs argv (NULL-terminated) on a fresh connection to port, after AUTH password
 * when not NULL; writes the reply's type, and its text (redis_reply_text) into text when not
 * NULL. Returns 0, or -1 when there was no reply or its text did not fit. */
static int redis_argv(int port, const char *password, const char *const *argv, int *type,
                      char *text, size_t textlen)
{
    struct timeval tv = {TESTENV_REDIS_IO_S, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    redisReply *r = NULL;
    int argc = 0, rc = -1;

    if (c == NULL || c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK) {
        goto done;
    }
    if (password != NULL) {
        const char *auth[] = {"AUTH", password};
        r = redisCommandArgv(c, 2, auth, NULL);
        if (r == NULL) {
            goto done;
        }
        freeReplyObject(r);
    }
    while (argv[argc] != NULL) {
        argc++;
    }
    r = redisCommandArgv(c, argc, (const char **)argv, NULL);
    if (r == NULL) {
        goto done;
    }
    *type = r->type;
    rc = 0;
    if (text != NULL && redis_reply_text(r, text, textlen, 0) < 0) {
        text[0] = '\0';
        rc = r->type == REDIS_REPLY_ERROR ? 0 : -1; /* an error has no text; others did not fit */
    }
    freeReplyObject(r);
done:
    if (c != NULL) {
        redisFree(c);
    }
    return rc;
}

/* redis_expect runs argv and tells whether the reply is the status want: 0 or -1. */
static int redis_expect(int port, const char *const *argv, const char *want)
{
    char status[64];
    int type;
    if (redis_argv(port, NULL, argv, &type, status, sizeof(status)) != 0) {
        return -1;
    }
    return type == REDIS_REPLY_STATUS && strcmp(status, want) == 0 ? 0 : -1;
}

/* redis_ping is the "up" check of redis-server: 0 when it answers PING on *port (not while it
 * loads its data: that answers an error). */
static int redis_ping(const void *port)
{
    static const char *const ping[] = {"PING", NULL};
    return redis_expect(*(const int *)port, ping, "PONG");
}

/* redis_spawn starts redis-server on env->redis_port in env->dir, with an append-only file when
 * env->flags has TESTENV_REDIS_DURABLE and without persistence otherwise, and waits for PING:
 * 0, 1 when it exited (the port taken, say), -1 otherwise. */
static int redis_spawn(struct testenv *env)
{
    char exe[600], log[300], port[16];
    struct support_spawn how = {.log = log, .deathsig = SIGTERM};
    const char *aof = env->flags & TESTENV_REDIS_DURABLE ? "yes" : "no";

    if (find_exe("redis-server", exe, sizeof(exe)) != 0) {
        testenv_say("redis-server not found on PATH");
        return -1;
    }
    snprintf(log, sizeof(log), "%s/redis.log", env->dir);
    snprintf(port, sizeof(port), "%d", env->redis_port);
    char *argv[] = {exe,        "--port", port,     "--bind",       "127.0.0.1", "--save",
                    "",         "--dir",  env->dir, "--appendonly", (char *)aof, "--appendfsync",
                    "everysec", NULL};
    if (support_spawn(argv, &how, &env->redis) != 0) {
        return -1;
    }
    return server_wait(&env->redis, redis_ping, &env->redis_port, TESTENV_REDIS_WAIT_MS);
}

void testenv_redis_kill(struct testenv *env, int sig)
{
    testenv_stop_child(&env->redis, sig);
}

int testenv_redis_start_again(struct testenv *env)
{
    return redis_spawn(env) == 0 ? 0 : -1;
}

/* remove_entry is nftw's callback: it removes path. */
static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* redis_files_remove deletes what Redis keeps in env->dir (its append-only files of Redis 7 and
 * before, and a snapshot), so the next start finds nothing. */
static void redis_files_remove(const struct testenv *env)
{
    static const char *const names[] = {"appendonlydir", "appendonly.aof", "dump.rdb"};
    char path[400];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", env->dir, names[i]);
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

int testenv_redis_restart(struct testenv *env)
{
    testenv_redis_kill(env, SIGTERM);
    redis_files_remove(env);
    return testenv_redis_start_again(env);
}

static int redis_start(struct testenv *env)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        env->redis_port = testenv_free_port();
        int up = redis_spawn(env);
        if (up == 0) {
            snprintf(env->redis_url, sizeof(env->redis_url), "redis://127.0.0.1:%d",
                     env->redis_port);
            return 0;
        }
        if (up < 0) {
            testenv_say("redis-server did not answer PING, see %s/redis.log", env->dir);
            return -1;
        }
        testenv_say("redis-server exited during start (port %d), retrying", env->redis_port);
    }
    return -1;
}

int testenv_redis_command(const struct testenv *env, const char *password, const char *const *argv,
                          int *type)
{
    return redis_argv(env->redis_port, password, argv, type, NULL, 0);
}

int testenv_redis_text(const struct testenv *env, const char *const *argv, char *out, size_t outlen)
{
    int type;

    return redis_argv(env->redis_port, NULL, argv, &type, out, outlen) == 0 &&
                   type != REDIS_REPLY_ERROR
               ? 0
               : -1;
}

int testenv_redis_flush(const struct testenv *env)
{
    static const char *const flushall[] = {"FLUSHALL", NULL};
    return redis_expect(env->redis_port, flushall, "OK");
}

/* ---- start and stop ------------------------------------------------------- */

int testenv_start(struct testenv *env, int flags)
{
    struct support_spawn as = {0};
    memset(env, 0, sizeof(*env));
    env->flags = flags;
    snprintf(env->dir, sizeof(env->dir), "/tmp/boxoffice-test-XXXXXX");
    if (mkdtemp(env->dir) == NULL) {
        testenv_say("mkdtemp: %s", strerror(errno));
        env->dir[0] = '\0';
        return -1;
    }
    if (pg_user(&as) != 0) {
        return -1;
    }
    if (as.as_user && chown(env->dir, as.uid, as.gid) != 0) {
        testenv_say("chown %s: %s", env->dir, strerror(errno));
        return -1;
    }
    if (pg_start(env, &as) != 0 || pg_create_database(env) != 0 || pg_migrate(env, flags) != 0) {
        return -1;
    }
    if (redis_start(env) != 0) {
        return -1;
    }
    return 0;
}

void testenv_stop(struct testenv *env)
{
    if (env == NULL) {
        return;
    }
    for (int i = 0; i < TESTENV_MAX_INSTANCES; i++) {
        testenv_stop_child(&env->service[i], SIGTERM);
    }
    env->ninstances = 0;
    testenv_stop_child(&env->redis, SIGTERM);
    /* Immediate shutdown: the data is thrown away anyway. */
    testenv_stop_child(&env->pg, SIGQUIT);
    if (env->dir[0] != '\0' && getenv("BOXOFFICE_TEST_KEEP") == NULL) {
        nftw(env->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        env->dir[0] = '\0';
    }
}

/* ---- queries -------------------------------------------------------------- */

int testenv_psql_value(const struct testenv *env, const char *sql, char *out, size_t outlen)
{
    PGconn *c = PQconnectdb(env->database_url);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        testenv_say("connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) >= 1 && PQnfields(res) >= 1) {
        snprintf(out, outlen, "%s", PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
        rc = 0;
    } else {
        testenv_say("query \"%s\": %s", sql, PQresultErrorMessage(res));
    }
    PQclear(res);
    PQfinish(c);
    return rc;
}

int64_t testenv_sql_i64(const struct testenv *env, const char *fmt, ...)
{
    char sql[2048], out[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    ck_assert_msg(testenv_psql_value(env, sql, out, sizeof(out)) == 0, "query failed: %s", sql);
    return strtoll(out, NULL, 10);
}
