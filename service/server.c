/*
 * server: rep0 socket, one context and thread per worker (see server.h).
 *
 * Stopping never closes the socket under a waiting context: libnng 1.5 can hang in nng_close
 * when an aio is still pending on it (nanomsg/nng#1813, #1543, fixed upstream only). Workers
 * wait for requests with a short timeout and look at the stop flag in between; server_stop
 * raises the flag, joins them (each finishes the request it holds), and only then closes the
 * contexts and the socket, with no aio left on them.
 */
#include "server.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_log.h"
#include "bo_nng.h"
#include "dispatch.h"
#include "svc_context.h"

#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Frames up to this size are read so an oversize request can be answered with
 * BO_E_TOO_LARGE; beyond it NNG drops the connection to protect memory. */
#define SERVER_RECV_LIMIT (4 * BO_ENVELOPE_MAX_SIZE)

/* How long an idle worker waits before looking at the stop flag again. */
#define SERVER_IDLE_POLL_MS 200

/* A reply that cannot be handed to its connection in this time is dropped (the requester has
 * given up by then), so a stuck peer cannot keep a worker from stopping. */
#define SERVER_SEND_TIMEOUT_MS 5000

struct server_worker {
    struct server *server;
    struct svc_context ctx;
    struct bo_nng_ctx nc; /* its aio is used synchronously: the worker thread waits on it */
    pthread_t thread;
    int thread_started;
};

struct server {
    struct bo_nng nng;
    struct cache_batch *batch; /* the workers' shared Redis pipelines; NULL: off */
    atomic_int stopping;
    size_t nworkers;
    struct server_worker *workers;
};

static void *server_worker_main(void *arg)
{
    struct server_worker *w = arg;
    nng_msg *req, *rep;
    int rv;

    while (!atomic_load(&w->server->stopping)) {
        if ((rv = bo_nng_ctx_recv(&w->nc, &req)) != 0) {
            if (rv == NNG_ECLOSED) {
                break;
            }
            continue; /* NNG_ETIMEDOUT: look at the stop flag */
        }
        rv = dispatch_request(&w->ctx, nng_msg_body(req), nng_msg_len(req), &rep);
        nng_msg_free(req);
        if (rv != BO_OK) {
            BO_ERR("no reply could be built: %s", bo_error_message(rv));
            continue;
        }
        nng_aio_set_timeout(w->nc.aio, SERVER_SEND_TIMEOUT_MS);
        if ((rv = bo_nng_ctx_send(&w->nc, rep)) != 0) {
            /* The requester went away; the reply is still ours to free. */
            nng_msg_free(rep);
            if (rv == NNG_ECLOSED) {
                break;
            }
        }
        nng_aio_set_timeout(w->nc.aio, SERVER_IDLE_POLL_MS);
    }
    return NULL;
}

/* server_listen listens on every address of urls (comma-separated: e.g. a tcp:// one for other
 * hosts and an ipc:// one for local clients, whose unix socket costs less per message). */
static int server_listen(struct server *s, const char *urls)
{
    char url[sizeof(((struct svc_config *)0)->rpc_url)];
    const char *p = urls;
    int rv;

    do {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof(url)) {
            BO_ERR("cannot listen on '%s': an empty or too long address", urls);
            return BO_E_INVALID_ARGUMENT;
        }
        memcpy(url, p, len);
        url[len] = '\0';
        if ((rv = nng_listen(s->nng.sock, url, NULL, 0)) != 0) {
            BO_ERR("cannot listen on %s: %s", url, nng_strerror(rv));
            return BO_E_INVALID_ARGUMENT;
        }
        p += len;
    } while (*p++ == ',');
    return BO_OK;
}

int server_start(const struct svc_config *cfg, const struct svc_shared *shared, struct server **out)
{
    struct server *s;
    int rc;

    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return BO_E_NOMEM;
    }
    atomic_init(&s->stopping, 0);
    s->nworkers = (size_t)cfg->workers;
    if ((s->workers = calloc(s->nworkers, sizeof(*s->workers))) == NULL) {
        server_stop(s);
        return BO_E_NOMEM;
    }
    if (cfg->redis_batch && (rc = cache_batch_open(cfg->redis_url, &s->batch)) != BO_OK) {
        BO_ERR("the workers' shared Redis connection could not connect: %s", bo_error_message(rc));
        server_stop(s);
        return rc;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        s->workers[i].server = s;
        rc = svc_context_init(&s->workers[i].ctx, cfg);
        svc_context_share(&s->workers[i].ctx, shared);
        if (rc != BO_OK) {
            BO_ERR("worker %zu could not connect to PostgreSQL and Redis: %s", i,
                   bo_error_message(rc));
            server_stop(s);
            return rc;
        }
        if (s->batch != NULL) {
            cache_batch_attach(s->workers[i].ctx.cache, s->batch);
        }
    }
    if ((rc = bo_nng_open(&s->nng, nng_rep0_open)) != BO_OK ||
        nng_socket_set_size(s->nng.sock, NNG_OPT_RECVMAXSZ, SERVER_RECV_LIMIT) != 0) {
        server_stop(s);
        return BO_E_INTERNAL;
    }
    if ((rc = server_listen(s, cfg->rpc_url)) != BO_OK) {
        server_stop(s);
        return rc;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        struct server_worker *w = &s->workers[i];
        if ((rc = bo_nng_ctx_open(&w->nc, s->nng.sock, SERVER_IDLE_POLL_MS)) != BO_OK) {
            server_stop(s);
            return rc;
        }
        if (pthread_create(&w->thread, NULL, server_worker_main, w) != 0) {
            server_stop(s);
            return BO_E_INTERNAL;
        }
        w->thread_started = 1;
    }
    BO_INFO("serving rpc on %s with %zu workers", cfg->rpc_url, s->nworkers);
    *out = s;
    return BO_OK;
}

void server_stop(struct server *s)
{
    if (s == NULL) {
        return;
    }
    /* Workers first (see the top): then no aio is pending when the socket closes. */
    atomic_store(&s->stopping, 1);
    for (size_t i = 0; s->workers != NULL && i < s->nworkers; i++) {
        if (s->workers[i].thread_started) {
            pthread_join(s->workers[i].thread, NULL);
        }
    }
    for (size_t i = 0; s->workers != NULL && i < s->nworkers; i++) {
        bo_nng_ctx_close(&s->workers[i].nc);
        svc_context_fini(&s->workers[i].ctx);
    }
    bo_nng_close(&s->nng);
    cache_batch_close(s->batch);
    free(s->workers);
    free(s);
}
