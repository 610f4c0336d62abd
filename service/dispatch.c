/* dispatch: frame decoding, handler invocation and reply framing (see dispatch.h). */
#include "dispatch.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"
#include "handlers.h"
#include "identity.h"
#include "rate_limits.h"
#include "metrics.h"
#include "rpc_call.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The rpcs made for a user: they need a proof of identity (RequestEnvelope.proof), checked
 * once the request decodes and before its handler looks anything up, and some count against
 * a rate limit (IssueToken too, in the issue's own Redis call: queue_issue). */
static const struct dispatch_guard {
    const char *method;
    enum limit_action limit;
} dispatch_guards[] = {
    {"IssueToken", LIMIT_NONE}, {"HoldSeat", LIMIT_HOLD},    {"ChargePoints", LIMIT_CHARGE},
    {"LeaveQueue", LIMIT_NONE}, {"ReleaseHold", LIMIT_NONE}, {"Pay", LIMIT_NONE},
    {"GetBalance", LIMIT_NONE}, {"Logout", LIMIT_NONE},      {"Refund", LIMIT_NONE},
};

/* The rpcs a request may be answered on one of nng's own threads, when all it needs is in
 * memory (dispatch_from_memory). */
static const char *const dispatch_memory_methods[] = {"ListSeats"};

/* The rpcs a Batch serves in passes, their Redis commands of many calls in one pipeline
 * (cache_defer in cache.h): what they do before a token call or the revocation check may be
 * done again (reads, and the proof check). */
static const char *const dispatch_pipelined_methods[] = {"IssueToken", "GetToken"};

/* dispatch_listed tells whether method is among list[0..n). */
static int dispatch_listed(const char *const *list, size_t n, const char *method)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], method) == 0) {
            return 1;
        }
    }
    return 0;
}

static int dispatch_memory_method(const char *method)
{
    return dispatch_listed(dispatch_memory_methods,
                           sizeof(dispatch_memory_methods) / sizeof(dispatch_memory_methods[0]),
                           method);
}

static int dispatch_pipelined_method(const char *method)
{
    return dispatch_listed(
        dispatch_pipelined_methods,
        sizeof(dispatch_pipelined_methods) / sizeof(dispatch_pipelined_methods[0]), method);
}

static const struct dispatch_guard *dispatch_guard_find(const char *method)
{
    for (size_t i = 0; i < sizeof(dispatch_guards) / sizeof(dispatch_guards[0]); i++) {
        if (strcmp(dispatch_guards[i].method, method) == 0) {
            return &dispatch_guards[i];
        }
    }
    return NULL;
}

/* dispatch_identify sets the caller of env in ctx: its client address always, and for a guarded
 * method the proven user, refusing a missing, forged, expired or revoked proof and a caller
 * past the method's rate limit (*retry_after then says when to retry). */
static int dispatch_identify(struct svc_context *ctx, const Boxoffice__V1__RequestEnvelope *env,
                             const struct dispatch_guard *guard, uint32_t *retry_after)
{
    struct svc_caller *c = &ctx->caller;
    int64_t now;
    size_t len;
    int revoked = 0;
    int rc;

    c->client_addr = env->client_addr != NULL ? env->client_addr : "";
    if (guard == NULL) {
        return BO_OK; /* anyone may call it: a proof sent along is not looked at */
    }
    /* The same proof comes with every call of a client: verified once, then remembered. */
    now = bo_time_now_ms();
    len = env->proof != NULL ? strlen(env->proof) : 0;
    if (!proof_cache_get(&ctx->proofs, env->proof, len, now, &c->who)) {
        if ((rc = identity_verify(ctx->keys, env->proof, now, &c->who)) != BO_OK) {
            return rc;
        }
        proof_cache_put(&ctx->proofs, env->proof, len, &c->who);
    }
    if (c->who.kind == IDENTITY_SESSION) {
        if ((rc = cache_session_revoked(ctx->cache, c->who.session_id, &revoked)) != BO_OK) {
            return rc; /* refused while revocations cannot be read */
        }
        if (revoked) {
            return BO_E_SESSION_EXPIRED;
        }
    }
    c->proven = 1;
    return rate_limits_check(ctx, guard->limit, c->who.user_id, c->client_addr, retry_after);
}

/* One rpc_call_alloc: the bytes handed out follow the header. */
struct rpc_block {
    struct rpc_block *next;
    void *owned;
    max_align_t data[];
};

/* dispatch_in_scratch tells whether b was carved from call's scratch space. */
static int dispatch_in_scratch(const struct rpc_call *call, const struct rpc_block *b)
{
    const char *p = (const char *)b, *start = (const char *)call->scratch;

    return p >= start && p < start + sizeof(call->scratch);
}

void *rpc_call_alloc(void *closure_data, size_t size, void *owned)
{
    struct rpc_call *call = closure_data;
    size_t need = sizeof(struct rpc_block) + size;
    struct rpc_block *b;

    need = (need + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (need <= sizeof(call->scratch) - call->scratch_used) {
        b = (struct rpc_block *)((char *)call->scratch + call->scratch_used);
        call->scratch_used += need;
        memset(b, 0, need);
    } else if ((b = calloc(1, need)) == NULL) {
        free(owned);
        call->err = BO_E_NOMEM;
        return NULL;
    }
    b->next = call->blocks;
    b->owned = owned;
    call->blocks = b;
    return b->data;
}

void rpc_call_end(void *closure_data, ProtobufCClosure closure, const ProtobufCMessage *reply,
                  int rc)
{
    struct rpc_call *call = closure_data;

    if (rc != BO_OK) {
        call->err = rc;
    }
    closure(call->err == BO_OK ? reply : NULL, closure_data);
}

/* dispatch_blocks_free frees what the handler allocated for its reply, once it is packed. */
static void dispatch_blocks_free(struct rpc_call *call)
{
    while (call->blocks != NULL) {
        struct rpc_block *b = call->blocks;
        call->blocks = b->next;
        free(b->owned);
        if (!dispatch_in_scratch(call, b)) {
            free(b);
        }
    }
}

/* The closure every handler ends with: packs the response while it is still alive. */
static void dispatch_closure(const ProtobufCMessage *msg, void *closure_data)
{
    struct rpc_call *call = closure_data;

    if (msg == NULL) {
        if (call->err == BO_OK) {
            call->err = BO_E_INTERNAL;
        }
        return;
    }
    call->err = bo_envelope_reply_encode(call->request_id, BO_OK, NULL, msg, &call->reply);
    if (call->err == BO_E_TOO_LARGE) {
        /* Not the caller's request but this answer: a fault of the service's, said as such. */
        call->err = BO_E_INTERNAL;
        snprintf(call->why.message, sizeof(call->why.message),
                 "the answer (%zu bytes) is larger than a reply may be (%d bytes)",
                 protobuf_c_message_get_packed_size(msg), BO_ENVELOPE_REPLY_MAX_SIZE);
    }
}

/* dispatch_serve serves frame with ctx (see dispatch_request); memory_only: as
 * dispatch_from_memory, *served 0 when the request was left alone; batch_call (not NULL): as
 * dispatch_batch_call for that call. */
static int dispatch_serve(struct svc_context *ctx, const void *frame, size_t len, int memory_only,
                          const size_t *batch_call, nng_msg **reply, int *served)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    Boxoffice__V1__RequestEnvelope *env = NULL;
    ProtobufCMessage *in = NULL;
    struct rpc_call call; /* fields set below: the scratch space is not cleared per request */

    call.ctx = ctx;
    call.request_id = 0;
    call.err = BO_OK;
    call.why.message[0] = '\0';
    call.why.retry_after = 0;
    call.why.n_seat_nos = 0;
    call.reply = NULL;
    call.blocks = NULL;
    call.scratch_used = 0;
    if (len > BO_ENVELOPE_MAX_SIZE) {
        call.err = BO_E_TOO_LARGE;
        goto reply;
    }
    if ((env = boxoffice__v1__request_envelope__unpack(NULL, len, frame)) == NULL) {
        call.err = BO_E_MALFORMED_REQUEST;
        snprintf(call.why.message, sizeof(call.why.message), "the frame is not a RequestEnvelope");
        goto reply;
    }
    call.request_id = env->request_id;
    ctx->request_id = env->request_id;
    if (env->method >= sd->n_methods) {
        call.err = BO_E_UNKNOWN_METHOD;
        snprintf(call.why.message, sizeof(call.why.message),
                 "method %u does not exist (this service has %u)", env->method, sd->n_methods);
        goto reply;
    }
    if (memory_only && !dispatch_memory_method(sd->methods[env->method].name)) {
        *served = 0;
        goto reply;
    }
    if (batch_call != NULL) {
        int pipelined = dispatch_pipelined_method(sd->methods[env->method].name);
        if (ctx->batch_waits > 1 || (ctx->batch_waits == 1 && !pipelined)) {
            /* A call before it is not answered yet: it waits, and every call after it, to
             * keep their order. */
            ctx->batch_waits = 2;
            *served = 0;
            goto reply;
        }
        if (pipelined) {
            cache_defer_serve(ctx->cache, *batch_call);
        }
    }
    in = protobuf_c_message_unpack(sd->methods[env->method].input, NULL, env->body.len,
                                   env->body.data);
    if (in == NULL) {
        call.err = BO_E_MALFORMED_REQUEST;
        snprintf(call.why.message, sizeof(call.why.message), "the body does not decode as %s",
                 sd->methods[env->method].input->name);
        goto reply;
    }
    /* The request decodes; whether it may be made is decided before any handler runs, and a
     * refusal is counted like any other answer. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ctx->memory_only = memory_only;
    ctx->needs_io = 0;
    call.err = dispatch_identify(ctx, env, dispatch_guard_find(sd->methods[env->method].name),
                                 &call.why.retry_after);
    if (call.err == BO_OK) {
        protobuf_c_service_invoke_internal(handlers_service(), env->method, in, dispatch_closure,
                                           &call);
        dispatch_blocks_free(&call);
    }
    ctx->memory_only = 0;
    if (ctx->needs_io || (batch_call != NULL && cache_defer_stopped(ctx->cache))) {
        /* Served again from the start, by the worker or by the Batch's next pass: this
         * attempt answered nothing. */
        if (call.reply != NULL) {
            nng_msg_free(call.reply);
            call.reply = NULL;
        }
        *served = 0;
        goto reply;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    metrics_rpc_observe(env->method, call.err,
                        (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
                            (t1.tv_nsec - t0.tv_nsec) / 1000);
    if (call.err == BO_E_INTERNAL) {
        BO_LOG(BO_LOG_ERROR, call.request_id, "%s failed internally",
               sd->methods[env->method].name);
    }

reply:
    if (batch_call != NULL) {
        cache_defer_direct(ctx->cache);
    }
    if (in != NULL) {
        protobuf_c_message_free_unpacked(in, NULL);
    }
    if (env != NULL) {
        boxoffice__v1__request_envelope__free_unpacked(env, NULL);
    }
    ctx->request_id = 0;
    memset(&ctx->caller, 0, sizeof(ctx->caller));
    if (!*served) {
        return BO_OK;
    }
    if (call.reply != NULL) {
        *reply = call.reply;
        return BO_OK;
    }
    return bo_envelope_reply_encode(call.request_id, call.err, &call.why, NULL, reply);
}

int dispatch_request(struct svc_context *ctx, const void *frame, size_t len, nng_msg **reply)
{
    int served = 1;

    return dispatch_serve(ctx, frame, len, 0, NULL, reply, &served);
}

int dispatch_batch_call(struct svc_context *ctx, size_t i, const void *frame, size_t len,
                        nng_msg **reply, int *served)
{
    *served = 1;
    return dispatch_serve(ctx, frame, len, 0, &i, reply, served);
}

int dispatch_from_memory(struct svc_context *ctx, const void *frame, size_t len, nng_msg **reply,
                         int *served)
{
    *served = 1;
    return dispatch_serve(ctx, frame, len, 1, NULL, reply, served);
}
