/* reservations: holding and releasing seats with an ACTIVE token. */
#ifndef SVC_RESERVATIONS_H
#define SVC_RESERVATIONS_H

#include "model.h"
#include "svc_context.h"

/* reservations_hold holds seat_no of a date of the token's concert for the hold period.
 * BO_E_INVALID_ARGUMENT for a seat outside 1..SEATS_PER_SCHEDULE, BO_E_WRONG_CONCERT, and the
 * codes of store_hold_insert. */
__attribute__((warn_unused_result)) int reservations_hold(struct svc_context *ctx,
                                                          const char *token, uint64_t schedule_id,
                                                          uint32_t seat_no,
                                                          struct reservation *out);

/* reservations_release cancels the token holder's own hold on a date of the token's concert;
 * codes of store_hold_release (BO_E_WRONG_CONCERT for a hold of another concert). */
__attribute__((warn_unused_result)) int reservations_release(struct svc_context *ctx,
                                                             const char *token,
                                                             uint64_t reservation_id,
                                                             struct reservation *out);

#endif
