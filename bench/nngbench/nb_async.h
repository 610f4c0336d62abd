/*
 * nb_async: VUs of the seats (and bigmap) scenario as NNG contexts on one socket instead of
 * threads.
 *
 * A VU thread blocked in bo_call costs the load generator two thread switches per request;
 * at tens of thousands of requests a second that, not the service, becomes the limit
 * (issue 9: "nngbench with asynchronous contexts if its threads become the limit"). With
 * --async each VU is an nng context whose aio callback sends the next ListSeats as soon as
 * the reply came: the same closed loop (one request in flight per VU), run by nng's own few
 * threads. Replies are checked by their envelope's status only; the seat map is not
 * unpacked. Set-up (tokens, admission) stays nb_scenario_setup's; nb_run starts and parks
 * VUs as for threads.
 */
#ifndef NB_ASYNC_H
#define NB_ASYNC_H

#include "nb_scenario.h"

struct nb_async;

/* nb_async_open dials cfg's rpc addresses with a socket of its own and prepares a context per
 * VU of vus[0..n) for ctx's seats or bigmap scenario (set up already). Close with nb_async_close.
 */
__attribute__((warn_unused_result)) int
nb_async_open(struct nb_scenario_ctx *ctx, struct nb_vu *vus, int n, struct nb_async **out);

/* nb_async_start starts VU i's loop; it parks while i >= *target and stops at ctx->stop. */
void nb_async_start(struct nb_async *a, int i, atomic_int *target);

/* nb_async_wait returns once every started VU has stopped (after ctx->stop was set). */
void nb_async_wait(struct nb_async *a);

/* nb_async_close frees the contexts and closes the socket; safe on NULL. */
void nb_async_close(struct nb_async *a);

#endif
