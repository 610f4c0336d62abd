/* nb_plan: test types as stages of VUs (see nb_plan.h). */
#include "nb_plan.h"

#define NB_QUICK_SECONDS 5.0

void nb_plan_from_config(const struct nb_config *cfg, struct nb_plan *plan)
{
    double seconds;
    int vus, ramp = 0;

    switch (cfg->type_id) {
    case NB_TYPE_SOAK:
        seconds = 180;
        vus = 50;
        break;
    case NB_TYPE_STRESS:
        seconds = 300;
        vus = 300;
        ramp = 1;
        break;
    case NB_TYPE_PEAK:
        seconds = 30;
        vus = 1000;
        break;
    default:
        seconds = 60;
        vus = 100;
        break;
    }
    if (cfg->quick) {
        seconds = NB_QUICK_SECONDS;
    }
    if (cfg->duration > 0) {
        seconds = (double)cfg->duration;
    }
    if (cfg->vus > 0) {
        vus = (int)cfg->vus;
    }
    plan->start_vus = ramp ? 0 : vus;
    plan->nstages = 1;
    plan->stages[0].seconds = seconds;
    plan->stages[0].target = vus;
    plan->vus_max = vus;
    plan->total_seconds = seconds;
}

int nb_plan_vus_at(const struct nb_plan *plan, double t)
{
    double from = plan->start_vus;
    for (int i = 0; i < plan->nstages; i++) {
        const struct nb_stage *s = &plan->stages[i];
        if (t < s->seconds) {
            double v = from + ((double)s->target - from) * (t / s->seconds);
            int n = (int)(v + 0.5);
            /* A ramp starts its first VU at once rather than after half a step. */
            return n < 1 && s->target > 0 ? 1 : n;
        }
        t -= s->seconds;
        from = s->target;
    }
    return (int)from;
}
