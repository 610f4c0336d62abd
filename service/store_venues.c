/*
 * store_venues: venues of sections and rows, dates on them, holds of several seats and
 * refunds in PostgreSQL (see store.h).
 *
 * A venue date's seats have no rows of their own: their places and prices come from the
 * venue's sections (db/migrations/006_venues.sql), so a date of 100,000 seats is one insert.
 * Holds and refunds are one function call each, hence one round trip.
 */
#include "store_conn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row of bo_hold or bo_refund: its outcome's name first. */
struct store_outcome_row {
    char code[32];
    uint64_t id;
    uint32_t seat_no;
    int64_t price;
    int64_t held_at_ms;
    int64_t expires_at_ms;
};

/* store_outcome_code maps the name a store function answers with to its code. */
static int store_outcome_code(const char *name)
{
    return strcmp(name, "OK") == 0 ? BO_OK : bo_error_from_name(name, BO_RPC_INTERNAL);
}

/* ---- venues ---------------------------------------------------------------- */

/* store_section_name_ok: 1..VENUE_SECTION_NAME_MAX letters and digits. */
static int store_section_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > VENUE_SECTION_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

int store_venue_check(const struct venue *v, uint32_t *capacity)
{
    uint64_t seats = 0;
    size_t name_len = strlen(v->name);

    if (name_len == 0 || name_len >= MODEL_TEXT_MAX || v->n_sections == 0 ||
        v->n_sections > VENUE_SECTIONS_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < v->n_sections; i++) {
        const struct section *sec = &v->sections[i];
        if (!store_section_name_ok(sec->name) || sec->rows < 1 || sec->rows > 1000 ||
            sec->seats_per_row < 1 || sec->seats_per_row > 1000 || sec->price < 0) {
            return BO_E_INVALID_ARGUMENT;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(v->sections[j].name, sec->name) == 0) {
                return BO_E_INVALID_ARGUMENT;
            }
        }
        seats += (uint64_t)sec->rows * sec->seats_per_row;
    }
    if (seats > VENUE_SEATS_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    *capacity = (uint32_t)seats;
    return BO_OK;
}

/* store_array_append appends item to the PostgreSQL array text in buf (at *len of size). */
static int store_array_append(char *buf, size_t size, size_t *len, const char *item)
{
    int n = snprintf(buf + *len, size - *len, "%s%s", *len > 1 ? "," : "", item);
    if (n < 0 || (size_t)n >= size - *len) {
        return BO_E_INTERNAL;
    }
    *len += (size_t)n;
    return BO_OK;
}

/* Reads what venue_create returns: the new id. */
static void store_venue_created_read(const PGresult *res, int row, void *out)
{
    store_row_scan(res, row, "U", (uint64_t *)out);
}

int store_venue_create(struct store *s, struct venue *v)
{
    /* Section names are letters and digits (checked), so they need no quoting in the array. */
    char names[VENUE_SECTIONS_MAX * (VENUE_SECTION_NAME_MAX + 1) + 3] = "{";
    char rows[VENUE_SECTIONS_MAX * 12 + 3] = "{", spr[VENUE_SECTIONS_MAX * 12 + 3] = "{";
    char prices[VENUE_SECTIONS_MAX * 21 + 3] = "{", num[24], cap[16];
    size_t ln = 1, lr = 1, ls = 1, lp = 1;
    uint32_t capacity = 0, first = 1;
    int rc;

    if ((rc = store_venue_check(v, &capacity)) != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < v->n_sections; i++) {
        const struct section *sec = &v->sections[i];
        rc = store_array_append(names, sizeof(names) - 1, &ln, sec->name);
        snprintf(num, sizeof(num), "%" PRIu32, sec->rows);
        rc = rc != BO_OK ? rc : store_array_append(rows, sizeof(rows) - 1, &lr, num);
        snprintf(num, sizeof(num), "%" PRIu32, sec->seats_per_row);
        rc = rc != BO_OK ? rc : store_array_append(spr, sizeof(spr) - 1, &ls, num);
        snprintf(num, sizeof(num), "%" PRId64, sec->price);
        rc = rc != BO_OK ? rc : store_array_append(prices, sizeof(prices) - 1, &lp, num);
        if (rc != BO_OK) {
            return rc;
        }
    }
    strcat(names, "}");
    strcat(rows, "}");
    strcat(spr, "}");
    strcat(prices, "}");
    snprintf(cap, sizeof(cap), "%" PRIu32, capacity);

    uint64_t id = 0;
    struct store_query q =
        STORE_QUERY(STORE_ST_VENUE_CREATE, store_venue_created_read, &id, BO_E_INTERNAL);
    store_param_text(&q.params, v->name);
    store_param_text(&q.params, names);
    store_param_text(&q.params, rows);
    store_param_text(&q.params, spr);
    store_param_text(&q.params, prices);
    store_param_text(&q.params, cap);
    if ((rc = store_run_query(s, &q)) != BO_OK) {
        return rc;
    }
    v->id = id;
    v->capacity = capacity;
    for (size_t i = 0; i < v->n_sections; i++) {
        v->sections[i].first_seat_no = first;
        v->sections[i].available_seats = v->sections[i].rows * v->sections[i].seats_per_row;
        first += v->sections[i].rows * v->sections[i].seats_per_row;
    }
    return BO_OK;
}

/* One row of venue_get. */
struct store_venue_row {
    char name[MODEL_TEXT_MAX];
    uint32_t capacity;
    struct section section;
};

static void store_venue_row_read(const PGresult *res, int row, void *out)
{
    struct store_venue_row *r = out;
    memset(r, 0, sizeof(*r));
    store_row_scan(res, row, "tutuuIu", r->name, sizeof(r->name), &r->capacity, r->section.name,
                   sizeof(r->section.name), &r->section.rows, &r->section.seats_per_row,
                   &r->section.price, &r->section.first_seat_no);
    r->section.available_seats = r->section.rows * r->section.seats_per_row;
}

int store_venue_get(struct store *s, uint64_t venue_id, struct venue *out)
{
    struct store_query q =
        STORE_LIST_NEW(STORE_ST_VENUE_GET, store_venue_row_read, struct store_venue_row);
    store_param_u64(&q.params, venue_id);
    int rc = store_run_query(s, &q);
    const struct store_venue_row *rows = q.out;
    if (rc == BO_OK && (q.n == 0 || q.n > VENUE_SECTIONS_MAX)) {
        rc = q.n == 0 ? BO_E_VENUE_NOT_FOUND : BO_E_INTERNAL;
    }
    if (rc == BO_OK) {
        memset(out, 0, sizeof(*out));
        out->id = venue_id;
        snprintf(out->name, sizeof(out->name), "%s", rows[0].name);
        out->capacity = rows[0].capacity;
        out->n_sections = q.n;
        for (size_t i = 0; i < q.n; i++) {
            out->sections[i] = rows[i].section;
        }
    }
    free(q.out);
    return rc;
}

int store_venue_place(const struct venue *v, uint32_t seat_no, struct seat_place *out)
{
    for (size_t i = 0; i < v->n_sections; i++) {
        const struct section *sec = &v->sections[i];
        uint32_t count = sec->rows * sec->seats_per_row;
        if (seat_no >= sec->first_seat_no && seat_no - sec->first_seat_no < count) {
            uint32_t k = seat_no - sec->first_seat_no;
            out->section = sec;
            out->row = k / sec->seats_per_row + 1;
            out->number = k % sec->seats_per_row + 1;
            return BO_OK;
        }
    }
    return BO_E_SEAT_NOT_FOUND;
}

/* Reads what schedule_create_venue returns: id, start and seat count of a new date. */
static void store_venue_date_read(const PGresult *res, int row, void *out)
{
    struct schedule *sc = out;
    memset(sc, 0, sizeof(*sc));
    store_row_scan(res, row, "UIu", &sc->id, &sc->starts_at_ms, &sc->total_seats);
    sc->available_seats = sc->total_seats;
}

int store_schedule_create_venue(struct store *s, uint64_t concert_id, int64_t starts_at_ms,
                                uint64_t venue_id, struct schedule *out)
{
    struct schedule sc;
    struct store_query q = STORE_QUERY(STORE_ST_SCHEDULE_CREATE_VENUE, store_venue_date_read, &sc,
                                       BO_E_VENUE_NOT_FOUND);
    store_param_u64(&q.params, concert_id);
    store_param_i64(&q.params, starts_at_ms);
    store_param_u64(&q.params, venue_id);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        sc.concert_id = concert_id;
        sc.venue_id = venue_id;
        *out = sc;
    }
    return rc;
}

/* One row of schedule_venue. */
struct store_schedule_venue {
    uint64_t concert_id;
    uint64_t venue_id;
};

static void store_schedule_venue_read(const PGresult *res, int row, void *out)
{
    struct store_schedule_venue *r = out;
    store_row_scan(res, row, "UU", &r->concert_id, &r->venue_id);
}

int store_schedule_venue(struct store *s, uint64_t schedule_id, uint64_t *concert_id,
                         uint64_t *venue_id)
{
    struct store_schedule_venue r = {0};
    struct store_query q = STORE_QUERY(STORE_ST_SCHEDULE_VENUE, store_schedule_venue_read, &r,
                                       BO_E_SCHEDULE_NOT_FOUND);
    store_param_u64(&q.params, schedule_id);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        *concert_id = r.concert_id;
        *venue_id = r.venue_id;
    }
    return rc;
}

/* ---- holds of several seats --------------------------------------------------- */

static void store_outcome_row_read(const PGresult *res, int row, void *out)
{
    struct store_outcome_row *r = out;
    memset(r, 0, sizeof(*r));
    store_row_scan(res, row, "tUuIII", r->code, sizeof(r->code), &r->id, &r->seat_no, &r->price,
                   &r->held_at_ms, &r->expires_at_ms);
}

int store_hold_seats(struct store *s, const struct store_hold_ask *ask, struct hold *out,
                     uint32_t bad[HOLD_SEATS_MAX], size_t *n_bad)
{
    struct store_outcome_row rows[HOLD_SEATS_MAX];
    char list[HOLD_SEATS_MAX * 12 + 3] = "{", num[16];
    size_t len = 1;
    int rc;

    if (ask->n == 0 || ask->n > HOLD_SEATS_MAX || ask->hold_ms <= 0 ||
        ask->hold_ms > 24LL * 3600 * 1000) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < ask->n; i++) {
        if (ask->seat_nos[i] < 1 || ask->seat_nos[i] > VENUE_SEATS_MAX) {
            bad[0] = ask->seat_nos[i];
            *n_bad = 1;
            return BO_E_SEAT_NOT_FOUND;
        }
        for (size_t j = 0; j < i; j++) {
            if (ask->seat_nos[j] == ask->seat_nos[i]) {
                return BO_E_INVALID_ARGUMENT;
            }
        }
        snprintf(num, sizeof(num), "%" PRIu32, ask->seat_nos[i]);
        if ((rc = store_array_append(list, sizeof(list) - 1, &len, num)) != BO_OK) {
            return rc;
        }
    }
    strcat(list, "}");

    struct store_query q =
        STORE_LIST(STORE_ST_HOLD_SEATS, store_outcome_row_read, struct store_outcome_row, rows,
                   HOLD_SEATS_MAX, BO_E_INTERNAL);
    store_param_u64(&q.params, ask->user_id);
    store_param_u64(&q.params, ask->concert_id);
    store_param_u64(&q.params, ask->schedule_id);
    store_param_text(&q.params, list);
    store_param_i64(&q.params, ask->hold_ms);
    if ((rc = store_run_query(s, &q)) != BO_OK) {
        return rc;
    }
    if ((rc = store_outcome_code(rows[0].code)) != BO_OK) {
        *n_bad = 0;
        for (size_t i = 0; i < q.n && rows[i].seat_no != 0; i++) {
            bad[(*n_bad)++] = rows[i].seat_no;
        }
        return rc;
    }
    memset(out, 0, sizeof(*out));
    out->r.id = rows[0].id;
    out->r.user_id = ask->user_id;
    out->r.concert_id = ask->concert_id;
    out->r.schedule_id = ask->schedule_id;
    out->r.seat_no = rows[0].seat_no;
    out->r.status = RESERVATION_HELD;
    out->r.held_at_ms = rows[0].held_at_ms;
    out->r.expires_at_ms = rows[0].expires_at_ms;
    for (size_t i = 0; i < q.n; i++) {
        out->seats.seat_nos[i] = rows[i].seat_no;
        out->seats.prices[i] = rows[i].price;
        out->r.price += rows[i].price;
    }
    out->seats.n = q.n;
    return BO_OK;
}

/* ---- refunds -------------------------------------------------------------------- */

/* One row of refund_call. */
struct store_refund_row {
    char code[32];
    int replayed;
    struct refund refund;
};

static void store_refund_row_read(const PGresult *res, int row, void *out)
{
    struct store_refund_row *r = out;
    char seats[STORE_SEAT_LIST_TEXT];

    memset(r, 0, sizeof(*r));
    store_row_scan(res, row, "tbUUUIIIIUt", r->code, sizeof(r->code), &r->replayed,
                   &r->refund.payment_id, &r->refund.reservation_id, &r->refund.schedule_id,
                   &r->refund.amount, &r->refund.refunded_at_ms, &r->refund.balance_after,
                   &r->refund.paid_at_ms, &r->refund.concert_id, seats, sizeof(seats));
    store_seat_list_parse(seats, &r->refund.seats);
}

int store_refund(struct store *s, uint64_t user_id, uint64_t payment_id, int64_t cutoff_ms,
                 const char *key, const char *fingerprint, struct refund *out, int *replayed)
{
    struct store_refund_row row;
    int rc;

    if (cutoff_ms < 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        struct store_query q =
            STORE_QUERY(STORE_ST_REFUND_CALL, store_refund_row_read, &row, BO_E_INTERNAL);
        store_param_u64(&q.params, user_id);
        store_param_u64(&q.params, payment_id);
        store_param_i64(&q.params, cutoff_ms);
        store_param_text(&q.params, key);
        store_param_text(&q.params, key != NULL ? fingerprint : NULL);
        if ((rc = store_run_query(s, &q)) != BO_OK) {
            return rc;
        }
        /* RETRY: a concurrent request claimed the same key between the look and the claim. */
        if (strcmp(row.code, "RETRY") != 0) {
            break;
        }
    }
    if (strcmp(row.code, "RETRY") == 0) {
        return BO_E_UNAVAILABLE;
    }
    if ((rc = store_outcome_code(row.code)) != BO_OK) {
        return rc;
    }
    *out = row.refund;
    *replayed = row.replayed;
    return BO_OK;
}
