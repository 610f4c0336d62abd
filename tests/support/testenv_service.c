/*
 * testenv_service: boxoffice-service instances from the build tree against testenv's servers
 * (see testenv.h): started on free ports, waited for until they answer Ping, killed on demand.
 */
#include "testenv.h"
#include "testenv_private.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "support.h"

#include <check.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TESTENV_SERVICE_WAIT_MS 15000

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

/* ---- Ping ------------------------------------------------------------------ */

/* An open req socket and the Ping requests sent on it: for support_wait_until. */
struct ping {
    nng_socket sock;
    uint32_t method;
    uint64_t request_id;
};

/* ping_once sends one Ping and holds when it was answered OK (within the socket's timeouts). */
static int ping_once(void *arg)
{
    struct ping *p = arg;
    Boxoffice__V1__PingRequest req = BOXOFFICE__V1__PING_REQUEST__INIT;
    uint64_t id = ++p->request_id;
    nng_msg *msg = NULL;
    if (bo_envelope_request_encode(p->method, id, NULL, &req.base, &msg) != BO_OK) {
        return 0;
    }
    if (nng_sendmsg(p->sock, msg, 0) != 0) {
        nng_msg_free(msg);
        return 0;
    }
    if (nng_recvmsg(p->sock, &msg, 0) != 0) {
        return 0;
    }
    ProtobufCMessage *reply = NULL;
    int rc = bo_envelope_reply_decode(nng_msg_body(msg), nng_msg_len(msg), id,
                                      &boxoffice__v1__ping_reply__descriptor, &reply, NULL);
    nng_msg_free(msg);
    if (rc != BO_OK) {
        return 0;
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return 1;
}

/* ping_until answers 0 once the instance at url answers Ping, -1 when timeout_ms runs out. */
static int ping_until(const char *url, long timeout_ms)
{
    struct ping p = {.request_id = 0};
    int rc = -1;
    if (bo_method_index("Ping", &p.method) != BO_OK || nng_req0_open(&p.sock) != 0) {
        return -1;
    }
    nng_socket_set_ms(p.sock, NNG_OPT_RECVTIMEO, 500);
    nng_socket_set_ms(p.sock, NNG_OPT_SENDTIMEO, 500);
    nng_socket_set_ms(p.sock, NNG_OPT_RECONNMINT, 20);
    nng_socket_set_ms(p.sock, NNG_OPT_RECONNMAXT, 100);
    nng_socket_set_ms(p.sock, NNG_OPT_REQ_RESENDTIME, 200);
    if (nng_dial(p.sock, url, NULL, NNG_FLAG_NONBLOCK) == 0) {
        rc = support_wait_until(ping_once, &p, timeout_ms);
    }
    nng_close(p.sock);
    return rc;
}

/* A pinging child and the instance it pings: for support_wait_until. */
struct ping_wait {
    pid_t pinger;
    int status; /* the pinger's, once it ended */
    struct support_child *instance;
};

/* ping_done holds once the pinger ended (reaped, its status kept) or the instance exited. */
static int ping_done(void *arg)
{
    struct ping_wait *w = arg;
    if (waitpid(w->pinger, &w->status, WNOHANG) == w->pinger) {
        w->pinger = 0;
        return 1;
    }
    return !support_child_alive(w->instance);
}

/*
 * wait_ping waits until instance i answers Ping, or it exits, or time runs out. The pinging
 * runs in a short-lived child: nng starts threads and refuses to run in a process forked
 * after it did, so the suite's own process (which Check forks per test) never touches nng
 * here.
 */
static int wait_ping(struct testenv *env, int i)
{
    struct ping_wait w = {0, 0, &env->service[i]};
    fflush(NULL);
    w.pinger = fork();
    if (w.pinger < 0) {
        return -1;
    }
    if (w.pinger == 0) {
        _exit(ping_until(env->rpc_url[i], TESTENV_SERVICE_WAIT_MS) == 0 ? 0 : 1);
    }
    /* The pinger gives up by itself at its deadline: this wait only needs a margin. */
    (void)support_wait_until(ping_done, &w, TESTENV_SERVICE_WAIT_MS + 5000);
    if (w.pinger == 0 && WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0) {
        return 0;
    }
    if (w.pinger != 0) {
        kill(w.pinger, SIGKILL);
        waitpid(w.pinger, NULL, 0);
    }
    if (!support_child_alive(&env->service[i])) {
        testenv_say("service instance %d exited during start, see %s/service-%d.log", i, env->dir,
                    i);
    } else {
        testenv_say("service instance %d did not answer Ping at %s, see %s/service-%d.log", i,
                    env->rpc_url[i], env->dir, i);
    }
    return -1;
}

/* ---- instances --------------------------------------------------------------- */

/* free_ports writes n distinct free loopback ports into ports. */
static void free_ports(int *ports, int n)
{
    for (int i = 0; i < n; i++) {
        int dup;
        do {
            ports[i] = testenv_free_port();
            dup = 0;
            for (int j = 0; j < i; j++) {
                dup |= ports[j] == ports[i];
            }
        } while (dup);
    }
}

/* instance_spawn starts instance i of env (its addresses set) from exe with env->extra_args,
 * following peers (a --peer-events-urls=... argument) when not NULL; does not wait for it. */
static int instance_spawn(struct testenv *env, int i, const char *exe, const char *peers)
{
    char rpc[160], events[160], metrics[96], db[600], redis[160], secret[128], admin[128], jwt[128],
        id[64], log[300];
    const char *const *extra = env->extra_args;

    snprintf(rpc, sizeof(rpc), "--rpc-url=%s", env->rpc_url[i]);
    snprintf(events, sizeof(events), "--events-url=%s", env->events_url[i]);
    snprintf(db, sizeof(db), "--database-url=%s", env->database_url);
    snprintf(redis, sizeof(redis), "--redis-url=%s", env->redis_url);
    snprintf(secret, sizeof(secret), "--token-secret=%s", env->token_secret);
    snprintf(admin, sizeof(admin), "--admin-key=%s", env->admin_key);
    snprintf(jwt, sizeof(jwt), "--jwt-secret=%s", env->jwt_secret);
    snprintf(id, sizeof(id), "--instance-id=test-%d", i);
    snprintf(metrics, sizeof(metrics), "--metrics-listen=%s", env->metrics_listen[i]);
    snprintf(log, sizeof(log), "%s/service-%d.log", env->dir, i);

    char *argv[16 + 64];
    size_t k = 0;
    argv[k++] = (char *)exe;
    argv[k++] = rpc;
    argv[k++] = events;
    argv[k++] = db;
    argv[k++] = redis;
    argv[k++] = secret;
    argv[k++] = admin;
    argv[k++] = jwt;
    argv[k++] = id;
    argv[k++] = metrics;
    argv[k++] = "--admission-tick-ms=20";
    argv[k++] = "--workers=8";
    if (peers != NULL) {
        argv[k++] = (char *)peers;
    }
    for (size_t e = 0; extra != NULL && extra[e] != NULL && k < sizeof(argv) / sizeof(argv[0]) - 1;
         e++) {
        argv[k++] = (char *)extra[e];
    }
    argv[k] = NULL;
    struct support_spawn how = {.log = log, .deathsig = SIGTERM};
    return support_spawn(argv, &how, &env->service[i]);
}

int testenv_service_start(struct testenv *env, int n, const char *const *extra_args)
{
    char exe[600];
    if (n < 1 || env->ninstances + n > TESTENV_MAX_INSTANCES) {
        testenv_say("asked for %d service instances, at most %d in all", n, TESTENV_MAX_INSTANCES);
        return -1;
    }
    if (support_build_exe("service/boxoffice-service", exe, sizeof(exe)) != 0) {
        testenv_say("%s not found: build boxoffice-service first", exe);
        return -1;
    }
    if (env->token_secret[0] == '\0') {
        random_hex(env->token_secret, 24);
    }
    if (env->admin_key[0] == '\0') {
        random_hex(env->admin_key, 16);
    }
    if (env->jwt_secret[0] == '\0') {
        random_hex(env->jwt_secret, 32);
    }
    size_t nextra = 0;
    while (extra_args != NULL && extra_args[nextra] != NULL) {
        nextra++;
    }
    int first = env->ninstances;
    /* Every address first, so that peers can be told each other's. */
    char peers[32 + TESTENV_MAX_INSTANCES * 130] = "--peer-events-urls=";
    int ports[3 * TESTENV_MAX_INSTANCES]; /* rpc, events, metrics of each */
    free_ports(ports, 3 * n);
    for (int i = first; i < first + n; i++) {
        const int *p = &ports[3 * (i - first)];
        snprintf(env->rpc_url[i], sizeof(env->rpc_url[i]), "tcp://127.0.0.1:%d", p[0]);
        snprintf(env->events_url[i], sizeof(env->events_url[i]), "tcp://127.0.0.1:%d", p[1]);
        snprintf(env->metrics_listen[i], sizeof(env->metrics_listen[i]), "127.0.0.1:%d", p[2]);
        size_t len = strlen(peers);
        snprintf(peers + len, sizeof(peers) - len, "%s%s", i > first ? "," : "",
                 env->events_url[i]);
    }
    env->extra_args = extra_args;
    for (int i = first; i < first + n; i++) {
        if (instance_spawn(env, i, exe, env->peers ? peers : NULL) != 0) {
            return -1;
        }
        env->ninstances = i + 1;
        if (wait_ping(env, i) != 0) {
            return -1;
        }
    }
    /* The suites test rate limits by setting them: by default nothing is limited. */
    if (first == 0 && testenv_limits_off(env) != 0) {
        testenv_say("could not turn the rate limits off in Redis");
        return -1;
    }
    env->rpc_urls[0] = '\0';
    for (int i = 0; i < env->ninstances; i++) {
        size_t len = strlen(env->rpc_urls);
        snprintf(env->rpc_urls + len, sizeof(env->rpc_urls) - len, "%s%s", i ? "," : "",
                 env->rpc_url[i]);
    }
    return 0;
}

void testenv_up(struct testenv *env, int flags, int n, const char *const *extra_args)
{
    ck_assert_msg(testenv_start(env, flags) == 0,
                  "PostgreSQL and Redis did not start (see stderr)");
    ck_assert_msg(n == 0 || testenv_service_start(env, n, extra_args) == 0,
                  "%d service instances did not start (see stderr)", n);
}

int testenv_service_running(struct testenv *env, int i)
{
    return i >= 0 && i < env->ninstances && support_child_alive(&env->service[i]);
}

void testenv_service_kill(struct testenv *env, int i, int sig)
{
    if (i < 0 || i >= TESTENV_MAX_INSTANCES || env->service[i].pid <= 0) {
        return;
    }
    kill(env->service[i].pid, sig);
    support_child_wait(&env->service[i], -1);
}

int testenv_service_pause(struct testenv *env, int i, int paused)
{
    int status;

    if (!testenv_service_running(env, i) || kill(env->service[i].pid, paused ? SIGSTOP : SIGCONT)) {
        return -1;
    }
    /* The stop is reported once every thread has stopped. */
    while (paused && waitpid(env->service[i].pid, &status, WUNTRACED) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return !paused || WIFSTOPPED(status) ? 0 : -1;
}

int testenv_service_restart(struct testenv *env, int i)
{
    char exe[600], peers[32 + TESTENV_MAX_INSTANCES * 130] = "--peer-events-urls=";

    if (i < 0 || i >= env->ninstances || support_child_alive(&env->service[i])) {
        return -1;
    }
    if (support_build_exe("service/boxoffice-service", exe, sizeof(exe)) != 0) {
        return -1;
    }
    for (int k = 0; k < env->ninstances; k++) {
        size_t len = strlen(peers);
        snprintf(peers + len, sizeof(peers) - len, "%s%s", k > 0 ? "," : "", env->events_url[k]);
    }
    return instance_spawn(env, i, exe, env->peers ? peers : NULL);
}
