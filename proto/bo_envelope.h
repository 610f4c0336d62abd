/*
 * bo_envelope: framing of rpc calls in nng messages.
 *
 * A request is a packed RequestEnvelope {method, request_id, body}; a reply a
 * packed ReplyEnvelope {request_id, status, body}. The body is the packed
 * request or response message of the method, whose descriptors come from the
 * generated service descriptor.
 */
#ifndef BO_ENVELOPE_H
#define BO_ENVELOPE_H

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "boxoffice/v1/boxoffice.pb-c.h"
#include "boxoffice/v1/envelope.pb-c.h"

/* Largest request accepted anywhere (the service's NNG_OPT_RECVMAXSZ too). */
#define BO_ENVELOPE_MAX_SIZE (256 * 1024)

/* Largest frame a client reads (its NNG_OPT_RECVMAXSZ): a reply may carry a whole catalog. */
#define BO_ENVELOPE_REPLY_FRAME_MAX (4 * BO_ENVELOPE_MAX_SIZE)

/* Largest reply body a service sends: a frame's worth, less room for the envelope around it. */
#define BO_ENVELOPE_REPLY_MAX_SIZE (BO_ENVELOPE_REPLY_FRAME_MAX - 4096)

/* bo_service_descriptor returns the generated descriptor of service Boxoffice. */
const ProtobufCServiceDescriptor *bo_service_descriptor(void);

/* bo_method_index finds a method by name ("HoldSeat"); returns 0 or BO_E_UNKNOWN_METHOD. */
__attribute__((warn_unused_result)) int bo_method_index(const char *name, uint32_t *index);

/* Who makes a call: the proof of identity (a session or an operator JWT) and the client's
 * address as the edge saw it; either may be NULL or "". */
struct bo_caller {
    const char *proof;
    const char *client_addr;
};

/* bo_envelope_request_encode packs a call by caller (NULL: anonymous) into a new message the
 * caller owns (and frees unless nng accepted it); BO_E_TOO_LARGE when the whole frame would pass
 * BO_ENVELOPE_MAX_SIZE, the limit the service reads frames by. */
__attribute__((warn_unused_result)) int
bo_envelope_request_encode(uint32_t method, uint64_t request_id, const struct bo_caller *caller,
                           const ProtobufCMessage *body, nng_msg **out);

/* Room for a failure's message, and the most seats one names (a hold's seats). */
#define BO_ENVELOPE_MESSAGE_MAX 256
#define BO_ENVELOPE_SEATS_MAX   16

/* What a failed reply says besides its error: a sentence for people ("" when encoding: the
 * error's default), when a refused call may be tried again (RATE_LIMITED, seconds, 0: none) and
 * the seats the failure concerns (SEAT_TAKEN, SEAT_NOT_FOUND; at most BO_ENVELOPE_SEATS_MAX). */
struct bo_envelope_failure {
    char message[BO_ENVELOPE_MESSAGE_MAX];
    uint32_t retry_after;
    uint32_t seat_nos[BO_ENVELOPE_SEATS_MAX];
    size_t n_seat_nos;
};

/* bo_envelope_reply_encode packs a reply; body is NULL unless err is BO_OK, why (NULL: the
 * error's defaults) only read when it is not. The caller owns *out. BO_E_TOO_LARGE when body
 * passes BO_ENVELOPE_REPLY_MAX_SIZE. */
__attribute__((warn_unused_result)) int
bo_envelope_reply_encode(uint64_t request_id, int err, const struct bo_envelope_failure *why,
                         const ProtobufCMessage *body, nng_msg **out);

/*
 * bo_envelope_reply_decode reads a reply to request_id. On BO_OK from the
 * server, *out is the unpacked response (caller frees with
 * protobuf_c_message_free_unpacked). Otherwise returns the server's error code and, when why
 * is not NULL, fills it from the reply (or says what was wrong with an undecodable one).
 * Returns BO_E_MALFORMED_REQUEST for an undecodable reply.
 */
__attribute__((warn_unused_result)) int
bo_envelope_reply_decode(const void *buf, size_t len, uint64_t request_id,
                         const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                         struct bo_envelope_failure *why);

#endif
