/* points: balance and charges (see points.h). */
#include "points.h"

#include "bo_error.h"
#include "queue.h"

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

/* Points need a live token (waiting users may charge ahead of admission) of the path's user:
 * the user is always taken from the token. */
static int points_owner(struct svc_context *ctx, const char *token, uint64_t user_id)
{
    struct queue_token t;
    int rc;

    if ((rc = queue_authorize(ctx, token, 0, &t)) != BO_OK) {
        return rc;
    }
    return t.user_id == user_id ? BO_OK : BO_E_NOT_OWNER;
}

int points_balance(struct svc_context *ctx, const char *token, uint64_t user_id, int64_t *balance)
{
    int rc;

    if ((rc = points_owner(ctx, token, user_id)) != BO_OK) {
        return rc;
    }
    return store_balance_get(ctx->store, user_id, balance);
}

int points_charge(struct svc_context *ctx, const char *token, uint64_t user_id, int64_t amount,
                  const char *idem_key, struct charge *out, int *replayed)
{
    int rc;

    if ((rc = points_owner(ctx, token, user_id)) != BO_OK) {
        return rc;
    }
    if (amount < 1 || amount > POINTS_CHARGE_MAX || !points_key_valid(idem_key)) {
        return BO_E_INVALID_ARGUMENT;
    }
    return store_points_charge(ctx->store, user_id, amount, idem_key, out, replayed);
}
