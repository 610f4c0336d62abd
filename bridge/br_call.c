/* br_call: rpc over the thread's session, and request -> call -> status -> JSON (see br_call.h). */
#include "br_call.h"

#include "bo_log.h"
#include "boxoffice/client.h"
#include "boxoffice/v1/boxoffice.pb-c.h"
#include "br_caller.h"
#include "br_config.h"
#include "br_input.h"
#include "br_pb.h"
#include "br_status.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Room for the largest request br_call_route builds. */
#define BR_CALL_REQUEST_MAX 256

/* The request fields filled from headers, where a request has them; a header with a length
 * limit is checked when present. */
static const struct {
    const char *field;
    const char *header;
    size_t max;
} br_call_headers[] = {
    {"token", "Queue-Token", 0},
    {"adminKey", "Admin-Key", 0},
    {"idempotencyKey", "Idempotency-Key", 128},
};

/* br_call_failed answers r with the error of a call that returned rc with st: the service's
 * message, and for RATE_LIMITED when to try again (Retry-After, at least 1 s). */
static int br_call_failed(struct br_req *r, const char *method, int rc, const struct bo_status *st)
{
    char retry[40];
    const char *extra = NULL;

    if (rc == BO_E_UNAVAILABLE || rc == BO_E_TIMEOUT || rc == BO_E_UNKNOWN_METHOD) {
        BO_DEBUG("rpc %s failed: %s %s", method, bo_error_name(rc), st->message);
    }
    if (rc == BO_E_RATE_LIMITED) {
        snprintf(retry, sizeof(retry), "Retry-After: %u\r\n",
                 st->retry_after_seconds > 0 ? (unsigned)st->retry_after_seconds : 1u);
        extra = retry;
    }
    if (st->n_seat_nos > 0) { /* SEAT_TAKEN, SEAT_NOT_FOUND: which seats, for programs too */
        size_t cap = sizeof(st->seat_nos) / sizeof(st->seat_nos[0]);
        size_t n = st->n_seat_nos < cap ? st->n_seat_nos : cap;
        return br_http_error_seats(r, rc, st->seat_nos, n, "%s",
                                   st->message[0] != '\0' ? st->message : bo_error_message(rc));
    }
    if (st->message[0] == '\0') {
        return br_http_error_hdr(r, rc, extra, NULL);
    }
    return br_http_error_hdr(r, rc, extra, "%s", st->message);
}

/* br_call_as is br_call, through bo_call_batched when batched. */
static int br_call_as(struct br_req *r, const char *method, const ProtobufCMessage *in,
                      ProtobufCMessage **out, int batched)
{
    struct bo_session *s = r->t->session;
    struct br_caller who;
    struct bo_status st;
    int rc;

    if ((rc = br_caller_read(r->ri, &r->t->shared->cfg->trusted_proxy_ip, &who)) != BO_OK) {
        return br_http_error(r, rc, "Authorization must be \"Bearer <session or identity token>\"");
    }
    if (s == NULL) {
        rc = bo_session_open(r->t->shared->client, &s);
        if (rc != BO_OK) {
            BO_ERR("cannot open an rpc session: %s", bo_error_name(rc));
            return br_http_error(r, rc, NULL);
        }
        r->t->session = s;
    }
    /* The caller holds for this call alone: cleared after it, so the thread's next request
     * never inherits it. Both fit (br_caller_read checked the sizes). */
    if ((rc = bo_session_set_caller(s, who.proof, who.addr)) != BO_OK) {
        return br_http_error(r, BO_E_SESSION_INVALID, NULL);
    }
    memset(&st, 0, sizeof(st));
    rc = batched ? bo_call_batched(s, method, in, out, &st) : bo_call(s, method, in, out, &st);
    int cleared = bo_session_set_caller(s, NULL, NULL); /* clearing cannot fail */
    (void)cleared;
    if (rc == BO_OK) {
        return 0;
    }
    return br_call_failed(r, method, rc, &st);
}

int br_call(struct br_req *r, const char *method, const ProtobufCMessage *in,
            ProtobufCMessage **out)
{
    return br_call_as(r, method, in, out, 0);
}

/* br_call_header_check answers 400 unless v, the value of header, is 1..max printable ASCII
 * characters. */
static int br_call_header_check(struct br_req *r, const char *header, const char *v, size_t max)
{
    size_t n;

    for (n = 0; v[n] != '\0' && n <= max; n++) {
        if ((unsigned char)v[n] < 0x20 || (unsigned char)v[n] > 0x7e) {
            return br_http_error(r, BO_E_INVALID_ARGUMENT,
                                 "%s must be printable ASCII characters only", header);
        }
    }
    if (n == 0 || n > max) {
        return br_http_error(r, BO_E_INVALID_ARGUMENT,
                             "%s must be 1 to %zu printable ASCII characters", header, max);
    }
    return 0;
}

/* br_call_u64 returns where m's uint64 field key is stored, or NULL. */
static uint64_t *br_call_u64(const ProtobufCMessage *m, const char *key)
{
    ProtobufCType type;
    uint64_t *p = br_pb_field(m, key, &type);

    return p != NULL && type == PROTOBUF_C_TYPE_UINT64 ? p : NULL;
}

/* br_call_fill fills in from r's headers, body and path as br_call_json says; returns 0 or the
 * HTTP status of the problem answered (500 when rpc->path_id names no uint64 field of in: a
 * programmer error). */
static int br_call_fill(struct br_req *r, const struct br_rpc *rpc, ProtobufCMessage *in)
{
    ProtobufCType type;
    int status;

    for (size_t i = 0; i < sizeof(br_call_headers) / sizeof(br_call_headers[0]); i++) {
        char **field = br_pb_field(in, br_call_headers[i].field, &type);
        if (field == NULL || type != PROTOBUF_C_TYPE_STRING) {
            continue;
        }
        const char *v = br_http_header(r, br_call_headers[i].header);
        if (v != NULL && br_call_headers[i].max > 0 &&
            (status = br_call_header_check(r, br_call_headers[i].header, v,
                                           br_call_headers[i].max)) != 0) {
            return status;
        }
        *field = (char *)(v != NULL ? v : "");
    }
    if (rpc->input != NULL && (status = br_input_message(r, rpc->input, in)) != 0) {
        return status;
    }
    if (rpc->path_id != NULL) {
        uint64_t *id = br_call_u64(in, rpc->path_id);
        if (id == NULL) {
            return br_http_error(r, BO_E_INTERNAL, "%s has no field %s", rpc->method, rpc->path_id);
        }
        *id = r->ids[0];
    }
    return 0;
}

/* br_call_body writes the body rpc describes (write NULL) from rep, which answers in: first
 * rpc->echo, when rep left it 0, becomes in's. Returns rpc->status, or 0 when rep lacks its
 * rpc->body. */
static int br_call_body(struct br_json *j, const struct br_rpc *rpc, ProtobufCMessage *rep,
                        const ProtobufCMessage *in)
{
    const ProtobufCMessage *body = rep;

    ProtobufCType type;

    if (rpc->echo != NULL) {
        uint64_t *to = br_call_u64(rep, rpc->echo);
        const uint64_t *from = br_call_u64(in, rpc->echo);
        if (to != NULL && from != NULL && *to == 0) {
            *to = *from;
        }
    }
    if (rpc->body != NULL) {
        ProtobufCMessage **field = br_pb_field(rep, rpc->body, &type);
        if (field == NULL || type != PROTOBUF_C_TYPE_MESSAGE || *field == NULL) {
            return 0;
        }
        body = *field;
    }
    br_pb_json_object(j, body, rpc->keys);
    return rpc->status;
}

int br_call_json(struct br_req *r, const struct br_rpc *rpc, ProtobufCMessage *in)
{
    ProtobufCMessage *rep = NULL;
    struct br_json j;
    int status;

    if ((status = br_call_fill(r, rpc, in)) != 0 ||
        (status = br_call_as(r, rpc->method, in, &rep, rpc->batched)) != 0) {
        return status;
    }
    if (rpc->after != NULL && (status = rpc->after(r, rep, in)) != 0) {
        protobuf_c_message_free_unpacked(rep, NULL);
        return status;
    }
    br_http_begin_json(r, &j);
    status = rpc->write != NULL ? rpc->write(&j, rep, in) : br_call_body(&j, rpc, rep, in);
    protobuf_c_message_free_unpacked(rep, NULL);
    if (status == 0) {
        return br_http_error(r, BO_E_INTERNAL, "the service answered without %s",
                             rpc->needs != NULL ? rpc->needs : "a reply");
    }
    return br_http_send(r, status, NULL, NULL);
}

int br_call_route(struct br_req *r, const struct br_rpc *rpc)
{
    union {
        ProtobufCMessage base;
        max_align_t align;
        unsigned char bytes[BR_CALL_REQUEST_MAX];
    } req;
    const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(
        &boxoffice__v1__boxoffice__descriptor, rpc->method);
    const ProtobufCMessageDescriptor *d = m != NULL ? m->input : NULL;

    if (d == NULL || d->sizeof_message > sizeof(req)) {
        return br_http_error(r, BO_E_INTERNAL, "%s has no request a route can build", rpc->method);
    }
    protobuf_c_message_init(d, &req);
    return br_call_json(r, rpc, &req.base);
}

void br_call_thread_fini(struct br_thread *t)
{
    bo_session_close(t->session);
    t->session = NULL;
}
