/*
 * rpc_call: the call a handler serves, as dispatch hands it over.
 *
 * dispatch owns the struct (on its stack, one per request) and passes it to
 * the generated invoke as closure_data; a handler reads its worker context
 * and records a failure through the two functions below, so handlers and
 * dispatch know this header and not each other.
 */
#ifndef SVC_RPC_CALL_H
#define SVC_RPC_CALL_H

#include <stdint.h>

struct svc_context;
struct nng_msg;

struct rpc_call {
    struct svc_context *ctx; /* the worker's, borrowed for the call */
    uint64_t request_id;
    int err;               /* BO_OK until rpc_call_fail, or packing the reply, fails it */
    struct nng_msg *reply; /* the packed reply; owned by dispatch */
};

/* rpc_call_context returns the worker context of the call behind a handler's closure_data. */
static inline struct svc_context *rpc_call_context(void *closure_data)
{
    return ((struct rpc_call *)closure_data)->ctx;
}

/* rpc_call_fail records err (BO_E_INTERNAL for BO_OK) as the outcome of the call; the handler
 * then calls its closure with NULL. */
void rpc_call_fail(void *closure_data, int err);

#endif
