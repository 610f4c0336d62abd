/*
 * nb_report: the end-of-run summary (like k6's) and the JSON file.
 *
 * Latency percentiles come from the merged histogram and are clamped into the
 * exact [min, max], so min <= med <= p90 <= p95 <= p99 <= max always holds.
 */
#ifndef NB_REPORT_H
#define NB_REPORT_H

#include "nb_config.h"
#include "nb_run.h"
#include "nb_scenario.h"

#include <cjson/cJSON.h>

#include <stdio.h>

/* Latencies of a run in milliseconds. */
struct nb_latency {
    double avg, min, med, p90, p95, p99, max;
};

/* nb_report_latency computes the latencies of t. */
void nb_report_latency(const struct nb_totals *t, struct nb_latency *out);

/* nb_report_print writes the summary (and the flow's check, when done) to out. */
void nb_report_print(FILE *out, const struct nb_config *cfg, const struct nb_result *r,
                     const struct nb_flow_check *check);

/* nb_report_json_write writes o (NULL: out of memory) to path as one line and frees it; BO_OK
 * or BO_E_INTERNAL (why on stderr). */
__attribute__((warn_unused_result)) int nb_report_json_write(const char *path, cJSON *o);

/* nb_report_json writes the JSON summary to path; BO_OK or BO_E_INTERNAL (why on stderr). */
__attribute__((warn_unused_result)) int
nb_report_json(const char *path, const struct nb_config *cfg, const struct nb_result *r,
               const struct nb_flow_check *check, uint64_t concert_id);

#endif
