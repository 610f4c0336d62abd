/*
 * rpc_call: the call a handler serves, as dispatch hands it over.
 *
 * dispatch owns the struct (on its stack, one per request) and passes it to
 * the generated invoke as closure_data; a handler reads its worker context,
 * allocates what its reply points to and ends the call through the functions
 * below, so handlers and dispatch know this header and not each other.
 */
#ifndef SVC_RPC_CALL_H
#define SVC_RPC_CALL_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "bo_envelope.h"

struct svc_context;
struct nng_msg;
struct rpc_block;

/* Bytes of a call's own scratch space: rpc_call_alloc hands these out first, so the common
 * replies (a 50-seat map, a token, a reservation) cost no heap allocation. */
#define RPC_CALL_SCRATCH 4096

/* Room for a failed call's own message. */
#define RPC_CALL_DETAIL BO_ENVELOPE_MESSAGE_MAX

struct rpc_call {
    struct svc_context *ctx; /* the worker's, borrowed for the call */
    uint64_t request_id;
    int err; /* BO_OK until the call fails or packing its reply fails */
    /* What a failure says besides its error: message ("": the error's default), retry
     * after (seconds, when a rate limit refused the call), the seats it concerns. */
    struct bo_envelope_failure why;
    struct nng_msg *reply;    /* the packed reply; owned by dispatch */
    struct rpc_block *blocks; /* rpc_call_alloc's blocks, released by dispatch after the call */
    size_t scratch_used;
    max_align_t scratch[RPC_CALL_SCRATCH / sizeof(max_align_t)];
};

/* rpc_call_context returns the worker context of the call behind a handler's closure_data. */
static inline struct svc_context *rpc_call_context(void *closure_data)
{
    return ((struct rpc_call *)closure_data)->ctx;
}

/* rpc_call_detail returns the call's message buffer (RPC_CALL_DETAIL bytes): what a handler
 * writes there is the message of its failure instead of the error's default. */
static inline char *rpc_call_detail(void *closure_data)
{
    return ((struct rpc_call *)closure_data)->why.message;
}

/* rpc_call_failure returns what a handler's failure says (its message, the seats it
 * concerns), written before it ends the call. */
static inline struct bo_envelope_failure *rpc_call_failure(void *closure_data)
{
    return &((struct rpc_call *)closure_data)->why;
}

/* rpc_call_retry_after returns where a handler refused by a rate limit writes when to retry. */
static inline uint32_t *rpc_call_retry_after(void *closure_data)
{
    return &((struct rpc_call *)closure_data)->why.retry_after;
}

/* rpc_call_alloc returns size zeroed bytes that live until the reply is packed (from the call's
 * scratch space while it lasts, else from the heap); dispatch then releases them, and owned with
 * them (memory from malloc the reply borrows from, or NULL). Out of memory it frees owned, fails
 * the call with BO_E_NOMEM and returns NULL. */
void *rpc_call_alloc(void *closure_data, size_t size, void *owned);

/* rpc_call_end ends the call with outcome rc, or, when rc is BO_OK, the failure of an earlier
 * rpc_call_alloc; closure (the handler's own, cast back to the ProtobufCClosure the generated
 * invoke cast it from) then receives reply, packed at once, or NULL when the call failed. */
void rpc_call_end(void *closure_data, ProtobufCClosure closure, const ProtobufCMessage *reply,
                  int rc);

#endif
