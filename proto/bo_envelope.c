/* bo_envelope: packing and unpacking of request and reply envelopes (see bo_envelope.h). */
#include "bo_envelope.h"

#include "bo_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ProtobufCServiceDescriptor *bo_service_descriptor(void)
{
    return &boxoffice__v1__boxoffice__descriptor;
}

int bo_method_index(const char *name, uint32_t *index)
{
    const ProtobufCMethodDescriptor *m =
        protobuf_c_service_descriptor_get_method_by_name(bo_service_descriptor(), name);
    if (m == NULL) {
        return BO_E_UNKNOWN_METHOD;
    }
    *index = (uint32_t)(m - bo_service_descriptor()->methods);
    return BO_OK;
}

/* Packs body into buf (stack) or a heap buffer returned in *heap (caller frees); BO_E_TOO_LARGE
 * past limit bytes. */
static int bo_envelope_pack_body(const ProtobufCMessage *body, size_t limit, uint8_t *buf,
                                 size_t buflen, ProtobufCBinaryData *out, uint8_t **heap)
{
    *heap = NULL;
    out->data = NULL;
    out->len = 0;
    if (body == NULL) {
        return BO_OK;
    }
    size_t n = protobuf_c_message_get_packed_size(body);
    if (n > limit) {
        return BO_E_TOO_LARGE;
    }
    if (n > buflen) {
        if ((*heap = malloc(n)) == NULL) {
            return BO_E_NOMEM;
        }
        buf = *heap;
    }
    out->len = protobuf_c_message_pack(body, buf);
    out->data = buf;
    return BO_OK;
}

static int bo_envelope_to_msg(const ProtobufCMessage *env, nng_msg **out)
{
    nng_msg *msg;
    size_t n = protobuf_c_message_get_packed_size(env);
    if (nng_msg_alloc(&msg, n) != 0) {
        return BO_E_NOMEM;
    }
    protobuf_c_message_pack(env, nng_msg_body(msg));
    *out = msg;
    return BO_OK;
}

int bo_envelope_request_encode(uint32_t method, uint64_t request_id, const struct bo_caller *caller,
                               const ProtobufCMessage *body, nng_msg **out)
{
    Boxoffice__V1__RequestEnvelope env = BOXOFFICE__V1__REQUEST_ENVELOPE__INIT;
    uint8_t stack[2048];
    uint8_t *heap;
    int rc;

    env.method = method;
    env.request_id = request_id;
    if (caller != NULL) {
        env.proof = (char *)(caller->proof != NULL ? caller->proof : "");
        env.client_addr = (char *)(caller->client_addr != NULL ? caller->client_addr : "");
    }
    if ((rc = bo_envelope_pack_body(body, BO_ENVELOPE_MAX_SIZE, stack, sizeof(stack), &env.body,
                                    &heap)) != 0) {
        return rc;
    }
    /* The service refuses a whole frame past the limit: refuse it here alike, body, caller
     * and all, so a request that leaves is one the service reads. */
    if (protobuf_c_message_get_packed_size(&env.base) > BO_ENVELOPE_MAX_SIZE) {
        free(heap);
        return BO_E_TOO_LARGE;
    }
    rc = bo_envelope_to_msg(&env.base, out);
    free(heap);
    return rc;
}

int bo_envelope_reply_encode(uint64_t request_id, int err, const struct bo_envelope_failure *why,
                             const ProtobufCMessage *body, nng_msg **out)
{
    Boxoffice__V1__ReplyEnvelope env = BOXOFFICE__V1__REPLY_ENVELOPE__INIT;
    Boxoffice__V1__Status status = BOXOFFICE__V1__STATUS__INIT;
    uint32_t seat_nos[BO_ENVELOPE_SEATS_MAX];
    uint8_t stack[4096];
    uint8_t *heap = NULL;
    int rc = BO_OK;

    env.request_id = request_id;
    env.status = &status;
    status.code = bo_error_rpc_code(err);
    status.reason = (char *)bo_error_name(err);
    status.message = (char *)bo_error_message(err);
    if (err != BO_OK && why != NULL) {
        if (why->message[0] != '\0') {
            status.message = (char *)why->message;
        }
        status.retry_after_seconds = why->retry_after;
        status.n_seat_nos =
            why->n_seat_nos < BO_ENVELOPE_SEATS_MAX ? why->n_seat_nos : BO_ENVELOPE_SEATS_MAX;
        memcpy(seat_nos, why->seat_nos, status.n_seat_nos * sizeof(*seat_nos));
        status.seat_nos = seat_nos;
    }
    if (err == BO_OK && (rc = bo_envelope_pack_body(body, BO_ENVELOPE_REPLY_MAX_SIZE, stack,
                                                    sizeof(stack), &env.body, &heap)) != 0) {
        return rc;
    }
    rc = bo_envelope_to_msg(&env.base, out);
    free(heap);
    return rc;
}

/* bo_envelope_failure_read fills why from a failed reply's status st. */
static void bo_envelope_failure_read(const Boxoffice__V1__Status *st, int rc,
                                     struct bo_envelope_failure *why)
{
    snprintf(why->message, sizeof(why->message), "%s",
             st->message != NULL && st->message[0] != '\0' ? st->message : bo_error_message(rc));
    why->retry_after = st->retry_after_seconds;
    why->n_seat_nos =
        st->n_seat_nos < BO_ENVELOPE_SEATS_MAX ? st->n_seat_nos : BO_ENVELOPE_SEATS_MAX;
    if (why->n_seat_nos > 0) {
        memcpy(why->seat_nos, st->seat_nos, why->n_seat_nos * sizeof(*why->seat_nos));
    }
}

int bo_envelope_reply_decode(const void *buf, size_t len, uint64_t request_id,
                             const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                             struct bo_envelope_failure *why)
{
    struct bo_envelope_failure ignored;
    Boxoffice__V1__ReplyEnvelope *env;
    int rc;

    if (why == NULL) {
        why = &ignored;
    }
    memset(why, 0, sizeof(*why));
    env = boxoffice__v1__reply_envelope__unpack(NULL, len, buf);
    if (env == NULL) {
        snprintf(why->message, sizeof(why->message),
                 "the service sent a reply that could not be decoded");
        return BO_E_MALFORMED_REQUEST;
    }
    if (env->request_id != request_id) {
        snprintf(why->message, sizeof(why->message), "the service answered request %llu, not %llu",
                 (unsigned long long)env->request_id, (unsigned long long)request_id);
        rc = BO_E_INTERNAL;
    } else if (env->status != NULL && env->status->code != BO_RPC_OK) {
        rc = bo_error_from_name(env->status->reason, env->status->code);
        if (rc == BO_OK) {
            rc = BO_E_INTERNAL;
        }
        bo_envelope_failure_read(env->status, rc, why);
    } else {
        *out = protobuf_c_message_unpack(desc, NULL, env->body.len, env->body.data);
        if (*out == NULL) {
            snprintf(why->message, sizeof(why->message),
                     "the service sent a response body that could not be decoded");
            rc = BO_E_MALFORMED_REQUEST;
        } else {
            rc = BO_OK;
        }
    }
    boxoffice__v1__reply_envelope__free_unpacked(env, NULL);
    return rc;
}
