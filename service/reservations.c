/* reservations: seat holds on behalf of an admitted user (see reservations.h). */
#include "reservations.h"

#include "accounts.h"
#include "bo_error.h"
#include "catalog.h"
#include "queue.h"

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
    return store_hold_release(ctx->store, t.user_id, reservation_id, out);
}
