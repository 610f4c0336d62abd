/*
 * events: the instance's NNG pub0 socket for admission, ended-token and seat events.
 *
 * A frame is the topic text, a newline, then the packed message (events.proto):
 *   "concert/<id>/\n<AdmissionEvent>"   "user/<id>/\n<AdmissionEvent>"
 *   "ended/<concertId>/\n<AdmissionEvent>" (EVENT_EXPIRED only: a token ended)
 *   "schedule/<id>/\n<SeatEvent>"
 * An admission event goes out under the concert's and the user's topic, so a subscriber
 * filters by prefix without decoding anything; an ended token's EXPIRED event also under
 * "ended/". Events go out after the change they report is stored; pub/sub may drop them, so
 * subscribers resynchronise with GetToken (each ADMITTED event carries the concert's admission
 * number as its sequence; POSITION and EXPIRED events carry 0), and holders of seat maps read
 * them again (BO_SEATMAP_REFRESH_MS).
 *
 * Threads: the admission leader's thread and every worker publish; each function keeps its
 * state on its own stack and nng's pub socket takes sends from any thread.
 */
#ifndef SVC_EVENTS_H
#define SVC_EVENTS_H

#include "bo_seatmap.h"
#include "model.h"

struct events;

/* events_open listens on url (e.g. tcp://127.0.0.1:7701); close with events_close. */
__attribute__((warn_unused_result)) int events_open(const char *url, struct events **out);

/* events_close closes the socket; safe on NULL. */
void events_close(struct events *ev);

/* events_publish_admitted announces tokens that became ACTIVE (in admission order). Never
 * blocks: a subscriber too slow to keep up loses events, not the admission loop's time.
 * Each of these functions does nothing when ev is NULL. */
void events_publish_admitted(struct events *ev, const struct queue_token *tokens, size_t n);

/* events_publish_expired announces tokens that ended (concert_id, user_id, sequence used), as
 * events_publish_ended does for each. */
void events_publish_expired(struct events *ev, const struct queue_token *tokens, size_t n);

/* events_publish_ended announces that the token (concert_id, sequence) of user_id ended (by
 * payment, by leaving, or found expired): an EXPIRED event under the concert's, the user's and
 * the "ended/" topic. */
void events_publish_ended(struct events *ev, uint64_t concert_id, uint64_t user_id,
                          uint64_t sequence);

/* events_publish_position announces the place in line of the token (concert_id, sequence) of
 * user_id, with its estimated wait. */
void events_publish_position(struct events *ev, uint64_t concert_id, uint64_t user_id,
                             uint64_t sequence, uint64_t position, uint32_t eta_seconds);

/* events_publish_seats announces the new states seats[0..n) of seats of schedule_id (a date of
 * concert_id) that a committed write changed: a SeatEvent under "schedule/<id>/". */
void events_publish_seats(struct events *ev, uint64_t schedule_id, uint64_t concert_id,
                          const struct bo_seat_state *seats, size_t n);

#endif
