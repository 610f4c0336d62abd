/*
 * nb_influx: points for InfluxDB v1 (line protocol over plain HTTP), written
 * like k6's InfluxDB output so Grafana shows nngbench beside k6.
 *
 * Once a second: nng_req_duration (value = mean ms, p95, p99, max), nng_reqs,
 * nng_req_failed, vus, data_sent and data_received (bytes in that second), each
 * tagged tool=nngbench,scenario=<s>,type=<t>,run=<id>. Every field is a float,
 * as k6 writes them, so both tools can share a measurement such as vus.
 *
 * The HTTP client is a socket and one POST per batch, with 2 s timeouts; a failed
 * write is reported once on stderr and the run goes on.
 */
#ifndef NB_INFLUX_H
#define NB_INFLUX_H

#include "nb_stats.h"

#include <stdint.h>

struct nb_influx;

/* nb_influx_open parses url ("http://host:port"), creates database db and keeps the tags.
 * Caller closes with nb_influx_close. */
__attribute__((warn_unused_result)) int nb_influx_open(const char *url, const char *db,
                                                       const char *scenario, const char *type,
                                                       const char *run, struct nb_influx **out);

/* nb_influx_write_second writes the points of one second (window) ending at now_ms. */
void nb_influx_write_second(struct nb_influx *in, int64_t now_ms, const struct nb_totals *window,
                            int vus);

/* nb_influx_close frees in; safe on NULL. */
void nb_influx_close(struct nb_influx *in);

#endif
