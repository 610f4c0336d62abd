/*
 * nb_rpc: one timed rpc call of a VU, recorded in its nb_vu_stats.
 *
 * libboxoffice does not tell message sizes, so the bytes sent and received are
 * computed from the envelopes it frames (bo_envelope.h): the packed request body
 * inside a RequestEnvelope, and the packed response body or the error status
 * inside a ReplyEnvelope. They match the nng message bodies to within the one or
 * two bytes by which request ids differ in length.
 */
#ifndef NB_RPC_H
#define NB_RPC_H

#include "nb_stats.h"

#include "boxoffice/client.h"

#include <stdint.h>

/* nb_now_us returns a monotonic clock reading in microseconds. */
uint64_t nb_now_us(void);

/*
 * nb_rpc_call calls method with in on s like bo_call (on BO_OK the caller frees *out) and,
 * when stats is not NULL, records its latency, bytes and outcome there: a failure is any code
 * other than BO_OK and expected (pass BO_OK when no error is expected). status may be NULL.
 */
__attribute__((warn_unused_result)) int nb_rpc_call(struct bo_session *s, struct nb_vu_stats *stats,
                                                    const char *method, const ProtobufCMessage *in,
                                                    ProtobufCMessage **out, int expected,
                                                    struct bo_status *status);

/* nb_rpc_call2 is nb_rpc_call with two codes that are no failure (expected and also). */
__attribute__((warn_unused_result)) int nb_rpc_call2(struct bo_session *s,
                                                     struct nb_vu_stats *stats, const char *method,
                                                     const ProtobufCMessage *in,
                                                     ProtobufCMessage **out, int expected, int also,
                                                     struct bo_status *status);

#endif
