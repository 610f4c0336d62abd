/* venues: venues of sections and rows, the sections of a date, and refunds (see venues.h). */
#include "venues.h"

#include "admin.h"
#include "bo_error.h"
#include "bo_time.h"
#include "catalog.h"
#include "points.h"
#include "queue.h"
#include "reservations.h"

#include <stdio.h>
#include <string.h>

int venues_create(struct svc_context *ctx, const char *key, struct venue *v)
{
    int rc;

    if ((rc = admin_check(ctx, key)) != BO_OK) {
        return rc;
    }
    return store_venue_create(ctx->store, v);
}

int venues_sections(struct svc_context *ctx, const char *token, uint64_t schedule_id,
                    uint64_t *concert_id, struct venue *out, int64_t *active_until_ms)
{
    struct queue_token t;
    uint64_t concert = 0, venue = 0;
    int rc;

    if ((rc = queue_authorize_read(ctx, token, &t)) != BO_OK ||
        (rc = catalog_schedule_venue(ctx, schedule_id, t.concert_id, &venue)) != BO_OK) {
        return rc;
    }
    concert = t.concert_id;
    if (venue == 0) {
        return BO_E_NO_SECTIONS;
    }
    if ((rc = venue_cache_get(ctx->venues, ctx->store, venue, out)) != BO_OK ||
        (rc = seat_maps_count_sections(ctx->maps, ctx->store, schedule_id, concert, out,
                                       bo_time_now_ms())) != BO_OK) {
        return rc;
    }
    *concert_id = concert;
    *active_until_ms = t.expires_at_ms;
    return BO_OK;
}

int venues_refund(struct svc_context *ctx, uint64_t payment_id, const char *idem_key,
                  struct refund *out, int *replayed)
{
    char fingerprint[64];
    int rc;

    if (!ctx->caller.proven) {
        return BO_E_SESSION_MISSING;
    }
    if (payment_id == 0) {
        return BO_E_PAYMENT_NOT_FOUND;
    }
    if (!points_key_valid(idem_key)) {
        return BO_E_INVALID_ARGUMENT;
    }
    snprintf(fingerprint, sizeof(fingerprint), "refund:%llu", (unsigned long long)payment_id);
    if ((rc = store_refund(ctx->store, ctx->caller.who.user_id, payment_id,
                           ctx->cfg->refund_cutoff_hours * 3600 * 1000,
                           idem_key != NULL && idem_key[0] != '\0' ? idem_key : NULL, fingerprint,
                           out, replayed)) != BO_OK) {
        return rc;
    }
    /* The seats are on sale again: this instance's map and every peer's learn it before the
     * reply (a repeat publishes the same change again, which changes nothing). */
    struct reservation h = {.id = out->reservation_id, .schedule_id = out->schedule_id};
    reservations_seats_changed(ctx, out->concert_id, &h, &out->seats, BO_SEAT_AVAILABLE);
    if (reservations_places(ctx, out->schedule_id, out->concert_id, &out->seats) != BO_OK) {
        memset(out->seats.where, 0, sizeof(out->seats.where)); /* only for show */
    }
    return BO_OK;
}
