/*
 * nb_stats: what each VU measured, and sums over all VUs.
 *
 * Every VU owns one nb_vu_stats and is its only writer (relaxed atomic loads and
 * stores, no locks, no read-modify-write in the hot path). The controller sums all
 * of them into an nb_totals once a second; the difference of two sums is what
 * happened in that second.
 */
#ifndef NB_STATS_H
#define NB_STATS_H

#include "nb_hist.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* One VU's counters and latency histogram (one writer, see top). */
struct nb_vu_stats {
    struct nb_hist hist;
    _Atomic uint64_t requests;
    _Atomic uint64_t failures;
    _Atomic uint64_t sent;     /* bytes of request messages */
    _Atomic uint64_t received; /* bytes of reply messages */
    _Atomic uint64_t sum_us;
    _Atomic uint64_t min_us; /* UINT64_MAX until the first request */
    _Atomic uint64_t max_us;
};

/* A sum over VUs at one moment, or the difference of two such sums. */
struct nb_totals {
    struct nb_hist_plain hist;
    uint64_t requests;
    uint64_t failures;
    uint64_t sent;
    uint64_t received;
    uint64_t sum_us;
    uint64_t min_us; /* UINT64_MAX when no request */
    uint64_t max_us;
};

/* nb_vu_stats_init empties s (min at UINT64_MAX). */
void nb_vu_stats_init(struct nb_vu_stats *s);

/* nb_vu_stats_record adds one request of us microseconds that sent and received the given
 * bytes; failed is 1 for a failure. Only the owning VU calls it. */
void nb_vu_stats_record(struct nb_vu_stats *s, uint64_t us, int failed, size_t sent,
                        size_t received);

/* nb_totals_init empties t. */
void nb_totals_init(struct nb_totals *t);

/* nb_totals_add adds s's current counts into t (any thread). */
void nb_totals_add(struct nb_totals *t, const struct nb_vu_stats *s);

/* nb_totals_diff sets out = now - before; min and max of the window come from its histogram. */
void nb_totals_diff(const struct nb_totals *now, const struct nb_totals *before,
                    struct nb_totals *out);

#endif
