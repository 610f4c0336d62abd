/* payments: pay for a hold, report the seat SOLD to the seat maps, then release the user's place
 * among the active (see payments.h). */
#include "payments.h"

#include "bo_error.h"
#include "bo_log.h"
#include "catalog.h"
#include "points.h"
#include "queue.h"
#include "reservations.h"
#include "seat_maps.h"

#include <string.h>

int payments_pay(struct svc_context *ctx, const char *token, uint64_t reservation_id,
                 const char *idem_key, struct payment *out, int *replayed)
{
    struct queue_token t;
    int rc;

    rc = queue_authorize(ctx, token, 1, &t);
    if (rc == BO_E_TOKEN_EXPIRED && reservation_id != 0) {
        /* The payment itself ended the token: a retry of it (its answer was lost) gets the
         * same answer rather than a 401, and pays nothing twice. A token of another concert
         * did not make that payment: its holder is told that this token has ended. */
        if (queue_status(ctx, token, &t, NULL) == BO_OK &&
            store_payment_find(ctx->store, t.user_id, reservation_id, out) == BO_OK &&
            catalog_schedule_check(ctx, out->schedule_id, t.concert_id) == BO_OK) {
            *replayed = 1;
            return BO_OK;
        }
        return BO_E_TOKEN_EXPIRED;
    }
    if (rc != BO_OK) {
        return rc;
    }
    if (reservation_id == 0) {
        return BO_E_RESERVATION_NOT_FOUND;
    }
    if (!points_key_valid(idem_key)) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((rc = store_payment_make(ctx->store, t.user_id, t.concert_id, reservation_id, idem_key, out,
                                 replayed)) != BO_OK) {
        return rc;
    }
    struct reservation h = {.id = out->reservation_id, .schedule_id = out->schedule_id};
    reservations_seats_changed(ctx, t.concert_id, &h, &out->seats, BO_SEAT_SOLD);
    if (reservations_places(ctx, out->schedule_id, t.concert_id, &out->seats) != BO_OK) {
        memset(out->seats.where, 0, sizeof(out->seats.where)); /* only for show */
    }
    /* The payment is committed; ending the token only frees the place for the next user,
     * and the idle expiry does that anyway if Redis is unreachable now. */
    if (queue_finish(ctx, &t) != BO_OK) {
        BO_LOG(BO_LOG_WARN, ctx->request_id, "payment %llu committed, token not ended yet",
               (unsigned long long)out->id);
    }
    return BO_OK;
}
