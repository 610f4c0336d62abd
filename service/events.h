/*
 * events: the instance's NNG pub0 socket for admission events.
 *
 * Each event is sent twice, once under the concert's topic and once under the
 * user's, so a subscriber filters by prefix without decoding anything. A
 * frame is the topic text, a newline, then the packed AdmissionEvent:
 *   "concert/<id>/\n<AdmissionEvent>"   "user/<id>/\n<AdmissionEvent>"
 * Events go out after the change they report is stored; pub/sub may drop
 * them, so subscribers resynchronise with GetToken (each event carries the
 * concert's admission number as its sequence).
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
 * blocks: a subscriber too slow to keep up loses events, not the admission loop's time. */
void events_publish_admitted(struct events *ev, const struct queue_token *tokens, size_t n);

#endif
