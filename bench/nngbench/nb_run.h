/*
 * nb_run: runs a plan — VU threads driven by a controller that follows the
 * stages, prints progress once a second and feeds InfluxDB.
 *
 * Each VU is a thread (256 KB stack) with its own bo_session doing closed-loop
 * iterations. The controller (the calling thread) starts VUs as the plan asks
 * for more and parks those above the current target (they sleep until needed
 * again or the run ends). Threads are created lazily, so a ramp does not start
 * all of them up front.
 */
#ifndef NB_RUN_H
#define NB_RUN_H

#include "nb_influx.h"
#include "nb_plan.h"
#include "nb_scenario.h"
#include "nb_stats.h"

/* What a run measured. */
struct nb_result {
    struct nb_totals totals;
    double seconds; /* wall time from the first VU's start to the last one's end */
    int vus;        /* the VUs asked for (the ramp's peak for stress) */
    int vus_max;    /* the most VUs that ran at once */
};

/*
 * nb_run executes plan with the VUs vus[0..plan->vus_max) (sessions open, set-up done) and
 * fills out. influx may be NULL. Returns BO_OK, or a code when threads could not be started
 * (then the VUs that did start were stopped and joined).
 */
__attribute__((warn_unused_result)) int nb_run(struct nb_scenario_ctx *ctx,
                                               const struct nb_plan *plan, struct nb_vu *vus,
                                               struct nb_influx *influx, struct nb_result *out);

#endif
