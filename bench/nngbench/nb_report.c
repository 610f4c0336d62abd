/* nb_report: summary and JSON of a run (see nb_report.h); the JSON is built with cJSON. */
#include "nb_report.h"

#include "bo_error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
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
    if (check != NULL &&
        (cfg->scenario_id == NB_SCENARIO_FLOW || cfg->scenario_id == NB_SCENARIO_ARENA)) {
        int arena = cfg->scenario_id == NB_SCENARIO_ARENA;
        if (check->done) {
            fprintf(out,
                    "  invariants ....: payments=%" PRIu64 " sold=%" PRIu64 " held=%" PRIu64
                    " left=%" PRIu64 "%s -> %s\n",
                    check->payments, check->sold, check->held, check->left,
                    check->left == 0 ? " (SOLD OUT)" : "",
                    !check->ok ? "MISMATCH"
                    : arena    ? "ok (every payment sold two seats)"
                               : "ok (every payment sold one seat)");
        } else {
            fprintf(out, "  invariants ....: payments=%" PRIu64 " (seats could not be checked)\n",
                    check->payments);
        }
        if (arena) {
            fprintf(out,
                    "  best available : %.1f purchases/s, SEAT_TAKEN retries=%" PRIu64
                    " NOT_ENOUGH_SEATS=%" PRIu64 " nothing left=%" PRIu64 "\n",
                    (double)check->payments / secs, check->seat_taken, check->not_enough,
                    check->sold_out);
        }
    }
}

/* nb_json_num adds key: v rounded to digits decimals to o (the precision the file has
 * always had); clears *ok when out of memory. */
static void nb_json_num(cJSON *o, const char *key, int digits, double v, int *ok)
{
    char text[64];

    snprintf(text, sizeof(text), "%.*f", digits, v);
    if (cJSON_AddNumberToObject(o, key, strtod(text, NULL)) == NULL) {
        *ok = 0;
    }
}

/* nb_json_count adds key: v (a count) to o; clears *ok when out of memory. */
static void nb_json_count(cJSON *o, const char *key, uint64_t v, int *ok)
{
    if (cJSON_AddNumberToObject(o, key, (double)v) == NULL) {
        *ok = 0;
    }
}

/* nb_json_flow adds the flow's (or arena's, with its best-available counts) check to o as
 * "flow"; clears *ok when out of memory. */
static void nb_json_flow(cJSON *o, const struct nb_flow_check *check, int arena, int *ok)
{
    cJSON *flow = cJSON_AddObjectToObject(o, "flow");

    if (arena) {
        nb_json_count(flow, "seatsPerPurchase", (uint64_t)check->seats_per_purchase, ok);
        nb_json_count(flow, "seatTakenRetries", check->seat_taken, ok);
        nb_json_count(flow, "notEnoughSeats", check->not_enough, ok);
        nb_json_count(flow, "nothingLeft", check->sold_out, ok);
    }

    nb_json_count(flow, "payments", check->payments, ok);
    nb_json_count(flow, "soldSeats", check->sold, ok);
    nb_json_count(flow, "heldSeats", check->held, ok);
    nb_json_count(flow, "seatsLeft", check->left, ok);
    if (cJSON_AddBoolToObject(flow, "checked", check->done) == NULL ||
        cJSON_AddBoolToObject(flow, "invariantsOk", check->done && check->ok) == NULL) {
        *ok = 0;
    }
}

/* nb_json_summary builds the JSON summary (caller frees with cJSON_Delete); NULL when out of
 * memory. */
static cJSON *nb_json_summary(const struct nb_config *cfg, const struct nb_result *r,
                              const struct nb_flow_check *check, uint64_t concert_id)
{
    const struct nb_totals *t = &r->totals;
    double secs = r->seconds > 0 ? r->seconds : 1.0;
    cJSON *o = cJSON_CreateObject(), *lat;
    struct nb_latency l;
    int ok = o != NULL;

    nb_report_latency(t, &l);
    if (cJSON_AddStringToObject(o, "tool", "nngbench") == NULL ||
        cJSON_AddStringToObject(o, "scenario", nb_scenario_name(cfg->scenario_id)) == NULL ||
        cJSON_AddStringToObject(o, "type", nb_type_name(cfg->type_id)) == NULL ||
        cJSON_AddBoolToObject(o, "quick", cfg->quick) == NULL ||
        cJSON_AddStringToObject(o, "runId", cfg->run_id) == NULL) {
        ok = 0;
    }
    nb_json_count(o, "vus", (uint64_t)r->vus, &ok);
    nb_json_count(o, "vusMax", (uint64_t)r->vus_max, &ok);
    nb_json_num(o, "durationSeconds", 3, r->seconds, &ok);
    nb_json_count(o, "requests", t->requests, &ok);
    nb_json_num(o, "rate", 3, (double)t->requests / secs, &ok);
    nb_json_count(o, "failures", t->failures, &ok);
    nb_json_num(o, "failureRate", 6,
                t->requests > 0 ? (double)t->failures / (double)t->requests : 0.0, &ok);
    lat = cJSON_AddObjectToObject(o, "latencyMs");
    nb_json_num(lat, "avg", 3, l.avg, &ok);
    nb_json_num(lat, "min", 3, l.min, &ok);
    nb_json_num(lat, "med", 3, l.med, &ok);
    nb_json_num(lat, "p90", 3, l.p90, &ok);
    nb_json_num(lat, "p95", 3, l.p95, &ok);
    nb_json_num(lat, "p99", 3, l.p99, &ok);
    nb_json_num(lat, "max", 3, l.max, &ok);
    nb_json_count(o, "dataSent", t->sent, &ok);
    nb_json_count(o, "dataReceived", t->received, &ok);
    nb_json_num(o, "dataSentPerSecond", 1, (double)t->sent / secs, &ok);
    nb_json_num(o, "dataReceivedPerSecond", 1, (double)t->received / secs, &ok);
    nb_json_count(o, "concertId", concert_id, &ok);
    if (check != NULL &&
        (cfg->scenario_id == NB_SCENARIO_FLOW || cfg->scenario_id == NB_SCENARIO_ARENA)) {
        nb_json_flow(o, check, cfg->scenario_id == NB_SCENARIO_ARENA, &ok);
    }
    if (cfg->scenario_id == NB_SCENARIO_BIGMAP &&
        (cJSON_AddStringToObject(o, "section", cfg->section) == NULL ||
         cJSON_AddBoolToObject(o, "compact", cfg->compact != 0) == NULL)) {
        ok = 0;
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int nb_report_json_write(const char *path, cJSON *o)
{
    char *text = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    FILE *f = NULL;
    int rc = BO_E_INTERNAL;

    if (text == NULL) {
        fprintf(stderr, "nngbench: out of memory writing %s\n", path);
        goto done;
    }
    if ((f = fopen(path, "w")) == NULL) {
        fprintf(stderr, "nngbench: cannot write %s: %s\n", path, strerror(errno));
        goto done;
    }
    fprintf(f, "%s\n", text);
    if (fclose(f) != 0) {
        fprintf(stderr, "nngbench: writing %s failed\n", path);
        goto done;
    }
    rc = BO_OK;
done:
    cJSON_free(text);
    cJSON_Delete(o);
    return rc;
}

int nb_report_json(const char *path, const struct nb_config *cfg, const struct nb_result *r,
                   const struct nb_flow_check *check, uint64_t concert_id)
{
    return nb_report_json_write(path, nb_json_summary(cfg, r, check, concert_id));
}
