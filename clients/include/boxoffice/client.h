/*
 * libboxoffice: the C client of the boxoffice service over NNG.
 *
 * A bo_client is one req0 socket dialled to every service instance (NNG
 * spreads requests over them and fails over when one goes away); it is safe
 * to share between threads. A bo_session is one NNG context on it, used by
 * one thread at a time: keep one per thread and reuse it.
 *
 * Calls name their rpc as declared in proto/boxoffice/v1/boxoffice.proto and
 * take the generated request message; replies are the generated response
 * messages, which the caller frees with protobuf_c_message_free_unpacked.
 * bo_session_service() also plugs a session into the generated stubs
 * (boxoffice__v1__boxoffice__hold_seat(...) and the rest). The library is
 * generic: every rpc of the proto, venues' included, is called the same way,
 * and there are no typed helpers per rpc. For example (error checks left out):
 *
 *   // the sections of a date on a venue, counted now (ACTIVE token)
 *   Boxoffice__V1__ListSectionsRequest ls = BOXOFFICE__V1__LIST_SECTIONS_REQUEST__INIT;
 *   ls.token = token;
 *   ls.schedule_id = date;
 *   rc = bo_call(s, "ListSections", &ls.base, &out, &st);  // a ListSectionsReply
 *
 *   // a hold of several seats, all or nothing (SEAT_TAKEN: st.seat_nos names the taken ones)
 *   Boxoffice__V1__HoldSeatRequest h = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
 *   uint32_t seats[] = {201, 202, 203};
 *   h.token = token;
 *   h.schedule_id = date;
 *   h.seat_nos = seats;
 *   h.n_seat_nos = 3;
 *   rc = bo_call(s, "HoldSeat", &h.base, &out, &st);  // reservation->seats: places, prices
 *
 *   // or the best 2 seats of section A side by side (NOT_ENOUGH_SEATS when there are none):
 *   // instead of seat_nos, h.section = "A"; h.quantity = 2; h.together = 1;
 *
 *   // a refund of one's own payment (the caller's proof, no token)
 *   Boxoffice__V1__RefundRequest rf = BOXOFFICE__V1__REFUND_REQUEST__INIT;
 *   rf.payment_id = payment;
 *   rf.idempotency_key = "refund-1";  // optional
 *   rc = bo_call(s, "Refund", &rf.base, &out, &st);  // a RefundReply, payment REFUNDED
 *
 *   // admin: a venue of sections (numbered in order), then a date on it
 *   Boxoffice__V1__Section a = BOXOFFICE__V1__SECTION__INIT, *secs[] = {&a};
 *   Boxoffice__V1__CreateVenueRequest cv = BOXOFFICE__V1__CREATE_VENUE_REQUEST__INIT;
 *   a.name = "A", a.rows = 20, a.seats_per_row = 100, a.price = 150000;
 *   cv.admin_key = key;
 *   cv.name = "Arena";
 *   cv.sections = secs;
 *   cv.n_sections = 1;
 *   rc = bo_call(s, "CreateVenue", &cv.base, &out, &st);  // a CreateVenueReply
 *   // CreateScheduleRequest with venue_id set (no price) makes a date on it
 */
#ifndef BOXOFFICE_CLIENT_H
#define BOXOFFICE_CLIENT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "boxoffice/v1/boxoffice.pb-c.h"
#include "boxoffice/v1/events.pb-c.h"
#include "bo_error.h"

#define BO_WUR __attribute__((warn_unused_result))

/* Default rpc address of the first service instance. */
#define BO_DEFAULT_RPC_URL "tcp://127.0.0.1:7700"

struct bo_client;
struct bo_session;

/* What went wrong with a call: a code from bo_error.h and the message for people. */
struct bo_status {
    int code;
    char message[256];
    uint32_t retry_after_seconds; /* RATE_LIMITED: when to try again; else 0 */
    /* SEAT_TAKEN, SEAT_NOT_FOUND: the seats concerned (of a hold), n_seat_nos of them */
    uint32_t seat_nos[16];
    size_t n_seat_nos;
};

/* Longest proof of identity and client address a session carries. */
#define BO_PROOF_MAX       4096
#define BO_CLIENT_ADDR_MAX 63

/* bo_client_open dials every address in urls (comma-separated, e.g.
 * "tcp://127.0.0.1:7700,tcp://127.0.0.1:7702"); calls give up after timeout_ms with
 * BO_E_TIMEOUT. Dialling does not wait for the service to be up. Close with bo_client_close. */
BO_WUR int bo_client_open(const char *urls, int timeout_ms, struct bo_client **out);

/* bo_client_close closes the socket; every session must be closed first. Safe on NULL. */
void bo_client_close(struct bo_client *c);

/* bo_session_open opens a context on c for one thread's calls; close with bo_session_close. */
BO_WUR int bo_session_open(struct bo_client *c, struct bo_session **out);

/* bo_session_close closes the context; safe on NULL. */
void bo_session_close(struct bo_session *s);

/*
 * bo_session_set_caller names who the session's calls are made by from now on: proof is a
 * session from Login or an operator identity token (JWT), client_addr the client's address
 * as an edge saw it (a bridge sets it; native clients leave it NULL). NULL or "" clears
 * either. Copies both; BO_E_INVALID_ARGUMENT past BO_PROOF_MAX / BO_CLIENT_ADDR_MAX bytes.
 */
BO_WUR int bo_session_set_caller(struct bo_session *s, const char *proof, const char *client_addr);

/*
 * bo_call calls method ("HoldSeat") with request in. On BO_OK *out is the response (caller
 * frees with protobuf_c_message_free_unpacked). Otherwise returns the error code (the
 * service's, or BO_E_TIMEOUT / BO_E_UNAVAILABLE / BO_E_UNKNOWN_METHOD from here) and, when
 * status is not NULL, fills it.
 */
BO_WUR int bo_call(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                   ProtobufCMessage **out, struct bo_status *status);

/*
 * bo_call_batched is bo_call for calls that many threads make at once (token issues in the
 * opening second of a sale): the calls of every session of s's client that wait at the same
 * moment travel together in one Batch rpc, so they share one NNG round trip and one service
 * worker. Each is made by its own session's caller and answered exactly as bo_call would
 * answer it; a call waits at most while the batches before it are served. With a service
 * that has no Batch rpc yet, each call goes on alone.
 */
BO_WUR int bo_call_batched(struct bo_session *s, const char *method, const ProtobufCMessage *in,
                           ProtobufCMessage **out, struct bo_status *status);

/*
 * bo_call_many makes n calls of method on s, one for each request ins[i], as if each came
 * alone (s's caller, its own answer and error), and sends them in Batch rpcs, so that one
 * thread with many calls at once (a bridge reading the state of thousands of quiet tokens)
 * pays one NNG round trip per Batch rather than one per call. rcs[i] is call i's code; when
 * it is BO_OK outs[i] is its response (caller frees with protobuf_c_message_free_unpacked),
 * else NULL. A Batch that fails (timeout, service unavailable) fails each of its calls with
 * that code. Returns BO_OK once every call has its outcome, or BO_E_UNKNOWN_METHOD /
 * BO_E_INVALID_ARGUMENT (method is Batch) with no call made.
 */
BO_WUR int bo_call_many(struct bo_session *s, const char *method, size_t n,
                        const ProtobufCMessage *const *ins, ProtobufCMessage **outs, int *rcs);

/*
 * bo_session_service returns a ProtobufCService over s for the generated stubs. Its closure
 * receives the response, owned by the closure (free it with protobuf_c_message_free_unpacked),
 * or NULL on error; bo_session_last_status then tells what went wrong. Borrowed until
 * bo_session_close.
 */
ProtobufCService *bo_session_service(struct bo_session *s);

/* bo_session_last_status returns the status of the session's last call (code BO_OK if it
 * succeeded). Borrowed until the next call. */
const struct bo_status *bo_session_last_status(const struct bo_session *s);

/* ---- admission events (NNG pub/sub) ------------------------------------------ */

/* Default events address of the first service instance. */
#define BO_DEFAULT_EVENTS_URL "tcp://127.0.0.1:7701"

struct bo_subscription;

/*
 * bo_subscribe dials every events address in urls (comma-separated: every instance publishes
 * what it admits, so dial them all) and takes the events of concert_id and/or user_id (0 for
 * any). Pub/sub may drop events: on a gap in a concert's sequence numbers, or after a
 * reconnect, read the token's state with GetToken. Close with bo_subscription_close.
 */
BO_WUR int bo_subscribe(const char *urls, uint64_t concert_id, uint64_t user_id,
                        struct bo_subscription **out);

/* bo_subscription_next waits up to timeout_ms for the next event: BO_E_TIMEOUT when none came.
 * The caller frees *out with boxoffice__v1__admission_event__free_unpacked. */
BO_WUR int bo_subscription_next(struct bo_subscription *sub, int timeout_ms,
                                Boxoffice__V1__AdmissionEvent **out);

/* bo_subscription_close stops the subscription; safe on NULL. */
void bo_subscription_close(struct bo_subscription *sub);

#endif
