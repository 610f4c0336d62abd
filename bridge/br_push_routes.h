/*
 * br_push_routes: the REST port's two push routes (handlers in br_queue.c).
 *
 * Push itself is served by the push listener (br_push.h); civetweb would hold
 * a thread per open stream. These routes tell browsers where it is.
 */
#ifndef BR_PUSH_ROUTES_H
#define BR_PUSH_ROUTES_H

#include "br_http.h"

/* br_queue_events_redirect answers GET /api/v1/queue/events with 307 to the push listener
 * (same path and query; EventSource follows it) and the push URLs as the body. */
int br_queue_events_redirect(struct br_req *r);

/* br_queue_push_info answers GET /api/v1/queue/push with {"websocket","sse"}: the URLs of
 * the push listener's WebSocket and event stream. */
int br_queue_push_info(struct br_req *r);

#endif
