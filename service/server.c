/* server: rep0 socket, one context and thread per worker (see server.h). */
#include "server.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_log.h"
#include "dispatch.h"
#include "svc_context.h"

#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdlib.h>

/* Frames up to this size are read so an oversize request can be answered with
 * BO_E_TOO_LARGE; beyond it NNG drops the connection to protect memory. */
#define SERVER_RECV_LIMIT (4 * BO_ENVELOPE_MAX_SIZE)

struct server_worker {
    struct server *server;
    struct svc_context ctx;
    nng_ctx nctx;
    int nctx_open;
    nng_aio *aio; /* used synchronously: the worker thread waits on it */
    pthread_t thread;
    int thread_started;
};

struct server {
    nng_socket sock;
    int sock_open;
    size_t nworkers;
    struct server_worker *workers;
};

static void *server_worker_main(void *arg)
{
    struct server_worker *w = arg;
    nng_msg *req, *rep;
    int rv;

    for (;;) {
        nng_ctx_recv(w->nctx, w->aio);
        nng_aio_wait(w->aio);
        if ((rv = nng_aio_result(w->aio)) != 0) {
            if (rv == NNG_ECLOSED) {
                break;
            }
            continue;
        }
        req = nng_aio_get_msg(w->aio);
        rv = dispatch_request(&w->ctx, nng_msg_body(req), nng_msg_len(req), &rep);
        nng_msg_free(req);
        if (rv != BO_OK) {
            BO_ERR("no reply could be built: %s", bo_error_message(rv));
            continue;
        }
        nng_aio_set_msg(w->aio, rep);
        nng_ctx_send(w->nctx, w->aio);
        nng_aio_wait(w->aio);
        if ((rv = nng_aio_result(w->aio)) != 0) {
            /* The requester went away; the reply is still ours to free. */
            nng_msg_free(rep);
            if (rv == NNG_ECLOSED) {
                break;
            }
        }
    }
    return NULL;
}

int server_start(const struct svc_config *cfg, struct server **out)
{
    struct server *s;
    int rc, rv;

    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return BO_E_NOMEM;
    }
    s->nworkers = (size_t)cfg->workers;
    if ((s->workers = calloc(s->nworkers, sizeof(*s->workers))) == NULL) {
        server_stop(s);
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        s->workers[i].server = s;
        if ((rc = svc_context_init(&s->workers[i].ctx, cfg)) != BO_OK) {
            BO_ERR("worker %zu could not connect to PostgreSQL and Redis: %s", i,
                   bo_error_message(rc));
            server_stop(s);
            return rc;
        }
    }
    if ((rv = nng_rep0_open(&s->sock)) != 0) {
        server_stop(s);
        return BO_E_INTERNAL;
    }
    s->sock_open = 1;
    if (nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, SERVER_RECV_LIMIT) != 0) {
        server_stop(s);
        return BO_E_INTERNAL;
    }
    if ((rv = nng_listen(s->sock, cfg->rpc_url, NULL, 0)) != 0) {
        BO_ERR("cannot listen on %s: %s", cfg->rpc_url, nng_strerror(rv));
        server_stop(s);
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        struct server_worker *w = &s->workers[i];
        if (nng_ctx_open(&w->nctx, s->sock) != 0) {
            server_stop(s);
            return BO_E_INTERNAL;
        }
        w->nctx_open = 1;
        if (nng_aio_alloc(&w->aio, NULL, NULL) != 0) {
            server_stop(s);
            return BO_E_NOMEM;
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
    /* Closing the socket ends every blocked context call with NNG_ECLOSED. */
    if (s->sock_open) {
        nng_close(s->sock);
    }
    for (size_t i = 0; s->workers != NULL && i < s->nworkers; i++) {
        struct server_worker *w = &s->workers[i];
        if (w->thread_started) {
            pthread_join(w->thread, NULL);
        }
        if (w->aio != NULL) {
            nng_aio_free(w->aio);
        }
        svc_context_fini(&w->ctx);
    }
    free(s->workers);
    free(s);
}
