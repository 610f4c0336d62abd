/* nb_stats: per-VU counters and their sums (see nb_stats.h). */
#include "nb_stats.h"

#include <string.h>

/* Single-writer increment: a relaxed load and store, no locked instruction. */
static void nb_bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static uint64_t nb_get(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void nb_vu_stats_init(struct nb_vu_stats *s)
{
    memset(s, 0, sizeof(*s));
    atomic_store_explicit(&s->min_us, UINT64_MAX, memory_order_relaxed);
}

void nb_vu_stats_record(struct nb_vu_stats *s, uint64_t us, int failed, size_t sent,
                        size_t received)
{
    nb_hist_record(&s->hist, us);
    nb_bump(&s->sum_us, us);
    nb_bump(&s->sent, sent);
    nb_bump(&s->received, received);
    if (failed) {
        nb_bump(&s->failures, 1);
    }
    if (us < nb_get(&s->min_us)) {
        atomic_store_explicit(&s->min_us, us, memory_order_relaxed);
    }
    if (us > nb_get(&s->max_us)) {
        atomic_store_explicit(&s->max_us, us, memory_order_relaxed);
    }
    /* Last, so a reader never sees more requests than histogram entries. */
    nb_bump(&s->requests, 1);
}

void nb_totals_init(struct nb_totals *t)
{
    memset(t, 0, sizeof(*t));
    t->min_us = UINT64_MAX;
}

void nb_totals_add(struct nb_totals *t, const struct nb_vu_stats *s)
{
    uint64_t mn = nb_get(&s->min_us), mx = nb_get(&s->max_us);
    t->requests += nb_get(&s->requests);
    t->failures += nb_get(&s->failures);
    t->sent += nb_get(&s->sent);
    t->received += nb_get(&s->received);
    t->sum_us += nb_get(&s->sum_us);
    if (mn < t->min_us) {
        t->min_us = mn;
    }
    if (mx > t->max_us) {
        t->max_us = mx;
    }
    nb_hist_add_to(&s->hist, &t->hist);
}

static uint64_t nb_sub(uint64_t a, uint64_t b)
{
    return a >= b ? a - b : 0;
}

void nb_totals_diff(const struct nb_totals *now, const struct nb_totals *before,
                    struct nb_totals *out)
{
    nb_hist_plain_diff(&now->hist, &before->hist, &out->hist);
    out->requests = nb_sub(now->requests, before->requests);
    out->failures = nb_sub(now->failures, before->failures);
    out->sent = nb_sub(now->sent, before->sent);
    out->received = nb_sub(now->received, before->received);
    out->sum_us = nb_sub(now->sum_us, before->sum_us);
    out->min_us = UINT64_MAX;
    out->max_us = (uint64_t)nb_hist_plain_max(&out->hist);
    for (unsigned i = 0; i < NB_HIST_BUCKETS; i++) {
        if (out->hist.counts[i] != 0) {
            out->min_us = (uint64_t)nb_hist_value(i);
            break;
        }
    }
}
