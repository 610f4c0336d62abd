/*
 * nb_bench: one whole nngbench run — client, VUs and their sessions, set-up,
 * the run, the flow's check, the summary, JSON and InfluxDB — in start-up order,
 * torn down in reverse.
 */
#ifndef NB_BENCH_H
#define NB_BENCH_H

#include "nb_config.h"

/* nb_bench_execute runs the bench cfg describes; returns an exit code from enum nb_exit. */
int nb_bench_execute(const struct nb_config *cfg);

#endif
