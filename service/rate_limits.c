/* rate_limits: rate limits by action, user and client address (see rate_limits.h). */
#include "rate_limits.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"
#include "metrics.h"

#include <stddef.h>
#include <stdio.h>

#define RATE_LIMITS_OFF ((size_t)-1) /* no limit of this scope for the action */

/* Each action's name and where its limits are in struct limits. */
static const struct {
    const char *name;
    size_t field[LIMIT_NSCOPES];
} rate_limits_actions[LIMIT_NACTIONS] = {
    [LIMIT_SIGNUP] = {"signup", {RATE_LIMITS_OFF, offsetof(struct limits, address_signups)}},
    [LIMIT_LOGIN] = {"login",
                     {offsetof(struct limits, user_logins),
                      offsetof(struct limits, address_logins)}},
    [LIMIT_TOKEN_ISSUE] = {"token_issue",
                           {offsetof(struct limits, user_token_issues),
                            offsetof(struct limits, address_token_issues)}},
    [LIMIT_HOLD] = {"hold",
                    {offsetof(struct limits, user_holds), offsetof(struct limits, address_holds)}},
    [LIMIT_CHARGE] = {"charge",
                      {offsetof(struct limits, user_charges),
                       offsetof(struct limits, address_charges)}},
};

void rate_limits_defaults(struct limits *out)
{
    /* DESIGN.md, "Identity": per minute. */
    out->user_logins = 10;
    out->user_token_issues = 20;
    out->user_holds = 30;
    out->user_charges = 30;
    out->address_signups = 20;
    out->address_logins = 300;
    out->address_token_issues = 600;
    out->address_holds = 600;
    out->address_charges = 600;
    /* DESIGN.md, "Limits": open push connections (enforced by each bridge). */
    out->address_push_connections = 256;
    out->token_push_connections = 4;
    /* DESIGN.md, "Limits": open REST connections (enforced by the edge, kept by a bridge). */
    out->address_rest_connections = 256;
}

const char *rate_limits_action_name(enum limit_action a)
{
    return a < LIMIT_NACTIONS ? rate_limits_actions[a].name : "none";
}

const char *rate_limits_scope_name(enum limit_scope s)
{
    return s == LIMIT_USER ? "user" : "address";
}

uint32_t rate_limits_value(const struct limits *l, enum limit_action a, enum limit_scope s)
{
    if (a >= LIMIT_NACTIONS || s >= LIMIT_NSCOPES ||
        rate_limits_actions[a].field[s] == RATE_LIMITS_OFF) {
        return 0;
    }
    return *(const uint32_t *)((const char *)l + rate_limits_actions[a].field[s]);
}

void rate_limits_prepare(struct svc_context *ctx, enum limit_action a, uint64_t user_id,
                         const char *addr, struct rate_limits_plan *out)
{
    struct limits l;
    size_t n = 0;

    out->action = a;
    out->checks.n = 0;
    out->checks.retry_after_s = 0;
    out->checks.refused = 0;
    if (a >= LIMIT_NACTIONS) {
        return;
    }
    svc_context_limits(ctx, &l);
    for (int s = 0; s < LIMIT_NSCOPES; s++) {
        uint32_t limit = rate_limits_value(&l, a, (enum limit_scope)s);
        if (limit == 0 || (s == LIMIT_USER && user_id == 0)) {
            continue;
        }
        if (s == LIMIT_USER) {
            snprintf(out->scope_text[n], sizeof(out->scope_text[n]), "u:%llu",
                     (unsigned long long)user_id);
        } else {
            snprintf(out->scope_text[n], sizeof(out->scope_text[n]), "a:%s",
                     addr != NULL && addr[0] != '\0' ? addr : "native");
        }
        out->checks.check[n].kind = rate_limits_actions[a].name;
        out->checks.check[n].scope = out->scope_text[n];
        out->checks.check[n].limit = limit;
        out->scope[n] = (enum limit_scope)s;
        n++;
    }
    out->checks.n = n;
}

int rate_limits_outcome(const struct rate_limits_plan *plan, int rc, uint32_t *retry_after)
{
    if (rc == BO_E_RATE_LIMITED && plan->checks.n > 0) {
        size_t i = plan->checks.refused < plan->checks.n ? plan->checks.refused : 0;
        metrics_rate_limited(plan->action, plan->scope[i]);
        if (retry_after != NULL) {
            *retry_after = plan->checks.retry_after_s;
        }
    }
    return rc;
}

int rate_limits_check(struct svc_context *ctx, enum limit_action a, uint64_t user_id,
                      const char *addr, uint32_t *retry_after)
{
    struct rate_limits_plan plan;
    int rc;

    *retry_after = 0;
    rate_limits_prepare(ctx, a, user_id, addr, &plan);
    if (plan.checks.n == 0) {
        return BO_OK;
    }
    rc = cache_rate_hit(ctx->cache, plan.checks.check, plan.checks.n, bo_time_now_ms(),
                        &plan.checks.retry_after_s, &plan.checks.refused);
    if (rc == BO_E_RATE_LIMITED) {
        return rate_limits_outcome(&plan, rc, retry_after);
    }
    if (rc != BO_OK) {
        BO_DEBUG("rate limit of %s not checked: %s", rate_limits_actions[a].name,
                 bo_error_name(rc));
    }
    return BO_OK;
}
