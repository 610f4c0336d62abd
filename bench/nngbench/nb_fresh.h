/*
 * nb_fresh: how soon a seat change shows in everyone's seat map (issue 9's freshness
 * contract: the writer's own instance at once, every other instance and bridge within 100 ms,
 * never more than 1 s).
 *
 * `--freshness ROUNDS`: one user with an ACTIVE token holds a seat through the first rpc
 * address, then reads the seat map through every rpc address (each its own client dialled to
 * that instance alone) and, with --bridge-url, through the bridge's REST route, until each
 * shows the seat HELD; then releases it and waits until each shows it AVAILABLE. The delay of
 * an observer is the time from the writer's reply (the change is committed and published by
 * then) to the first read that shows it; reads are made back to back, so a delay is exact to
 * one read's latency. Reported per observer: samples, p50, p99, max, how many took over
 * 100 ms and how many never showed within 2 s.
 */
#ifndef NB_FRESH_H
#define NB_FRESH_H

#include "nb_config.h"

/* nb_fresh_execute runs the measurement cfg asks for, prints it and writes --json; returns an
 * nb_exit code. */
int nb_fresh_execute(const struct nb_config *cfg);

#endif
