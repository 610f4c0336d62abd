/* nb_rpc: timed rpc calls with message sizes (see nb_rpc.h). */
#include "nb_rpc.h"

#include "bo_envelope.h"
#include "bo_error.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A request id of typical length (three varint bytes) for the size computation. */
#define NB_TYPICAL_REQUEST_ID (1u << 20)

/* Failures told on stderr, so that a run's failure count says what failed. */
#define NB_FAILURES_TOLD 5

static atomic_int nb_failures_told;

uint64_t nb_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Size of the RequestEnvelope carrying in (protobuf-c sizes bytes fields by length only). */
static size_t nb_request_size(uint32_t method, const ProtobufCMessage *in)
{
    Boxoffice__V1__RequestEnvelope env = BOXOFFICE__V1__REQUEST_ENVELOPE__INIT;
    env.method = method;
    env.request_id = NB_TYPICAL_REQUEST_ID;
    env.body.len = protobuf_c_message_get_packed_size(in);
    return protobuf_c_message_get_packed_size(&env.base);
}

/* Size of the ReplyEnvelope that carried out (rc BO_OK) or the error rc with message. */
static size_t nb_reply_size(int rc, const ProtobufCMessage *out, const char *message)
{
    Boxoffice__V1__ReplyEnvelope env = BOXOFFICE__V1__REPLY_ENVELOPE__INIT;
    Boxoffice__V1__Status status = BOXOFFICE__V1__STATUS__INIT;
    env.request_id = NB_TYPICAL_REQUEST_ID;
    env.status = &status;
    status.code = bo_error_rpc_code(rc);
    status.reason = (char *)bo_error_name(rc);
    status.message = (char *)message;
    if (rc == BO_OK && out != NULL) {
        env.body.len = protobuf_c_message_get_packed_size(out);
    }
    return protobuf_c_message_get_packed_size(&env.base);
}

int nb_rpc_call(struct bo_session *s, struct nb_vu_stats *stats, const char *method,
                const ProtobufCMessage *in, ProtobufCMessage **out, int expected,
                struct bo_status *status)
{
    return nb_rpc_call2(s, stats, method, in, out, expected, expected, status);
}

int nb_rpc_call2(struct bo_session *s, struct nb_vu_stats *stats, const char *method,
                 const ProtobufCMessage *in, ProtobufCMessage **out, int expected, int also,
                 struct bo_status *status)
{
    struct bo_status local;
    struct bo_status *st = status != NULL ? status : &local;
    uint64_t t0 = nb_now_us();
    int rc = bo_call(s, method, in, out, st);
    uint64_t us = nb_now_us() - t0;

    if (stats != NULL) {
        uint32_t index = 0;
        size_t sent = 0, received = 0;
        if (bo_method_index(method, &index) == BO_OK) {
            sent = nb_request_size(index, in);
        }
        /* Timeouts and lost connections: nothing came back. */
        if (rc != BO_E_TIMEOUT && rc != BO_E_UNAVAILABLE) {
            received = nb_reply_size(rc, rc == BO_OK ? *out : NULL,
                                     rc == BO_OK ? bo_error_message(BO_OK) : st->message);
        }
        int failed = rc != BO_OK && rc != expected && rc != also;
        nb_vu_stats_record(stats, us, failed, sent, received);
        if (failed && atomic_fetch_add(&nb_failures_told, 1) < NB_FAILURES_TOLD) {
            fprintf(stderr, "nngbench: %s failed: %s: %s\n", method, bo_error_name(rc),
                    rc == BO_E_TIMEOUT || rc == BO_E_UNAVAILABLE ? "no answer" : st->message);
        }
    }
    return rc;
}
