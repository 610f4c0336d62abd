/* dispatch: frame decoding, handler invocation and reply framing (see dispatch.h). */
#include "dispatch.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_log.h"
#include "handlers.h"
#include "metrics.h"
#include "rpc_call.h"

#include <stdio.h>
#include <time.h>

void rpc_call_fail(void *closure_data, int err)
{
    ((struct rpc_call *)closure_data)->err = err == BO_OK ? BO_E_INTERNAL : err;
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
}

int dispatch_request(struct svc_context *ctx, const void *frame, size_t len, nng_msg **reply)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    Boxoffice__V1__RequestEnvelope *env = NULL;
    ProtobufCMessage *in = NULL;
    struct rpc_call call = {ctx, 0, BO_OK, NULL};
    char message[160];
    const char *detail = NULL;

    if (len > BO_ENVELOPE_MAX_SIZE) {
        call.err = BO_E_TOO_LARGE;
        goto reply;
    }
    if ((env = boxoffice__v1__request_envelope__unpack(NULL, len, frame)) == NULL) {
        call.err = BO_E_MALFORMED_REQUEST;
        detail = "the frame is not a RequestEnvelope";
        goto reply;
    }
    call.request_id = env->request_id;
    ctx->request_id = env->request_id;
    if (env->method >= sd->n_methods) {
        call.err = BO_E_UNKNOWN_METHOD;
        snprintf(message, sizeof(message), "method %u does not exist (this service has %u)",
                 env->method, sd->n_methods);
        detail = message;
        goto reply;
    }
    in = protobuf_c_message_unpack(sd->methods[env->method].input, NULL, env->body.len,
                                   env->body.data);
    if (in == NULL) {
        call.err = BO_E_MALFORMED_REQUEST;
        snprintf(message, sizeof(message), "the body does not decode as %s",
                 sd->methods[env->method].input->name);
        detail = message;
        goto reply;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    protobuf_c_service_invoke_internal(handlers_service(), env->method, in, dispatch_closure,
                                       &call);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    metrics_rpc_observe(env->method, call.err,
                        (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
                            (t1.tv_nsec - t0.tv_nsec) / 1000);
    if (call.err == BO_E_INTERNAL) {
        BO_LOG(BO_LOG_ERROR, call.request_id, "%s failed internally",
               sd->methods[env->method].name);
    }

reply:
    if (in != NULL) {
        protobuf_c_message_free_unpacked(in, NULL);
    }
    if (env != NULL) {
        boxoffice__v1__request_envelope__free_unpacked(env, NULL);
    }
    ctx->request_id = 0;
    if (call.reply != NULL) {
        *reply = call.reply;
        return BO_OK;
    }
    return bo_envelope_reply_encode(call.request_id, call.err, detail, NULL, reply);
}
