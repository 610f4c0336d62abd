/*
 * limits: per-user and per-address rate limits on sign-up, login, token issue, holds and
 * charges, counted in Redis so every instance sees the same count (cache_rate_hit), with the
 * admin's settings (struct limits in cache.h, per minute, 0 = off).
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

/*
 * rate_limits_check counts one action a by user_id (0: none known, as for a sign-up) from client
 * address addr ("" counts as the address "native": a native client over NNG). BO_OK when
 * under every limit in force, BO_E_RATE_LIMITED with *retry_after (seconds) when one is
 * reached (nothing is counted then). A Redis failure lets the action through: limits guard
 * against abuse, they must not take the service down with Redis.
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
