/* nb_report: summary and JSON of a run (see nb_report.h). */
#include "nb_report.h"

#include "bo_error.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static double nb_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

void nb_report_latency(const struct nb_totals *t, struct nb_latency *out)
{
    memset(out, 0, sizeof(*out));
    if (t->requests == 0) {
        return;
    }
    out->min = (double)t->min_us / 1000.0;
    out->max = (double)t->max_us / 1000.0;
    out->avg = (double)t->sum_us / (double)t->requests / 1000.0;
    out->med = nb_clamp(nb_hist_plain_percentile(&t->hist, 50.0) / 1000.0, out->min, out->max);
    out->p90 = nb_clamp(nb_hist_plain_percentile(&t->hist, 90.0) / 1000.0, out->med, out->max);
    out->p95 = nb_clamp(nb_hist_plain_percentile(&t->hist, 95.0) / 1000.0, out->p90, out->max);
    out->p99 = nb_clamp(nb_hist_plain_percentile(&t->hist, 99.0) / 1000.0, out->p95, out->max);
}

/* Formats a byte count like k6 (kB, MB, GB; powers of 1000). */
static void nb_bytes(double b, char *buf, size_t len)
{
    if (b >= 1e9) {
        snprintf(buf, len, "%.1f GB", b / 1e9);
    } else if (b >= 1e6) {
        snprintf(buf, len, "%.0f MB", b / 1e6);
    } else if (b >= 1e3) {
        snprintf(buf, len, "%.0f kB", b / 1e3);
    } else {
        snprintf(buf, len, "%.0f B", b);
    }
}

/* Formats a latency in ms with k6's precision. */
static void nb_ms(double ms, char *buf, size_t len)
{
    if (ms >= 1000.0) {
        snprintf(buf, len, "%.2fs", ms / 1000.0);
    } else if (ms >= 10.0) {
        snprintf(buf, len, "%.1fms", ms);
    } else {
        snprintf(buf, len, "%.2fms", ms);
    }
}

void nb_report_print(FILE *out, const struct nb_config *cfg, const struct nb_result *r,
                     const struct nb_flow_check *check)
{
    const struct nb_totals *t = &r->totals;
    struct nb_latency l;
    char a[7][32], sent[32], recv[32], sent_s[32], recv_s[32];
    double secs = r->seconds > 0 ? r->seconds : 1.0;

    nb_report_latency(t, &l);
    nb_ms(l.avg, a[0], sizeof(a[0]));
    nb_ms(l.min, a[1], sizeof(a[1]));
    nb_ms(l.med, a[2], sizeof(a[2]));
    nb_ms(l.p90, a[3], sizeof(a[3]));
    nb_ms(l.p95, a[4], sizeof(a[4]));
    nb_ms(l.p99, a[5], sizeof(a[5]));
    nb_ms(l.max, a[6], sizeof(a[6]));
    nb_bytes((double)t->sent, sent, sizeof(sent));
    nb_bytes((double)t->received, recv, sizeof(recv));
    nb_bytes((double)t->sent / secs, sent_s, sizeof(sent_s));
    nb_bytes((double)t->received / secs, recv_s, sizeof(recv_s));
    fprintf(out, "scenario=%s type=%s vus=%d (max %d) duration=%.1fs\n",
            nb_scenario_name(cfg->scenario_id), nb_type_name(cfg->type_id), r->vus, r->vus_max,
            r->seconds);
    fprintf(out, "  requests ......: %" PRIu64 "   %.1f/s\n", t->requests,
            (double)t->requests / secs);
    fprintf(out, "  latency .......: avg=%s min=%s med=%s p90=%s p95=%s p99=%s max=%s\n", a[0],
            a[1], a[2], a[3], a[4], a[5], a[6]);
    fprintf(out, "  failures ......: %.2f%%  %" PRIu64 " of %" PRIu64 "\n",
            t->requests > 0 ? 100.0 * (double)t->failures / (double)t->requests : 0.0, t->failures,
            t->requests);
    fprintf(out, "  data ..........: sent %s (%s/s)  received %s (%s/s)\n", sent, sent_s, recv,
            recv_s);
    if (check != NULL && cfg->scenario_id == NB_SCENARIO_FLOW) {
        if (check->done) {
            fprintf(out,
                    "  invariants ....: payments=%" PRIu64 " sold=%" PRIu64 " held=%" PRIu64
                    " -> %s\n",
                    check->payments, check->sold, check->held,
                    check->ok ? "ok (every payment sold one seat)" : "MISMATCH");
        } else {
            fprintf(out, "  invariants ....: payments=%" PRIu64 " (seats could not be checked)\n",
                    check->payments);
        }
    }
}

int nb_report_json(const char *path, const struct nb_config *cfg, const struct nb_result *r,
                   const struct nb_flow_check *check, uint64_t concert_id)
{
    const struct nb_totals *t = &r->totals;
    double secs = r->seconds > 0 ? r->seconds : 1.0;
    struct nb_latency l;
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        fprintf(stderr, "nngbench: cannot write %s: %s\n", path, strerror(errno));
        return BO_E_INTERNAL;
    }
    nb_report_latency(t, &l);
    fprintf(f,
            "{\"tool\":\"nngbench\",\"scenario\":\"%s\",\"type\":\"%s\",\"quick\":%s,"
            "\"runId\":\"%s\",\"vus\":%d,\"vusMax\":%d,\"durationSeconds\":%.3f,"
            "\"requests\":%" PRIu64 ",\"rate\":%.3f,\"failures\":%" PRIu64 ",\"failureRate\":%.6f,"
            "\"latencyMs\":{\"avg\":%.3f,\"min\":%.3f,\"med\":%.3f,\"p90\":%.3f,\"p95\":%.3f,"
            "\"p99\":%.3f,\"max\":%.3f},\"dataSent\":%" PRIu64 ",\"dataReceived\":%" PRIu64
            ",\"dataSentPerSecond\":%.1f,\"dataReceivedPerSecond\":%.1f,\"concertId\":%" PRIu64,
            nb_scenario_name(cfg->scenario_id), nb_type_name(cfg->type_id),
            cfg->quick ? "true" : "false", cfg->run_id, r->vus, r->vus_max, r->seconds, t->requests,
            (double)t->requests / secs, t->failures,
            t->requests > 0 ? (double)t->failures / (double)t->requests : 0.0, l.avg, l.min, l.med,
            l.p90, l.p95, l.p99, l.max, t->sent, t->received, (double)t->sent / secs,
            (double)t->received / secs, concert_id);
    if (check != NULL && cfg->scenario_id == NB_SCENARIO_FLOW) {
        fprintf(f,
                ",\"flow\":{\"payments\":%" PRIu64 ",\"soldSeats\":%" PRIu64
                ",\"heldSeats\":%" PRIu64 ",\"checked\":%s,\"invariantsOk\":%s}",
                check->payments, check->sold, check->held, check->done ? "true" : "false",
                check->done && check->ok ? "true" : "false");
    }
    fprintf(f, "}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "nngbench: writing %s failed\n", path);
        return BO_E_INTERNAL;
    }
    return BO_OK;
}
