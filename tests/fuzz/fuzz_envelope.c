/*
 * fuzz_envelope: rpc frames as the service decodes them (service/dispatch.c dispatch_request:
 * the RequestEnvelope, its method index, then its body as that method's request message, for
 * every method of the service descriptor), and as the client decodes replies
 * (proto/bo_envelope.c bo_envelope_reply_decode, the response type picked by the first byte).
 * A request that decodes must survive bo_envelope_request_encode and decode to the same call.
 */
#include "fuzz.h"

#include "bo_envelope.h"
#include "bo_error.h"

#include <string.h>

/* fuzz_has_unknown tells whether m or a message inside it kept fields its type does not know.
 * protobuf-c packs those again as it read them, except that it reads a field number 0 whose
 * key is a varint of more bytes than needed and refuses the one-byte key it writes back: such
 * a call does not survive a round trip, through the library rather than the project. */
static int fuzz_has_unknown(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;

    if (m->n_unknown_fields > 0) {
        return 1;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *at = (const char *)m + f->offset;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
            ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)at;
            for (size_t k = 0; k < n; k++) {
                if (fuzz_has_unknown(items[k])) {
                    return 1;
                }
            }
        } else {
            const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)at;
            if (sub != NULL && fuzz_has_unknown(sub)) {
                return 1;
            }
        }
    }
    return 0;
}

/* fuzz_envelope_request decodes frame as dispatch_request does; a call that decodes is encoded
 * again as a client would send it and must read back the same (unless it kept unknown fields:
 * fuzz_has_unknown). */
static void fuzz_envelope_request(const uint8_t *frame, size_t len)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    Boxoffice__V1__RequestEnvelope *env, *back;
    ProtobufCMessage *in;
    nng_msg *msg = NULL;

    if (len > BO_ENVELOPE_MAX_SIZE) {
        return; /* dispatch refuses it unread */
    }
    if ((env = boxoffice__v1__request_envelope__unpack(NULL, len, frame)) == NULL) {
        return;
    }
    if (env->method >= sd->n_methods) {
        boxoffice__v1__request_envelope__free_unpacked(env, NULL);
        return;
    }
    in = protobuf_c_message_unpack(sd->methods[env->method].input, NULL, env->body.len,
                                   env->body.data);
    if (in != NULL && fuzz_has_unknown(in)) {
        protobuf_c_message_free_unpacked(in, NULL);
        in = NULL;
    }
    if (in != NULL) {
        struct bo_caller who = {env->proof, env->client_addr};
        int rc = bo_envelope_request_encode(env->method, env->request_id, &who, in, &msg);
        fuzz_check(rc == BO_OK || rc == BO_E_TOO_LARGE);
        if (rc == BO_OK) {
            back =
                boxoffice__v1__request_envelope__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
            fuzz_check(back != NULL);
            fuzz_check(back->method == env->method && back->request_id == env->request_id);
            fuzz_check(strcmp(back->proof, env->proof) == 0);
            fuzz_check(strcmp(back->client_addr, env->client_addr) == 0);
            ProtobufCMessage *in2 = protobuf_c_message_unpack(sd->methods[env->method].input, NULL,
                                                              back->body.len, back->body.data);
            fuzz_check(in2 != NULL);
            protobuf_c_message_free_unpacked(in2, NULL);
            boxoffice__v1__request_envelope__free_unpacked(back, NULL);
            nng_msg_free(msg);
        }
        protobuf_c_message_free_unpacked(in, NULL);
    }
    boxoffice__v1__request_envelope__free_unpacked(env, NULL);
}

/* fuzz_envelope_reply decodes frame as the reply to request 7 of the method the first byte
 * names, as libboxoffice does. */
static void fuzz_envelope_reply(const uint8_t *frame, size_t len)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    const ProtobufCMessageDescriptor *out;
    ProtobufCMessage *rep = NULL;
    struct bo_envelope_failure why;

    if (len == 0) {
        return;
    }
    out = sd->methods[frame[0] % sd->n_methods].output;
    int rc = bo_envelope_reply_decode(frame + 1, len - 1, 7, out, &rep, &why);
    fuzz_check(memchr(why.message, '\0', sizeof(why.message)) != NULL);
    fuzz_check(why.n_seat_nos <= BO_ENVELOPE_SEATS_MAX);
    if (rc == BO_OK) {
        fuzz_check(rep != NULL && rep->descriptor == out);
        protobuf_c_message_free_unpacked(rep, NULL);
    } else {
        fuzz_check(bo_error_name(rc) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_envelope_request(data, size);
    fuzz_envelope_reply(data, size);
    return 0;
}
