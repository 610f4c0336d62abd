/*
 * br_call: one rpc to the service for a REST request, over the worker
 * thread's own libboxoffice session (opened on first use, kept for the
 * thread's life: one NNG round trip per request, no set-up per request).
 */
#ifndef BR_CALL_H
#define BR_CALL_H

#include <protobuf-c/protobuf-c.h>

#include "br_http.h"

/*
 * br_call calls method with in. Returns 0 with *out set (caller frees with
 * protobuf_c_message_free_unpacked), or answers the request with the error (the service's
 * code and message; 503 UNAVAILABLE when the service is unreachable or too slow) and returns
 * that HTTP status.
 */
int br_call(struct br_req *r, const char *method, const ProtobufCMessage *in,
            ProtobufCMessage **out);

/* br_call_thread_fini closes the thread's session; safe when none was opened. */
void br_call_thread_fini(struct br_thread *t);

#endif
