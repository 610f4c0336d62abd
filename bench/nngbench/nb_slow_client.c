/* nb_slow_client: the normal client beside the slow ones (see nb_slow_client.h). */
#include "nb_slow_client.h"

#include "nb_jwt.h"
#include "nb_rpc.h"
#include "nb_run.h"

#include "bo_error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* The normal client's seat maps: dates 1..NB_SLOW_SCHEDULES of the concert, in turn. */
#define NB_SLOW_SCHEDULES 5
/* A normal request unanswered this long fails (wrk's --timeout in bench/run). */
#define NB_SLOW_TIMEOUT_S    10
#define NB_SLOW_TOKEN_WAIT_S 30
#define NB_SLOW_BUF          (64 * 1024)

static const char *const nb_slow_phase_names[] = {"baseline", "opening", "attack"};

const char *nb_slow_phase_name(int phase)
{
    return phase >= 0 && phase < NB_SLOW_PHASES ? nb_slow_phase_names[phase] : "?";
}

int nb_slow_dial(const struct sockaddr_in *to, unsigned from, int nonblock, int *pending)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    struct timeval tv = {NB_SLOW_TIMEOUT_S, 0};
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    int one = 1;

    *pending = 0;
    if (fd < 0) {
        return -1;
    }
    addr.sin_addr.s_addr = htonl(0x7f000000u | from);
    (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (!nonblock) {
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0) {
        if (!nonblock || errno != EINPROGRESS) {
            close(fd);
            return -1;
        }
        *pending = 1;
    }
    return fd;
}

/* ---- the normal client ------------------------------------------------------------------ */

int nb_slow_normal_init(struct nb_slow_normal *n, const struct sockaddr_in *to)
{
    n->fd = -1;
    n->to = *to;
    for (int p = 0; p < NB_SLOW_PHASES; p++) {
        nb_vu_stats_init(&n->stats[p]);
    }
    return (n->buf = malloc(NB_SLOW_BUF)) != NULL ? BO_OK : BO_E_NOMEM;
}

void nb_slow_normal_fini(struct nb_slow_normal *n)
{
    if (n->buf != NULL && n->fd >= 0) { /* initialised: a zeroed n has fd 0 */
        close(n->fd);
    }
    n->fd = -1;
    free(n->buf);
    n->buf = NULL;
}

/* nb_slow_header_value finds header name (with its colon, any case) in head; NULL if absent. */
static const char *nb_slow_header_value(const char *head, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, len) == 0) {
            return p + 2 + len;
        }
    }
    return NULL;
}

/* nb_slow_read_answer reads one answer on n->fd into n->buf (its body from *body, cut at
 * NB_SLOW_BUF; the rest read and dropped) and its status into *status; -1 when none came
 * whole. Closes the connection when the answer says so. */
static int nb_slow_read_answer(struct nb_slow_normal *n, int *status, const char **body)
{
    size_t used = 0, head_len, want;
    const char *end = NULL, *v;
    char scratch[4096];
    ssize_t got;
    int close_after;

    while (end == NULL) {
        if (used + 1 >= NB_SLOW_BUF ||
            (got = recv(n->fd, n->buf + used, NB_SLOW_BUF - 1 - used, 0)) <= 0) {
            return -1;
        }
        used += (size_t)got;
        n->buf[used] = '\0';
        end = strstr(n->buf, "\r\n\r\n");
    }
    head_len = (size_t)(end - n->buf) + 4;
    if (sscanf(n->buf, "HTTP/%*s %d", status) != 1) {
        return -1;
    }
    /* The edge sends a length with every answer that has a body. */
    if ((v = nb_slow_header_value(n->buf, "content-length:")) != NULL) {
        want = head_len + strtoul(v, NULL, 10);
    } else if (*status == 204 || *status == 304) {
        want = head_len;
    } else {
        return -1;
    }
    close_after = (v = nb_slow_header_value(n->buf, "connection:")) != NULL &&
                  strncasecmp(v + strspn(v, " "), "close", 5) == 0;
    while (used < want) {
        int full = used >= NB_SLOW_BUF - 1;
        got = full ? recv(n->fd, scratch, sizeof(scratch), 0)
                   : recv(n->fd, n->buf + used, NB_SLOW_BUF - 1 - used, 0);
        if (got <= 0) {
            return -1;
        }
        if (!full) {
            n->buf[used + (size_t)got] = '\0';
        }
        used += (size_t)got;
    }
    *body = n->buf + head_len;
    if (close_after) {
        close(n->fd);
        n->fd = -1;
    }
    return 0;
}

/* nb_slow_call sends one request (connecting first when the last connection closed) and
 * reads its answer; BO_OK with *status and *body (in n->buf until the next call), or
 * BO_E_UNAVAILABLE when no whole answer came (the connection is then closed). */
static int nb_slow_call(struct nb_slow_normal *n, const char *req, int *status, const char **body)
{
    size_t len = strlen(req), off = 0;
    int pending;

    if (n->fd < 0) {
        if ((n->fd = nb_slow_dial(&n->to, 1, 0, &pending)) < 0) {
            return BO_E_UNAVAILABLE;
        }
        atomic_fetch_add_explicit(&n->connections, 1, memory_order_relaxed);
    }
    while (off < len) {
        ssize_t sent = send(n->fd, req + off, len - off, MSG_NOSIGNAL);
        if (sent <= 0) {
            break;
        }
        off += (size_t)sent;
    }
    if (off < len || nb_slow_read_answer(n, status, body) != 0) {
        close(n->fd);
        n->fd = -1;
        return BO_E_UNAVAILABLE;
    }
    return BO_OK;
}

/* nb_slow_issue issues (or, while it lives, finds again) the normal client's queue token at
 * concert with its identity token jwt, into n->token. */
static int nb_slow_issue(struct nb_slow_normal *n, const char *jwt, uint64_t concert)
{
    char req[1024], body[64];
    const char *answer, *t;
    int status = 0, rc;

    snprintf(body, sizeof(body), "{\"concertId\":%llu}", (unsigned long long)concert);
    snprintf(req, sizeof(req),
             "POST /api/v1/queue/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: "
             "boxoffice-nngbench\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             jwt, strlen(body), body);
    if ((rc = nb_slow_call(n, req, &status, &answer)) != BO_OK) {
        fprintf(stderr, "nngbench: the edge did not answer the token issue\n");
        return rc;
    }
    if ((status != 200 && status != 201) || (t = strstr(answer, "\"token\":\"")) == NULL) {
        fprintf(stderr, "nngbench: issuing the normal client's token answered %d: %.200s\n", status,
                answer);
        return BO_E_INTERNAL;
    }
    t += strlen("\"token\":\"");
    snprintf(n->token, sizeof(n->token), "%.*s", (int)strcspn(t, "\""), t);
    return BO_OK;
}

int nb_slow_normal_token(struct nb_slow_normal *n, const char *secret, uint64_t user_id,
                         uint64_t concert)
{
    char req[1024], jwt[NB_JWT_MAX];
    const char *answer;
    int status = 0, rc;

    if ((rc = nb_jwt_mint(secret, user_id, (int64_t)time(NULL) + NB_JWT_MARGIN_S, jwt,
                          sizeof(jwt))) != BO_OK ||
        (rc = nb_slow_issue(n, jwt, concert)) != BO_OK) {
        return rc;
    }
    snprintf(req, sizeof(req),
             "DELETE /api/v1/queue/tokens/current HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: "
             "boxoffice-nngbench\r\nAuthorization: Bearer %s\r\nQueue-Token: %s\r\n\r\n",
             jwt, n->token);
    if ((rc = nb_slow_call(n, req, &status, &answer)) != BO_OK || status >= 300 ||
        (rc = nb_slow_issue(n, jwt, concert)) != BO_OK) {
        fprintf(stderr, "nngbench: ending the normal client's earlier token failed (%d)\n", status);
        return rc != BO_OK ? rc : BO_E_INTERNAL;
    }
    snprintf(req, sizeof(req),
             "GET /api/v1/queue/tokens/current HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: "
             "boxoffice-nngbench\r\nQueue-Token: %s\r\n\r\n",
             n->token);
    for (int waited = 0; waited < NB_SLOW_TOKEN_WAIT_S * 10 && !nb_run_interrupted(); waited++) {
        if (nb_slow_call(n, req, &status, &answer) == BO_OK && status == 200 &&
            strstr(answer, "\"status\":\"ACTIVE\"") != NULL) {
            return BO_OK;
        }
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    fprintf(stderr, "nngbench: the normal client's token was not ACTIVE within %d s\n",
            NB_SLOW_TOKEN_WAIT_S);
    return BO_E_TIMEOUT;
}

void *nb_slow_normal_run(void *arg)
{
    struct nb_slow_normal *n = arg;
    char req[1024];

    for (unsigned i = 0; !atomic_load(&n->stop); i++) {
        int phase = atomic_load_explicit(&n->phase, memory_order_relaxed), status = 0, len;
        const char *body;
        len = snprintf(req, sizeof(req),
                       "GET /api/v1/schedules/%u/seats HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "User-Agent: boxoffice-nngbench\r\nQueue-Token: %s\r\n\r\n",
                       1 + i % NB_SLOW_SCHEDULES, n->token);
        uint64_t t0 = nb_now_us();
        int rc = nb_slow_call(n, req, &status, &body);
        uint64_t us = nb_now_us() - t0;
        int failed = rc != BO_OK || status >= 400;
        nb_vu_stats_record(&n->stats[phase], us, failed, (size_t)len, 0);
        if (rc != BO_OK) {
            atomic_fetch_add_explicit(&n->socket_errors[phase], 1, memory_order_relaxed);
            /* no answer at all (the edge down?): a pause, not a loop of refused connects */
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        } else if (status >= 400 && atomic_fetch_add_explicit(&n->status_errors[phase], 1,
                                                              memory_order_relaxed) == 0) {
            fprintf(stderr, "nngbench: the normal client's first error in the %s: %d %.200s\n",
                    nb_slow_phase_name(phase), status, body);
        }
    }
    return NULL;
}

/* ---- its figures ------------------------------------------------------------------------ */

void nb_slow_figures_of(struct nb_slow_normal *n, int p, double seconds, struct nb_slow_figures *f)
{
    nb_totals_init(&f->t);
    nb_totals_add(&f->t, &n->stats[p]);
    nb_report_latency(&f->t, &f->l);
    f->seconds = seconds;
    f->rate = seconds > 0 ? (double)f->t.requests / seconds : 0;
    f->status_errors = atomic_load(&n->status_errors[p]);
    f->unanswered = atomic_load(&n->socket_errors[p]);
    printf("normal client, %-8s %5.1f s: %llu requests (%.0f/s), %llu errors (%llu answered "
           ">= 400, %llu unanswered); latency mean %.2f ms, p50 %.2f, p99 %.2f, max %.2f\n",
           nb_slow_phase_name(p), seconds, (unsigned long long)f->t.requests, f->rate,
           (unsigned long long)f->t.failures, (unsigned long long)f->status_errors,
           (unsigned long long)f->unanswered, f->l.avg, f->l.med, f->l.p99, f->l.max);
}

void nb_slow_figures_json(cJSON *o, const char *name, const struct nb_slow_figures *f)
{
    cJSON *p = cJSON_AddObjectToObject(o, name);
    cJSON *lat = cJSON_AddObjectToObject(p, "latencyMs");

    cJSON_AddNumberToObject(p, "seconds", f->seconds);
    cJSON_AddNumberToObject(p, "requests", (double)f->t.requests);
    cJSON_AddNumberToObject(p, "errors", (double)f->t.failures);
    cJSON_AddNumberToObject(p, "statusErrors", (double)f->status_errors);
    cJSON_AddNumberToObject(p, "unanswered", (double)f->unanswered);
    cJSON_AddNumberToObject(p, "rate", f->rate);
    cJSON_AddNumberToObject(lat, "avg", f->l.avg);
    cJSON_AddNumberToObject(lat, "min", f->l.min);
    cJSON_AddNumberToObject(lat, "med", f->l.med);
    cJSON_AddNumberToObject(lat, "p90", f->l.p90);
    cJSON_AddNumberToObject(lat, "p95", f->l.p95);
    cJSON_AddNumberToObject(lat, "p99", f->l.p99);
    cJSON_AddNumberToObject(lat, "max", f->l.max);
}
