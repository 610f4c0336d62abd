/* metrics: atomic counters and their Prometheus text (see metrics.h). */
#include "metrics.h"

#include "bo_envelope.h"
#include "bo_error.h"
#include "rate_limits.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_METHODS 64

static const int64_t metrics_bounds_us[] = {100,   250,   500,    1000,   2500,    5000,   10000,
                                            20000, 50000, 100000, 250000, 1000000, 5000000};
#define METRICS_NBOUNDS (sizeof(metrics_bounds_us) / sizeof(metrics_bounds_us[0]))

struct metrics_method {
    atomic_uint_fast64_t by_code[BO_E_COUNT_];
    atomic_uint_fast64_t buckets[METRICS_NBOUNDS + 1];
    atomic_uint_fast64_t sum_us;
};

struct metrics_concert {
    atomic_uint_fast64_t id; /* 0: free slot */
    atomic_uint_fast64_t waiting;
    atomic_uint_fast64_t active;
};

/* The module's own state, reached only through the functions of metrics.h. */
static struct {
    struct metrics_method methods[METRICS_METHODS];
    struct metrics_concert concerts[METRICS_QUEUE_CONCERTS];
    atomic_uint_fast64_t admissions;
    atomic_uint_fast64_t holds;
    atomic_uint_fast64_t payments;
    /* rate limits: the value in force (+1, so 0 means never set) and the refusals */
    atomic_uint_fast64_t limit[LIMIT_NACTIONS][LIMIT_NSCOPES];
    atomic_uint_fast64_t limited[LIMIT_NACTIONS][LIMIT_NSCOPES];
    /* memory: [0] from the source of truth, [1] from memory */
    atomic_uint_fast64_t seat_map_reads[2];
    atomic_uint_fast64_t token_checks[2];
    atomic_uint_fast64_t feed_events[METRICS_FEED_NKINDS];
} metrics;

void metrics_rpc_observe(unsigned method, int err, int64_t usec)
{
    struct metrics_method *m;
    size_t b = 0;

    if (method >= METRICS_METHODS) {
        return;
    }
    if (err < 0 || err >= BO_E_COUNT_) {
        err = BO_E_INTERNAL;
    }
    m = &metrics.methods[method];
    while (b < METRICS_NBOUNDS && usec > metrics_bounds_us[b]) {
        b++;
    }
    atomic_fetch_add_explicit(&m->by_code[err], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us, (uint_fast64_t)(usec > 0 ? usec : 0),
                              memory_order_relaxed);
}

void metrics_admitted(size_t n)
{
    atomic_fetch_add_explicit(&metrics.admissions, n, memory_order_relaxed);
}

void metrics_hold_made(void)
{
    atomic_fetch_add_explicit(&metrics.holds, 1, memory_order_relaxed);
}

void metrics_payment_made(void)
{
    atomic_fetch_add_explicit(&metrics.payments, 1, memory_order_relaxed);
}

void metrics_rate_limit_gauge(int action, int scope, uint32_t per_minute)
{
    if (action >= 0 && action < LIMIT_NACTIONS && scope >= 0 && scope < LIMIT_NSCOPES) {
        atomic_store(&metrics.limit[action][scope], (uint_fast64_t)per_minute + 1);
    }
}

void metrics_rate_limited(int action, int scope)
{
    if (action >= 0 && action < LIMIT_NACTIONS && scope >= 0 && scope < LIMIT_NSCOPES) {
        atomic_fetch_add_explicit(&metrics.limited[action][scope], 1, memory_order_relaxed);
    }
}

void metrics_queue_gauge(uint64_t concert_id, uint64_t waiting, uint64_t active)
{
    struct metrics_concert *slot = NULL, *free_slot = NULL, *over = NULL;

    /* Only the admission thread sets gauges, so finding or taking a slot needs no lock. */
    for (size_t i = 0; i < METRICS_QUEUE_CONCERTS && slot == NULL; i++) {
        struct metrics_concert *c = &metrics.concerts[i];
        uint64_t id = atomic_load(&c->id);
        if (id == concert_id) {
            slot = c;
        } else if (id == 0 && free_slot == NULL) {
            free_slot = c;
        } else if (id != 0 && over == NULL && atomic_load(&c->waiting) == 0 &&
                   atomic_load(&c->active) == 0) {
            over = c;
        }
    }
    if (slot == NULL) {
        slot = free_slot != NULL ? free_slot : over;
    }
    if (slot == NULL || (atomic_load(&slot->id) != concert_id && waiting == 0 && active == 0)) {
        return; /* nothing to show of a line that is over and had no place */
    }
    atomic_store(&slot->waiting, waiting);
    atomic_store(&slot->active, active);
    atomic_store(&slot->id, concert_id);
}

void metrics_queue_concerts(uint64_t *ids, size_t *n)
{
    size_t k = 0;

    for (size_t i = 0; i < METRICS_QUEUE_CONCERTS; i++) {
        uint64_t id = atomic_load(&metrics.concerts[i].id);
        if (id != 0) {
            ids[k++] = id;
        }
    }
    *n = k;
}

void metrics_seat_map_read(int from_memory)
{
    atomic_fetch_add_explicit(&metrics.seat_map_reads[from_memory != 0], 1, memory_order_relaxed);
}

void metrics_feed_event(int kind)
{
    if (kind >= 0 && kind < METRICS_FEED_NKINDS) {
        atomic_fetch_add_explicit(&metrics.feed_events[kind], 1, memory_order_relaxed);
    }
}

void metrics_token_check(int from_memory)
{
    atomic_fetch_add_explicit(&metrics.token_checks[from_memory != 0], 1, memory_order_relaxed);
}

static void metrics_render_rpc(FILE *f)
{
    const ProtobufCServiceDescriptor *sd = bo_service_descriptor();
    unsigned n = sd->n_methods < METRICS_METHODS ? sd->n_methods : METRICS_METHODS;

    fprintf(f, "# HELP boxoffice_rpc_requests_total Rpc calls answered, by method and "
               "outcome.\n# TYPE boxoffice_rpc_requests_total counter\n");
    for (unsigned m = 0; m < n; m++) {
        for (int e = 0; e < BO_E_COUNT_; e++) {
            uint64_t v = atomic_load_explicit(&metrics.methods[m].by_code[e], memory_order_relaxed);
            if (v != 0 || e == BO_OK) {
                fprintf(f, "boxoffice_rpc_requests_total{method=\"%s\",code=\"%s\"} %llu\n",
                        sd->methods[m].name, bo_error_name(e), (unsigned long long)v);
            }
        }
    }
    fprintf(f, "# HELP boxoffice_rpc_errors_total Rpc calls answered with an error.\n"
               "# TYPE boxoffice_rpc_errors_total counter\n");
    for (unsigned m = 0; m < n; m++) {
        for (int e = 1; e < BO_E_COUNT_; e++) {
            uint64_t v = atomic_load_explicit(&metrics.methods[m].by_code[e], memory_order_relaxed);
            if (v != 0) {
                fprintf(f, "boxoffice_rpc_errors_total{method=\"%s\",code=\"%s\"} %llu\n",
                        sd->methods[m].name, bo_error_name(e), (unsigned long long)v);
            }
        }
    }
    fprintf(f, "# HELP boxoffice_rpc_duration_seconds Time to answer an rpc.\n"
               "# TYPE boxoffice_rpc_duration_seconds histogram\n");
    for (unsigned m = 0; m < n; m++) {
        struct metrics_method *mm = &metrics.methods[m];
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= METRICS_NBOUNDS; i++) {
            cumulative += atomic_load_explicit(&mm->buckets[i], memory_order_relaxed);
            if (i < METRICS_NBOUNDS) {
                fprintf(f,
                        "boxoffice_rpc_duration_seconds_bucket{method=\"%s\",le=\"%g\"} "
                        "%llu\n",
                        sd->methods[m].name, (double)metrics_bounds_us[i] / 1e6,
                        (unsigned long long)cumulative);
            } else {
                fprintf(f,
                        "boxoffice_rpc_duration_seconds_bucket{method=\"%s\",le=\"+Inf\"} "
                        "%llu\n",
                        sd->methods[m].name, (unsigned long long)cumulative);
            }
        }
        fprintf(f, "boxoffice_rpc_duration_seconds_sum{method=\"%s\"} %.6f\n", sd->methods[m].name,
                (double)atomic_load_explicit(&mm->sum_us, memory_order_relaxed) / 1e6);
        fprintf(f, "boxoffice_rpc_duration_seconds_count{method=\"%s\"} %llu\n",
                sd->methods[m].name, (unsigned long long)cumulative);
    }
}

static void metrics_render_queue(FILE *f)
{
    static const char *const names[2] = {"boxoffice_queue_waiting", "boxoffice_queue_active"};
    static const char *const help[2] = {"Tokens waiting in line", "ACTIVE tokens"};

    for (int g = 0; g < 2; g++) {
        fprintf(f, "# HELP %s %s, by concert.\n# TYPE %s gauge\n", names[g], help[g], names[g]);
        for (size_t i = 0; i < METRICS_QUEUE_CONCERTS; i++) {
            struct metrics_concert *c = &metrics.concerts[i];
            uint64_t id = atomic_load(&c->id);
            if (id != 0) {
                fprintf(f, "%s{concert=\"%llu\"} %llu\n", names[g], (unsigned long long)id,
                        (unsigned long long)atomic_load(g == 0 ? &c->waiting : &c->active));
            }
        }
    }
    fprintf(f,
            "# HELP boxoffice_admissions_total Tokens made ACTIVE by this instance.\n"
            "# TYPE boxoffice_admissions_total counter\nboxoffice_admissions_total %llu\n"
            "# HELP boxoffice_holds_total Seats held through this instance.\n"
            "# TYPE boxoffice_holds_total counter\nboxoffice_holds_total %llu\n"
            "# HELP boxoffice_payments_total Payments made through this instance.\n"
            "# TYPE boxoffice_payments_total counter\nboxoffice_payments_total %llu\n",
            (unsigned long long)atomic_load(&metrics.admissions),
            (unsigned long long)atomic_load(&metrics.holds),
            (unsigned long long)atomic_load(&metrics.payments));
}

static void metrics_render_limits(FILE *f)
{
    fprintf(f, "# HELP boxoffice_rate_limit_per_minute Rate limit in force (0: off), by action "
               "and scope.\n# TYPE boxoffice_rate_limit_per_minute gauge\n");
    for (int a = 0; a < LIMIT_NACTIONS; a++) {
        for (int s = 0; s < LIMIT_NSCOPES; s++) {
            uint64_t v = atomic_load(&metrics.limit[a][s]);
            if (v != 0) {
                fprintf(f, "boxoffice_rate_limit_per_minute{action=\"%s\",scope=\"%s\"} %llu\n",
                        rate_limits_action_name(a), rate_limits_scope_name(s),
                        (unsigned long long)(v - 1));
            }
        }
    }
    fprintf(f, "# HELP boxoffice_rate_limited_total Requests refused by a rate limit, by action "
               "and scope.\n# TYPE boxoffice_rate_limited_total counter\n");
    for (int a = 0; a < LIMIT_NACTIONS; a++) {
        for (int s = 0; s < LIMIT_NSCOPES; s++) {
            if (atomic_load(&metrics.limit[a][s]) != 0) {
                fprintf(f, "boxoffice_rate_limited_total{action=\"%s\",scope=\"%s\"} %llu\n",
                        rate_limits_action_name(a), rate_limits_scope_name(s),
                        (unsigned long long)atomic_load(&metrics.limited[a][s]));
            }
        }
    }
}

/* metrics_render_memory writes the counters of what reads found in memory. */
static void metrics_render_memory(FILE *f)
{
    fprintf(f,
            "# HELP boxoffice_seat_map_reads_total Seat maps answered, by where they came from.\n"
            "# TYPE boxoffice_seat_map_reads_total counter\n"
            "boxoffice_seat_map_reads_total{source=\"memory\"} %llu\n"
            "boxoffice_seat_map_reads_total{source=\"database\"} %llu\n"
            "# HELP boxoffice_token_checks_total Token checks of reads, by what answered them.\n"
            "# TYPE boxoffice_token_checks_total counter\n"
            "boxoffice_token_checks_total{source=\"memory\"} %llu\n"
            "boxoffice_token_checks_total{source=\"redis\"} %llu\n"
            "# HELP boxoffice_peer_events_total Events received from the other instances.\n"
            "# TYPE boxoffice_peer_events_total counter\n"
            "boxoffice_peer_events_total{kind=\"seats\"} %llu\n"
            "boxoffice_peer_events_total{kind=\"ended\"} %llu\n",
            (unsigned long long)atomic_load(&metrics.seat_map_reads[1]),
            (unsigned long long)atomic_load(&metrics.seat_map_reads[0]),
            (unsigned long long)atomic_load(&metrics.token_checks[1]),
            (unsigned long long)atomic_load(&metrics.token_checks[0]),
            (unsigned long long)atomic_load(&metrics.feed_events[METRICS_FEED_SEATS]),
            (unsigned long long)atomic_load(&metrics.feed_events[METRICS_FEED_ENDED]));
}

int metrics_render(char **out, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    int failed;

    if (f == NULL) {
        return BO_E_NOMEM;
    }
    metrics_render_rpc(f);
    metrics_render_queue(f);
    metrics_render_limits(f);
    metrics_render_memory(f);
    failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        free(text);
        return BO_E_NOMEM;
    }
    *out = text;
    *len = n;
    return BO_OK;
}
