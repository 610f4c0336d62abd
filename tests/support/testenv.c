/*
 * testenv: throwaway PostgreSQL, Redis and service processes for integration suites
 * (see testenv.h).
 *
 * Every child is started with fork + exec, keeps its pid here, and gets
 * PR_SET_PDEATHSIG so a suite that crashes half-way does not leave servers
 * running. When the suite runs as root, initdb and postgres run as an
 * unprivileged user, since postgres refuses to run as root.
 */
#define _XOPEN_SOURCE 700

#include "testenv.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "store.h"

#include <libpq-fe.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TESTENV_PG_WAIT_MS      20000
#define TESTENV_REDIS_WAIT_MS   10000
#define TESTENV_SERVICE_WAIT_MS 15000
#define TESTENV_STOP_WAIT_MS    10000

/* Where the suites find the trees when ctest did not say (running a suite by hand). */
#ifndef TESTENV_DEFAULT_SOURCE_DIR
#define TESTENV_DEFAULT_SOURCE_DIR "."
#endif
#ifndef TESTENV_DEFAULT_BINARY_DIR
#define TESTENV_DEFAULT_BINARY_DIR "."
#endif

struct run_as {
    int set; /* drop privileges in the child */
    uid_t uid;
    gid_t gid;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("testenv: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *source_dir(void)
{
    const char *d = getenv("BOXOFFICE_SOURCE_DIR");
    return d != NULL && d[0] != '\0' ? d : TESTENV_DEFAULT_SOURCE_DIR;
}

static const char *binary_dir(void)
{
    const char *d = getenv("BOXOFFICE_BINARY_DIR");
    return d != NULL && d[0] != '\0' ? d : TESTENV_DEFAULT_BINARY_DIR;
}

int testenv_free_port(void)
{
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

/* ---- processes ------------------------------------------------------------ */

/*
 * spawn starts argv[0] (a path) with stdout and stderr appended to logpath, as the user in
 * as when set; it receives deathsig when this process dies. Returns the pid or -1.
 */
static pid_t spawn(char *const argv[], const char *logpath, const struct run_as *as, int deathsig)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        say("fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        return pid;
    }
    /* child: only async-signal-safe calls until exec */
    int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        close(devnull);
    }
    setpgid(0, 0);
    if (as != NULL && as->set) {
        if (setgroups(0, NULL) != 0 || setgid(as->gid) != 0 || setuid(as->uid) != 0) {
            _exit(126);
        }
    }
    /* After the credential change, which clears the death signal. */
    prctl(PR_SET_PDEATHSIG, deathsig);
    if (getppid() != parent) {
        _exit(125);
    }
    execv(argv[0], argv);
    _exit(127);
}

/* run_wait runs argv to completion; returns its exit status or -1. */
static int run_wait(char *const argv[], const char *logpath, const struct run_as *as)
{
    pid_t pid = spawn(argv, logpath, as, SIGKILL);
    if (pid < 0) {
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* alive tells whether pid still runs; reaps it (and clears *pid) if it ended. */
static int alive(pid_t *pid)
{
    if (*pid <= 0) {
        return 0;
    }
    int status;
    pid_t r = waitpid(*pid, &status, WNOHANG);
    if (r == *pid || (r < 0 && errno == ECHILD)) {
        *pid = 0;
        return 0;
    }
    return 1;
}

/* stop_child sends sig, waits, and kills the process group after a timeout. */
static void stop_child(pid_t *pid, int sig)
{
    if (*pid <= 0) {
        return;
    }
    kill(*pid, sig);
    long long deadline = mono_ms() + TESTENV_STOP_WAIT_MS;
    while (alive(pid)) {
        if (mono_ms() > deadline) {
            kill(-*pid, SIGKILL);
            kill(*pid, SIGKILL);
            waitpid(*pid, NULL, 0);
            *pid = 0;
            break;
        }
        sleep_ms(10);
    }
}

/* find_exe locates name in bindir or on PATH; writes the path into out. */
static int find_exe(const char *bindir, const char *name, char *out, size_t outlen)
{
    if (bindir != NULL) {
        snprintf(out, outlen, "%s/%s", bindir, name);
        if (access(out, X_OK) == 0) {
            return 0;
        }
    }
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

/* pg_bindir finds the directory of initdb and postgres. */
static int pg_bindir(char *out, size_t outlen)
{
    FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
    if (p != NULL) {
        char line[512] = "";
        if (fgets(line, sizeof(line), p) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
        }
        pclose(p);
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

/* pg_user picks who runs postgres: nobody needs changing unless we are root. */
static int pg_user(struct run_as *as)
{
    memset(as, 0, sizeof(*as));
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
            as->set = 1;
            as->uid = pw->pw_uid;
            as->gid = pw->pw_gid;
            return 0;
        }
    }
    say("running as root and no unprivileged user found for postgres");
    return -1;
}

/* ---- PostgreSQL ----------------------------------------------------------- */

static void pg_conninfo(const struct testenv *env, const char *db, char *out, size_t outlen)
{
    snprintf(out, outlen, "host=127.0.0.1 port=%d user=boxoffice dbname=%s connect_timeout=5",
             env->pg_port, db);
}

static int pg_start(struct testenv *env, const struct run_as *as)
{
    char bindir[512], initdb[600], postgres[600], datadir[300], log[300];
    if (pg_bindir(bindir, sizeof(bindir)) != 0) {
        say("PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql)");
        return -1;
    }
    snprintf(initdb, sizeof(initdb), "%s/initdb", bindir);
    snprintf(postgres, sizeof(postgres), "%s/postgres", bindir);
    snprintf(datadir, sizeof(datadir), "%s/pg", env->dir);
    snprintf(log, sizeof(log), "%s/postgres.log", env->dir);

    char *init_argv[] = {initdb,      "-D",        datadir, "-A",   "trust",      "-U",
                         "boxoffice", "--no-sync", "-E",    "UTF8", "--locale=C", NULL};
    int st = run_wait(init_argv, log, as);
    if (st != 0) {
        say("initdb failed (status %d), see %s", st, log);
        return -1;
    }

    /* A port can be taken between probing and binding: try a few. */
    for (int attempt = 0; attempt < 3; attempt++) {
        env->pg_port = testenv_free_port();
        char port[16];
        snprintf(port, sizeof(port), "%d", env->pg_port);
        char *pg_argv[] = {postgres,
                           "-D",
                           datadir,
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
        env->pg_pid = spawn(pg_argv, log, as, SIGQUIT);
        if (env->pg_pid < 0) {
            env->pg_pid = 0;
            return -1;
        }
        char conninfo[256];
        pg_conninfo(env, "postgres", conninfo, sizeof(conninfo));
        long long deadline = mono_ms() + TESTENV_PG_WAIT_MS;
        while (alive(&env->pg_pid) && mono_ms() < deadline) {
            if (PQping(conninfo) == PQPING_OK) {
                return 0;
            }
            sleep_ms(50);
        }
        if (env->pg_pid != 0) {
            say("postgres did not accept connections within %d ms, see %s", TESTENV_PG_WAIT_MS,
                log);
            return -1;
        }
        say("postgres exited during start (port %d), retrying", env->pg_port);
    }
    say("postgres would not start, see %s", log);
    return -1;
}

static int pg_create_database(struct testenv *env)
{
    char conninfo[256];
    pg_conninfo(env, "postgres", conninfo, sizeof(conninfo));
    PGconn *c = PQconnectdb(conninfo);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        say("connect: %s", PQerrorMessage(c));
        goto done;
    }
    PGresult *res = PQexec(c, "CREATE DATABASE boxoffice");
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        rc = 0;
    } else {
        say("CREATE DATABASE: %s", PQresultErrorMessage(res));
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
        say("store_open: %s", bo_error_name(rc));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/db/migrations", source_dir());
    if ((rc = store_migrate(s, path, &applied)) != BO_OK) {
        say("store_migrate %s: %s", path, bo_error_name(rc));
        goto done;
    }
    if (applied == 0) {
        say("no migrations found in %s", path);
        rc = BO_E_NOT_FOUND;
        goto done;
    }
    if (flags & TESTENV_SEED) {
        snprintf(path, sizeof(path), "%s/db/seed.sql", source_dir());
        if ((rc = store_exec_file(s, path)) != BO_OK) {
            say("seed %s: %s", path, bo_error_name(rc));
            goto done;
        }
    }
done:
    store_close(s);
    return rc == BO_OK ? 0 : -1;
}

/* ---- Redis ------------------------------------------------------------------ */

/* redis_command sends one inline command and checks the reply starts with want. */
static int redis_command(int port, const char *cmd, const char *want)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int rc = -1;
    char buf[256];
    size_t len = strlen(cmd);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, cmd, len) == (ssize_t)len) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[n] = '\0';
            rc = strncmp(buf, want, strlen(want)) == 0 ? 0 : -1;
        }
    }
    close(fd);
    return rc;
}

static int redis_start(struct testenv *env)
{
    char exe[600], log[300];
    if (find_exe(NULL, "redis-server", exe, sizeof(exe)) != 0) {
        say("redis-server not found on PATH");
        return -1;
    }
    snprintf(log, sizeof(log), "%s/redis.log", env->dir);
    for (int attempt = 0; attempt < 3; attempt++) {
        env->redis_port = testenv_free_port();
        char port[16];
        snprintf(port, sizeof(port), "%d", env->redis_port);
        char *argv[] = {exe, "--port",       port, "--bind", "127.0.0.1", "--save",
                        "",  "--appendonly", "no", "--dir",  env->dir,    NULL};
        env->redis_pid = spawn(argv, log, NULL, SIGTERM);
        if (env->redis_pid < 0) {
            env->redis_pid = 0;
            return -1;
        }
        long long deadline = mono_ms() + TESTENV_REDIS_WAIT_MS;
        while (alive(&env->redis_pid) && mono_ms() < deadline) {
            if (redis_command(env->redis_port, "PING\r\n", "+PONG") == 0) {
                snprintf(env->redis_url, sizeof(env->redis_url), "redis://127.0.0.1:%d",
                         env->redis_port);
                return 0;
            }
            sleep_ms(20);
        }
        if (env->redis_pid != 0) {
            say("redis-server did not answer PING, see %s", log);
            return -1;
        }
        say("redis-server exited during start (port %d), retrying", env->redis_port);
    }
    return -1;
}

int testenv_redis_flush(const struct testenv *env)
{
    return redis_command(env->redis_port, "FLUSHALL\r\n", "+OK");
}

/* ---- start and stop ------------------------------------------------------- */

int testenv_start(struct testenv *env, int flags)
{
    struct run_as as;
    memset(env, 0, sizeof(*env));
    /* Children must not inherit (and print again) what stdio still buffers. */
    fflush(NULL);
    snprintf(env->dir, sizeof(env->dir), "/tmp/boxoffice-test-XXXXXX");
    if (mkdtemp(env->dir) == NULL) {
        say("mkdtemp: %s", strerror(errno));
        env->dir[0] = '\0';
        return -1;
    }
    if (pg_user(&as) != 0) {
        return -1;
    }
    if (as.set && chown(env->dir, as.uid, as.gid) != 0) {
        say("chown %s: %s", env->dir, strerror(errno));
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

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void testenv_stop(struct testenv *env)
{
    if (env == NULL) {
        return;
    }
    for (int i = 0; i < TESTENV_MAX_INSTANCES; i++) {
        stop_child(&env->service_pid[i], SIGTERM);
    }
    env->ninstances = 0;
    stop_child(&env->redis_pid, SIGTERM);
    /* Immediate shutdown: the data is thrown away anyway. */
    stop_child(&env->pg_pid, SIGQUIT);
    if (env->dir[0] != '\0' && getenv("BOXOFFICE_TEST_KEEP") == NULL) {
        nftw(env->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        env->dir[0] = '\0';
    }
}

/* ---- service instances ---------------------------------------------------- */

static void random_hex(char *out, size_t bytes)
{
    unsigned char raw[32];
    int fd = open("/dev/urandom", O_RDONLY);
    if (bytes > sizeof(raw)) {
        bytes = sizeof(raw);
    }
    if (fd < 0 || read(fd, raw, bytes) != (ssize_t)bytes) {
        /* Only test secrets: time and pid are enough when urandom is missing. */
        srand((unsigned)time(NULL) ^ (unsigned)getpid());
        for (size_t i = 0; i < bytes; i++) {
            raw[i] = (unsigned char)rand();
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    for (size_t i = 0; i < bytes; i++) {
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    }
}

/* ping_once sends one Ping on sock and tells whether it answered OK. */
static int ping_once(nng_socket sock, uint32_t method, uint64_t request_id)
{
    Boxoffice__V1__PingRequest req = BOXOFFICE__V1__PING_REQUEST__INIT;
    nng_msg *msg = NULL;
    if (bo_envelope_request_encode(method, request_id, &req.base, &msg) != BO_OK) {
        return -1;
    }
    if (nng_sendmsg(sock, msg, 0) != 0) {
        nng_msg_free(msg);
        return -1;
    }
    if (nng_recvmsg(sock, &msg, 0) != 0) {
        return -1;
    }
    ProtobufCMessage *reply = NULL;
    char text[256];
    int rc = bo_envelope_reply_decode(nng_msg_body(msg), nng_msg_len(msg), request_id,
                                      &boxoffice__v1__ping_reply__descriptor, &reply, text,
                                      sizeof(text));
    nng_msg_free(msg);
    if (rc != BO_OK) {
        return -1;
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

/* ping_until answers 0 once the instance at url answers Ping, -1 when time runs out. */
static int ping_until(const char *url, long long deadline)
{
    uint32_t method;
    nng_socket sock;
    int rc = -1;
    if (bo_method_index("Ping", &method) != BO_OK || nng_req0_open(&sock) != 0) {
        return -1;
    }
    nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 500);
    nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 500);
    nng_socket_set_ms(sock, NNG_OPT_RECONNMINT, 20);
    nng_socket_set_ms(sock, NNG_OPT_RECONNMAXT, 100);
    nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, 200);
    if (nng_dial(sock, url, NULL, NNG_FLAG_NONBLOCK) == 0) {
        for (uint64_t id = 1; rc != 0 && mono_ms() < deadline; id++) {
            if ((rc = ping_once(sock, method, id)) != 0) {
                sleep_ms(50);
            }
        }
    }
    nng_close(sock);
    return rc;
}

/*
 * wait_ping waits until instance i answers Ping, or it exits, or time runs out. The pinging
 * runs in a short-lived child: nng starts threads and refuses to run in a process forked
 * after it did, so the suite's own process (which Check forks per test) never touches nng
 * here.
 */
static int wait_ping(struct testenv *env, int i)
{
    long long deadline = mono_ms() + TESTENV_SERVICE_WAIT_MS;
    int status;
    pid_t child = fork();
    if (child < 0) {
        return -1;
    }
    if (child == 0) {
        _exit(ping_until(env->rpc_url[i], deadline) == 0 ? 0 : 1);
    }
    for (;;) {
        pid_t r = waitpid(child, &status, WNOHANG);
        if (r == child) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                return 0;
            }
            break;
        }
        if (!alive(&env->service_pid[i])) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            say("service instance %d exited during start, see %s/service-%d.log", i, env->dir, i);
            return -1;
        }
        sleep_ms(20);
    }
    say("service instance %d did not answer Ping at %s, see %s/service-%d.log", i, env->rpc_url[i],
        env->dir, i);
    return -1;
}

int testenv_service_start(struct testenv *env, int n, const char *const *extra_args)
{
    char exe[600];
    snprintf(exe, sizeof(exe), "%s/service/boxoffice-service", binary_dir());
    if (n < 1 || env->ninstances + n > TESTENV_MAX_INSTANCES) {
        say("asked for %d service instances, at most %d in all", n, TESTENV_MAX_INSTANCES);
        return -1;
    }
    if (access(exe, X_OK) != 0) {
        say("%s not found: build boxoffice-service first", exe);
        return -1;
    }
    if (env->token_secret[0] == '\0') {
        random_hex(env->token_secret, 24);
    }
    if (env->admin_key[0] == '\0') {
        random_hex(env->admin_key, 16);
    }
    size_t nextra = 0;
    while (extra_args != NULL && extra_args[nextra] != NULL) {
        nextra++;
    }
    int first = env->ninstances;
    for (int i = first; i < first + n; i++) {
        char rpc[160], events[160], metrics[96], db[600], redis[160], secret[128], admin[128],
            id[64], log[300];
        int rpc_port = testenv_free_port();
        int ev_port = testenv_free_port();
        while (ev_port == rpc_port) {
            ev_port = testenv_free_port();
        }
        snprintf(env->rpc_url[i], sizeof(env->rpc_url[i]), "tcp://127.0.0.1:%d", rpc_port);
        snprintf(env->events_url[i], sizeof(env->events_url[i]), "tcp://127.0.0.1:%d", ev_port);
        int metrics_port = testenv_free_port();
        while (metrics_port == rpc_port || metrics_port == ev_port) {
            metrics_port = testenv_free_port();
        }
        snprintf(env->metrics_listen[i], sizeof(env->metrics_listen[i]), "127.0.0.1:%d",
                 metrics_port);
        snprintf(rpc, sizeof(rpc), "--rpc-url=%s", env->rpc_url[i]);
        snprintf(events, sizeof(events), "--events-url=%s", env->events_url[i]);
        snprintf(db, sizeof(db), "--database-url=%s", env->database_url);
        snprintf(redis, sizeof(redis), "--redis-url=%s", env->redis_url);
        snprintf(secret, sizeof(secret), "--token-secret=%s", env->token_secret);
        snprintf(admin, sizeof(admin), "--admin-key=%s", env->admin_key);
        snprintf(id, sizeof(id), "--instance-id=test-%d", i);
        snprintf(metrics, sizeof(metrics), "--metrics-listen=%s", env->metrics_listen[i]);
        snprintf(log, sizeof(log), "%s/service-%d.log", env->dir, i);

        char *argv[16 + 64];
        size_t k = 0;
        argv[k++] = exe;
        argv[k++] = rpc;
        argv[k++] = events;
        argv[k++] = db;
        argv[k++] = redis;
        argv[k++] = secret;
        argv[k++] = admin;
        argv[k++] = id;
        argv[k++] = metrics;
        argv[k++] = "--admission-tick-ms=20";
        argv[k++] = "--workers=8";
        for (size_t e = 0; e < nextra && k < sizeof(argv) / sizeof(argv[0]) - 1; e++) {
            argv[k++] = (char *)extra_args[e];
        }
        argv[k] = NULL;
        env->service_pid[i] = spawn(argv, log, NULL, SIGTERM);
        if (env->service_pid[i] < 0) {
            env->service_pid[i] = 0;
            return -1;
        }
        env->ninstances = i + 1;
        if (wait_ping(env, i) != 0) {
            return -1;
        }
    }
    env->rpc_urls[0] = '\0';
    for (int i = 0; i < env->ninstances; i++) {
        size_t len = strlen(env->rpc_urls);
        snprintf(env->rpc_urls + len, sizeof(env->rpc_urls) - len, "%s%s", i ? "," : "",
                 env->rpc_url[i]);
    }
    return 0;
}

void testenv_service_kill(struct testenv *env, int i, int sig)
{
    if (i < 0 || i >= TESTENV_MAX_INSTANCES || env->service_pid[i] <= 0) {
        return;
    }
    kill(env->service_pid[i], sig);
    while (waitpid(env->service_pid[i], NULL, 0) < 0 && errno == EINTR) {
    }
    env->service_pid[i] = 0;
}

/* ---- queries -------------------------------------------------------------- */

int testenv_psql_value(const struct testenv *env, const char *sql, char *out, size_t outlen)
{
    PGconn *c = PQconnectdb(env->database_url);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        say("connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) >= 1 && PQnfields(res) >= 1) {
        snprintf(out, outlen, "%s", PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
        rc = 0;
    } else {
        say("query \"%s\": %s", sql, PQresultErrorMessage(res));
    }
    PQclear(res);
    PQfinish(c);
    return rc;
}
