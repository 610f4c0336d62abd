/*
 * br_push: the push listener, GET /api/v1/queue/events as WebSocket and as
 * Server-Sent Events, on its own address (push-listen, default
 * 127.0.0.1:8081), served by one libwebsockets event loop thread.
 *
 * civetweb holds a thread per open connection; a line of tens of thousands
 * of browsers waiting for admission cannot. Here an idle connection costs a
 * socket, lws's per-connection state and a small struct: no thread, no
 * buffer. The rpcs run on a few threads of their own (br_push_events), the
 * admission events come from the bridge's one event feed (br_seatmaps), and
 * both hand results to the loop.
 *
 * A connection's token (Queue-Token header, or the token query parameter
 * since browsers cannot set headers on WebSocket or EventSource) is verified
 * with GetToken before anything is sent; the first message is the token's
 * current state, then its position updates, its admission and its expiry,
 * after which the connection is closed cleanly. See README.md for the
 * messages. The listen address and the URL browsers are sent to are
 * br_config's (br_config_push_addr, br_config_push_base).
 */
#ifndef BR_PUSH_H
#define BR_PUSH_H

#include "boxoffice/v1/events.pb-c.h"
#include "br_config.h"

/* The one path push serves, on the push listener (and redirected to from the REST port). */
#define BR_PUSH_PATH "/api/v1/queue/events"

struct br_push;

/*
 * br_push_start raises RLIMIT_NOFILE to its hard limit, starts the push threads and listens
 * on cfg->push_listen (cfg borrowed until br_push_stop). When push_listen is empty push is
 * off: returns 0 with *out NULL. Returns 0 with *out set, or an error code after logging why.
 */
__attribute__((warn_unused_result)) int br_push_start(const struct br_config *cfg,
                                                      struct br_push **out);

/* br_push_admission takes an admission event for the connections waiting on its token (p is
 * the struct br_push; called from the event feed's thread; br_seatmaps_admission_fn). */
void br_push_admission(void *p, const Boxoffice__V1__AdmissionEvent *e);

/* br_push_stop closes every push connection, joins the push threads and frees p; safe on
 * NULL. */
void br_push_stop(struct br_push *p);

#endif
