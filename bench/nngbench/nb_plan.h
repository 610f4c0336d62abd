/*
 * nb_plan: a test type as a parameter set, k6-style: a starting VU count and
 * stages, each ramping linearly to its target over its duration.
 *
 * load 100 VUs for 60 s; soak 50 VUs for 180 s; stress 0 -> 300 VUs over 300 s;
 * peak 1,000 VUs at once for 30 s. --quick shrinks the whole run to ~5 s;
 * --duration and --vus override the duration and the (peak) VU count.
 */
#ifndef NB_PLAN_H
#define NB_PLAN_H

#include "nb_config.h"

#define NB_PLAN_MAX_STAGES 4

struct nb_stage {
    double seconds;
    int target;
};

struct nb_plan {
    int start_vus;
    int nstages;
    struct nb_stage stages[NB_PLAN_MAX_STAGES];
    int vus_max;          /* the most VUs any moment of the plan asks for */
    double total_seconds; /* sum of the stages */
};

/* nb_plan_from_config builds the plan of cfg's type with its overrides. */
void nb_plan_from_config(const struct nb_config *cfg, struct nb_plan *plan);

/* nb_plan_vus_at returns how many VUs should run t seconds into the run. */
int nb_plan_vus_at(const struct nb_plan *plan, double t);

#endif
