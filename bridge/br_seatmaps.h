/*
 * br_seatmaps: the seat maps and ACTIVE tokens this bridge holds in memory, so that
 * GET /api/v1/schedules/{id}/seats (no query) of a date in the hall is answered without an
 * rpc. Reads of a section or of the compact form, and every read of a date on a venue, go to
 * the service, which holds those maps: a reply of one is never kept as a whole map.
 *
 * The memory belongs to the server (br_shared.seatmaps) and is kept current three ways: the
 * whole-map ListSeats replies of hall dates it relays install snapshots (and remember the
 * asking token until its window ends); the HoldSeat, ReleaseHold, Pay and Refund replies it
 * relays apply the change of every seat before the client is answered (the writer sees its
 * write on its next read), and Pay and LeaveQueue
 * forget the token they ended; the seat and ended-token events of every instance (bo_feed on
 * events-urls) apply everyone else's. A map read from the service more than
 * BO_SEATMAP_REFRESH_MS ago is read again, so lost events leave it at most that old.
 *
 * A read is answered from memory when its Queue-Token is remembered ACTIVE for the concert of
 * the date and the date's map is fresh; any other read (unknown token, errors of every kind)
 * goes to the service as before and gets the service's answer. The JSON is rendered once per
 * change of a map (bo_seatmap_table_rendered) and shared by every reader.
 *
 * A section of a venue date (?section=, full or compact) is kept the same way as its own map:
 * installed from the section replies the bridge relays (asked of the service in full, so
 * that the memory has every seat's reservation, and written in the form the client asked
 * for), kept current by the same replies and events, and rendered in each form once per
 * change. The section index (br_section_index.h) says where each section lies.
 */
#ifndef BR_SEATMAPS_H
#define BR_SEATMAPS_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "bo_seatmap.h"
#include "boxoffice/v1/events.pb-c.h"
#include "br_buf.h"
#include "br_json.h"

struct br_req;
struct br_seatmaps;

/* Sizes of the memory: dates held (the least recently read is dropped), tokens held. */
#define BR_SEATMAPS_MAX_MAPS   4096
#define BR_SEATMAPS_MAX_TOKENS 262144

/* br_seatmaps_admission_fn takes an admission event from the seat maps' feed (its thread). */
typedef void (*br_seatmaps_admission_fn)(void *arg, const Boxoffice__V1__AdmissionEvent *e);

/* br_seatmaps_open makes the memory and starts following the events of events_urls (copied;
 * comma-separated, empty: no events, maps age out and are read again); the admission events
 * of the same feed go to admission with arg (NULL: not received), so that the bridge receives
 * each event once. Close with br_seatmaps_close. BO_E_INVALID_ARGUMENT for a bad address,
 * BO_E_NOMEM. */
__attribute__((warn_unused_result)) int br_seatmaps_open(const char *events_urls,
                                                         br_seatmaps_admission_fn admission,
                                                         void *admission_arg,
                                                         struct br_seatmaps **out);

/* br_seatmaps_close stops the events (no handler runs after it) and frees m; safe on NULL. */
void br_seatmaps_close(struct br_seatmaps *m);

/* br_seatmaps_json writes the seat map of schedule_id (concert_id), seats[0..n) as seen at
 * now_ms (a lapsed hold is AVAILABLE), as REST answers it:
 * {"scheduleId","concertId","seats":[{"seatNo","price","status"}...]}. */
void br_seatmaps_json(struct br_json *j, uint64_t schedule_id, uint64_t concert_id,
                      const struct bo_seat_state *seats, size_t n, int64_t now_ms);

/* br_seatmaps_answer answers r, a read of schedule_id's seats, from memory when it can and
 * returns the HTTP status written; else returns 0 with r's seat-map ticket and claim set for
 * the ListSeats rpc that follows (the caller then calls br_seatmaps_done). */
int br_seatmaps_answer(struct br_req *r, uint64_t schedule_id);

/* br_seatmaps_answer_section is br_seatmaps_answer for a read of section (a valid name) of
 * schedule_id, in the compact form when compact; when it returns 0, the ListSeats rpc that
 * follows asks for the section in full (compact false) and is written by
 * br_seatmaps_compact_full_write when compact, with br_seatmaps_section_listed as its after
 * hook; then the caller calls br_seatmaps_done. */
int br_seatmaps_answer_section(struct br_req *r, uint64_t schedule_id, const char *section,
                               int compact);

/* br_seatmaps_done ends a read of schedule_id that br_seatmaps_answer left to the rpc. */
void br_seatmaps_done(struct br_req *r, uint64_t schedule_id);

/* The after hooks (br_call.h) of the routes whose replies the memory learns from. */

/* br_seatmaps_listed installs a ListSeats reply, remembers the asking token and answers from
 * the memory; 0 (the reply is written by br_seatmaps_list_write) when it could not. */
int br_seatmaps_listed(struct br_req *r, const ProtobufCMessage *rep, const ProtobufCMessage *req);

/* br_seatmaps_section_listed installs a ListSeats reply of one section (asked in full), learns
 * where the section lies and remembers the asking token, and answers from the memory in the
 * form br_seatmaps_answer_section was asked; 0 (the reply is written by the rpc's writer) when
 * it could not. */
int br_seatmaps_section_listed(struct br_req *r, const ProtobufCMessage *rep,
                               const ProtobufCMessage *req);

/* br_seatmaps_reserved applies the change of every seat of a HoldSeat or ReleaseHold reply;
 * returns 0. */
int br_seatmaps_reserved(struct br_req *r, const ProtobufCMessage *rep,
                         const ProtobufCMessage *req);

/* br_seatmaps_paid applies the sale of every seat of a Pay reply and forgets the request's
 * token; returns 0. */
int br_seatmaps_paid(struct br_req *r, const ProtobufCMessage *rep, const ProtobufCMessage *req);

/* br_seatmaps_refunded puts the seats of a Refund reply on sale again; returns 0. */
int br_seatmaps_refunded(struct br_req *r, const ProtobufCMessage *rep,
                         const ProtobufCMessage *req);

/* br_seatmaps_left forgets the token a LeaveQueue request ended; returns 0. */
int br_seatmaps_left(struct br_req *r, const ProtobufCMessage *rep, const ProtobufCMessage *req);

/* br_seatmaps_list_write writes a ListSeats reply (for req) as br_seatmaps_json does, seen
 * now, the seats of a venue with their places (br_seats_place); a compact one (req->compact)
 * as {"scheduleId","section","firstSeatNo","statuses"}: the reply writer of the seats route. */
int br_seatmaps_list_write(struct br_json *j, const ProtobufCMessage *rep,
                           const ProtobufCMessage *req);

/* br_seatmaps_compact_full_write writes a ListSeats reply of one section asked in full (for
 * req) in the compact form {"scheduleId","section","firstSeatNo","statuses"}, as the service
 * answers a compact read: the reply writer of a compact section read. */
int br_seatmaps_compact_full_write(struct br_json *j, const ProtobufCMessage *rep,
                                   const ProtobufCMessage *req);

/* br_seatmaps_metrics appends the memory's counters to b (Prometheus text); nothing for NULL. */
void br_seatmaps_metrics(const struct br_seatmaps *m, struct br_buf *b);

#endif
