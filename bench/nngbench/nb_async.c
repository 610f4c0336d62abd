/* nb_async: seats and bigmap VUs as NNG contexts driven by aio callbacks (see nb_async.h). */
#include "nb_async.h"

#include "nb_rpc.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_nng.h"

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <stdlib.h>
#include <string.h>

/* A parked VU looks at the target again after this long. */
#define NB_ASYNC_PARKED_MS 10

enum nb_async_state { NB_ASYNC_IDLE = 0, NB_ASYNC_SENDING, NB_ASYNC_RECEIVING, NB_ASYNC_PARKED };

struct nb_async_vu {
    struct nb_async *a;
    struct nb_vu *vu;
    nng_ctx ctx;
    nng_aio *aio;
    int ctx_open;
    int state;
    uint64_t started_us;
    size_t sent;
    uint64_t request_id;
};

struct nb_async {
    struct bo_nng nng;
    struct nb_scenario_ctx *sctx;
    atomic_int *target;
    struct nb_async_vu *v;
    int n;
    uint32_t method; /* ListSeats */
    atomic_int running;
};

static uint64_t nb_async_rand(uint64_t *s)
{
    /* xorshift64: any spread of dates will do */
    uint64_t x = *s != 0 ? *s : 0x9E3779B97F4A7C15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* nb_async_ok tells whether a reply envelope says OK (status absent or code 0). */
static int nb_async_ok(nng_msg *msg)
{
    Boxoffice__V1__ReplyEnvelope *e =
        boxoffice__v1__reply_envelope__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
    int ok = e != NULL && (e->status == NULL || e->status->code == 0);

    if (e != NULL) {
        boxoffice__v1__reply_envelope__free_unpacked(e, NULL);
    }
    return ok;
}

/* nb_async_next sends v's next request, parks it, or stops it. */
static void nb_async_next(struct nb_async_vu *v)
{
    struct nb_async *a = v->a;
    struct nb_scenario_ctx *sctx = a->sctx;
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    nng_msg *msg = NULL;

    if (atomic_load_explicit(&sctx->stop, memory_order_relaxed)) {
        v->state = NB_ASYNC_IDLE;
        atomic_fetch_sub(&a->running, 1);
        return;
    }
    if (v->vu->index >= atomic_load_explicit(a->target, memory_order_relaxed)) {
        v->state = NB_ASYNC_PARKED;
        nng_sleep_aio(NB_ASYNC_PARKED_MS, v->aio);
        return;
    }
    req.token = v->vu->token;
    req.schedule_id = sctx->schedule_ids[nb_async_rand(&v->vu->rng) % (uint64_t)sctx->nschedules];
    if (sctx->cfg->scenario_id == NB_SCENARIO_BIGMAP) {
        req.section = (char *)sctx->cfg->section;
        req.compact = sctx->cfg->compact != 0;
    }
    if (bo_envelope_request_encode(a->method, ++v->request_id, NULL, &req.base, &msg) != BO_OK) {
        nb_vu_stats_record(&v->vu->stats, 0, 1, 0, 0);
        v->state = NB_ASYNC_PARKED; /* out of memory: try again shortly */
        nng_sleep_aio(NB_ASYNC_PARKED_MS, v->aio);
        return;
    }
    v->sent = nng_msg_len(msg);
    v->state = NB_ASYNC_SENDING;
    v->started_us = nb_now_us();
    nng_aio_set_msg(v->aio, msg);
    nng_ctx_send(v->ctx, v->aio);
}

static void nb_async_callback(void *arg)
{
    struct nb_async_vu *v = arg;
    int rv = nng_aio_result(v->aio);

    switch (v->state) {
    case NB_ASYNC_SENDING:
        if (rv == 0) {
            v->state = NB_ASYNC_RECEIVING;
            nng_ctx_recv(v->ctx, v->aio);
            return;
        }
        nng_msg_free(nng_aio_get_msg(v->aio));
        nb_vu_stats_record(&v->vu->stats, nb_now_us() - v->started_us, 1, v->sent, 0);
        v->vu->iterations++;
        break;
    case NB_ASYNC_RECEIVING: {
        uint64_t us = nb_now_us() - v->started_us;
        if (rv == 0) {
            nng_msg *msg = nng_aio_get_msg(v->aio);
            nb_vu_stats_record(&v->vu->stats, us, !nb_async_ok(msg), v->sent, nng_msg_len(msg));
            nng_msg_free(msg);
        } else {
            nb_vu_stats_record(&v->vu->stats, us, 1, v->sent, 0);
        }
        v->vu->iterations++;
        break;
    }
    default:
        break; /* parked: the sleep ended */
    }
    nb_async_next(v);
}

int nb_async_open(struct nb_scenario_ctx *ctx, struct nb_vu *vus, int n, struct nb_async **out)
{
    struct nb_async *a;
    int rc;

    if ((ctx->cfg->scenario_id != NB_SCENARIO_SEATS &&
         ctx->cfg->scenario_id != NB_SCENARIO_BIGMAP) ||
        ctx->nschedules == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((a = calloc(1, sizeof(*a))) == NULL ||
        (a->v = calloc((size_t)(n > 0 ? n : 1), sizeof(*a->v))) == NULL) {
        free(a);
        return BO_E_NOMEM;
    }
    a->sctx = ctx;
    a->n = n;
    atomic_init(&a->running, 0);
    if ((rc = bo_method_index("ListSeats", &a->method)) != BO_OK ||
        (rc = bo_nng_connect(&a->nng, nng_req0_open, NULL, NULL, ctx->cfg->rpc_url)) != BO_OK) {
        nb_async_close(a);
        return rc;
    }
    (void)nng_socket_set_size(a->nng.sock, NNG_OPT_RECVMAXSZ, BO_ENVELOPE_MAX_SIZE);
    for (int i = 0; i < n; i++) {
        struct nb_async_vu *v = &a->v[i];
        v->a = a;
        v->vu = &vus[i];
        v->vu->rng = (uint64_t)i * 0x9E3779B97F4A7C15ULL + 1;
        if (nng_ctx_open(&v->ctx, a->nng.sock) != 0 ||
            nng_aio_alloc(&v->aio, nb_async_callback, v) != 0) {
            nb_async_close(a);
            return BO_E_NOMEM;
        }
        v->ctx_open = 1;
        nng_aio_set_timeout(v->aio, (nng_duration)ctx->cfg->timeout_ms);
    }
    *out = a;
    return BO_OK;
}

void nb_async_start(struct nb_async *a, int i, atomic_int *target)
{
    a->target = target;
    atomic_fetch_add(&a->running, 1);
    nb_async_next(&a->v[i]);
}

void nb_async_wait(struct nb_async *a)
{
    while (atomic_load(&a->running) > 0) {
        nng_msleep(5);
    }
}

void nb_async_close(struct nb_async *a)
{
    if (a == NULL) {
        return;
    }
    for (int i = 0; i < a->n; i++) {
        if (a->v[i].aio != NULL) {
            nng_aio_stop(a->v[i].aio);
        }
    }
    for (int i = 0; i < a->n; i++) {
        if (a->v[i].ctx_open) {
            nng_ctx_close(a->v[i].ctx);
        }
        nng_aio_free(a->v[i].aio);
    }
    bo_nng_close(&a->nng);
    free(a->v);
    free(a);
}
