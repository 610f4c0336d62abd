/* reservations: seat holds on behalf of an admitted user, each committed one reported to the
 * seat maps before the reply (see reservations.h). */
#include "reservations.h"

#include "accounts.h"
#include "bo_error.h"
#include "catalog.h"
#include "queue.h"
#include "seat_maps.h"

#include <stdio.h>
#include <string.h>

void reservations_seats_changed(struct svc_context *ctx, uint64_t concert_id,
                                const struct reservation *h, const struct seat_list *seats,
                                int status)
{
    struct bo_seat_state changes[HOLD_SEATS_MAX];

    for (size_t i = 0; i < seats->n; i++) {
        changes[i] = (struct bo_seat_state){
            .seat_no = seats->seat_nos[i],
            .status = status,
            .price = seats->prices[i],
            .held_until_ms = status == BO_SEAT_HELD ? h->expires_at_ms : 0,
            .reservation_id = h->id, /* every seat of a hold is about the hold */
        };
    }
    seat_maps_change(ctx->maps, h->schedule_id, concert_id, changes, seats->n);
}

int reservations_places(struct svc_context *ctx, uint64_t schedule_id, uint64_t concert_id,
                        struct seat_list *seats)
{
    struct venue v;
    uint64_t venue_id = 0;
    int rc;

    if ((rc = catalog_schedule_venue(ctx, schedule_id, concert_id, &venue_id)) != BO_OK ||
        venue_id == 0 || (rc = venue_cache_get(ctx->venues, ctx->store, venue_id, &v)) != BO_OK) {
        return rc;
    }
    for (size_t i = 0; i < seats->n; i++) {
        struct seat_place p;
        if (store_venue_place(&v, seats->seat_nos[i], &p) == BO_OK) {
            snprintf(seats->where[i].section, sizeof(seats->where[i].section), "%s",
                     p.section->name);
            seats->where[i].row = p.row;
            seats->where[i].number = p.number;
        }
    }
    return BO_OK;
}

/* reservations_ask_seats writes the seats ask names into seats[0..*n) (one seat or several),
 * checked against max (the most seats a hold may take). */
static int reservations_ask_seats(const struct hold_ask *ask, uint32_t max,
                                  uint32_t seats[HOLD_SEATS_MAX], size_t *n)
{
    int ways = (ask->seat_no != 0) + (ask->n_seats != 0) +
               (ask->section != NULL && ask->section[0] != '\0');

    if (ways != 1) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (ask->section != NULL && ask->section[0] != '\0') {
        return BO_E_INVALID_ARGUMENT; /* best available: not built yet on this branch */
    }
    if (ask->seat_no != 0) {
        seats[0] = ask->seat_no;
        *n = 1;
        return BO_OK;
    }
    if (ask->n_seats > max || ask->n_seats > HOLD_SEATS_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(seats, ask->seat_nos, ask->n_seats * sizeof(*seats));
    *n = ask->n_seats;
    return BO_OK;
}

/* reservations_store_hold makes the hold in PostgreSQL: a hall seat alone by the one-statement
 * insert, anything else by bo_hold. */
static int reservations_store_hold(struct svc_context *ctx, const struct store_hold_ask *sa,
                                   uint64_t venue_id, struct hold *out, struct seat_list *bad)
{
    if (venue_id == 0 && sa->n == 1) {
        int rc = store_hold_insert(ctx->store, sa->user_id, sa->schedule_id, sa->seat_nos[0],
                                   sa->hold_ms, &out->r);
        if (rc == BO_OK) {
            out->seats.n = 1;
            out->seats.seat_nos[0] = out->r.seat_no;
            out->seats.prices[0] = out->r.price;
        } else if (rc == BO_E_SEAT_TAKEN || rc == BO_E_SEAT_NOT_FOUND) {
            bad->n = 1;
            bad->seat_nos[0] = sa->seat_nos[0];
        }
        return rc;
    }
    return store_hold_seats(ctx->store, sa, out, bad->seat_nos, &bad->n);
}

int reservations_hold(struct svc_context *ctx, const char *token, const struct hold_ask *ask,
                      struct hold *out, struct seat_list *bad)
{
    struct admission_settings settings;
    struct queue_token t;
    uint32_t seats[HOLD_SEATS_MAX];
    uint64_t venue_id = 0;
    size_t n = 0;
    int rc;

    memset(bad, 0, sizeof(*bad));
    if ((rc = queue_authorize(ctx, token, 1, &t)) != BO_OK) {
        return rc;
    }
    svc_context_settings(ctx, &settings);
    if ((rc = reservations_ask_seats(ask, settings.max_seats_per_hold, seats, &n)) != BO_OK ||
        (rc = catalog_schedule_venue(ctx, ask->schedule_id, t.concert_id, &venue_id)) != BO_OK) {
        return rc;
    }
    struct store_hold_ask sa = {.user_id = t.user_id,
                                .concert_id = t.concert_id,
                                .schedule_id = ask->schedule_id,
                                .seat_nos = seats,
                                .n = n,
                                .hold_ms = (int64_t)settings.hold_ttl_seconds * 1000};
    memset(out, 0, sizeof(*out));
    rc = reservations_store_hold(ctx, &sa, venue_id, out, bad);
    if (rc == BO_E_USER_NOT_FOUND && (rc = accounts_user_check(ctx, t.user_id)) == BO_OK) {
        /* an operator token's user, in PostgreSQL from its first write on */
        rc = reservations_store_hold(ctx, &sa, venue_id, out, bad);
    }
    if (rc != BO_OK) {
        return rc;
    }
    reservations_seats_changed(ctx, t.concert_id, &out->r, &out->seats, BO_SEAT_HELD);
    if (venue_id != 0 &&
        reservations_places(ctx, ask->schedule_id, t.concert_id, &out->seats) != BO_OK) {
        /* The hold is made; its places are only for show. */
        memset(out->seats.where, 0, sizeof(out->seats.where));
    }
    return BO_OK;
}

int reservations_release(struct svc_context *ctx, const char *token, uint64_t reservation_id,
                         struct hold *out)
{
    struct queue_token t;
    int rc;

    if ((rc = queue_authorize(ctx, token, 1, &t)) != BO_OK) {
        return rc;
    }
    if (reservation_id == 0) {
        return BO_E_RESERVATION_NOT_FOUND;
    }
    if ((rc = store_hold_release(ctx->store, t.user_id, t.concert_id, reservation_id, out)) !=
        BO_OK) {
        return rc;
    }
    reservations_seats_changed(ctx, t.concert_id, &out->r, &out->seats, BO_SEAT_AVAILABLE);
    if (reservations_places(ctx, out->r.schedule_id, t.concert_id, &out->seats) != BO_OK) {
        memset(out->seats.where, 0, sizeof(out->seats.where));
    }
    return BO_OK;
}
