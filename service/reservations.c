/* reservations: seat holds on behalf of an admitted user, each committed one reported to the
 * seat maps before the reply (see reservations.h). */
#include "reservations.h"

#include "accounts.h"
#include "best_seats.h"
#include "bo_error.h"
#include "bo_time.h"
#include "catalog.h"
#include "queue.h"
#include "seat_maps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Best available: tries of candidate blocks per look at the map, and looks. A buyer that loses
 * every try to racing buyers is told to try again (SEAT_TAKEN), not that the section is full. */
#define RESERVATIONS_BEST_TRIES 8
#define RESERVATIONS_BEST_LOOKS 4

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

/* reservations_ask_seats writes the seats ask names into seats[0..*n) (one seat or several;
 * none for best available), checked against max (the most seats a hold may take); a refusal
 * says why in msg. */
static int reservations_ask_seats(const struct hold_ask *ask, uint32_t max,
                                  uint32_t seats[HOLD_SEATS_MAX], size_t *n, char *msg,
                                  size_t msglen)
{
    int best = ask->section != NULL && ask->section[0] != '\0';
    int ways = (ask->seat_no != 0) + (ask->n_seats != 0) + best;

    if (ways != 1) {
        snprintf(msg, msglen,
                 "a hold asks for one seat, several seats, or the best available in a section "
                 "(with a quantity): exactly one of these");
        return BO_E_INVALID_ARGUMENT;
    }
    if (best && (ask->quantity < 1 || ask->quantity > max)) {
        snprintf(msg, msglen, "quantity must be 1 to %u: a hold takes at most %u seats", max, max);
        return BO_E_INVALID_ARGUMENT;
    }
    if (ask->seat_no != 0) {
        seats[0] = ask->seat_no;
        *n = 1;
        return BO_OK;
    }
    if (ask->n_seats == 0) {
        *n = 0; /* best available: the seats are chosen later */
        return BO_OK;
    }
    if (ask->n_seats > max || ask->n_seats > HOLD_SEATS_MAX) {
        snprintf(msg, msglen, "a hold takes at most %u seats, not %zu", max, ask->n_seats);
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

/* reservations_best holds the best quantity seats of ask's section (see best_seats.h): each
 * look at the map offers a few blocks, tried from a random one on so racing buyers spread out;
 * a block met taken (the map was behind) gives way to the next, and after a few a new look. */
static int reservations_best(struct svc_context *ctx, const struct hold_ask *ask,
                             struct store_hold_ask *sa, uint64_t venue_id, struct hold *out,
                             struct seat_list *bad)
{
    const struct section *sec = NULL;
    struct venue *v = malloc(sizeof(*v));
    struct bo_seat_state *seats = NULL;
    struct best_seats b;
    uint32_t taken[RESERVATIONS_BEST_TRIES * RESERVATIONS_BEST_LOOKS * HOLD_SEATS_MAX];
    size_t ntaken = 0;
    unsigned seed = (unsigned)(ctx->request_id * 2654435761u);
    int rc;

    if (v == NULL) {
        return BO_E_NOMEM;
    }
    if (venue_id == 0) {
        rc = BO_E_NO_SECTIONS;
        goto out;
    }
    if ((rc = venue_cache_get(ctx->venues, ctx->store, venue_id, v)) != BO_OK) {
        goto out;
    }
    for (size_t i = 0; i < v->n_sections && sec == NULL; i++) {
        sec = strcmp(v->sections[i].name, ask->section) == 0 ? &v->sections[i] : NULL;
    }
    if (sec == NULL) {
        rc = BO_E_SECTION_NOT_FOUND;
        goto out;
    }
    size_t count = (size_t)sec->rows * sec->seats_per_row;
    if ((seats = malloc(count * sizeof(*seats))) == NULL) {
        rc = BO_E_NOMEM;
        goto out;
    }
    rc = BO_E_SEAT_TAKEN;
    for (int look = 0; look < RESERVATIONS_BEST_LOOKS && rc == BO_E_SEAT_TAKEN; look++) {
        if ((rc = seat_maps_read_range(ctx->maps, ctx->store, sa->schedule_id, sa->concert_id, v,
                                       sec->first_seat_no, count, seats)) != BO_OK) {
            break;
        }
        /* Seats found taken before may still read free in a map a peer's event has not
         * reached yet: in this copy they are taken, so the blocks offered lie past them. */
        for (size_t k = 0; k < ntaken; k++) {
            if (taken[k] >= sec->first_seat_no && taken[k] - sec->first_seat_no < count) {
                seats[taken[k] - sec->first_seat_no].status = BO_SEAT_SOLD;
            }
        }
        if ((rc = best_seats_find(sec, seats, count, sa->n, ask->together, bo_time_now_ms(), &b)) !=
            BO_OK) {
            break;
        }
        if (b.n == 0) {
            rc = ntaken > 0 ? BO_E_SEAT_TAKEN : BO_E_NOT_ENOUGH_SEATS;
            break;
        }
        rc = BO_E_SEAT_TAKEN;
        for (int t = 0; t < RESERVATIONS_BEST_TRIES && b.n > 0 && rc == BO_E_SEAT_TAKEN; t++) {
            /* At random among the blocks of the best row offered: nearest the stage first,
             * and spread over that row. */
            uint32_t row = (b.seat_nos[0][0] - sec->first_seat_no) / sec->seats_per_row;
            size_t same = 1;
            while (same < b.n &&
                   (b.seat_nos[same][0] - sec->first_seat_no) / sec->seats_per_row == row) {
                same++;
            }
            size_t pick = (size_t)rand_r(&seed) % same;
            sa->seat_nos = b.seat_nos[pick];
            rc = store_hold_seats(ctx->store, sa, out, bad->seat_nos, &bad->n);
            if (rc == BO_E_SEAT_TAKEN) {
                best_seats_drop(&b, bad->seat_nos, bad->n); /* and every block sharing them */
                for (size_t k = 0; k < bad->n && ntaken < sizeof(taken) / sizeof(*taken); k++) {
                    taken[ntaken++] = bad->seat_nos[k];
                }
            }
        }
    }
    if (rc == BO_E_SEAT_TAKEN) {
        bad->n = 0; /* none to name: others were quicker to every block offered */
    }
out:
    free(seats);
    free(v);
    return rc;
}

int reservations_hold(struct svc_context *ctx, const char *token, const struct hold_ask *ask,
                      struct hold *out, struct seat_list *bad, char *msg, size_t msglen)
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
    int best = ask->section != NULL && ask->section[0] != '\0';
    if ((rc = reservations_ask_seats(ask, settings.max_seats_per_hold, seats, &n, msg, msglen)) !=
            BO_OK ||
        (rc = catalog_schedule_venue(ctx, ask->schedule_id, t.concert_id, &venue_id)) != BO_OK) {
        return rc;
    }
    if (best) {
        n = ask->quantity;
    }
    struct store_hold_ask sa = {.user_id = t.user_id,
                                .concert_id = t.concert_id,
                                .schedule_id = ask->schedule_id,
                                .seat_nos = seats,
                                .n = n,
                                .hold_ms = (int64_t)settings.hold_ttl_seconds * 1000};
    memset(out, 0, sizeof(*out));
    rc = best ? reservations_best(ctx, ask, &sa, venue_id, out, bad)
              : reservations_store_hold(ctx, &sa, venue_id, out, bad);
    if (rc == BO_E_USER_NOT_FOUND && (rc = accounts_user_check(ctx, t.user_id)) == BO_OK) {
        /* an operator token's user, in PostgreSQL from its first write on */
        sa.seat_nos = seats;
        rc = best ? reservations_best(ctx, ask, &sa, venue_id, out, bad)
                  : reservations_store_hold(ctx, &sa, venue_id, out, bad);
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
