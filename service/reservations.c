/* reservations: seat holds on behalf of an admitted user, each committed one reported to the
 * seat maps before the reply (see reservations.h). */
#include "reservations.h"

#include "accounts.h"
#include "bo_error.h"
#include "catalog.h"
#include "queue.h"
#include "seat_maps.h"

/* reservations_seat_changed makes the seat of r, whose hold a committed write made or ended,
 * read status (HELD until r's expiry, or AVAILABLE again) in the seat maps. */
static void reservations_seat_changed(struct svc_context *ctx, const struct reservation *r,
                                      int status)
{
    struct bo_seat_state seat = {.seat_no = r->seat_no,
                                 .status = status,
                                 .price = r->price,
                                 .held_until_ms = status == BO_SEAT_HELD ? r->expires_at_ms : 0,
                                 .reservation_id = r->id};

    seat_maps_change(ctx->maps, r->schedule_id, r->concert_id, &seat, 1);
}

int reservations_hold(struct svc_context *ctx, const char *token, uint64_t schedule_id,
                      uint32_t seat_no, struct reservation *out)
{
    struct admission_settings settings;
    struct queue_token t;
    int64_t ttl_ms;
    int rc;

    if ((rc = queue_authorize(ctx, token, 1, &t)) != BO_OK) {
        return rc;
    }
    if (seat_no < 1 || seat_no > SEATS_PER_SCHEDULE) {
        return BO_E_SEAT_NOT_FOUND;
    }
    if ((rc = catalog_schedule_check(ctx, schedule_id, t.concert_id)) != BO_OK) {
        return rc;
    }
    svc_context_settings(ctx, &settings);
    ttl_ms = (int64_t)settings.hold_ttl_seconds * 1000;
    rc = store_hold_insert(ctx->store, t.user_id, schedule_id, seat_no, ttl_ms, out);
    if (rc == BO_E_USER_NOT_FOUND && (rc = accounts_user_check(ctx, t.user_id)) == BO_OK) {
        /* an operator token's user, in PostgreSQL from its first write on */
        rc = store_hold_insert(ctx->store, t.user_id, schedule_id, seat_no, ttl_ms, out);
    }
    if (rc == BO_OK) {
        reservations_seat_changed(ctx, out, BO_SEAT_HELD);
    }
    return rc;
}

int reservations_release(struct svc_context *ctx, const char *token, uint64_t reservation_id,
                         struct reservation *out)
{
    struct queue_token t;
    int rc;

    if ((rc = queue_authorize(ctx, token, 1, &t)) != BO_OK) {
        return rc;
    }
    if (reservation_id == 0) {
        return BO_E_RESERVATION_NOT_FOUND;
    }
    if ((rc = store_hold_release(ctx->store, t.user_id, t.concert_id, reservation_id, out)) ==
        BO_OK) {
        reservations_seat_changed(ctx, out, BO_SEAT_AVAILABLE);
    }
    return rc;
}
