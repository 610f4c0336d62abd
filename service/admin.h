/* admin: creating concerts and dates and tuning admission, for holders of the admin key. */
#ifndef SVC_ADMIN_H
#define SVC_ADMIN_H

#include "model.h"
#include "svc_context.h"

/* admin_check accepts key only if it equals the configured admin key (never when none is
 * configured); BO_E_ADMIN_KEY_INVALID otherwise. */
__attribute__((warn_unused_result)) int admin_check(struct svc_context *ctx, const char *key);

/* admin_concert_create creates a concert whose sale opens at sale_opens_at_ms (0: open);
 * BO_E_INVALID_ARGUMENT for an empty or too long title or too long artist/venue. */
__attribute__((warn_unused_result)) int admin_concert_create(struct svc_context *ctx,
                                                             const char *key, const char *title,
                                                             const char *artist, const char *venue,
                                                             int64_t sale_opens_at_ms,
                                                             struct concert *out);

/* admin_concert_opens sets when concert_id's sale opens (0: open now) and reads the concert back;
 * BO_E_CONCERT_NOT_FOUND. */
__attribute__((warn_unused_result)) int admin_concert_opens(struct svc_context *ctx,
                                                            const char *key, uint64_t concert_id,
                                                            int64_t sale_opens_at_ms,
                                                            struct concert *out);

/* What a new date asks for: a date of the 50-seat hall (every seat at price, or seat i at
 * prices[i-1] when nprices is SEATS_PER_SCHEDULE), or on venue_id (its sections' prices; price
 * and prices unset). */
struct admin_schedule_ask {
    uint64_t concert_id;
    int64_t starts_at_ms;
    int64_t price;
    const int64_t *prices;
    size_t nprices;
    uint64_t venue_id; /* 0: the hall */
};

/* admin_schedule_create creates the date ask describes. BO_E_INVALID_ARGUMENT for a negative
 * price, another number of prices, prices with a venue, or a start time of 0;
 * BO_E_VENUE_NOT_FOUND, BO_E_CONCERT_NOT_FOUND. */
__attribute__((warn_unused_result)) int admin_schedule_create(struct svc_context *ctx,
                                                              const char *key,
                                                              const struct admin_schedule_ask *ask,
                                                              struct schedule *out);

/* admin_settings reads the admission settings; with changes not NULL, first stores its
 * non-zero fields (BO_E_INVALID_ARGUMENT when out of range). */
__attribute__((warn_unused_result)) int admin_settings(struct svc_context *ctx, const char *key,
                                                       const struct admission_settings *changes,
                                                       struct admission_settings *out);

/* admin_limits reads the rate limits; with changes not NULL, first stores the fields of changes
 * whose bit is set in mask (bit i: the i-th field of struct limits; 0 turns a limit off). */
__attribute__((warn_unused_result)) int admin_limits(struct svc_context *ctx, const char *key,
                                                     const struct limits *changes, uint32_t mask,
                                                     struct limits *out);

#endif
