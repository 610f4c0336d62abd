/* reservations: seat holds on behalf of an admitted user (see reservations.h). */
#include "reservations.h"

#include "bo_error.h"
#include "catalog.h"
#include "queue.h"

int reservations_hold(struct svc_context *ctx, const char *token, uint64_t schedule_id,
                      uint32_t seat_no, struct reservation *out)
{
    struct admission_settings settings;
    struct queue_token t;
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
    return store_hold_insert(ctx->store, t.user_id, schedule_id, seat_no,
                             (int64_t)settings.hold_ttl_seconds * 1000, out);
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
    return store_hold_release(ctx->store, t.user_id, reservation_id, out);
}
