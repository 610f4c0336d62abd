/*
 * nb_hist: a log-linear latency histogram in the manner of HdrHistogram.
 *
 * Values are microseconds. Below 128 us every value has its own bucket; above,
 * each power of two is split into 64 buckets, so a recorded value is known to
 * within 1/64 (1.6%). Values past NB_HIST_MAX_US land in the last bucket.
 *
 * Counts are C11 atomics with one writer: the VU thread that owns the histogram
 * records with relaxed loads and stores (no lock, no read-modify-write), while the
 * controller thread may read a consistent-enough snapshot at any time.
 */
#ifndef NB_HIST_H
#define NB_HIST_H

#include <stdatomic.h>
#include <stdint.h>

#define NB_HIST_SUB_BITS 6
#define NB_HIST_SUB      (1u << NB_HIST_SUB_BITS) /* buckets per power of two */
#define NB_HIST_MAX_US   (1ull << 27)             /* ~134 s */
#define NB_HIST_BUCKETS  ((27 - NB_HIST_SUB_BITS) * NB_HIST_SUB + 2 * NB_HIST_SUB)

/* A histogram written by one thread (see top). Zeroed memory is an empty histogram. */
struct nb_hist {
    _Atomic uint64_t counts[NB_HIST_BUCKETS];
};

/* A plain histogram owned by one thread: snapshots, sums and differences. */
struct nb_hist_plain {
    uint64_t counts[NB_HIST_BUCKETS];
    uint64_t total;
};

/* nb_hist_index returns the bucket of a value in microseconds. */
unsigned nb_hist_index(uint64_t us);

/* nb_hist_value returns the middle of bucket i in microseconds (the value itself for the
 * exact buckets below 128 us, which hold one value each). */
double nb_hist_value(unsigned i);

/* nb_hist_record adds one value; only the owning thread calls it. */
void nb_hist_record(struct nb_hist *h, uint64_t us);

/* nb_hist_add_to adds h's current counts into acc (any thread). */
void nb_hist_add_to(const struct nb_hist *h, struct nb_hist_plain *acc);

/* nb_hist_plain_diff sets out = now - before, bucket by bucket. */
void nb_hist_plain_diff(const struct nb_hist_plain *now, const struct nb_hist_plain *before,
                        struct nb_hist_plain *out);

/* nb_hist_plain_percentile returns the value (us) at percentile p (0..100); 0 when empty. */
double nb_hist_plain_percentile(const struct nb_hist_plain *h, double p);

/* nb_hist_plain_max returns the value (us) of the highest non-empty bucket; 0 when empty. */
double nb_hist_plain_max(const struct nb_hist_plain *h);

#endif
