/*
 * nb_push: many people waiting with a push connection open, for the memory row of issue 9
 * (service + bridge <= 200 MB with 1,000 REST and 10,000 push connections).
 *
 * `--push N`: with the admin key, creates a concert whose sale opens in a day (so its line
 * only waits, and the push connections stay open), issues a token for each of users 1..N
 * over NNG, opens one Server-Sent Events connection per token to the push listener
 * (--push-url, GET /api/v1/queue/events with the Queue-Token), checks each is answered 200,
 * then holds them all --duration seconds, reading what arrives, and reports how many opened,
 * how many the listener refused and how many it closed before the end. The open-file limit
 * is raised to its hard limit first.
 */
#ifndef NB_PUSH_H
#define NB_PUSH_H

#include "nb_config.h"

/* nb_push_execute holds the connections cfg asks for, prints the outcome and writes --json;
 * returns an nb_exit code. */
int nb_push_execute(const struct nb_config *cfg);

#endif
