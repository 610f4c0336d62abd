/*
 * br_metrics: atomic counters (see br_metrics.h).
 *
 * Invariant: each observation increments exactly one request counter, one
 * histogram bucket (the first whose bound holds it; cumulative sums are made
 * when rendering), the count and the sum. The push listener's counters are
 * apart: one per refusal reason, and the caps it last learned; so is the edge's
 * cap (-1 until one is recorded).
 */
#include "br_metrics.h"

#include "br_router.h"

#include <stdatomic.h>

#define BR_METRICS_ROUTES  40 /* more than br_router's table, plus "unmatched" */
#define BR_METRICS_CLASSES 5  /* 1xx..5xx */

static const int64_t br_metrics_bounds_us[] = {
    500, 1000, 2500, 5000, 10000, 20000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000};
#define BR_METRICS_NBOUNDS ((int)(sizeof(br_metrics_bounds_us) / sizeof(br_metrics_bounds_us[0])))

static atomic_uint_fast64_t br_metrics_requests[BR_METRICS_ROUTES][BR_METRICS_CLASSES];
static atomic_uint_fast64_t br_metrics_buckets[BR_METRICS_NBOUNDS + 1];
static atomic_uint_fast64_t br_metrics_sum_us;
static atomic_uint_fast64_t br_metrics_count;
static atomic_uint_fast64_t br_metrics_push_refusals[BR_METRICS_PUSH_NREFUSALS];
static atomic_uint_fast32_t br_metrics_push_cap_address;
static atomic_uint_fast32_t br_metrics_push_cap_token;
static atomic_int_fast64_t br_metrics_edge_rest_cap = -1;
static const char *const br_metrics_push_reasons[BR_METRICS_PUSH_NREFUSALS] = {"address", "token",
                                                                               "total", "queue"};

void br_metrics_push_refused(enum br_metrics_push_refusal why)
{
    if ((unsigned)why < BR_METRICS_PUSH_NREFUSALS) {
        atomic_fetch_add_explicit(&br_metrics_push_refusals[why], 1, memory_order_relaxed);
    }
}

void br_metrics_push_caps(uint32_t per_address, uint32_t per_token)
{
    atomic_store_explicit(&br_metrics_push_cap_address, per_address, memory_order_relaxed);
    atomic_store_explicit(&br_metrics_push_cap_token, per_token, memory_order_relaxed);
}

void br_metrics_edge_cap(uint32_t per_address)
{
    atomic_store_explicit(&br_metrics_edge_rest_cap, per_address, memory_order_relaxed);
}

/* br_metrics_render_edge appends the edge's cap once one is recorded. */
static void br_metrics_render_edge(struct br_buf *b)
{
    int64_t cap = atomic_load_explicit(&br_metrics_edge_rest_cap, memory_order_relaxed);

    if (cap >= 0) {
        br_buf_printf(b,
                      "# HELP boxoffice_bridge_edge_rest_cap Open REST connections per client "
                      "address the edge was last given (0: no cap).\n"
                      "# TYPE boxoffice_bridge_edge_rest_cap gauge\n"
                      "boxoffice_bridge_edge_rest_cap %lld\n",
                      (long long)cap);
    }
}

/* br_metrics_render_push appends the push listener's refusals and caps. */
static void br_metrics_render_push(struct br_buf *b)
{
    br_buf_puts(b, "# HELP boxoffice_bridge_push_refused_total Push connections refused, by "
                   "reason (address, token, total cap; queue of token checks full).\n"
                   "# TYPE boxoffice_bridge_push_refused_total counter\n");
    for (int i = 0; i < BR_METRICS_PUSH_NREFUSALS; i++) {
        br_buf_printf(b, "boxoffice_bridge_push_refused_total{reason=\"%s\"} %llu\n",
                      br_metrics_push_reasons[i],
                      (unsigned long long)atomic_load_explicit(&br_metrics_push_refusals[i],
                                                               memory_order_relaxed));
    }
    br_buf_printf(
        b,
        "# HELP boxoffice_bridge_push_cap Open push connections allowed per client "
        "address and per token (0: no cap).\n"
        "# TYPE boxoffice_bridge_push_cap gauge\n"
        "boxoffice_bridge_push_cap{per=\"address\"} %lu\n"
        "boxoffice_bridge_push_cap{per=\"token\"} %lu\n",
        (unsigned long)atomic_load_explicit(&br_metrics_push_cap_address, memory_order_relaxed),
        (unsigned long)atomic_load_explicit(&br_metrics_push_cap_token, memory_order_relaxed));
}

void br_metrics_observe(int route, int http, int64_t usec)
{
    int cls = http / 100 - 1;
    int b = 0;

    if (route < 0 || route >= BR_METRICS_ROUTES) {
        route = BR_METRICS_ROUTES - 1;
    }
    if (cls < 0 || cls >= BR_METRICS_CLASSES) {
        cls = BR_METRICS_CLASSES - 1;
    }
    if (usec < 0) {
        usec = 0;
    }
    while (b < BR_METRICS_NBOUNDS && usec > br_metrics_bounds_us[b]) {
        b++;
    }
    atomic_fetch_add_explicit(&br_metrics_requests[route][cls], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&br_metrics_buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&br_metrics_sum_us, (uint_fast64_t)usec, memory_order_relaxed);
    atomic_fetch_add_explicit(&br_metrics_count, 1, memory_order_relaxed);
}

void br_metrics_render(struct br_buf *b)
{
    int nroutes = br_router_count();
    uint64_t cumulative = 0;

    br_buf_puts(b, "# HELP boxoffice_bridge_requests_total HTTP requests answered by the bridge, "
                   "by route and status class.\n"
                   "# TYPE boxoffice_bridge_requests_total counter\n");
    for (int i = 0; i <= nroutes && i < BR_METRICS_ROUTES; i++) {
        int slot = i == nroutes ? BR_METRICS_ROUTES - 1 : i;
        const char *method;
        const char *pattern;
        br_router_describe(i, &method, &pattern);
        for (int c = 0; c < BR_METRICS_CLASSES; c++) {
            uint64_t n = atomic_load_explicit(&br_metrics_requests[slot][c], memory_order_relaxed);
            if (n == 0 && c != 1) { /* always show 2xx so every route appears */
                continue;
            }
            br_buf_printf(b,
                          "boxoffice_bridge_requests_total{method=\"%s\",route=\"%s\","
                          "status=\"%dxx\"} %llu\n",
                          method, pattern, c + 1, (unsigned long long)n);
        }
    }
    br_buf_puts(b, "# HELP boxoffice_bridge_request_duration_seconds Time from request to "
                   "response, in seconds.\n"
                   "# TYPE boxoffice_bridge_request_duration_seconds histogram\n");
    for (int i = 0; i <= BR_METRICS_NBOUNDS; i++) {
        cumulative += atomic_load_explicit(&br_metrics_buckets[i], memory_order_relaxed);
        if (i < BR_METRICS_NBOUNDS) {
            br_buf_printf(b, "boxoffice_bridge_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                          (double)br_metrics_bounds_us[i] / 1e6, (unsigned long long)cumulative);
        } else {
            br_buf_printf(b, "boxoffice_bridge_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                          (unsigned long long)cumulative);
        }
    }
    br_buf_printf(b, "boxoffice_bridge_request_duration_seconds_sum %.6f\n",
                  (double)atomic_load_explicit(&br_metrics_sum_us, memory_order_relaxed) / 1e6);
    br_buf_printf(
        b, "boxoffice_bridge_request_duration_seconds_count %llu\n",
        (unsigned long long)atomic_load_explicit(&br_metrics_count, memory_order_relaxed));
    br_metrics_render_push(b);
    br_metrics_render_edge(b);
}
