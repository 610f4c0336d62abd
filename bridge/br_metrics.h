/*
 * br_metrics: request counts by route and status class and a latency
 * histogram, push connections refused by reason and the push caps in force, the
 * edge's cap on open REST connections per address,
 * kept in relaxed atomics (no locks on the request path) and rendered as
 * Prometheus text.
 */
#ifndef BR_METRICS_H
#define BR_METRICS_H

#include <stdint.h>

#include "br_buf.h"

/* br_metrics_observe counts one request answered by route (br_router index, or
 * br_router_count() for unmatched) with HTTP status http after usec microseconds. */
void br_metrics_observe(int route, int http, int64_t usec);

/* Why the push listener refused a connection. */
enum br_metrics_push_refusal {
    BR_METRICS_PUSH_ADDRESS = 0, /* its client address holds addressPushConnections */
    BR_METRICS_PUSH_TOKEN,       /* its token is followed by tokenPushConnections */
    BR_METRICS_PUSH_TOTAL,       /* the listener holds push-max-connections */
    BR_METRICS_PUSH_QUEUE,       /* push-max-jobs token checks wait already */
    BR_METRICS_PUSH_NREFUSALS
};

/* br_metrics_push_refused counts one push connection refused for why. */
void br_metrics_push_refused(enum br_metrics_push_refusal why);

/* br_metrics_push_caps records the push connection caps in force (0 = off), as the push
 * listener learned them. */
void br_metrics_push_caps(uint32_t per_address, uint32_t per_token);

/* br_metrics_edge_cap records the cap on open REST connections per client address (0 = off)
 * the edge's limits file was last seen or made to hold (br_edge_limits); until the first call
 * the metric is not shown. */
void br_metrics_edge_cap(uint32_t per_address);

/* br_metrics_render appends the Prometheus text exposition of every metric to b. */
void br_metrics_render(struct br_buf *b);

#endif
