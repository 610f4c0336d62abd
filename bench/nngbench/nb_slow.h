/*
 * nb_slow: how long a normal client waits while slow clients hold the edge (issue 10).
 *
 * `--slow N`: a normal client from 127.0.0.1 asks the edge (--http-url) for seat maps
 * (GET /api/v1/schedules/{1..5}/seats with an ACTIVE queue token of its own, issued over
 * the same edge first; nb_slow_client.h) in a closed loop over one kept-alive connection,
 * for --duration seconds while N slow clients from 127.0.0.2..127.0.0.7 (bound before
 * connect) hold connections open (the attack) and as long alone (the baseline), in rounds of
 * about 15 s of attack, each between two stretches alone half as long (alone and beside them
 * alternate: others' load on a shared machine drifts, and both see the same drift; the slow
 * clients are opened anew each round). Half the slow clients send a request head one byte every
 * --slow-interval-ms, half a POST head whole and then its body (Content-Length 16,000) one
 * byte every --slow-interval-ms; one the edge drops is opened again at once, so the pressure
 * lasts. Reported: the normal client's requests, errors, rate and latencies alone and beside
 * them and their ratio, and how many slow clients were held open (sampled once a second),
 * dropped and opened again.
 * The open-file limit is raised to its hard limit first. With --admin-key, set-up raises
 * admission and turns the rate limits off over rpc, and puts the limits back at the end.
 */
#ifndef NB_SLOW_H
#define NB_SLOW_H

#include "nb_config.h"

/* nb_slow_execute runs the baseline and the attack cfg asks for, prints the outcome and
 * writes --json; returns an nb_exit code. */
int nb_slow_execute(const struct nb_config *cfg);

#endif
