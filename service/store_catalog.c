/*
 * store_catalog: users, concerts, dates and seat maps in PostgreSQL (see store.h): the
 * catalog reads of every request, and the admin's creation of concerts and dates.
 *
 * A seat is taken when sold or held by an unexpired hold; nothing here writes a hold.
 */
#include "store_conn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- row readers ---------------------------------------------------------- */

static void store_concert_read(const PGresult *res, int row, void *out)
{
    struct concert *c = out;
    memset(c, 0, sizeof(*c));
    store_row_scan(res, row, "UtttuI", &c->id, c->title, sizeof(c->title), c->artist,
                   sizeof(c->artist), c->venue, sizeof(c->venue), &c->schedule_count,
                   &c->sale_opens_at_ms);
}

/* Reads the columns of STORE_SCHEDULE_SELECT (store_sql.c). */
static void store_schedule_read(const PGresult *res, int row, void *out)
{
    struct schedule *sc = out;
    memset(sc, 0, sizeof(*sc));
    store_row_scan(res, row, "UUIuuU", &sc->id, &sc->concert_id, &sc->starts_at_ms,
                   &sc->available_seats, &sc->total_seats, &sc->venue_id);
}

/* Reads the columns of statement seats_list. */
static void store_seat_state_read(const PGresult *res, int row, void *out)
{
    struct bo_seat_state *seat = out;
    store_row_scan(res, row, "uIiUI", &seat->seat_no, &seat->price, &seat->status,
                   &seat->reservation_id, &seat->held_until_ms);
}

/* Reads a row of seats_list_many: the date, then the columns store_seat_state_read reads. */
static void store_seat_row_read(const PGresult *res, int row, void *out)
{
    struct store_seat_row *r = out;
    store_row_scan(res, row, "UuIiUI", &r->schedule_id, &r->seat.seat_no, &r->seat.price,
                   &r->seat.status, &r->seat.reservation_id, &r->seat.held_until_ms);
}

/* Reads a row of live_seats_many: store_seat_row_read's columns without the price. */
static void store_live_seat_read(const PGresult *res, int row, void *out)
{
    struct store_seat_row *r = out;
    memset(r, 0, sizeof(*r));
    store_row_scan(res, row, "UuiUI", &r->schedule_id, &r->seat.seat_no, &r->seat.status,
                   &r->seat.reservation_id, &r->seat.held_until_ms);
}

/* Reads a row of seat_counts_many. */
static void store_seat_count_read(const PGresult *res, int row, void *out)
{
    struct store_seat_count *c = out;
    store_row_scan(res, row, "Uuu", &c->schedule_id, &c->available, &c->total);
}

/* Reads what schedule_create returns: id, start and seat count of a new date. */
static void store_schedule_created_read(const PGresult *res, int row, void *out)
{
    struct schedule *sc = out;
    memset(sc, 0, sizeof(*sc));
    store_row_scan(res, row, "UIu", &sc->id, &sc->starts_at_ms, &sc->total_seats);
    sc->available_seats = sc->total_seats;
}

/* ---- users and catalog ---------------------------------------------------- */

int store_concert_exists(struct store *s, uint64_t concert_id)
{
    return store_exists(s, STORE_ST_CONCERT_EXISTS, concert_id, BO_E_CONCERT_NOT_FOUND);
}

int store_concert_opens(struct store *s, uint64_t concert_id, int64_t *opens_ms)
{
    struct store_query q =
        STORE_QUERY(STORE_ST_CONCERT_OPENS, store_row_i64, opens_ms, BO_E_CONCERT_NOT_FOUND);
    store_param_u64(&q.params, concert_id);
    return store_run_query(s, &q);
}

int store_concert_set_opens(struct store *s, uint64_t concert_id, int64_t opens_ms,
                            struct concert *out)
{
    struct store_query q =
        STORE_QUERY(STORE_ST_CONCERT_SET_OPENS, store_concert_read, out, BO_E_CONCERT_NOT_FOUND);

    if (opens_ms < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    store_param_u64(&q.params, concert_id);
    store_param_i64(&q.params, opens_ms);
    return store_run_query(s, &q);
}

int store_concerts_list(struct store *s, struct concert **out, size_t *n)
{
    struct store_query q =
        STORE_LIST_NEW(STORE_ST_CONCERTS_LIST, store_concert_read, struct concert);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        *out = q.out;
        *n = q.n;
    }
    return rc;
}

int store_schedule_dates(struct store *s, uint64_t concert_id, struct schedule **out, size_t *n)
{
    struct store_query q =
        STORE_LIST_NEW(STORE_ST_SCHEDULE_DATES, store_schedule_read, struct schedule);
    store_param_u64(&q.params, concert_id);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK && q.n == 0 && (rc = store_concert_exists(s, concert_id)) != BO_OK) {
        /* Rare path: an unknown concert, not one without dates. */
        free(q.out);
    }
    if (rc == BO_OK) {
        *out = q.out;
        *n = q.n;
    }
    return rc;
}

int store_schedule_get(struct store *s, uint64_t schedule_id, struct schedule *out)
{
    struct store_query q =
        STORE_QUERY(STORE_ST_SCHEDULE_GET, store_schedule_read, out, BO_E_SCHEDULE_NOT_FOUND);
    store_param_u64(&q.params, schedule_id);
    return store_run_query(s, &q);
}

int store_seat_states_list(struct store *s, uint64_t schedule_id, struct bo_seat_state *out,
                           size_t max, size_t *n)
{
    /* Every date is created with its seats, so no seats means no date. */
    struct store_query q = STORE_LIST(STORE_ST_SEATS_LIST, store_seat_state_read,
                                      struct bo_seat_state, out, max, BO_E_SCHEDULE_NOT_FOUND);
    store_param_u64(&q.params, schedule_id);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        *n = q.n;
    }
    return rc;
}

int store_seats_list(struct store *s, uint64_t schedule_id, struct seat out[SEATS_PER_SCHEDULE],
                     size_t *n)
{
    struct bo_seat_state states[SEATS_PER_SCHEDULE];
    size_t got = 0;
    int rc = store_seat_states_list(s, schedule_id, states, SEATS_PER_SCHEDULE, &got);
    if (rc == BO_OK) {
        for (size_t i = 0; i < got; i++) {
            out[i] = (struct seat){states[i].seat_no, states[i].price, states[i].status};
        }
        *n = got;
    }
    return rc;
}

/* ---- admin ---------------------------------------------------------------- */

static int store_text_field_ok(const char *text, int required)
{
    size_t len = text != NULL ? strlen(text) : 0;
    return len < MODEL_TEXT_MAX && (!required || len > 0);
}

int store_concert_create(struct store *s, const char *title, const char *artist, const char *venue,
                         int64_t sale_opens_at_ms, struct concert *out)
{
    if (!store_text_field_ok(title, 1) || !store_text_field_ok(artist, 0) ||
        !store_text_field_ok(venue, 0) || sale_opens_at_ms < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    artist = artist != NULL ? artist : "";
    venue = venue != NULL ? venue : "";
    uint64_t id = 0;
    struct store_query q = STORE_QUERY(STORE_ST_CONCERT_CREATE, store_row_u64, &id, BO_E_INTERNAL);
    store_param_text(&q.params, title);
    store_param_text(&q.params, artist);
    store_param_text(&q.params, venue);
    store_param_i64(&q.params, sale_opens_at_ms);
    int rc = store_run_query(s, &q);
    if (rc != BO_OK) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    out->id = id;
    out->sale_opens_at_ms = sale_opens_at_ms;
    snprintf(out->title, sizeof(out->title), "%s", title);
    snprintf(out->artist, sizeof(out->artist), "%s", artist);
    snprintf(out->venue, sizeof(out->venue), "%s", venue);
    return BO_OK;
}

int store_schedule_create(struct store *s, uint64_t concert_id, int64_t starts_at_ms,
                          const int64_t prices[SEATS_PER_SCHEDULE], struct schedule *out)
{
    /* The prices travel as one array parameter, built from integers only. */
    char list[SEATS_PER_SCHEDULE * 21 + 3];
    size_t len = 0;
    list[len++] = '{';
    for (int i = 0; i < SEATS_PER_SCHEDULE; i++) {
        if (prices[i] < 0) {
            return BO_E_INVALID_ARGUMENT;
        }
        len +=
            (size_t)snprintf(list + len, sizeof(list) - len, "%s%" PRId64, i ? "," : "", prices[i]);
    }
    snprintf(list + len, sizeof(list) - len, "}");

    struct schedule sc;
    struct store_query q =
        STORE_QUERY(STORE_ST_SCHEDULE_CREATE, store_schedule_created_read, &sc, BO_E_INTERNAL);
    store_param_u64(&q.params, concert_id);
    store_param_i64(&q.params, starts_at_ms);
    store_param_text(&q.params, list);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        sc.concert_id = concert_id;
        *out = sc;
    }
    return rc;
}

/* store_rows_many runs stmt, a read of several dates' seats, into a new array of rows. */
static int store_rows_many(struct store *s, enum store_stmt_id stmt, store_row_fn read,
                           const char *ids, struct store_seat_row **out, size_t *n)
{
    struct store_query q = STORE_LIST_NEW(stmt, read, struct store_seat_row);
    store_param_text(&q.params, ids);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        *out = q.out;
        *n = q.n;
    }
    return rc;
}

int store_seat_states_many(struct store *s, const char *ids, struct store_seat_row **out, size_t *n)
{
    return store_rows_many(s, STORE_ST_SEATS_LIST_MANY, store_seat_row_read, ids, out, n);
}

int store_live_seats_many(struct store *s, const char *ids, struct store_seat_row **out, size_t *n)
{
    return store_rows_many(s, STORE_ST_LIVE_SEATS_MANY, store_live_seat_read, ids, out, n);
}

int store_seat_counts_many(struct store *s, const char *ids, struct store_seat_count **out,
                           size_t *n)
{
    struct store_query q =
        STORE_LIST_NEW(STORE_ST_SEAT_COUNTS_MANY, store_seat_count_read, struct store_seat_count);
    store_param_text(&q.params, ids);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        *out = q.out;
        *n = q.n;
    }
    return rc;
}
