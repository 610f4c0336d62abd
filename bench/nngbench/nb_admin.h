/*
 * nb_admin: the service settings a run changes with the admin key, and puts back.
 *
 * Before the run: admission is raised (every VU admitted at once; not for the tokens
 * scenario, which measures the line as it is) and every rate limit is turned off (all VUs
 * share one client address, "native", and would be throttled as one), after reading the
 * limits in force; then set-up waits a moment, as the service's workers read the limits
 * anew once a second. After the run, also a failed or interrupted one, the limits and the
 * admission rate and ACTIVE cap read are put back. Without an admin key nothing is changed.
 */
#ifndef NB_ADMIN_H
#define NB_ADMIN_H

#include "nb_config.h"

#include "boxoffice/client.h"

/* What nb_admin_prepare changed, for nb_admin_restore. */
struct nb_admin {
    int limits_saved; /* the limits below are to be put back */
    Boxoffice__V1__Limits limits;
    int admission_saved; /* the admission rate and ACTIVE cap below are to be put back */
    uint32_t admission_rate;
    uint32_t admission_active;
};

/*
 * nb_admin_prepare raises admission (when raise_admission) and turns the rate limits off with
 * cfg's admin key over s, recording in a (zeroed by the caller) what to put back. Returns
 * BO_OK (also without an admin key: then it only says so on stderr), or the code of the call
 * that failed after printing why.
 */
__attribute__((warn_unused_result)) int nb_admin_prepare(struct nb_admin *a,
                                                         const struct nb_config *cfg,
                                                         struct bo_session *s, int raise_admission);

/* nb_admin_restore puts back the limits and admission nb_admin_prepare changed (a no-op when it
 * changed nothing), over a session of its own on client; says on stderr when that fails. */
void nb_admin_restore(struct nb_admin *a, const struct nb_config *cfg, struct bo_client *client);

#endif
