/* points: a user's balance and charges, for the holder of a live token of that user. */
#ifndef SVC_POINTS_H
#define SVC_POINTS_H

#include "model.h"
#include "svc_context.h"

/* points_balance reads user_id's balance; BO_E_NOT_OWNER unless the token is user_id's. */
__attribute__((warn_unused_result)) int points_balance(struct svc_context *ctx, const char *token,
                                                       uint64_t user_id, int64_t *balance);

/* points_charge adds amount to user_id's balance (idem_key may be empty); codes of
 * store_points_charge, BO_E_NOT_OWNER, BO_E_INVALID_ARGUMENT for a bad amount or key. */
__attribute__((warn_unused_result)) int points_charge(struct svc_context *ctx, const char *token,
                                                      uint64_t user_id, int64_t amount,
                                                      const char *idem_key, struct charge *out,
                                                      int *replayed);

/* points_key_valid tells whether an Idempotency-Key is acceptable (empty means none). */
int points_key_valid(const char *key);

#endif
