/* catalog: read side of concerts, dates and seats (see catalog.h). */
#include "catalog.h"

#include "bo_error.h"
#include "bo_time.h"
#include "catalog_memory.h"
#include "queue.h"

#include <stdlib.h>
#include <string.h>

int catalog_concerts(struct svc_context *ctx, struct concert **out, size_t *n)
{
    return store_concerts_list(ctx->store, out, n);
}

int catalog_schedule_venue(struct svc_context *ctx, uint64_t schedule_id, uint64_t concert_id,
                           uint64_t *venue_id)
{
    uint64_t concert = 0, venue = 0;
    int rc;

    if (schedule_id == 0) {
        return BO_E_SCHEDULE_NOT_FOUND;
    }
    if (!catalog_memory_date(ctx->catalog, schedule_id, &concert, &venue)) {
        if (!svc_context_may_wait(ctx)) {
            return BO_E_UNAVAILABLE;
        }
        if ((rc = store_schedule_venue(ctx->store, schedule_id, &concert, &venue)) != BO_OK) {
            return rc;
        }
        catalog_memory_keep_date(ctx->catalog, schedule_id, concert, venue);
    }
    if (concert != concert_id) {
        return BO_E_WRONG_CONCERT;
    }
    *venue_id = venue;
    return BO_OK;
}

int catalog_schedule_check(struct svc_context *ctx, uint64_t schedule_id, uint64_t concert_id)
{
    uint64_t venue;

    return catalog_schedule_venue(ctx, schedule_id, concert_id, &venue);
}

int catalog_concert_opens(struct svc_context *ctx, uint64_t concert_id, int64_t *opens_ms)
{
    int64_t now = bo_time_mono_ms(), opens = 0;
    int rc;

    if (concert_id == 0) {
        return BO_E_CONCERT_NOT_FOUND;
    }
    if (!catalog_memory_opens(ctx->catalog, concert_id, now, &opens)) {
        if ((rc = store_concert_opens(ctx->store, concert_id, &opens)) != BO_OK) {
            return rc; /* unknown concerts are not remembered: they are asked again */
        }
        catalog_memory_keep_opens(ctx->catalog, concert_id, opens, now);
    }
    *opens_ms = opens;
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

/* catalog_section finds section name in v; NULL when it has none. */
static const struct section *catalog_section(const struct venue *v, const char *name)
{
    for (size_t i = 0; i < v->n_sections; i++) {
        if (strcmp(v->sections[i].name, name) == 0) {
            return &v->sections[i];
        }
    }
    return NULL;
}

/* catalog_venue_seats reads the seats of out->section (or the whole map of out->venue) of
 * schedule_id into a new out->seats. */
static int catalog_venue_seats(struct svc_context *ctx, uint64_t schedule_id,
                               struct catalog_map *out)
{
    const struct section *sec = out->section;
    uint32_t first = sec != NULL ? sec->first_seat_no : 1;
    size_t count = sec != NULL ? (size_t)sec->rows * sec->seats_per_row : out->venue.capacity;
    int rc;

    if (sec == NULL && count > CATALOG_WHOLE_MAP_MAX) {
        return BO_E_SECTION_REQUIRED;
    }
    if ((out->seats = malloc(count * sizeof(*out->seats))) == NULL) {
        return BO_E_NOMEM;
    }
    if ((rc = seat_maps_read_range(ctx->maps, ctx->store, schedule_id, out->concert_id, &out->venue,
                                   first, count, out->seats)) != BO_OK) {
        free(out->seats);
        out->seats = NULL;
        return rc;
    }
    out->first_seat_no = first;
    out->n = count;
    return BO_OK;
}

int catalog_seats(struct svc_context *ctx, const char *token, uint64_t schedule_id,
                  const char *section, struct catalog_map *out)
{
    struct queue_token t;
    uint64_t venue_id = 0;
    int64_t now;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = queue_authorize_read(ctx, token, &t)) != BO_OK ||
        (rc = catalog_schedule_venue(ctx, schedule_id, t.concert_id, &venue_id)) != BO_OK) {
        return rc;
    }
    out->concert_id = t.concert_id;
    out->active_until_ms = t.expires_at_ms;
    if (venue_id == 0) {
        if (section != NULL && section[0] != '\0') {
            return BO_E_NO_SECTIONS;
        }
        if ((out->seats = malloc(SEATS_PER_SCHEDULE * sizeof(*out->seats))) == NULL) {
            return BO_E_NOMEM;
        }
        rc = seat_maps_read_kept(ctx->maps, schedule_id, out->seats, SEATS_PER_SCHEDULE, &out->n);
        if (rc == BO_E_NOT_FOUND) {
            rc = svc_context_may_wait(ctx)
                     ? seat_maps_read(ctx->maps, ctx->store, schedule_id, t.concert_id, out->seats,
                                      SEATS_PER_SCHEDULE, &out->n)
                     : BO_E_UNAVAILABLE;
        }
        out->first_seat_no = 1;
    } else if (!svc_context_may_wait(ctx)) {
        rc = BO_E_UNAVAILABLE; /* a venue's sections are served by the worker */
    } else if ((rc = venue_cache_get(ctx->venues, ctx->store, venue_id, &out->venue)) == BO_OK) {
        if (section != NULL && section[0] != '\0' &&
            (out->section = catalog_section(&out->venue, section)) == NULL) {
            return BO_E_SECTION_NOT_FOUND;
        }
        rc = catalog_venue_seats(ctx, schedule_id, out);
    }
    if (rc != BO_OK) {
        free(out->seats);
        out->seats = NULL;
        return rc;
    }
    now = bo_time_now_ms();
    for (size_t i = 0; i < out->n; i++) {
        out->seats[i].status = bo_seat_status_at(&out->seats[i], now);
    }
    return BO_OK;
}
