/*
 * br_push_conn: the push listener's connections and their I/O on the loop
 * thread (internal to br_push*.c: this header brings libwebsockets in).
 *
 * A connection (struct br_push_conn, one malloc) belongs to its lws wsi
 * while that is open, except while its token is being verified: a
 * verification always comes back, so when the wsi closes first the result
 * frees the orphaned connection. Phases: VERIFYING -> OPEN -> CLOSING, or
 * VERIFYING -> REJECT. Only one lws_write happens per writeable callback;
 * a connection with more to say asks for another one.
 *
 * Caps: a new connection counts against the total and its address's cap
 * (br_push_caps) from its request until it closes; one over either is
 * refused at once, and one whose verified token already has its cap of
 * followers (br_push_hub_followers) is refused instead of joining, as is
 * one whose token check finds the job list full: a WebSocket with close
 * 1013 "try again later", an event stream with 503 and Retry-After.
 *
 * SSE responses are written by hand (status line and headers in front of
 * the first event, one write) after lws's header storage was handed back
 * at the request: an idle SSE connection then holds no header buffer. They
 * have no Content-Length and end with the connection ("Connection: close").
 */
#ifndef BR_PUSH_CONN_H
#define BR_PUSH_CONN_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "br_buf.h"
#include "br_config.h"
#include "br_push_caps.h"
#include "br_push_events.h"
#include "br_push_hub.h"

/* The listener: made and torn down by br_push.c, used by the loop thread. */
struct br_push {
    const struct br_config *cfg;
    struct lws_context *ctx;
    struct br_push_hub *hub;
    struct br_push_caps *caps; /* connections let in, in all and per address */
    struct br_push_events *ev;
    struct br_buf out; /* the message being written (loop thread) */
    lws_sorted_usec_list_t touch_sul;
    lws_sorted_usec_list_t stale_sul;
    lws_sorted_usec_list_t keepalive_sul;
    lws_dll2_owner_t keepalives; /* connections by when their keep-alive is due (loop thread) */
    pthread_t loop;
    int loop_started;
    atomic_int stop;
    size_t nconns; /* open connections (loop thread) */
};

/* The lws protocol list the listener serves: its callback answers every connection. */
extern const struct lws_protocols br_push_conn_protocols[];

/* br_push_conn_wake is the hub's wake function (arg: the listener): the member's connection
 * has a newer state to write. */
void br_push_conn_wake(struct br_push_member *m, void *arg);

/* br_push_conn_keepalives_start schedules the keep-alives of p's connections: a few times a
 * second those due get a ping (WebSocket) or a comment (SSE). */
void br_push_conn_keepalives_start(struct br_push *p);

/* br_push_conn_results applies the results the workers and the subscriber handed over
 * (verifications and state changes) and frees them. */
void br_push_conn_results(struct br_push *p, struct br_push_result *r);

#endif
