/*
 * events: the instance's NNG pub0 socket for admission events.
 *
 * Each event is sent twice, once under the concert's topic and once under the
 * user's, so a subscriber filters by prefix without decoding anything. A
 * frame is the topic text, a newline, then the packed AdmissionEvent:
 *   "concert/<id>/\n<AdmissionEvent>"   "user/<id>/\n<AdmissionEvent>"
 * Events go out after the change they report is stored; pub/sub may drop
 * them, so subscribers resynchronise with GetToken (each ADMITTED event
 * carries the concert's admission number as its sequence; POSITION and
 * EXPIRED events carry 0). Only the admission leader's thread publishes.
 */
#ifndef SVC_EVENTS_H
#define SVC_EVENTS_H

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

/* events_publish_expired announces tokens that ended (concert_id, user_id, sequence used). */
void events_publish_expired(struct events *ev, const struct queue_token *tokens, size_t n);

/* events_publish_position announces the place in line of the token (concert_id, sequence) of
 * user_id, with its estimated wait. */
void events_publish_position(struct events *ev, uint64_t concert_id, uint64_t user_id,
                             uint64_t sequence, uint64_t position, uint32_t eta_seconds);

#endif
