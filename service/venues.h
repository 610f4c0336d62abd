/* venues: venues of sections and rows, the sections of a date, and refunds of payments. */
#ifndef SVC_VENUES_H
#define SVC_VENUES_H

#include "model.h"
#include "svc_context.h"

/* venues_create creates venue v (its name and sections filled in) under the admin key and fills
 * in its id, capacity and first seat numbers; BO_E_INVALID_ARGUMENT for a bad name or section
 * (see store_venue_check). */
__attribute__((warn_unused_result)) int venues_create(struct svc_context *ctx, const char *key,
                                                      struct venue *v);

/* venues_sections reads the venue of date schedule_id for an ACTIVE token of its concert, with
 * every section's seats available now. BO_E_NO_SECTIONS for a date in the hall; the codes of
 * reads with a token otherwise. */
__attribute__((warn_unused_result)) int venues_sections(struct svc_context *ctx, const char *token,
                                                        uint64_t schedule_id, uint64_t *concert_id,
                                                        struct venue *out,
                                                        int64_t *active_until_ms);

/* venues_refund refunds payment_id of the proven user (see store_refund), the refund cutoff of
 * the configuration before its date. */
__attribute__((warn_unused_result)) int venues_refund(struct svc_context *ctx, uint64_t payment_id,
                                                      const char *idem_key, struct refund *out,
                                                      int *replayed);

#endif
