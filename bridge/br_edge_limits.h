/*
 * br_edge_limits: keeps the edge's cap on open REST connections per client address at
 * addressRestConnections in force. The edge (nginx, bridge/edge/) includes a small limits
 * file holding the cap (the text bridge/edge/cap writes); when the cap read differs from what
 * the file says, the keeper writes the file anew (a temporary file renamed over it) and sends
 * SIGHUP to the edge's nginx master, named by its pid file, so nginx reloads it. Without a pid
 * file (compose: the edge runs in a container of its own) the edge reloads the file itself.
 */
#ifndef BR_EDGE_LIMITS_H
#define BR_EDGE_LIMITS_H

#include <stdint.h>

struct br_edge_limits;

/* br_edge_limits_create makes a keeper of the limits file file and, unless pid_file is NULL or
 * "", of the nginx master named by pid_file (both copied); the caller frees *out with
 * br_edge_limits_destroy. Returns BO_E_INVALID_ARGUMENT for a path too long, BO_E_NOMEM. */
__attribute__((warn_unused_result)) int
br_edge_limits_create(const char *file, const char *pid_file, struct br_edge_limits **out);

/* br_edge_limits_apply brings the limits file to cap (0: off) when it says otherwise, then
 * signals nginx, logging one line; records the cap the file holds in the bridge's metrics.
 * A failure is logged (once until the next success) and retried at the next call. Not safe
 * for two threads at once. */
void br_edge_limits_apply(struct br_edge_limits *e, uint32_t cap);

/* br_edge_limits_destroy frees e; safe on NULL. */
void br_edge_limits_destroy(struct br_edge_limits *e);

#endif
