/*
 * bo_feed: a thread that follows the seat and ended-token events of every service instance
 * (topics "schedule/" and "ended/", see events.proto), and on request the admission events
 * (topic "concert/"), and hands each decoded event to the callbacks of its owner: a service
 * instance or a bridge keeping seat maps and tokens in memory, the bridge's push listener.
 * One socket for all of them: pub/sub filters at the subscriber, so every socket of a process
 * receives every event of every instance.
 *
 * Pub/sub may drop events; the feed says nothing about gaps. Holders of memory bound its age
 * instead (BO_SEATMAP_REFRESH_MS, token windows). Callbacks run on the feed's thread, one at
 * a time, and must not block for long.
 */
#ifndef BO_FEED_H
#define BO_FEED_H

#include "bo_seatmap.h"
#include "boxoffice/v1/events.pb-c.h"

#include <stddef.h>
#include <stdint.h>

struct bo_feed_handlers {
    /* seats: changes[0..n) of schedule_id (concert_id), as the SeatEvent carried them. */
    void (*seats)(void *arg, uint64_t schedule_id, uint64_t concert_id,
                  const struct bo_seat_state *changes, size_t n);
    /* ended: the token (concert_id, sequence) of user_id ended; forget it. */
    void (*ended)(void *arg, uint64_t concert_id, uint64_t sequence, uint64_t user_id);
    /* admission: an admission event of any kind as published under "concert/<id>/" (e is
     * freed after the call); the feed subscribes to those only when this is set. */
    void (*admission)(void *arg, const Boxoffice__V1__AdmissionEvent *e);
    void *arg;
};

struct bo_feed;

/* bo_feed_start dials every events address in urls (comma-separated; an address equal to
 * skip_url, which may be NULL, is left out: an instance applies its own changes itself) and
 * starts the thread calling h's handlers (either may be NULL). Stop with bo_feed_stop.
 * BO_E_INVALID_ARGUMENT for a bad address, BO_E_NOMEM. An empty list starts a feed that
 * receives nothing. */
__attribute__((warn_unused_result)) int bo_feed_start(const char *urls, const char *skip_url,
                                                      const struct bo_feed_handlers *h,
                                                      struct bo_feed **out);

/* bo_feed_stop stops and joins the thread, then closes the socket; safe on NULL. No handler
 * runs after it returns. */
void bo_feed_stop(struct bo_feed *f);

/* bo_feed_event_decode reads a published admission event msg[0..len), its topic line, '\n' and
 * the packed AdmissionEvent, into *out (caller frees with
 * boxoffice__v1__admission_event__free_unpacked): the one reader of events, for the feed and
 * the subscribers of libboxoffice. BO_E_MALFORMED_REQUEST when there is no topic line or the
 * event does not decode. */
__attribute__((warn_unused_result)) int bo_feed_event_decode(const void *msg, size_t len,
                                                             Boxoffice__V1__AdmissionEvent **out);

/* bo_feed_deliver hands one received message msg[0..len) (topic line, '\n', packed event) to
 * f's handlers as the feed's thread does; for tests and fuzzing, on a feed started with an
 * empty list (whose thread never runs). Messages of no topic of f, or that do not decode, are
 * dropped. */
void bo_feed_deliver(struct bo_feed *f, const void *msg, size_t len);

/* bo_feed_received says how many events the feed has handed over (for metrics and tests). */
uint64_t bo_feed_received(const struct bo_feed *f);

#endif
