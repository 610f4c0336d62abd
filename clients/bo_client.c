/*
 * libboxoffice: rpc calls over an NNG req0 socket (see boxoffice/client.h).
 *
 * One socket dials every instance; each session is an nng context, so many
 * threads can have calls in flight on one socket without sharing state.
 */
#include "boxoffice/client.h"

#include "bo_envelope.h"
#include "bo_error.h"

#include <nng/protocol/reqrep0/req.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Service instances one client dials at most. */
#define BO_CLIENT_MAX_URLS 32

struct bo_client {
    nng_socket sock;
    int open;
    nng_dialer dialers[BO_CLIENT_MAX_URLS];
    int ndialers;
    int timeout_ms;
    atomic_uint_fast64_t next_request_id;
};

struct bo_session {
    ProtobufCService service; /* first, so the stubs' service pointer is the session */
    struct bo_client *client;
    nng_ctx ctx;
    int ctx_open;
    nng_aio *aio; /* used synchronously by the session's thread */
    struct bo_status last;
};

static int bo_client_dial_all(struct bo_client *c, const char *urls)
{
    char buf[2048];
    char *save = NULL;
    int ndialed = 0;

    if (strlen(urls) >= sizeof(buf)) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(buf, urls, strlen(urls) + 1);
    for (char *url = strtok_r(buf, ", ", &save); url != NULL; url = strtok_r(NULL, ", ", &save)) {
        /* Non-blocking: the dialer keeps retrying in the background until the service is up. */
        if (c->ndialers == BO_CLIENT_MAX_URLS ||
            nng_dial(c->sock, url, &c->dialers[c->ndialers], NNG_FLAG_NONBLOCK) != 0) {
            return BO_E_INVALID_ARGUMENT;
        }
        c->ndialers++;
        ndialed++;
    }
    return ndialed > 0 ? BO_OK : BO_E_INVALID_ARGUMENT;
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
    if (nng_req0_open(&c->sock) != 0) {
        free(c);
        return BO_E_INTERNAL;
    }
    c->open = 1;
    /* Requests are not resent on a timer: a resend of a non-idempotent call (a hold) could
     * run twice. A request is still moved to another instance when its pipe closes. */
    if (nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
        nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 4 * BO_ENVELOPE_MAX_SIZE) != 0 ||
        nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50) != 0 ||
        nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000) != 0) {
        bo_client_close(c);
        return BO_E_INTERNAL;
    }
    if ((rc = bo_client_dial_all(c, urls)) != BO_OK) {
        bo_client_close(c);
        return rc;
    }
    *out = c;
    return BO_OK;
}

void bo_client_close(struct bo_client *c)
{
    if (c == NULL) {
        return;
    }
    if (c->open) {
        /* libnng 1.5 can deadlock closing a socket with live pipes (nanomsg/nng#1543): end the
         * connections first. */
        for (int i = 0; i < c->ndialers; i++) {
            nng_dialer_close(c->dialers[i]);
        }
        nng_close(c->sock);
    }
    free(c);
}

static void bo_session_invoke(ProtobufCService *service, unsigned method_index,
                              const ProtobufCMessage *input, ProtobufCClosure closure,
                              void *closure_data);

int bo_session_open(struct bo_client *c, struct bo_session **out)
{
    struct bo_session *s;

    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return BO_E_NOMEM;
    }
    s->client = c;
    s->service.descriptor = bo_service_descriptor();
    s->service.invoke = bo_session_invoke;
    s->service.destroy = NULL;
    if (nng_ctx_open(&s->ctx, c->sock) != 0) {
        free(s);
        return BO_E_INTERNAL;
    }
    s->ctx_open = 1;
    if (nng_aio_alloc(&s->aio, NULL, NULL) != 0) {
        bo_session_close(s);
        return BO_E_NOMEM;
    }
    nng_aio_set_timeout(s->aio, c->timeout_ms);
    *out = s;
    return BO_OK;
}

void bo_session_close(struct bo_session *s)
{
    if (s == NULL) {
        return;
    }
    if (s->ctx_open) {
        nng_ctx_close(s->ctx);
    }
    if (s->aio != NULL) {
        nng_aio_free(s->aio);
    }
    free(s);
}

static int bo_session_fail(struct bo_session *s, int code, const char *message)
{
    s->last.code = code;
    snprintf(s->last.message, sizeof(s->last.message), "%s",
             message != NULL ? message : bo_error_message(code));
    return code;
}

/* Performs one call by method index; the result and status are also left in s->last. */
static int bo_session_call_index(struct bo_session *s, unsigned method, const ProtobufCMessage *in,
                                 ProtobufCMessage **out)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    uint64_t id = atomic_fetch_add(&s->client->next_request_id, 1);
    nng_msg *req = NULL, *rep = NULL;
    int rc;

    if (method >= sd->n_methods || in == NULL || in->descriptor != sd->methods[method].input) {
        return bo_session_fail(s, BO_E_INVALID_ARGUMENT,
                               "the request message does not fit the method");
    }
    if ((rc = bo_envelope_request_encode(method, id, in, &req)) != BO_OK) {
        return bo_session_fail(s, rc, NULL);
    }
    nng_aio_set_msg(s->aio, req);
    nng_ctx_send(s->ctx, s->aio);
    nng_aio_wait(s->aio);
    if ((rc = nng_aio_result(s->aio)) != 0) {
        nng_msg_free(req); /* still ours: nng did not take it */
        return bo_session_fail(s, rc == NNG_ETIMEDOUT ? BO_E_TIMEOUT : BO_E_UNAVAILABLE, NULL);
    }
    nng_ctx_recv(s->ctx, s->aio);
    nng_aio_wait(s->aio);
    if ((rc = nng_aio_result(s->aio)) != 0) {
        return bo_session_fail(s, rc == NNG_ETIMEDOUT ? BO_E_TIMEOUT : BO_E_UNAVAILABLE, NULL);
    }
    rep = nng_aio_get_msg(s->aio);
    rc = bo_envelope_reply_decode(nng_msg_body(rep), nng_msg_len(rep), id,
                                  sd->methods[method].output, out, s->last.message,
                                  sizeof(s->last.message));
    nng_msg_free(rep);
    s->last.code = rc;
    if (rc == BO_OK) {
        snprintf(s->last.message, sizeof(s->last.message), "%s", bo_error_message(BO_OK));
    }
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
