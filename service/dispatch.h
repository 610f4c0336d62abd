/*
 * dispatch: one request frame in, one reply frame out.
 *
 * The envelope names the method by its index in the generated service
 * descriptor; the request body is unpacked with that method's input
 * descriptor and handed to the handler the generated service struct holds
 * for it (handlers.c), gRPC-style. Bad frames of any kind get an
 * INVALID_ARGUMENT reply, never a crash or a silent drop.
 */
#ifndef SVC_DISPATCH_H
#define SVC_DISPATCH_H

#include <nng/nng.h>
#include <stddef.h>

#include "svc_context.h"

/* dispatch_request serves one frame with ctx and writes the reply (caller owns it).
 * Fails only when no reply can be built (out of memory). */
__attribute__((warn_unused_result)) int dispatch_request(struct svc_context *ctx, const void *frame,
                                                         size_t len, nng_msg **reply);

/* dispatch_batch_call serves frame, call i of a Batch whose calls ctx->cache serves in passes
 * (cache_defer_begin), as dispatch_request does. A token issue or read that stops at a Redis
 * command collected for the pass's pipeline answers nothing: *served is 0, and the call is
 * served again, from the start, after cache_defer_flush. So does any other call while
 * ctx->batch_waits says a call before it is not answered, and every call after that one: the
 * calls keep their order. Else the reply is written and *served set. Fails only when no reply
 * can be built. */
__attribute__((warn_unused_result)) int dispatch_batch_call(struct svc_context *ctx, size_t i,
                                                            const void *frame, size_t len,
                                                            nng_msg **reply, int *served);

/* dispatch_from_memory serves frame as dispatch_request does only when it can be answered
 * without waiting on PostgreSQL or Redis: a seat map whose token, date and map the process
 * holds, or a frame that does not decode. It then writes the reply and sets *served; else
 * *served is 0, nothing was answered and the frame is the caller's to serve with
 * dispatch_request (on a thread that may wait). Fails only when no reply can be built. */
__attribute__((warn_unused_result)) int dispatch_from_memory(struct svc_context *ctx,
                                                             const void *frame, size_t len,
                                                             nng_msg **reply, int *served);

#endif
