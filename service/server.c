/*
 * server: rep0 socket, one context and thread per worker (see server.h).
 *
 * A worker's context is driven by aio callbacks, which nng runs on its own threads. A request
 * that can be answered from memory (dispatch_from_memory: a seat map) is answered right there,
 * in the callback: waking a worker thread for it cost more than the answer itself (with a
 * thread woken per request, seat maps over NNG ran at half the rate). Every other request is
 * handed to the worker's thread, which may wait on PostgreSQL and Redis without holding up
 * nng's threads, and sends its reply from there. Either way a context serves one request at a
 * time, so its svc_context is used by one thread at a time.
 *
 * Stopping never closes the socket under a pending aio: libnng 1.5 can hang in nng_close when
 * an aio is still pending on it (nanomsg/nng#1813, #1543, fixed upstream only). A context
 * waits for requests with a short timeout and looks at the stop flag in between; server_stop
 * raises the flag and waits until every context has gone quiet (its request answered, no aio
 * posted again), then ends the threads and only then closes the contexts and the socket.
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

/* How long an idle context waits before looking at the stop flag again. */
#define SERVER_IDLE_POLL_MS 200

/* A reply that cannot be handed to its connection in this time is dropped (the requester has
 * given up by then), so a stuck peer cannot keep a context from going quiet. */
#define SERVER_SEND_TIMEOUT_MS 5000

struct server_worker {
    struct server *server;
    struct svc_context ctx; /* one request at a time: in a callback or on the thread */
    nng_ctx nc;
    int nc_open;
    nng_aio *recv_aio; /* completes in server_on_request */
    nng_aio *send_aio; /* completes in server_on_sent */
    int armed;         /* a receive was posted: the context must go quiet before closing */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    nng_msg *request; /* handed to the thread; under lock */
    int exit;         /* the thread is to end; under lock */
};

struct server {
    struct bo_nng nng;
    struct cache_batch *batch; /* the workers' shared Redis pipelines; NULL: off */
    atomic_int stopping;
    pthread_mutex_t lock;
    pthread_cond_t quieted;
    size_t nquiet; /* contexts gone quiet since stopping; under lock */
    size_t nworkers;
    struct server_worker *workers;
};

/* server_quiet notes that w's context posts nothing more. */
static void server_quiet(struct server_worker *w)
{
    struct server *s = w->server;

    pthread_mutex_lock(&s->lock);
    s->nquiet++;
    pthread_cond_broadcast(&s->quieted);
    pthread_mutex_unlock(&s->lock);
}

/* server_listen waits for w's next request, unless the server is stopping. */
static void server_listen(struct server_worker *w)
{
    if (atomic_load(&w->server->stopping)) {
        server_quiet(w);
        return;
    }
    nng_ctx_recv(w->nc, w->recv_aio);
}

/* server_reply sends the reply dispatch built (rv its code), or listens again without one. */
static void server_reply(struct server_worker *w, int rv, nng_msg *rep)
{
    if (rv != BO_OK) {
        BO_ERR("no reply could be built: %s", bo_error_message(rv));
        server_listen(w);
        return;
    }
    nng_aio_set_msg(w->send_aio, rep);
    nng_ctx_send(w->nc, w->send_aio);
}

static void server_on_request(void *arg)
{
    struct server_worker *w = arg;
    nng_msg *req, *rep = NULL;
    int served = 0;
    int rv;

    if ((rv = nng_aio_result(w->recv_aio)) != 0) {
        if (rv == NNG_ECLOSED) {
            server_quiet(w);
        } else {
            server_listen(w); /* NNG_ETIMEDOUT: look at the stop flag */
        }
        return;
    }
    req = nng_aio_get_msg(w->recv_aio);
    nng_aio_set_msg(w->recv_aio, NULL);
    rv = dispatch_from_memory(&w->ctx, nng_msg_body(req), nng_msg_len(req), &rep, &served);
    if (!served) {
        pthread_mutex_lock(&w->lock);
        w->request = req;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    nng_msg_free(req);
    server_reply(w, rv, rep);
}

static void server_on_sent(void *arg)
{
    struct server_worker *w = arg;
    int rv;

    if ((rv = nng_aio_result(w->send_aio)) != 0) {
        /* The requester went away; the reply is still ours to free. */
        nng_msg_free(nng_aio_get_msg(w->send_aio));
        nng_aio_set_msg(w->send_aio, NULL);
        if (rv == NNG_ECLOSED) {
            server_quiet(w);
            return;
        }
    }
    server_listen(w);
}

/* The worker's thread: serves the requests its context could not answer from memory. */
static void *server_worker_main(void *arg)
{
    struct server_worker *w = arg;

    for (;;) {
        nng_msg *req, *rep = NULL;
        int rv;

        pthread_mutex_lock(&w->lock);
        while (w->request == NULL && !w->exit) {
            pthread_cond_wait(&w->wake, &w->lock);
        }
        req = w->request;
        w->request = NULL;
        pthread_mutex_unlock(&w->lock);
        if (req == NULL) {
            return NULL; /* exit, with nothing left to serve */
        }
        rv = dispatch_request(&w->ctx, nng_msg_body(req), nng_msg_len(req), &rep);
        nng_msg_free(req);
        server_reply(w, rv, rep);
    }
}

/* server_bind listens on every address of urls (comma-separated: e.g. a tcp:// one for other
 * hosts and an ipc:// one for local clients, whose unix socket costs less per message). */
static int server_bind(struct server *s, const char *urls)
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

/* server_worker_open opens w's context and aios and starts its thread; it listens once the
 * socket does (server_listen). */
static int server_worker_open(struct server_worker *w)
{
    if (nng_ctx_open(&w->nc, w->server->nng.sock) != 0) {
        return BO_E_INTERNAL;
    }
    w->nc_open = 1;
    if (nng_aio_alloc(&w->recv_aio, server_on_request, w) != 0 ||
        nng_aio_alloc(&w->send_aio, server_on_sent, w) != 0) {
        return BO_E_NOMEM;
    }
    nng_aio_set_timeout(w->recv_aio, SERVER_IDLE_POLL_MS);
    nng_aio_set_timeout(w->send_aio, SERVER_SEND_TIMEOUT_MS);
    if (pthread_create(&w->thread, NULL, server_worker_main, w) != 0) {
        return BO_E_INTERNAL;
    }
    w->thread_started = 1;
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
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->quieted, NULL);
    s->nworkers = (size_t)cfg->workers;
    if ((s->workers = calloc(s->nworkers, sizeof(*s->workers))) == NULL) {
        s->nworkers = 0;
        server_stop(s);
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        s->workers[i].server = s;
        pthread_mutex_init(&s->workers[i].lock, NULL);
        pthread_cond_init(&s->workers[i].wake, NULL);
    }
    if (cfg->redis_batch && (rc = cache_batch_open(cfg->redis_url, &s->batch)) != BO_OK) {
        BO_ERR("the workers' shared Redis connection could not connect: %s", bo_error_message(rc));
        server_stop(s);
        return rc;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
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
    if ((rc = server_bind(s, cfg->rpc_url)) != BO_OK) {
        server_stop(s);
        return rc;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        if ((rc = server_worker_open(&s->workers[i])) != BO_OK) {
            server_stop(s);
            return rc;
        }
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        s->workers[i].armed = 1;
        server_listen(&s->workers[i]);
    }
    BO_INFO("serving rpc on %s with %zu workers", cfg->rpc_url, s->nworkers);
    *out = s;
    return BO_OK;
}

void server_stop(struct server *s)
{
    size_t narmed = 0;

    if (s == NULL) {
        return;
    }
    /* Contexts first (see the top): then no aio is pending when the socket closes. */
    atomic_store(&s->stopping, 1);
    for (size_t i = 0; i < s->nworkers; i++) {
        narmed += (size_t)s->workers[i].armed;
    }
    pthread_mutex_lock(&s->lock);
    while (s->nquiet < narmed) {
        pthread_cond_wait(&s->quieted, &s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < s->nworkers; i++) {
        struct server_worker *w = &s->workers[i];
        if (w->thread_started) {
            pthread_mutex_lock(&w->lock);
            w->exit = 1;
            pthread_cond_signal(&w->wake);
            pthread_mutex_unlock(&w->lock);
            pthread_join(w->thread, NULL);
        }
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        struct server_worker *w = &s->workers[i];
        /* nng_aio_free waits for a callback still returning. */
        nng_aio_free(w->recv_aio);
        nng_aio_free(w->send_aio);
        if (w->nc_open) {
            nng_ctx_close(w->nc);
        }
        svc_context_fini(&w->ctx);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
    }
    bo_nng_close(&s->nng);
    cache_batch_close(s->batch);
    pthread_cond_destroy(&s->quieted);
    pthread_mutex_destroy(&s->lock);
    free(s->workers);
    free(s);
}
