/*
 * br_call: one rpc to the service for a REST request, over the worker
 * thread's own libboxoffice session (opened on first use, kept for the
 * thread's life: one NNG round trip per request, no set-up per request),
 * and the one path most routes take: call, map the status, write the
 * reply as JSON.
 */
#ifndef BR_CALL_H
#define BR_CALL_H

#include <protobuf-c/protobuf-c.h>

#include "br_http.h"
#include "br_json.h"

/*
 * A reply writer writes the JSON body for rep (the rpc's reply: cast it to its type) and arg
 * (as given to br_call_json); returns the HTTP status to answer with, or 0 when rep lacks
 * what the body needs.
 */
typedef int (*br_reply_fn)(struct br_json *j, const ProtobufCMessage *rep, const void *arg);

/* A route's rpc: which method, how its reply is written, what a reply must carry. */
struct br_rpc {
    const char *method; /* the service's rpc name, "GetToken" */
    br_reply_fn write;
    const char *needs; /* named when write returns 0: "a token" */
};

/*
 * br_call calls method with in. Returns 0 with *out set (caller frees with
 * protobuf_c_message_free_unpacked), or answers the request with the error (the service's
 * code and message; 503 UNAVAILABLE when the service is unreachable or too slow) and returns
 * that HTTP status.
 */
int br_call(struct br_req *r, const char *method, const ProtobufCMessage *in,
            ProtobufCMessage **out);

/*
 * br_call_json calls rpc->method with in and answers the request: the error as br_call
 * does, 500 INTERNAL "the service answered without <needs>" when the writer finds the reply
 * lacking, else the body rpc->write wrote with the status it returned. Frees the reply;
 * returns the HTTP status written.
 */
int br_call_json(struct br_req *r, const struct br_rpc *rpc, const ProtobufCMessage *in,
                 const void *arg);

/* br_call_thread_fini closes the thread's session; safe when none was opened. */
void br_call_thread_fini(struct br_thread *t);

#endif
