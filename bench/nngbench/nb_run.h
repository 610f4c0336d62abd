/*
 * nb_run: runs a plan — VU threads driven by a controller that follows the
 * stages, prints progress once a second and feeds InfluxDB.
 *
 * Each VU is a thread (256 KB stack) with its own bo_session doing closed-loop
 * iterations. The controller (the calling thread) starts VUs as the plan asks
 * for more and parks those above the current target (they sleep until needed
 * again or the run ends). Threads are created lazily, so a ramp does not start
 * all of them up front. SIGINT and SIGTERM are blocked in every thread of the
 * process (nb_run_block_signals, before any thread starts) and stay pending: the
 * controller sees them (nb_run_interrupted) and ends the run early, so what was
 * measured is still reported and the settings set-up changed are put back.
 */
#ifndef NB_RUN_H
#define NB_RUN_H

#include "nb_async.h"
#include "nb_influx.h"
#include "nb_plan.h"
#include "nb_scenario.h"
#include "nb_stats.h"

/* What a run measured. */
struct nb_result {
    struct nb_totals totals;
    double seconds;  /* wall time from the first VU's start to the last one's end */
    int vus;         /* the VUs asked for (the ramp's peak for stress) */
    int vus_max;     /* the most VUs that ran at once */
    int interrupted; /* SIGINT or SIGTERM ended the run before the plan did */
};

/* nb_run_block_signals blocks SIGINT and SIGTERM in the calling thread, and so in every thread
 * it starts afterwards (nng's, the VUs'). Call it before anything starts a thread. */
void nb_run_block_signals(void);

/* nb_run_interrupted tells whether SIGINT or SIGTERM has arrived (it stays pending). */
int nb_run_interrupted(void);

/*
 * nb_run executes plan with the VUs vus[0..plan->vus_max) (sessions open, set-up done) and
 * fills out. influx may be NULL. With async (nb_async.h) the VUs run as its contexts instead
 * of threads; NULL for threads. Returns BO_OK, or a code when threads could not be started
 * (then the VUs that did start were stopped and joined).
 */
__attribute__((warn_unused_result)) int nb_run(struct nb_scenario_ctx *ctx,
                                               const struct nb_plan *plan, struct nb_vu *vus,
                                               struct nb_async *async, struct nb_influx *influx,
                                               struct nb_result *out);

#endif
