/*
 * metrics: the service's Prometheus counters, histograms and gauges.
 *
 * Lock-free atomics owned by this module: the hot path (every rpc) only adds.
 * Names: boxoffice_rpc_requests_total{method,code}, boxoffice_rpc_errors_total
 * {method,code}, boxoffice_rpc_duration_seconds{method} (histogram),
 * boxoffice_queue_waiting{concert}, boxoffice_queue_active{concert},
 * boxoffice_admissions_total, boxoffice_holds_total, boxoffice_payments_total,
 * boxoffice_rate_limit_per_minute{action,scope}, boxoffice_rate_limited_total{action,scope},
 * boxoffice_seat_map_reads_total{source}, boxoffice_peer_events_total{kind},
 * boxoffice_token_checks_total{source}.
 */
#ifndef SVC_METRICS_H
#define SVC_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* metrics_rpc_observe counts one answered rpc (method index, error code, duration). */
void metrics_rpc_observe(unsigned method, int err, int64_t usec);

/* metrics_admitted counts tokens the admission loop made ACTIVE. */
void metrics_admitted(size_t n);

/* metrics_hold_made and metrics_payment_made count new holds and new (not replayed) payments. */
void metrics_hold_made(void);
void metrics_payment_made(void);

/* metrics_rate_limit_gauge sets the rate limit in force (per minute, 0: off) of an action and
 * scope (enum limit_action, enum limit_scope of limits.h). */
void metrics_rate_limit_gauge(int action, int scope, uint32_t per_minute);

/* metrics_rate_limited counts one request refused by the limit of an action and scope. */
void metrics_rate_limited(int action, int scope);

/* Concerts whose queue gauges are shown at most. */
#define METRICS_QUEUE_CONCERTS 64

/* metrics_queue_gauge sets the waiting and active gauges of a concert. A concert new to the
 * gauges takes a free place, or that of one whose line is over (both gauges 0); with none, it
 * is not shown. */
void metrics_queue_gauge(uint64_t concert_id, uint64_t waiting, uint64_t active);

/* metrics_queue_concerts writes the concerts whose gauges are shown (at most
 * METRICS_QUEUE_CONCERTS) into ids and their count into *n. */
void metrics_queue_concerts(uint64_t *ids, size_t *n);

/* metrics_seat_map_read counts one seat map answered from memory (from_memory) or read from
 * PostgreSQL. */
void metrics_seat_map_read(int from_memory);

/* Kinds of events received from the peer instances. */
enum metrics_feed_kind { METRICS_FEED_SEATS, METRICS_FEED_ENDED, METRICS_FEED_NKINDS };

/* metrics_feed_event counts one event of kind received from a peer instance. */
void metrics_feed_event(int kind);

/* metrics_token_check counts one read's token check answered from the token memory
 * (from_memory) or by Redis. */
void metrics_token_check(int from_memory);

/* metrics_render writes the Prometheus text exposition into a new buffer the caller frees. */
__attribute__((warn_unused_result)) int metrics_render(char **out, size_t *len);

#endif
