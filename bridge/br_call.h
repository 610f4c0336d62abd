/*
 * br_call: one rpc to the service for a REST request, over the worker
 * thread's own libboxoffice session (opened on first use, kept for the
 * thread's life: one NNG round trip per request, no set-up per request),
 * and the one path every route that calls the service takes: fill the
 * request from the headers, the body and the path, call as the request's
 * caller, map the status, write the reply as JSON.
 */
#ifndef BR_CALL_H
#define BR_CALL_H

#include <protobuf-c/protobuf-c.h>

#include "br_http.h"
#include "br_json.h"

/*
 * A reply writer writes the JSON body for rep (the rpc's reply: cast it to its type), which
 * answers req; returns the HTTP status to answer with, or 0 when rep lacks what the body
 * needs.
 */
typedef int (*br_reply_fn)(struct br_json *j, const ProtobufCMessage *rep,
                           const ProtobufCMessage *req);

/*
 * An after hook runs on a successful reply rep to req, before it is written: it tells the
 * bridge's memory what the reply says (br_seatmaps). It returns 0 for the reply to be written
 * as the rpc says, or the HTTP status of the answer it wrote itself.
 */
typedef int (*br_after_fn)(struct br_req *r, const ProtobufCMessage *rep,
                           const ProtobufCMessage *req);

struct br_input_field;

/*
 * A route's rpc: where its request comes from and how the reply becomes the body. Fields of
 * messages are named by their member names (br_pb.h): "userId", not "user_id".
 */
struct br_rpc {
    const char *method; /* the service's rpc name, "GetToken" */
    /* the request, besides the fields every route fills from headers (br_call_json): */
    const struct br_input_field *input; /* body members, {NULL}-terminated (br_input.h), or NULL */
    const char *path_id;                /* the uint64 field the path's id goes in, or NULL */
    /* the reply: written by write, or, when write is NULL, as body, keys and echo say */
    br_reply_fn write;
    const char *body;        /* the reply's message field answered ("token"); NULL: the reply */
    const char *const *keys; /* the body's members (br_pb_json_members); NULL: every field */
    const char *echo;        /* a uint64 reply field the service may leave 0: the request's */
    int status;              /* the HTTP status of the answer */
    const char *needs;       /* named when the reply lacks the body: "a token" */
    br_after_fn after;       /* run on a successful reply before it is written, or NULL */
    int batched; /* 1: calls of many threads at once travel together (bo_call_batched) */
};

/*
 * br_call calls method with in on behalf of r's caller (br_caller.h: the Bearer proof and the
 * client's address, set on the thread's session for this call alone). Returns 0 with *out set
 * (caller frees with protobuf_c_message_free_unpacked), or answers the request with the error
 * and returns that HTTP status: 401 SESSION_INVALID for a malformed Authorization (before any
 * call), else the service's code and message (429 RATE_LIMITED with Retry-After; 503
 * UNAVAILABLE when the service is unreachable or too slow).
 */
int br_call(struct br_req *r, const char *method, const ProtobufCMessage *in,
            ProtobufCMessage **out);

/*
 * br_call_json fills in from r: its "token", "adminKey" and "idempotencyKey" fields, where in
 * has them, from the Queue-Token, Admin-Key and Idempotency-Key headers ("" when absent: the
 * service answers what is missing; a present Idempotency-Key must be 1 to 128 printable
 * ASCII characters), then rpc->input from the body, then rpc->path_id from the path. Calls
 * rpc->method with in and answers the request: the first problem with the request (400) or
 * the error as br_call does, what rpc->after answered, 500 INTERNAL "the service answered
 * without <needs>" when the reply lacks the body, else the body with its status. in's strings
 * borrow from r. Frees the reply; returns the HTTP status written.
 */
int br_call_json(struct br_req *r, const struct br_rpc *rpc, ProtobufCMessage *in);

/* br_call_route answers r by rpc alone: an empty request of the method's input type, filled
 * and called by br_call_json. */
int br_call_route(struct br_req *r, const struct br_rpc *rpc);

/* br_call_thread_fini closes the thread's session; safe when none was opened. */
void br_call_thread_fini(struct br_thread *t);

#endif
