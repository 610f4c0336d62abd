/* nb_slow: a normal client's wait under slow clients holding the edge (see nb_slow.h). */
#include "nb_slow.h"
#include "nb_slow_client.h"

#include "nb_admin.h"
#include "nb_report.h"
#include "nb_rpc.h"
#include "nb_run.h"

#include "bo_error.h"
#include "boxoffice/client.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* The slow clients' addresses: 127.0.0.2 .. 127.0.0.(1 + NB_SLOW_ADDRESSES). */
#define NB_SLOW_ADDRESSES 6
/* The normal client's user (away from the load's 1, 2, ... and freshness's 100000). */
#define NB_SLOW_USER 99999
/* Opening every slow client may take this long before the attack starts anyway. */
#define NB_SLOW_OPENING_MAX_US (30ull * 1000000)
/* Connections started per tick of the driver (10 ms): ~10,000/s, no SYN burst. */
#define NB_SLOW_OPEN_PER_TICK 100
#define NB_SLOW_TICK_MS       10
#define NB_SLOW_EVENTS        512
/* The attack runs in rounds of about this many seconds, alone and beside them alternating. */
#define NB_SLOW_ROUND_S 15

/* What the slow clients send: a head a byte at a time (past its prefix, 'a' forever, never
 * its end), or this POST head whole and then its body a byte at a time. */
static const char nb_slow_head[] = "GET /api/v1/schedules/1/seats HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "X-Slow: ";
static const char nb_slow_post[] = "POST /api/v1/queue/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Content-Type: application/json\r\nContent-Length: 16000\r\n"
                                   "\r\n";

enum nb_slow_kind { NB_SLOW_KIND_HEAD, NB_SLOW_KIND_BODY };
enum nb_slow_state { NB_SLOW_CLOSED = 0, NB_SLOW_CONNECTING, NB_SLOW_OPEN };

struct nb_slow_client {
    int fd;
    int state;
    int kind;
    int started;     /* connected at least once */
    uint64_t due_us; /* its next byte (open), its next connection (closed) */
    size_t sent;     /* bytes of its head or body sent so far */
};

/* What the slow clients went through (the driver's, one thread). */
struct nb_slow_counts {
    uint64_t connects, connect_failures, dropped[2], answered;
    size_t held;        /* clients open now */
    size_t held_at_end; /* clients open as the attack ended */
    size_t held_min, held_max, held_samples;
    double held_sum;
};

/* ---- sockets ----------------------------------------------------------------------------- */

/* nb_slow_parse_url reads http://HOST:PORT (HOST a 127.x.x.x address or localhost: the slow
 * clients come from other loopback addresses) into to. */
static int nb_slow_parse_url(const char *url, struct sockaddr_in *to)
{
    char host[64];
    unsigned port = 0;

    memset(to, 0, sizeof(*to));
    to->sin_family = AF_INET;
    if (sscanf(url, "http://%63[^:/]:%5u", host, &port) != 2 || port == 0 || port > 65535) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (strcmp(host, "localhost") == 0) {
        snprintf(host, sizeof(host), "127.0.0.1");
    }
    if (inet_pton(AF_INET, host, &to->sin_addr) != 1 || (ntohl(to->sin_addr.s_addr) >> 24) != 127) {
        return BO_E_INVALID_ARGUMENT;
    }
    to->sin_port = htons((unsigned short)port);
    return BO_OK;
}

/* ---- the slow clients -------------------------------------------------------------------- */

/* The driver: the slow clients and what they went through. */
struct nb_slow_driver {
    struct sockaddr_in to;
    struct nb_slow_client *clients;
    size_t n, opened; /* opened: clients started at least once */
    uint64_t interval_us;
    int ep;
    struct nb_slow_counts k;
};

/* nb_slow_drop closes client c (the edge dropped it, or it failed to connect) and has it
 * connect again at once. */
static void nb_slow_drop(struct nb_slow_driver *d, struct nb_slow_client *c, uint64_t now)
{
    if (c->state == NB_SLOW_OPEN) {
        d->k.held--;
        d->k.dropped[c->kind]++;
    } else {
        d->k.connect_failures++;
    }
    close(c->fd);
    c->fd = -1;
    c->state = NB_SLOW_CLOSED;
    c->due_us = now;
}

/* nb_slow_established marks c open and sends what it sends at once (the POST head). */
static void nb_slow_established(struct nb_slow_driver *d, struct nb_slow_client *c, uint64_t now)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    size_t len = sizeof(nb_slow_post) - 1;

    c->state = NB_SLOW_OPEN;
    c->sent = 0;
    d->k.held++;
    (void)epoll_ctl(d->ep, EPOLL_CTL_MOD, c->fd, &ev);
    if (c->kind == NB_SLOW_KIND_BODY &&
        send(c->fd, nb_slow_post, len, MSG_NOSIGNAL) != (ssize_t)len) {
        nb_slow_drop(d, c, now);
    }
}

/* nb_slow_connect starts client c's connection from its address. */
static void nb_slow_connect(struct nb_slow_driver *d, struct nb_slow_client *c, uint64_t now)
{
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    unsigned from = 2 + (unsigned)((size_t)(c - d->clients) % NB_SLOW_ADDRESSES);
    int pending;

    c->due_us = now + d->interval_us;
    c->fd = nb_slow_dial(&d->to, from, 1, &pending);
    d->k.connects++;
    if (c->fd < 0 || epoll_ctl(d->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        if (c->fd >= 0) {
            close(c->fd);
            c->fd = -1;
        }
        d->k.connect_failures++; /* tried again after an interval */
        return;
    }
    c->state = NB_SLOW_CONNECTING;
    if (!pending) {
        nb_slow_established(d, c, now);
    }
}

/* nb_slow_event handles what epoll says of client c: its connection done, an answer, a close. */
static void nb_slow_event(struct nb_slow_driver *d, struct nb_slow_client *c, uint32_t events,
                          uint64_t now)
{
    char buf[1024];
    ssize_t got;

    if (c->state == NB_SLOW_CLOSED) {
        return; /* dropped earlier in the same batch of events */
    }
    if (c->state == NB_SLOW_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0 ||
            (events & (EPOLLERR | EPOLLHUP)) != 0) {
            nb_slow_drop(d, c, now + d->interval_us);
        } else {
            nb_slow_established(d, c, now);
        }
        return;
    }
    while ((got = recv(c->fd, buf, sizeof(buf), 0)) > 0) {
        d->k.answered++; /* an answer to a request never finished: an error status */
    }
    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        nb_slow_drop(d, c, now);
    }
}

/* nb_slow_tick starts the connections due (NB_SLOW_OPEN_PER_TICK at most) and sends the
 * bytes due. */
static void nb_slow_tick(struct nb_slow_driver *d, uint64_t now)
{
    int begun = 0;

    for (size_t i = 0; i < d->n; i++) {
        struct nb_slow_client *c = &d->clients[i];
        if (c->state == NB_SLOW_CLOSED && c->due_us <= now && begun < NB_SLOW_OPEN_PER_TICK) {
            if (!c->started) {
                c->started = 1;
                d->opened++;
            }
            nb_slow_connect(d, c, now);
            begun++;
        } else if (c->state == NB_SLOW_OPEN && c->due_us <= now) {
            char byte = c->kind == NB_SLOW_KIND_BODY         ? (c->sent == 0 ? '{' : ' ')
                        : c->sent < sizeof(nb_slow_head) - 1 ? nb_slow_head[c->sent]
                                                             : 'a';
            c->due_us += d->interval_us;
            if (send(c->fd, &byte, 1, MSG_NOSIGNAL) == 1) {
                c->sent++;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                nb_slow_drop(d, c, now);
            }
        }
    }
}

/* nb_slow_drive runs the slow clients until end_us (or, with until_held, until every one is
 * open), sampling how many are held once a second when sample is set and printing a line a
 * second about them and the normal client. */
static void nb_slow_drive(struct nb_slow_driver *d, struct nb_slow_normal *n, uint64_t end_us,
                          int until_held, int sample, uint64_t t0)
{
    struct epoll_event events[NB_SLOW_EVENTS];
    uint64_t next_line = nb_now_us() + 1000000, now;
    struct nb_totals before, after, diff;

    nb_totals_init(&before);
    for (int p = 0; p < NB_SLOW_PHASES; p++) {
        nb_totals_add(&before, &n->stats[p]);
    }
    while (!nb_run_interrupted() && (now = nb_now_us()) < end_us &&
           !(until_held && d->opened == d->n && d->k.held == d->n)) {
        nb_slow_tick(d, now);
        int got = epoll_wait(d->ep, events, NB_SLOW_EVENTS, NB_SLOW_TICK_MS);
        now = nb_now_us();
        for (int e = 0; e < got; e++) {
            nb_slow_event(d, events[e].data.ptr, events[e].events, now);
        }
        if (now < next_line) {
            continue;
        }
        next_line += 1000000;
        if (sample) {
            d->k.held_min =
                d->k.held_samples == 0 || d->k.held < d->k.held_min ? d->k.held : d->k.held_min;
            d->k.held_max = d->k.held > d->k.held_max ? d->k.held : d->k.held_max;
            d->k.held_sum += (double)d->k.held;
            d->k.held_samples++;
        }
        nb_totals_init(&after);
        for (int p = 0; p < NB_SLOW_PHASES; p++) {
            nb_totals_add(&after, &n->stats[p]);
        }
        nb_totals_diff(&after, &before, &diff);
        before = after;
        fprintf(stderr,
                "[%5.1fs] slow held=%zu dropped=%llu normal requests=%llu errors=%llu max=%.2fms\n",
                (double)(now - t0) / 1e6, d->k.held,
                (unsigned long long)(d->k.dropped[0] + d->k.dropped[1]),
                (unsigned long long)diff.requests, (unsigned long long)diff.failures,
                (double)diff.max_us / 1000.0);
    }
}

/* nb_slow_wait runs only the normal client until end_us, a line a second. */
static void nb_slow_wait(struct nb_slow_driver *d, struct nb_slow_normal *n, uint64_t end_us,
                         uint64_t t0)
{
    size_t none = d->n;

    d->n = 0; /* the driver with no slow client: only the lines and the clock */
    nb_slow_drive(d, n, end_us, 0, 0, t0);
    d->n = none;
}

/* ---- the outcome ------------------------------------------------------------------------- */

/* nb_slow_x is a / b, 0 when b is 0. */
static double nb_slow_x(double a, double b)
{
    return b > 0 ? a / b : 0;
}

/* nb_slow_report prints the outcome and writes --json. */
static int nb_slow_report(const struct nb_config *cfg, struct nb_slow_normal *n,
                          const struct nb_slow_driver *d, const double seconds[NB_SLOW_PHASES])
{
    const struct nb_slow_counts *k = &d->k;
    double mean = nb_slow_x(k->held_sum, (double)k->held_samples);
    struct nb_slow_figures f[NB_SLOW_PHASES];
    cJSON *o, *held, *ratio;
    char from[64];

    for (int p = 0; p < NB_SLOW_PHASES; p++) {
        nb_slow_figures_of(n, p, seconds[p], &f[p]);
    }
    const struct nb_latency *b = &f[NB_SLOW_BASELINE].l, *a = &f[NB_SLOW_ATTACK].l;
    double x_rate = nb_slow_x(f[NB_SLOW_ATTACK].rate, f[NB_SLOW_BASELINE].rate);
    snprintf(from, sizeof(from), "127.0.0.2-127.0.0.%d", 1 + NB_SLOW_ADDRESSES);
    printf("attack / baseline: mean %.2f x, p50 %.2f x, p99 %.2f x, max %.2f x, rate %.2f x\n",
           nb_slow_x(a->avg, b->avg), nb_slow_x(a->med, b->med), nb_slow_x(a->p99, b->p99),
           nb_slow_x(a->max, b->max), x_rate);
    printf("slow clients: %zu from %s, a byte every %lld ms; held %zu-%zu (mean %.0f) over the "
           "attack, %zu at its end; the edge dropped %llu heads and %llu bodies; %llu connections "
           "in all, %llu failed; %llu answers to them\n",
           d->n, from, (long long)cfg->slow_interval_ms, k->held_min, k->held_max, mean,
           k->held_at_end, (unsigned long long)k->dropped[NB_SLOW_KIND_HEAD],
           (unsigned long long)k->dropped[NB_SLOW_KIND_BODY], (unsigned long long)k->connects,
           (unsigned long long)k->connect_failures, (unsigned long long)k->answered);
    if (cfg->json[0] == '\0') {
        return BO_OK;
    }
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "slowClients", (double)d->n);
    cJSON_AddStringToObject(o, "slowFrom", from);
    cJSON_AddNumberToObject(o, "intervalMs", (double)cfg->slow_interval_ms);
    cJSON_AddStringToObject(o, "normalRequest",
                            "GET /api/v1/schedules/{1..5}/seats with a Queue-Token, closed loop "
                            "over one kept-alive connection from 127.0.0.1");
    cJSON_AddStringToObject(o, "baselineWhen",
                            "in rounds: alone, beside the slow clients twice as long, alone");
    held = cJSON_AddObjectToObject(o, "held");
    cJSON_AddNumberToObject(held, "min", (double)k->held_min);
    cJSON_AddNumberToObject(held, "mean", mean);
    cJSON_AddNumberToObject(held, "max", (double)k->held_max);
    cJSON_AddNumberToObject(held, "atEnd", (double)k->held_at_end);
    cJSON_AddNumberToObject(held, "samples", (double)k->held_samples);
    cJSON_AddNumberToObject(o, "connects", (double)k->connects);
    cJSON_AddNumberToObject(o, "connectFailures", (double)k->connect_failures);
    cJSON_AddNumberToObject(o, "droppedHeads", (double)k->dropped[NB_SLOW_KIND_HEAD]);
    cJSON_AddNumberToObject(o, "droppedBodies", (double)k->dropped[NB_SLOW_KIND_BODY]);
    cJSON_AddNumberToObject(o, "answeredSlow", (double)k->answered);
    cJSON_AddNumberToObject(o, "normalConnections", (double)atomic_load(&n->connections));
    for (int p = 0; p < NB_SLOW_PHASES; p++) {
        nb_slow_figures_json(o, nb_slow_phase_name(p), &f[p]);
    }
    ratio = cJSON_AddObjectToObject(o, "ratio");
    cJSON_AddNumberToObject(ratio, "mean", nb_slow_x(a->avg, b->avg));
    cJSON_AddNumberToObject(ratio, "p50", nb_slow_x(a->med, b->med));
    cJSON_AddNumberToObject(ratio, "p99", nb_slow_x(a->p99, b->p99));
    cJSON_AddNumberToObject(ratio, "max", nb_slow_x(a->max, b->max));
    cJSON_AddNumberToObject(ratio, "rate", x_rate);
    return nb_report_json_write(cfg->json, o);
}

/* ---- the run ----------------------------------------------------------------------------- */

/* nb_slow_nofile raises the open-file limit to its hard limit: every slow client is a
 * descriptor. */
static void nb_slow_nofile(size_t need)
{
    struct rlimit lim;

    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < need + 64) {
        fprintf(stderr,
                "nngbench: only %llu open files allowed: some of %zu slow clients will "
                "not connect\n",
                (unsigned long long)lim.rlim_cur, need);
    }
}

/* nb_slow_settings turns the rate limits off and raises admission over rpc with the admin key
 * (nothing without one), opening *client for nb_admin_restore. */
static int nb_slow_settings(const struct nb_config *cfg, struct nb_admin *admin,
                            struct bo_client **client)
{
    struct bo_session *s = NULL;
    int rc;

    if (cfg->admin_key[0] == '\0') {
        return BO_OK;
    }
    if ((rc = bo_client_open(cfg->rpc_url, (int)cfg->timeout_ms, client)) != BO_OK ||
        (rc = bo_session_open(*client, &s)) != BO_OK) {
        fprintf(stderr, "nngbench: cannot reach %s: %s\n", cfg->rpc_url, bo_error_name(rc));
        return rc;
    }
    rc = nb_admin_prepare(admin, cfg, s, 1);
    bo_session_close(s);
    return rc;
}

/* nb_slow_close_all closes every slow client (none held afterwards). */
static void nb_slow_close_all(struct nb_slow_driver *d)
{
    for (size_t i = 0; d->clients != NULL && i < d->n; i++) {
        if (d->clients[i].fd >= 0) {
            close(d->clients[i].fd);
            d->clients[i].fd = -1;
        }
        d->clients[i].state = NB_SLOW_CLOSED;
    }
    d->k.held = 0;
}

/* nb_slow_round runs one round: the normal client alone for alone_us, the slow clients opened,
 * the attack for attack_us, the slow clients closed, alone again for alone_us; adds each
 * phase's length to seconds[]. */
static void nb_slow_round(struct nb_slow_driver *d, struct nb_slow_normal *n, uint64_t alone_us,
                          uint64_t attack_us, double seconds[NB_SLOW_PHASES], uint64_t t0)
{
    uint64_t t = nb_now_us();

    nb_slow_wait(d, n, t + alone_us, t0);
    seconds[NB_SLOW_BASELINE] += (double)(nb_now_us() - t) / 1e6;
    atomic_store(&n->phase, NB_SLOW_OPENING);
    t = nb_now_us();
    nb_slow_drive(d, n, t + NB_SLOW_OPENING_MAX_US, 1, 0, t0);
    seconds[NB_SLOW_OPENING] += (double)(nb_now_us() - t) / 1e6;
    atomic_store(&n->phase, NB_SLOW_ATTACK);
    fprintf(stderr, "nngbench: %zu of %zu slow clients open after %.1f s; the attack runs %.1f s\n",
            d->k.held, d->n, (double)(nb_now_us() - t) / 1e6, (double)attack_us / 1e6);
    t = nb_now_us();
    nb_slow_drive(d, n, t + attack_us, 0, 1, t0);
    d->k.held_at_end = d->k.held;
    nb_slow_close_all(d);
    atomic_store(&n->phase, NB_SLOW_BASELINE);
    seconds[NB_SLOW_ATTACK] += (double)(nb_now_us() - t) / 1e6;
    fprintf(stderr, "nngbench: slow clients closed; the normal client alone for %.1f s\n",
            (double)alone_us / 1e6);
    t = nb_now_us();
    nb_slow_wait(d, n, t + alone_us, t0);
    seconds[NB_SLOW_BASELINE] += (double)(nb_now_us() - t) / 1e6;
}

/* nb_slow_phases runs the attack's seconds in rounds of about NB_SLOW_ROUND_S, each between
 * two stretches of the normal client alone half as long (on a shared machine the load of
 * others drifts: alone and beside them alternate, so both see the same drift), the normal
 * client's thread asking all along; seconds[] gets each phase's length in all. */
static int nb_slow_phases(const struct nb_config *cfg, struct nb_slow_driver *d,
                          struct nb_slow_normal *n, double seconds[NB_SLOW_PHASES])
{
    uint64_t secs = (uint64_t)(cfg->duration > 0 ? cfg->duration : cfg->quick ? 15 : 60);
    uint64_t rounds = secs >= 2 * NB_SLOW_ROUND_S ? secs / NB_SLOW_ROUND_S : 1;
    uint64_t attack_us = secs * 1000000 / rounds, t0 = nb_now_us();
    pthread_t thread;

    if (pthread_create(&thread, NULL, nb_slow_normal_run, n) != 0) {
        return BO_E_NOMEM;
    }
    fprintf(stderr,
            "nngbench: %llu round(s): the normal client alone %.1f s, beside %zu slow "
            "clients from 127.0.0.2-127.0.0.%d %.1f s, alone %.1f s\n",
            (unsigned long long)rounds, (double)attack_us / 2e6, d->n, 1 + NB_SLOW_ADDRESSES,
            (double)attack_us / 1e6, (double)attack_us / 2e6);
    for (uint64_t r = 0; r < rounds && !nb_run_interrupted(); r++) {
        nb_slow_round(d, n, attack_us / 2, attack_us, seconds, t0);
    }
    atomic_store(&n->stop, true);
    pthread_join(thread, NULL);
    return BO_OK;
}

int nb_slow_execute(const struct nb_config *cfg)
{
    struct nb_slow_normal *n = calloc(1, sizeof(*n));
    struct nb_slow_driver d = {.ep = -1, .n = (size_t)cfg->slow};
    double seconds[NB_SLOW_PHASES] = {0};
    struct nb_admin admin = {0};
    struct bo_client *client = NULL;
    struct sockaddr_in to;
    int code = NB_EXIT_FAILED, rc;

    if (nb_slow_parse_url(cfg->http_url, &to) != BO_OK) {
        fprintf(stderr,
                "nngbench: --http-url must be http://127.x.x.x:PORT (or localhost: the "
                "slow clients come from 127.0.0.2-7), not '%s'\n",
                cfg->http_url);
        free(n);
        return NB_EXIT_USAGE;
    }
    if (n == NULL || nb_slow_normal_init(n, &to) != BO_OK ||
        (d.clients = calloc(d.n, sizeof(*d.clients))) == NULL || (d.ep = epoll_create1(0)) < 0) {
        fprintf(stderr, "nngbench: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < d.n; i++) {
        /* each address holds heads and bodies alike: clients 0-5 heads, 6-11 bodies, ... */
        d.clients[i] = (struct nb_slow_client){.fd = -1, .kind = (int)(i / NB_SLOW_ADDRESSES % 2)};
    }
    d.to = to;
    d.interval_us = (uint64_t)cfg->slow_interval_ms * 1000;
    nb_slow_nofile(d.n);
    nb_run_block_signals();
    if (nb_slow_settings(cfg, &admin, &client) != BO_OK) {
        goto out;
    }
    rc = nb_slow_normal_token(n, cfg->jwt_secret, NB_SLOW_USER,
                              cfg->concert > 0 ? (uint64_t)cfg->concert : 1);
    if (rc != BO_OK) {
        code = rc == BO_E_UNAVAILABLE ? NB_EXIT_UNREACHABLE : NB_EXIT_FAILED;
        goto out;
    }
    if (nb_slow_phases(cfg, &d, n, seconds) != BO_OK) {
        goto out;
    }
    code = nb_slow_report(cfg, n, &d, seconds) == BO_OK ? NB_EXIT_OK : NB_EXIT_FAILED;
    code = nb_run_interrupted() ? NB_EXIT_INTERRUPTED : code;
out:
    if (client != NULL) {
        nb_admin_restore(&admin, cfg, client);
    }
    bo_client_close(client);
    nb_slow_close_all(&d);
    if (d.ep >= 0) {
        close(d.ep);
    }
    if (n != NULL) {
        nb_slow_normal_fini(n);
    }
    free(d.clients);
    free(n);
    return code;
}
