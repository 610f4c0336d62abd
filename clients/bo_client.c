/*
 * libboxoffice: rpc calls over an NNG req0 socket (see boxoffice/client.h).
 *
 * One socket dials every instance; each session is an nng context, so many
 * threads can have calls in flight on one socket without sharing state.
 */
#include "bo_client_impl.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "bo_nng.h"

#include <nng/protocol/reqrep0/req.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bo_client_setup sets the options of the client's req0 socket. Requests are not resent on a
 * timer: a resend of a non-idempotent call (a hold) could run twice. A request is still moved
 * to another instance when its pipe closes. */
static int bo_client_setup(nng_socket sock, const void *arg)
{
    (void)arg;
    if (nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
        nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, BO_ENVELOPE_REPLY_FRAME_MAX) != 0) {
        return BO_E_INTERNAL;
    }
    return BO_OK;
}

int bo_client_open(const char *urls, int timeout_ms, struct bo_client **out)
{
    struct bo_client *c;
    int rc;

    if (urls == NULL || timeout_ms <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        return BO_E_NOMEM;
    }
    c->timeout_ms = timeout_ms;
    atomic_init(&c->next_request_id, 1);
    if ((rc = bo_batch_init(c)) != BO_OK) {
        free(c);
        return rc;
    }
    if ((rc = bo_nng_connect(&c->nng, nng_req0_open, bo_client_setup, NULL, urls)) != BO_OK) {
        bo_client_close(c);
        return rc;
    }
    *out = c;
    return BO_OK;
}

void bo_client_close(struct bo_client *c)
{
    if (c != NULL) {
        bo_nng_close(&c->nng);
        bo_group_fini(&c->batcher);
        free(c);
    }
}

static void bo_session_invoke(ProtobufCService *service, unsigned method_index,
                              const ProtobufCMessage *input, ProtobufCClosure closure,
                              void *closure_data);

int bo_session_open(struct bo_client *c, struct bo_session **out)
{
    struct bo_session *s;
    int rc;

    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return BO_E_NOMEM;
    }
    s->client = c;
    s->service.descriptor = bo_service_descriptor();
    s->service.invoke = bo_session_invoke;
    s->service.destroy = NULL;
    if ((rc = bo_nng_ctx_open(&s->nc, c->nng.sock, c->timeout_ms)) != BO_OK) {
        bo_session_close(s);
        return rc;
    }
    *out = s;
    return BO_OK;
}

void bo_session_close(struct bo_session *s)
{
    if (s != NULL) {
        bo_nng_ctx_close(&s->nc);
        free(s);
    }
}

int bo_session_set_caller(struct bo_session *s, const char *proof, const char *client_addr)
{
    size_t np = proof != NULL ? strlen(proof) : 0;
    size_t na = client_addr != NULL ? strlen(client_addr) : 0;

    if (np > BO_PROOF_MAX || na > BO_CLIENT_ADDR_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(s->proof, np > 0 ? proof : "", np + 1);
    memcpy(s->client_addr, na > 0 ? client_addr : "", na + 1);
    return BO_OK;
}

int bo_session_fail(struct bo_session *s, int code, const char *message)
{
    s->last.code = code;
    s->last.retry_after_seconds = 0;
    s->last.n_seat_nos = 0;
    snprintf(s->last.message, sizeof(s->last.message), "%s",
             message != NULL ? message : bo_error_message(code));
    return code;
}

int bo_session_exchange(struct bo_session *s, nng_msg *req, nng_msg **rep)
{
    int rc;

    if ((rc = bo_nng_ctx_send(&s->nc, req)) != 0) {
        nng_msg_free(req); /* still ours: nng did not take it */
    } else {
        rc = bo_nng_ctx_recv(&s->nc, rep);
    }
    if (rc != 0) {
        return rc == NNG_ETIMEDOUT ? BO_E_TIMEOUT : BO_E_UNAVAILABLE;
    }
    return BO_OK;
}

int bo_session_encode(struct bo_session *s, unsigned method, const ProtobufCMessage *in,
                      uint64_t *id, nng_msg **req)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    struct bo_caller caller = {s->proof, s->client_addr};
    int rc;

    if (method >= sd->n_methods || in == NULL || in->descriptor != sd->methods[method].input) {
        return bo_session_fail(s, BO_E_INVALID_ARGUMENT,
                               "the request message does not fit the method");
    }
    *id = atomic_fetch_add(&s->client->next_request_id, 1);
    if ((rc = bo_envelope_request_encode(method, *id, &caller, in, req)) != BO_OK) {
        return bo_session_fail(s, rc, NULL);
    }
    return BO_OK;
}

int bo_session_decode(struct bo_session *s, unsigned method, const void *rep, size_t len,
                      uint64_t id, ProtobufCMessage **out)
{
    struct bo_envelope_failure why;
    int rc = bo_envelope_reply_decode(rep, len, id, bo_service_descriptor()->methods[method].output,
                                      out, &why);

    _Static_assert(sizeof(s->last.seat_nos) == sizeof(why.seat_nos), "seat lists differ");
    s->last.code = rc;
    snprintf(s->last.message, sizeof(s->last.message), "%s",
             rc == BO_OK ? bo_error_message(BO_OK) : why.message);
    s->last.retry_after_seconds = rc == BO_OK ? 0 : why.retry_after;
    s->last.n_seat_nos = rc == BO_OK ? 0 : why.n_seat_nos;
    memcpy(s->last.seat_nos, why.seat_nos, sizeof(why.seat_nos));
    return rc;
}

int bo_session_call_index(struct bo_session *s, unsigned method, const ProtobufCMessage *in,
                          ProtobufCMessage **out)
{
    nng_msg *req = NULL, *rep = NULL;
    uint64_t id;
    int rc;

    if ((rc = bo_session_encode(s, method, in, &id, &req)) != BO_OK) {
        return rc;
    }
    if ((rc = bo_session_exchange(s, req, &rep)) != BO_OK) {
        return bo_session_fail(s, rc, NULL);
    }
    rc = bo_session_decode(s, method, nng_msg_body(rep), nng_msg_len(rep), id, out);
    nng_msg_free(rep);
    return rc;
}

int bo_call(struct bo_session *s, const char *method, const ProtobufCMessage *in,
            ProtobufCMessage **out, struct bo_status *status)
{
    uint32_t index;
    int rc;

    if (bo_method_index(method, &index) != BO_OK) {
        rc = bo_session_fail(s, BO_E_UNKNOWN_METHOD, NULL);
    } else {
        rc = bo_session_call_index(s, index, in, out);
    }
    if (status != NULL) {
        *status = s->last;
    }
    return rc;
}

static void bo_session_invoke(ProtobufCService *service, unsigned method_index,
                              const ProtobufCMessage *input, ProtobufCClosure closure,
                              void *closure_data)
{
    struct bo_session *s = (struct bo_session *)service;
    ProtobufCMessage *out = NULL;

    if (bo_session_call_index(s, method_index, input, &out) != BO_OK) {
        out = NULL;
    }
    closure(out, closure_data);
}

ProtobufCService *bo_session_service(struct bo_session *s)
{
    return &s->service;
}

const struct bo_status *bo_session_last_status(const struct bo_session *s)
{
    return &s->last;
}
