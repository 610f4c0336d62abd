/* reservations: holding and releasing seats with an ACTIVE token. */
#ifndef SVC_RESERVATIONS_H
#define SVC_RESERVATIONS_H

#include "model.h"
#include "svc_context.h"

/* What a hold asks for: one seat, several, or the best available of a section (one of the
 * three). */
struct hold_ask {
    uint64_t schedule_id;
    uint32_t seat_no;         /* one seat; 0: not this way */
    const uint32_t *seat_nos; /* several seats (n_seats of them); 0: not this way */
    size_t n_seats;
    const char *section; /* best available: this section's best quantity seats */
    uint32_t quantity;
    int together; /* adjacent in one row */
};

/* reservations_hold holds what ask names on a date of the token's concert for the hold period,
 * all or nothing, and reports each seat HELD to the seat maps. *out is the hold with every seat
 * (and where it is, on a venue date). BO_E_INVALID_ARGUMENT (why in msg) for an ask of none or
 * several ways, or of more seats than the max_seats_per_hold setting; BO_E_WRONG_CONCERT; the
 * codes of store_hold_insert and store_hold_seats (the seats taken or missing in *bad). */
__attribute__((warn_unused_result)) int
reservations_hold(struct svc_context *ctx, const char *token, const struct hold_ask *ask,
                  struct hold *out, struct seat_list *bad, char *msg, size_t msglen);

/* reservations_release cancels the token holder's own hold (every seat of it) on a date of the
 * token's concert; codes of store_hold_release (BO_E_WRONG_CONCERT for a hold of another
 * concert). */
__attribute__((warn_unused_result)) int reservations_release(struct svc_context *ctx,
                                                             const char *token,
                                                             uint64_t reservation_id,
                                                             struct hold *out);

/* reservations_seats_changed makes every seat of hold h (a date of concert_id), which a
 * committed write made, ended or sold, read status in the seat maps: HELD until h's expiry,
 * AVAILABLE again, or SOLD. */
void reservations_seats_changed(struct svc_context *ctx, uint64_t concert_id,
                                const struct reservation *h, const struct seat_list *seats,
                                int status);

/* reservations_places fills in where each seat of seats is, when schedule_id (a date of
 * concert_id) is on a venue; nothing for a date of the hall. Codes of venue_cache_get. */
__attribute__((warn_unused_result)) int reservations_places(struct svc_context *ctx,
                                                            uint64_t schedule_id,
                                                            uint64_t concert_id,
                                                            struct seat_list *seats);

#endif
