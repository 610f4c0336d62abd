/* payments: paying a held seat from points with an ACTIVE token. */
#ifndef SVC_PAYMENTS_H
#define SVC_PAYMENTS_H

#include "model.h"
#include "svc_context.h"

/* payments_pay pays the token holder's held reservation on a date of the token's concert,
 * then ends the token (the user's turn is over). Codes of store_payment_make
 * (BO_E_WRONG_CONCERT for a reservation of another concert). A retry after the payment ended
 * the token gets the same payment, with a token of that payment's concert only. */
__attribute__((warn_unused_result)) int payments_pay(struct svc_context *ctx, const char *token,
                                                     uint64_t reservation_id, const char *idem_key,
                                                     struct payment *out, int *replayed);

#endif
