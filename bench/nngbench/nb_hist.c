/* nb_hist: log-linear latency histogram (see nb_hist.h). */
#include "nb_hist.h"

#include <string.h>

unsigned nb_hist_index(uint64_t us)
{
    if (us >= NB_HIST_MAX_US) {
        return NB_HIST_BUCKETS - 1;
    }
    if (us < 2 * NB_HIST_SUB) {
        return (unsigned)us;
    }
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);   /* >= SUB_BITS + 1 */
    unsigned shift = msb - NB_HIST_SUB_BITS;              /* >= 1 */
    unsigned sub = (unsigned)(us >> shift) - NB_HIST_SUB; /* 0..SUB-1 */
    return (shift + 1) * NB_HIST_SUB + sub;
}

double nb_hist_value(unsigned i)
{
    if (i < 2 * NB_HIST_SUB) {
        return (double)i;
    }
    unsigned shift = i / NB_HIST_SUB - 1;
    uint64_t low = (uint64_t)(i % NB_HIST_SUB + NB_HIST_SUB) << shift;
    uint64_t width = 1ull << shift;
    return (double)low + (double)width / 2.0;
}

void nb_hist_record(struct nb_hist *h, uint64_t us)
{
    _Atomic uint64_t *c = &h->counts[nb_hist_index(us)];
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void nb_hist_add_to(const struct nb_hist *h, struct nb_hist_plain *acc)
{
    for (unsigned i = 0; i < NB_HIST_BUCKETS; i++) {
        uint64_t n = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        acc->counts[i] += n;
        acc->total += n;
    }
}

void nb_hist_plain_diff(const struct nb_hist_plain *now, const struct nb_hist_plain *before,
                        struct nb_hist_plain *out)
{
    out->total = 0;
    for (unsigned i = 0; i < NB_HIST_BUCKETS; i++) {
        uint64_t a = now->counts[i], b = before->counts[i];
        out->counts[i] = a >= b ? a - b : 0;
        out->total += out->counts[i];
    }
}

double nb_hist_plain_percentile(const struct nb_hist_plain *h, double p)
{
    if (h->total == 0) {
        return 0.0;
    }
    uint64_t rank = (uint64_t)((p / 100.0) * (double)h->total + 0.5);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > h->total) {
        rank = h->total;
    }
    uint64_t seen = 0;
    for (unsigned i = 0; i < NB_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            return nb_hist_value(i);
        }
    }
    return nb_hist_plain_max(h);
}

double nb_hist_plain_max(const struct nb_hist_plain *h)
{
    for (unsigned i = NB_HIST_BUCKETS; i-- > 0;) {
        if (h->counts[i] != 0) {
            return nb_hist_value(i);
        }
    }
    return 0.0;
}
