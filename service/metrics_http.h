/* metrics_http: GET /metrics (Prometheus text) on the instance's own HTTP port, served by
 * nng's HTTP server so the service needs no other web library. */
#ifndef SVC_METRICS_HTTP_H
#define SVC_METRICS_HTTP_H

struct metrics_http;

/* metrics_http_start listens on "host:port"; close with metrics_http_stop. */
__attribute__((warn_unused_result)) int metrics_http_start(const char *listen,
                                                           struct metrics_http **out);

/* metrics_http_stop stops serving; safe on NULL. */
void metrics_http_stop(struct metrics_http *m);

#endif
