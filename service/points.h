/* points: a user's balance and charges, for that user's proven identity alone. */
#ifndef SVC_POINTS_H
#define SVC_POINTS_H

#include "model.h"
#include "svc_context.h"

/* points_balance reads the balance of *user_id (0: the caller's), which must be the proven
 * caller's (BO_E_NOT_OWNER), and writes whose it read back into *user_id. */
__attribute__((warn_unused_result)) int points_balance(struct svc_context *ctx, uint64_t *user_id,
                                                       int64_t *balance);

/* points_charge adds amount to the balance of *user_id as points_balance resolves it
 * (idem_key may be empty); codes of store_points_charge, BO_E_NOT_OWNER, BO_E_INVALID_ARGUMENT
 * for a bad amount or key. */
__attribute__((warn_unused_result)) int points_charge(struct svc_context *ctx, uint64_t *user_id,
                                                      int64_t amount, const char *idem_key,
                                                      struct charge *out, int *replayed);

/* points_key_valid tells whether an Idempotency-Key is acceptable (empty means none). */
int points_key_valid(const char *key);

#endif
