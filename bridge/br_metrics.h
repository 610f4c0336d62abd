/*
 * br_metrics: request counts by route and status class and a latency
 * histogram, kept in relaxed atomics (no locks on the request path) and
 * rendered as Prometheus text.
 */
#ifndef BR_METRICS_H
#define BR_METRICS_H

#include <stdint.h>

#include "br_buf.h"

/* br_metrics_observe counts one request answered by route (br_router index, or
 * br_router_count() for unmatched) with HTTP status http after usec microseconds. */
void br_metrics_observe(int route, int http, int64_t usec);

/* br_metrics_render appends the Prometheus text exposition of every metric to b. */
void br_metrics_render(struct br_buf *b);

#endif
