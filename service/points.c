/* points: balance and charges (see points.h). */
#include "points.h"

#include "bo_error.h"
#include "accounts.h"

#include <string.h>

int points_key_valid(const char *key)
{
    size_t len = strlen(key);

    if (len > IDEMPOTENCY_KEY_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (key[i] < 0x21 || key[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* points_owner resolves the user the points of a call belong to: the proven user, whom the
 * request may name (user_id 0 names none), never another. */
static int points_owner(struct svc_context *ctx, uint64_t *user_id)
{
    const struct svc_caller *c = &ctx->caller;

    if (!c->proven) {
        return BO_E_SESSION_MISSING;
    }
    if (*user_id != 0 && *user_id != c->who.user_id) {
        return BO_E_NOT_OWNER;
    }
    *user_id = c->who.user_id;
    return BO_OK;
}

int points_balance(struct svc_context *ctx, uint64_t *user_id, int64_t *balance)
{
    int rc;

    if ((rc = points_owner(ctx, user_id)) != BO_OK) {
        return rc;
    }
    rc = store_balance_get(ctx->store, *user_id, balance);
    if (rc == BO_E_USER_NOT_FOUND && (rc = accounts_user_check(ctx, *user_id)) == BO_OK) {
        rc = store_balance_get(ctx->store, *user_id, balance); /* made just now */
    }
    return rc;
}

int points_charge(struct svc_context *ctx, uint64_t *user_id, int64_t amount, const char *idem_key,
                  struct charge *out, int *replayed)
{
    int rc;

    if ((rc = points_owner(ctx, user_id)) != BO_OK) {
        return rc;
    }
    if (amount < 1 || amount > POINTS_CHARGE_MAX || !points_key_valid(idem_key)) {
        return BO_E_INVALID_ARGUMENT;
    }
    rc = store_points_charge(ctx->store, *user_id, amount, idem_key, out, replayed);
    if (rc == BO_E_USER_NOT_FOUND && (rc = accounts_user_check(ctx, *user_id)) == BO_OK) {
        rc = store_points_charge(ctx->store, *user_id, amount, idem_key, out, replayed);
    }
    return rc;
}
