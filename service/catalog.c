/* catalog: read side of concerts, dates and seats (see catalog.h). */
#include "catalog.h"

#include "bo_error.h"
#include "bo_time.h"
#include "queue.h"

#include <stdlib.h>

/* How long a worker trusts what it read of a concert's opening: an admin's change reaches
 * Redis (which decides admission) at once, and token replies within this. */
#define CATALOG_OPENS_TTL_MS 1000

int catalog_concerts(struct svc_context *ctx, struct concert **out, size_t *n)
{
    return store_concerts_list(ctx->store, out, n);
}

int catalog_schedule_venue(struct svc_context *ctx, uint64_t schedule_id, uint64_t concert_id,
                           uint64_t *venue_id)
{
    struct schedule_concert_entry *e =
        &ctx->schedule_concert[schedule_id % SVC_SCHEDULE_CACHE_SIZE];
    uint64_t concert = 0, venue = 0;
    int rc;

    if (schedule_id == 0) {
        return BO_E_SCHEDULE_NOT_FOUND;
    }
    if (e->schedule_id != schedule_id) {
        if ((rc = store_schedule_venue(ctx->store, schedule_id, &concert, &venue)) != BO_OK) {
            return rc;
        }
        e->schedule_id = schedule_id;
        e->concert_id = concert;
        e->venue_id = venue;
    }
    if (e->concert_id != concert_id) {
        return BO_E_WRONG_CONCERT;
    }
    *venue_id = e->venue_id;
    return BO_OK;
}

int catalog_schedule_check(struct svc_context *ctx, uint64_t schedule_id, uint64_t concert_id)
{
    uint64_t venue;

    return catalog_schedule_venue(ctx, schedule_id, concert_id, &venue);
}

int catalog_concert_opens(struct svc_context *ctx, uint64_t concert_id, int64_t *opens_ms)
{
    struct concert_opens_entry *e = &ctx->concert_opens[concert_id % SVC_CONCERT_CACHE_SIZE];
    int64_t now = bo_time_mono_ms();
    int rc;

    if (concert_id == 0) {
        return BO_E_CONCERT_NOT_FOUND;
    }
    if (e->concert_id != concert_id || now - e->read_ms >= CATALOG_OPENS_TTL_MS) {
        int64_t opens = 0;
        if ((rc = store_concert_opens(ctx->store, concert_id, &opens)) != BO_OK) {
            return rc; /* unknown concerts are not remembered: they are asked again */
        }
        e->concert_id = concert_id;
        e->opens_ms = opens;
        e->read_ms = now;
    }
    *opens_ms = e->opens_ms;
    return BO_OK;
}

/* catalog_dates_left lists concert_id's dates with a seat left. The dates come from PostgreSQL
 * each time (an index read: a date an admin has just added shows at once everywhere), their
 * seats are counted on the seat maps in memory. */
static int catalog_dates_left(struct svc_context *ctx, uint64_t concert_id, struct schedule **out,
                              size_t *n)
{
    struct schedule *dates = NULL;
    size_t ndates = 0, kept = 0;
    int rc;

    if ((rc = store_schedule_dates(ctx->store, concert_id, &dates, &ndates)) != BO_OK) {
        return rc;
    }
    if ((rc = seat_maps_count_dates(ctx->maps, ctx->store, ctx->venues, concert_id, dates, ndates,
                                    bo_time_now_ms())) != BO_OK) {
        free(dates);
        return rc;
    }
    for (size_t i = 0; i < ndates; i++) {
        if (dates[i].available_seats > 0) {
            dates[kept++] = dates[i];
        }
    }
    *out = dates;
    *n = kept;
    return BO_OK;
}

int catalog_schedules(struct svc_context *ctx, const char *token, uint64_t concert_id,
                      struct schedule **out, size_t *n)
{
    struct queue_token t;
    int rc;

    if ((rc = queue_authorize_read(ctx, token, &t)) != BO_OK) {
        return rc;
    }
    if (concert_id == 0) {
        return BO_E_CONCERT_NOT_FOUND;
    }
    if (t.concert_id != concert_id) {
        /* An unknown concert is reported as such rather than as someone else's line. */
        if ((rc = store_concert_exists(ctx->store, concert_id)) != BO_OK) {
            return rc;
        }
        return BO_E_WRONG_CONCERT;
    }
    return catalog_dates_left(ctx, concert_id, out, n);
}

int catalog_seats(struct svc_context *ctx, const char *token, uint64_t schedule_id,
                  uint64_t *concert_id, struct bo_seat_state *seats, size_t max, size_t *n,
                  int64_t *active_until_ms)
{
    struct queue_token t;
    size_t got = 0;
    int64_t now;
    int rc;

    if ((rc = queue_authorize_read(ctx, token, &t)) != BO_OK ||
        (rc = catalog_schedule_check(ctx, schedule_id, t.concert_id)) != BO_OK ||
        (rc = seat_maps_read(ctx->maps, ctx->store, schedule_id, t.concert_id, seats, max, &got)) !=
            BO_OK) {
        return rc;
    }
    now = bo_time_now_ms();
    for (size_t i = 0; i < got; i++) {
        seats[i].status = bo_seat_status_at(&seats[i], now);
    }
    *n = got;
    *concert_id = t.concert_id;
    *active_until_ms = t.expires_at_ms;
    return BO_OK;
}
