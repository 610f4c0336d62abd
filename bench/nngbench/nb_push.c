/* nb_push: thousands of push connections held open while people wait (see nb_push.h). */
#include "nb_push.h"

#include "nb_admin.h"
#include "nb_jwt.h"
#include "nb_report.h"
#include "nb_run.h"

#include "bo_error.h"
#include "boxoffice/client.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NB_PUSH_TOKEN_MAX 256
/* The sale of the push concert opens this far ahead: its line only waits. */
#define NB_PUSH_OPENS_IN_MS (86400LL * 1000)
#define NB_PUSH_EVENTS      1024
/* Connections opened but not answered yet at most: the listener verifies each token with a
 * round trip and closes what it has not answered within 10 s, which 10,000 at once missed on
 * a busy machine. */
#define NB_PUSH_WINDOW 500

enum nb_push_state { NB_PUSH_SENT = 0, NB_PUSH_OPEN, NB_PUSH_REFUSED, NB_PUSH_CLOSED };

struct nb_push_conn {
    int fd;
    int state;
};

struct nb_push_counts {
    size_t opened, accepted, refused, closed, bytes;
};

static int64_t nb_push_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* nb_push_concert creates the waiting-only concert with the admin key, titled after the run
 * (bench/forget.sql finds a run's concerts by it). */
static int nb_push_concert(const struct nb_config *cfg, struct bo_session *s, uint64_t *id)
{
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    Boxoffice__V1__CreateConcertReply *rep = NULL;
    struct bo_status st;
    char title[160];
    int rc;

    snprintf(title, sizeof(title), "nngbench push %s (sale opens in a day)", cfg->run_id);
    req.admin_key = (char *)cfg->admin_key;
    req.title = title;
    req.artist = "nngbench";
    req.venue = "Bench Hall";
    req.sale_opens_at_ms = (int64_t)time(NULL) * 1000 + NB_PUSH_OPENS_IN_MS;
    if ((rc = bo_call(s, "CreateConcert", &req.base, (ProtobufCMessage **)&rep, &st)) != BO_OK) {
        fprintf(stderr, "nngbench: creating the push concert failed: %s: %s\n", bo_error_name(rc),
                st.message);
        return rc;
    }
    *id = rep->concert != NULL ? rep->concert->id : 0;
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return *id != 0 ? BO_OK : BO_E_INTERNAL;
}

/* nb_push_tokens issues the tokens of users 1..n at concert into tokens (stride
 * NB_PUSH_TOKEN_MAX). */
static int nb_push_tokens(const struct nb_config *cfg, struct bo_session *s, uint64_t concert,
                          size_t n, char *tokens)
{
    int64_t exp = (int64_t)time(NULL) + NB_JWT_MARGIN_S;
    char jwt[NB_JWT_MAX];
    int rc;

    for (size_t i = 0; i < n && !nb_run_interrupted(); i++) {
        Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
        Boxoffice__V1__IssueTokenReply *rep = NULL;
        if ((rc = nb_jwt_mint(cfg->jwt_secret, i + 1, exp, jwt, sizeof(jwt))) != BO_OK ||
            (rc = bo_session_set_caller(s, jwt, NULL)) != BO_OK) {
            return rc;
        }
        req.concert_id = concert;
        if ((rc = bo_call(s, "IssueToken", &req.base, (ProtobufCMessage **)&rep, NULL)) != BO_OK) {
            fprintf(stderr, "nngbench: issuing token %zu failed: %s\n", i + 1, bo_error_name(rc));
            return rc;
        }
        snprintf(tokens + i * NB_PUSH_TOKEN_MAX, NB_PUSH_TOKEN_MAX, "%s",
                 rep->token != NULL && rep->token->token != NULL ? rep->token->token : "");
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
    return nb_run_interrupted() ? BO_E_TIMEOUT : BO_OK;
}

/* nb_push_open connects to addr, sends the SSE request for token and leaves the socket
 * non-blocking; -1 when it cannot. */
static int nb_push_open(const struct addrinfo *addr, const char *host, const char *port,
                        const char *token)
{
    char req[1024];
    int fd = socket(addr->ai_family, addr->ai_socktype, addr->ai_protocol);
    int n;

    if (fd < 0) {
        return -1;
    }
    n = snprintf(req, sizeof(req),
                 "GET /api/v1/queue/events HTTP/1.1\r\nHost: %s:%s\r\n"
                 "Accept: text/event-stream\r\nQueue-Token: %s\r\n"
                 "User-Agent: boxoffice-nngbench\r\n\r\n",
                 host, port, token);
    if (connect(fd, addr->ai_addr, addr->ai_addrlen) != 0 || n <= 0 || (size_t)n >= sizeof(req) ||
        send(fd, req, (size_t)n, MSG_NOSIGNAL) != n ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* nb_push_read takes what arrived on c: its first bytes say whether the listener took it. */
static void nb_push_read(struct nb_push_conn *c, struct nb_push_counts *k)
{
    char buf[4096];
    ssize_t got;

    while ((got = recv(c->fd, buf, sizeof(buf), 0)) > 0) {
        k->bytes += (size_t)got;
        if (c->state == NB_PUSH_SENT) {
            int ok = got >= 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0;
            c->state = ok ? NB_PUSH_OPEN : NB_PUSH_REFUSED;
            if (ok) {
                k->accepted++;
            } else {
                k->refused++;
            }
        }
    }
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        if (c->state != NB_PUSH_REFUSED) {
            k->closed++;
        }
        c->state = NB_PUSH_CLOSED;
        close(c->fd);
        c->fd = -1;
    }
}

/* nb_push_open_next opens the connection of token i (of tokens, stride NB_PUSH_TOKEN_MAX) into
 * conns[i] and watches it on ep. */
static void nb_push_open_next(const struct addrinfo *addr, const char *host, const char *port,
                              const char *tokens, size_t i, int ep, struct nb_push_conn *conns,
                              struct nb_push_counts *k)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};

    conns[i].fd = nb_push_open(addr, host, port, tokens + i * NB_PUSH_TOKEN_MAX);
    conns[i].state = conns[i].fd >= 0 ? NB_PUSH_SENT : NB_PUSH_CLOSED;
    if (conns[i].fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) == 0) {
        k->opened++;
    }
}

/* nb_push_hold opens a connection per token, at most NB_PUSH_WINDOW unanswered at a time, and
 * reads them all until the run is over (cfg->duration once every one is open). */
static int nb_push_hold(const struct nb_config *cfg, const char *tokens, size_t n,
                        struct nb_push_counts *k)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *addr = NULL;
    struct nb_push_conn *conns = calloc(n, sizeof(*conns));
    struct epoll_event events[NB_PUSH_EVENTS];
    char host[256], port[16];
    int ep = epoll_create1(0), rc = BO_OK, answered = 0;
    int64_t end = INT64_MAX;
    size_t next = 0;

    if (conns == NULL || ep < 0) {
        rc = BO_E_NOMEM;
        goto out;
    }
    if (sscanf(cfg->push_url, "http://%255[^:/]:%15[0-9]", host, port) != 2 ||
        getaddrinfo(host, port, &hints, &addr) != 0) {
        fprintf(stderr, "nngbench: --push-url must be http://HOST:PORT, not '%s'\n", cfg->push_url);
        rc = BO_E_INVALID_ARGUMENT;
        goto out;
    }
    while (!nb_run_interrupted() && nb_push_now_ms() < end) {
        while (next < n && k->opened - (k->accepted + k->refused + k->closed) < NB_PUSH_WINDOW) {
            nb_push_open_next(addr, host, port, tokens, next++, ep, conns, k);
        }
        if (next == n && end == INT64_MAX) {
            fprintf(stderr, "nngbench: %zu of %zu push connections opened; holding them %lld s\n",
                    k->opened, n, (long long)cfg->duration);
            end = nb_push_now_ms() + cfg->duration * 1000;
        }
        int got = epoll_wait(ep, events, NB_PUSH_EVENTS, 20);
        for (int e = 0; e < got; e++) {
            struct nb_push_conn *c = &conns[events[e].data.u64];
            if (c->fd >= 0) {
                nb_push_read(c, k);
            }
        }
        /* Said once, when the listener has answered every one: a caller waits for this. */
        if (!answered && next == n && k->accepted + k->refused + k->closed >= k->opened) {
            fprintf(stderr, "nngbench: all %zu push connections answered (%zu with 200)\n",
                    k->opened, k->accepted);
            answered = 1;
        }
    }
out:
    if (conns != NULL) {
        for (size_t i = 0; i < next; i++) { /* the rest were never opened */
            if (conns[i].fd >= 0) {
                close(conns[i].fd);
            }
        }
    }
    if (addr != NULL) {
        freeaddrinfo(addr);
    }
    if (ep >= 0) {
        close(ep);
    }
    free(conns);
    return rc;
}

static int nb_push_report(const struct nb_config *cfg, size_t asked, const struct nb_push_counts *k)
{
    cJSON *o = cJSON_CreateObject();

    printf("push: %zu asked, %zu opened, %zu answered 200, %zu refused, %zu closed by the "
           "listener before the end, %zu bytes received\n",
           asked, k->opened, k->accepted, k->refused, k->closed, k->bytes);
    cJSON_AddNumberToObject(o, "asked", (double)asked);
    cJSON_AddNumberToObject(o, "opened", (double)k->opened);
    cJSON_AddNumberToObject(o, "accepted", (double)k->accepted);
    cJSON_AddNumberToObject(o, "refused", (double)k->refused);
    cJSON_AddNumberToObject(o, "closedEarly", (double)k->closed);
    cJSON_AddNumberToObject(o, "seconds", (double)cfg->duration);
    if (cfg->json[0] == '\0') {
        cJSON_Delete(o);
        return BO_OK;
    }
    return nb_report_json_write(cfg->json, o);
}

int nb_push_execute(const struct nb_config *cfg)
{
    size_t n = (size_t)cfg->push;
    struct nb_push_counts k = {0};
    struct nb_admin admin = {0};
    struct bo_client *client = NULL;
    struct bo_session *s = NULL;
    struct rlimit lim;
    char *tokens = NULL;
    uint64_t concert = 0;
    int code = NB_EXIT_FAILED, rc;

    if (cfg->admin_key[0] == '\0' || cfg->duration <= 0) {
        fprintf(stderr, "nngbench: --push needs --admin-key and --duration\n");
        return NB_EXIT_USAGE;
    }
    /* Every connection is a descriptor: take what the hard limit allows. */
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &lim);
    }
    nb_run_block_signals();
    if ((tokens = calloc(n, NB_PUSH_TOKEN_MAX)) == NULL ||
        (rc = bo_client_open(cfg->rpc_url, (int)cfg->timeout_ms, &client)) != BO_OK ||
        (rc = bo_session_open(client, &s)) != BO_OK ||
        (rc = nb_admin_prepare(&admin, cfg, s, 0)) != BO_OK ||
        (rc = nb_push_concert(cfg, s, &concert)) != BO_OK ||
        (rc = nb_push_tokens(cfg, s, concert, n, tokens)) != BO_OK) {
        fprintf(stderr, "nngbench: push set-up failed\n");
        goto out;
    }
    fprintf(stderr, "nngbench: %zu tokens waiting at concert %llu\n", n,
            (unsigned long long)concert);
    if (nb_push_hold(cfg, tokens, n, &k) != BO_OK) {
        goto out;
    }
    code = nb_push_report(cfg, n, &k) == BO_OK ? NB_EXIT_OK : NB_EXIT_FAILED;
    code = nb_run_interrupted() ? NB_EXIT_INTERRUPTED : code;
out:
    if (client != NULL) {
        nb_admin_restore(&admin, cfg, client);
    }
    bo_session_close(s);
    bo_client_close(client);
    free(tokens);
    return code;
}
