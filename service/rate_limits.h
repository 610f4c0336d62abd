/*
 * rate_limits: per-user and per-address rate limits on sign-up, login, token issue, holds and
 * charges, counted in Redis so every instance sees the same count (cache_rate_hit, or the
 * action's own Redis call: rate_limits_prepare), with the admin's settings (struct limits in
 * cache.h, per minute, 0 = off).
 */
#ifndef SVC_RATE_LIMITS_H
#define SVC_RATE_LIMITS_H

#include "svc_context.h"

#include <stdint.h>

enum limit_action {
    LIMIT_SIGNUP,
    LIMIT_LOGIN,
    LIMIT_TOKEN_ISSUE,
    LIMIT_HOLD,
    LIMIT_CHARGE,
    LIMIT_NACTIONS,
    LIMIT_NONE = LIMIT_NACTIONS /* an rpc without a limit */
};

enum limit_scope { LIMIT_USER, LIMIT_ADDRESS, LIMIT_NSCOPES };

/* rate_limits_defaults writes the limits in force until an admin changes them (DESIGN.md). */
void rate_limits_defaults(struct limits *out);

/* The rate checks of one action by one caller, for a Redis call that counts them along with
 * the action itself (cache_token_issue_limited takes &plan.checks). checks points into the
 * struct: fill it in place with rate_limits_prepare, do not copy it. */
struct rate_limits_plan {
    enum limit_action action;
    struct cache_rate_checks checks;       /* checks.n 0: no limit applies */
    enum limit_scope scope[LIMIT_NSCOPES]; /* the scope of checks.check[i] */
    char scope_text[LIMIT_NSCOPES][96];
};

/* rate_limits_prepare fills *out with the checks of action a by user_id (0: none known) from
 * client address addr ("" or NULL: "native") under the limits in force, as rate_limits_check
 * counts them; out->checks.n is 0 when none applies. */
void rate_limits_prepare(struct svc_context *ctx, enum limit_action a, uint64_t user_id,
                         const char *addr, struct rate_limits_plan *out);

/* rate_limits_outcome returns rc, the outcome of a call that carried plan's checks: for
 * BO_E_RATE_LIMITED it counts the refusal in the metrics and writes *retry_after (seconds; may
 * be NULL). */
__attribute__((warn_unused_result)) int rate_limits_outcome(const struct rate_limits_plan *plan,
                                                            int rc, uint32_t *retry_after);

/*
 * rate_limits_check counts one action a by user_id (0: none known, as for a sign-up) from client
 * address addr ("" counts as the address "native": a native client over NNG). BO_OK when
 * under every limit in force, BO_E_RATE_LIMITED with *retry_after (seconds) when one is
 * reached (nothing is counted then). A Redis failure lets the action through: limits guard
 * against abuse, they must not take the service down with Redis. One round trip when a limit
 * applies (rate_limits_prepare and a call that counts them with the action save it).
 */
__attribute__((warn_unused_result)) int rate_limits_check(struct svc_context *ctx,
                                                          enum limit_action a, uint64_t user_id,
                                                          const char *addr, uint32_t *retry_after);

/* rate_limits_action_name returns "signup", "login", "token_issue", "hold" or "charge". */
const char *rate_limits_action_name(enum limit_action a);

/* rate_limits_scope_name returns "user" or "address". */
const char *rate_limits_scope_name(enum limit_scope s);

/* rate_limits_value returns the limit of action a in scope s under l (0: off or none). */
uint32_t rate_limits_value(const struct limits *l, enum limit_action a, enum limit_scope s);

#endif
