/*
 * bo_client_impl: the insides of a client and a session, shared by the files of libboxoffice
 * (bo_client.c makes single calls, bo_batch.c carries the calls of many threads together).
 * Not installed: users see boxoffice/client.h only.
 */
#ifndef BO_CLIENT_IMPL_H
#define BO_CLIENT_IMPL_H

#include "bo_envelope.h"
#include "bo_group.h"
#include "bo_nng.h"
#include "boxoffice/client.h"

#include <stdatomic.h>

/* How many Batch rpcs one client has in flight at most: enough to keep every instance of a
 * small deployment busy while the next batch fills. */
#define BO_BATCH_IN_FLIGHT 8

/* The most calls one Batch carries, and the largest call that travels in one: 48 of them fit
 * the envelope's size limit with room for the Batch's own framing. A larger call goes alone. */
#define BO_BATCH_CALLS_MAX      48
#define BO_BATCH_CALL_BYTES_MAX (BO_PROOF_MAX + 1024)

struct bo_client {
    struct bo_nng nng;
    int timeout_ms;
    atomic_uint_fast64_t next_request_id;
    struct bo_group batcher; /* the calls waiting to travel in a Batch (bo_batch.c) */
};

struct bo_session {
    ProtobufCService service; /* first, so the stubs' service pointer is the session */
    struct bo_client *client;
    struct bo_nng_ctx nc; /* its aio is used synchronously by the session's thread */
    struct bo_status last;
    char proof[BO_PROOF_MAX + 1]; /* sent with every call; "" for none */
    char client_addr[BO_CLIENT_ADDR_MAX + 1];
};

/* bo_session_fail records code with message (NULL: the code's own) as s's last status and
 * returns code. */
int bo_session_fail(struct bo_session *s, int code, const char *message);

/* bo_session_exchange sends req (taken in every case) on s's context and waits for the reply:
 * BO_OK with *rep set (caller frees), else BO_E_TIMEOUT or BO_E_UNAVAILABLE. */
int bo_session_exchange(struct bo_session *s, nng_msg *req, nng_msg **rep);

/* bo_session_encode packs a call of method with in by s's caller under a new request id
 * (*id), checking in fits the method: BO_OK with *req set (caller owns it), or the failure
 * recorded in s's last status. */
int bo_session_encode(struct bo_session *s, unsigned method, const ProtobufCMessage *in,
                      uint64_t *id, nng_msg **req);

/* bo_session_decode reads rep, the reply to call id of method, into *out and records the
 * outcome as s's last status; returns its code. */
int bo_session_decode(struct bo_session *s, unsigned method, const void *rep, size_t len,
                      uint64_t id, ProtobufCMessage **out);

/* bo_session_call_index makes one call of method (an index) alone; the result and status are
 * also left in s's last status. */
int bo_session_call_index(struct bo_session *s, unsigned method, const ProtobufCMessage *in,
                          ProtobufCMessage **out);

/* bo_batch_init readies c's batcher; released with bo_group_fini once no call waits. */
int bo_batch_init(struct bo_client *c);

#endif
