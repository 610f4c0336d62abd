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

/* dispatch_from_memory serves frame as dispatch_request does only when it can be answered
 * without waiting on PostgreSQL or Redis: a seat map whose token, date and map the process
 * holds, or a frame that does not decode. It then writes the reply and sets *served; else
 * *served is 0, nothing was answered and the frame is the caller's to serve with
 * dispatch_request (on a thread that may wait). Fails only when no reply can be built. */
__attribute__((warn_unused_result)) int dispatch_from_memory(struct svc_context *ctx,
                                                             const void *frame, size_t len,
                                                             nng_msg **reply, int *served);

#endif
