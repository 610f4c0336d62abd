/*
 * seat_maps: the process's seat maps over bo_seatmap, fed by this instance's writes and by
 * its peers' events (see seat_maps.h).
 */
#include "seat_maps.h"

#include "bo_error.h"
#include "bo_feed.h"
#include "bo_log.h"
#include "bo_time.h"
#include "metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How old a map may be when a date's seats are counted for a list of dates. Lists go to the
 * client as they are (no holder after this instance, unlike a seat map a bridge keeps), so
 * they may use all of the 1 s freshness contract, less a margin; since a list re-reads every
 * map of a concert that is too old at once, this halves what lists read from PostgreSQL. */
#define SEAT_MAPS_COUNT_MAX_AGE_MS 800

struct seat_maps {
    struct bo_seatmap_table *table;
    struct bo_feed *feed;
    struct events *events;       /* borrowed */
    struct token_memory *tokens; /* borrowed */
};

/* seat_maps_on_seats applies a peer's SeatEvent (on the feed's thread). */
static void seat_maps_on_seats(void *arg, uint64_t schedule_id, uint64_t concert_id,
                               const struct bo_seat_state *changes, size_t n)
{
    struct seat_maps *m = arg;

    (void)concert_id;
    bo_seatmap_table_apply(m->table, schedule_id, changes, n, NULL);
    metrics_feed_event(METRICS_FEED_SEATS);
}

/* seat_maps_on_ended forgets a token a peer (or the admission leader) ended. */
static void seat_maps_on_ended(void *arg, uint64_t concert_id, uint64_t sequence, uint64_t user_id)
{
    struct seat_maps *m = arg;

    (void)user_id;
    token_memory_forget(m->tokens, concert_id, sequence, bo_time_now_ms());
    metrics_feed_event(METRICS_FEED_ENDED);
}

int seat_maps_open(const char *peer_urls, const char *own_url, struct events *events,
                   struct token_memory *tokens, struct seat_maps **out)
{
    struct seat_maps *m;
    struct bo_feed_handlers h = {.seats = seat_maps_on_seats, .ended = seat_maps_on_ended};
    int rc;

    if ((m = calloc(1, sizeof(*m))) == NULL) {
        return BO_E_NOMEM;
    }
    m->events = events;
    m->tokens = tokens;
    h.arg = m;
    if ((rc = bo_seatmap_table_open(SEAT_MAPS_MAX, &m->table)) != BO_OK ||
        (rc = bo_feed_start(peer_urls, own_url, &h, &m->feed)) != BO_OK) {
        BO_ERR("seat maps: cannot follow the peers' events at '%s': %s", peer_urls,
               bo_error_message(rc));
        seat_maps_close(m);
        return rc;
    }
    *out = m;
    return BO_OK;
}

void seat_maps_close(struct seat_maps *m)
{
    if (m == NULL) {
        return;
    }
    bo_feed_stop(m->feed); /* no handler runs after it returns: the table can go */
    bo_seatmap_table_close(m->table);
    free(m);
}

int seat_maps_read_kept(struct seat_maps *m, uint64_t schedule_id, struct bo_seat_state *out,
                        size_t max, size_t *n)
{
    uint64_t held_concert = 0;
    int rc;

    if (m == NULL) {
        return BO_E_NOT_FOUND;
    }
    rc = bo_seatmap_table_read(m->table, schedule_id, bo_time_mono_ms(), BO_SEATMAP_REFRESH_MS,
                               &held_concert, out, max, n);
    if (rc == BO_OK) {
        metrics_seat_map_read(1);
    }
    return rc;
}

int seat_maps_read(struct seat_maps *m, struct store *st, uint64_t schedule_id, uint64_t concert_id,
                   struct bo_seat_state *out, size_t max, size_t *n)
{
    uint64_t ticket, held_concert = 0;
    size_t got = 0;
    int rc;

    if (m == NULL) {
        return store_seat_states_list(st, schedule_id, out, max, n);
    }
    if ((rc = seat_maps_read_kept(m, schedule_id, out, max, n)) != BO_E_NOT_FOUND) {
        return rc;
    }
    /* Missing or too old: changes applied from now on are kept if newer than what is read. */
    ticket = bo_seatmap_table_begin(m->table);
    if ((rc = store_seat_states_list(st, schedule_id, out, max, &got)) != BO_OK) {
        return rc;
    }
    metrics_seat_map_read(0);
    rc = bo_seatmap_table_install(m->table, schedule_id, concert_id, out, got, ticket,
                                  bo_time_mono_ms());
    if (rc == BO_OK) {
        /* The map merged with the changes applied meanwhile; got and out stay what was read
         * when a full table dropped it at once. */
        rc = bo_seatmap_table_read(m->table, schedule_id, bo_time_mono_ms(), BO_SEATMAP_REFRESH_MS,
                                   &held_concert, out, max, &got);
    } else {
        BO_WARN("seat maps: date %llu not kept in memory: %s", (unsigned long long)schedule_id,
                bo_error_message(rc));
    }
    *n = got;
    return BO_OK;
}

/* seat_maps_available counts the seats of seats[0..n) available at now_ms. */
static uint32_t seat_maps_available(const struct bo_seat_state *seats, size_t n, int64_t now_ms)
{
    uint32_t available = 0;

    for (size_t i = 0; i < n; i++) {
        available += bo_seat_status_at(&seats[i], now_ms) == BO_SEAT_AVAILABLE;
    }
    return available;
}

/* What a count of a map found: seats available at now_ms, and seats. */
struct seat_maps_count {
    int64_t now_ms;
    uint32_t available;
    uint32_t total;
};

static int seat_maps_count_view(void *arg, uint64_t concert_id, const struct bo_seat_state *seats,
                                size_t n)
{
    struct seat_maps_count *c = arg;

    (void)concert_id;
    c->available = seat_maps_available(seats, n, c->now_ms);
    c->total = (uint32_t)n;
    return BO_OK;
}

/* A run of seats of a map to copy out: seats first..first + count - 1. */
struct seat_maps_range {
    uint32_t first;
    size_t count;
    struct bo_seat_state *out;
};

static int seat_maps_range_view(void *arg, uint64_t concert_id, const struct bo_seat_state *seats,
                                size_t n)
{
    struct seat_maps_range *r = arg;

    (void)concert_id;
    if (r->first < 1 || r->first - 1 > n || r->count > n - (r->first - 1)) {
        return BO_E_INTERNAL; /* a map of another size than its venue's */
    }
    memcpy(r->out, seats + r->first - 1, r->count * sizeof(*seats));
    return BO_OK;
}

/* seat_maps_venue_snapshot reads the map of schedule_id, a date on venue v, from the truth:
 * every seat AVAILABLE at its section's price, then the live reservations over them (a venue
 * date has no seats rows). *out is a new array of v->capacity seats (caller frees). */
static int seat_maps_venue_snapshot(struct store *st, uint64_t schedule_id, const struct venue *v,
                                    struct bo_seat_state **out)
{
    struct bo_seat_state *seats = calloc(v->capacity > 0 ? v->capacity : 1, sizeof(*seats));
    struct store_seat_row *rows = NULL;
    size_t nrows = 0;
    char ids[32];
    int rc;

    if (seats == NULL) {
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < v->n_sections; i++) {
        const struct section *sec = &v->sections[i];
        uint32_t count = sec->rows * sec->seats_per_row;
        for (uint32_t k = 0; k < count && sec->first_seat_no - 1 + k < v->capacity; k++) {
            uint32_t no = sec->first_seat_no + k;
            seats[no - 1] = (struct bo_seat_state){
                .seat_no = no, .status = BO_SEAT_AVAILABLE, .price = sec->price};
        }
    }
    snprintf(ids, sizeof(ids), "{%llu}", (unsigned long long)schedule_id);
    rc = store_live_seats_many(st, ids, &rows, &nrows);
    for (size_t r = 0; rc == BO_OK && r < nrows; r++) {
        uint32_t no = rows[r].seat.seat_no;
        if (no >= 1 && no <= v->capacity) {
            int64_t price = seats[no - 1].price;
            seats[no - 1] = rows[r].seat;
            seats[no - 1].price = price;
        }
    }
    free(rows);
    if (rc != BO_OK) {
        free(seats);
        return rc;
    }
    *out = seats;
    return BO_OK;
}

/* seat_maps_venue_read looks at the map of schedule_id (a date of concert_id on venue v) with
 * view: in place when the table holds it fresh, else read from the truth, kept and looked at. */
static int seat_maps_venue_read(struct seat_maps *m, struct store *st, uint64_t schedule_id,
                                uint64_t concert_id, const struct venue *v, bo_seatmap_view_fn view,
                                void *arg)
{
    struct bo_seat_state *seats = NULL;
    uint64_t ticket = 0;
    int rc;

    if (m != NULL) {
        rc = bo_seatmap_table_view(m->table, schedule_id, bo_time_mono_ms(), BO_SEATMAP_REFRESH_MS,
                                   view, arg);
        if (rc != BO_E_NOT_FOUND) {
            if (rc == BO_OK) {
                metrics_seat_map_read(1);
            }
            return rc;
        }
        ticket = bo_seatmap_table_begin(m->table); /* before the read: see seat_maps_read */
    }
    if ((rc = seat_maps_venue_snapshot(st, schedule_id, v, &seats)) != BO_OK) {
        return rc;
    }
    metrics_seat_map_read(0);
    if (m != NULL &&
        bo_seatmap_table_install(m->table, schedule_id, concert_id, seats, v->capacity, ticket,
                                 bo_time_mono_ms()) == BO_OK &&
        bo_seatmap_table_view(m->table, schedule_id, bo_time_mono_ms(), INT64_MAX, view, arg) ==
            BO_OK) {
        free(seats);
        return BO_OK;
    }
    rc = view(arg, concert_id, seats, v->capacity); /* not kept: answered from the read */
    free(seats);
    return rc;
}

/* A count per section of a venue's map. */
struct seat_maps_sections {
    struct venue *v;
    int64_t now_ms;
};

static int seat_maps_sections_view(void *arg, uint64_t concert_id,
                                   const struct bo_seat_state *seats, size_t n)
{
    struct seat_maps_sections *c = arg;

    (void)concert_id;
    for (size_t i = 0; i < c->v->n_sections; i++) {
        struct section *sec = &c->v->sections[i];
        size_t first = sec->first_seat_no - 1, count = (size_t)sec->rows * sec->seats_per_row;
        if (first > n || count > n - first) {
            return BO_E_INTERNAL; /* a map of another size than its venue's */
        }
        sec->available_seats = seat_maps_available(seats + first, count, c->now_ms);
    }
    return BO_OK;
}

int seat_maps_count_sections(struct seat_maps *m, struct store *st, uint64_t schedule_id,
                             uint64_t concert_id, struct venue *v, int64_t now_ms)
{
    struct seat_maps_sections c = {v, now_ms};

    return seat_maps_venue_read(m, st, schedule_id, concert_id, v, seat_maps_sections_view, &c);
}

int seat_maps_read_range(struct seat_maps *m, struct store *st, uint64_t schedule_id,
                         uint64_t concert_id, const struct venue *v, uint32_t first, size_t count,
                         struct bo_seat_state *out)
{
    struct seat_maps_range r = {first, count, out};

    if (first < 1 || first - 1 > v->capacity || count > v->capacity - (first - 1)) {
        return BO_E_INVALID_ARGUMENT;
    }
    return seat_maps_venue_read(m, st, schedule_id, concert_id, v, seat_maps_range_view, &r);
}

/* seat_maps_rows_find returns the first of rows[0..n) (sorted by date) of schedule_id, or n. */
static size_t seat_maps_rows_find(const struct store_seat_row *rows, size_t n, uint64_t schedule_id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].schedule_id < schedule_id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* A read of several dates' seats: store_seat_states_many or store_live_seats_many. */
typedef int (*seat_maps_fetch_fn)(struct store *s, const char *ids, struct store_seat_row **out,
                                  size_t *n);

/* seat_maps_ids writes the ids of dates[idx[0..n)] as an array literal of PostgreSQL
 * ("{4,9,12}") into a new string *out (caller frees). */
static int seat_maps_ids(const struct schedule *dates, const size_t *idx, size_t n, char **out)
{
    size_t cap = n * 21 + 3, len = 0;
    char *ids;

    if ((ids = malloc(cap)) == NULL) {
        return BO_E_NOMEM;
    }
    ids[len++] = '{';
    for (size_t k = 0; k < n; k++) {
        len += (size_t)snprintf(ids + len, cap - len, "%s%llu", k > 0 ? "," : "",
                                (unsigned long long)dates[idx[k]].id);
    }
    snprintf(ids + len, cap - len, "}");
    *out = ids;
    return BO_OK;
}

/* seat_maps_fetch reads with fetch the seats of dates[idx[0..n)] into a new array *rows of
 * *nrows rows (caller frees). */
static int seat_maps_fetch(struct store *st, seat_maps_fetch_fn fetch, const struct schedule *dates,
                           const size_t *idx, size_t n, struct store_seat_row **rows, size_t *nrows)
{
    char *ids = NULL;
    int rc = seat_maps_ids(dates, idx, n, &ids);

    if (rc == BO_OK) {
        rc = fetch(st, ids, rows, nrows);
    }
    free(ids);
    return rc;
}

/* seat_maps_keep puts the snapshot seats[0..n) of d (read at read_mono or later, begun at
 * ticket) into the table and counts d's seats on the map merged with the changes applied
 * meanwhile (on the snapshot itself when the table cannot keep it). */
static void seat_maps_keep(struct seat_maps *m, struct schedule *d, uint64_t concert_id,
                           struct bo_seat_state *seats, size_t n, uint64_t ticket,
                           int64_t read_mono, int64_t now_ms)
{
    uint64_t held_concert = 0;

    metrics_seat_map_read(0);
    d->available_seats = seat_maps_available(seats, n, now_ms);
    d->total_seats = (uint32_t)n;
    if (m != NULL &&
        bo_seatmap_table_install(m->table, d->id, concert_id, seats, n, ticket, read_mono) ==
            BO_OK &&
        bo_seatmap_table_read(m->table, d->id, bo_time_mono_ms(), SEAT_MAPS_COUNT_MAX_AGE_MS,
                              &held_concert, seats, SEATS_PER_SCHEDULE, &n) == BO_OK) {
        d->available_seats = seat_maps_available(seats, n, now_ms);
        d->total_seats = (uint32_t)n;
    }
}

/* seat_maps_read_whole reads the maps of dates[idx[0..n)], which the table does not hold, with
 * their seats and prices in one query and keeps them. */
static int seat_maps_read_whole(struct seat_maps *m, struct store *st, uint64_t concert_id,
                                struct schedule *dates, const size_t *idx, size_t n,
                                uint64_t ticket, int64_t now_ms)
{
    struct bo_seat_state seats[SEATS_PER_SCHEDULE];
    int64_t read_mono = bo_time_mono_ms(); /* the maps are as of this or later */
    struct store_seat_row *rows = NULL;
    size_t nrows = 0;
    int rc = seat_maps_fetch(st, store_seat_states_many, dates, idx, n, &rows, &nrows);

    for (size_t k = 0; rc == BO_OK && k < n; k++) {
        struct schedule *d = &dates[idx[k]];
        size_t first = seat_maps_rows_find(rows, nrows, d->id), got = 0;

        for (; first + got < nrows && rows[first + got].schedule_id == d->id; got++) {
            if (got == SEATS_PER_SCHEDULE) {
                rc = BO_E_INTERNAL; /* a date bigger than the service's maps */
                break;
            }
            seats[got] = rows[first + got].seat;
        }
        if (rc == BO_OK) {
            seat_maps_keep(m, d, concert_id, seats, got, ticket, read_mono, now_ms);
        }
    }
    free(rows);
    return rc;
}

/* seat_maps_refresh reads again the maps of dates[idx[0..n)], which the table holds but which
 * are too old: only their live reservations are read (the seats and their prices never
 * change), in one query; every other seat is AVAILABLE. */
static int seat_maps_refresh(struct seat_maps *m, struct store *st, uint64_t concert_id,
                             struct schedule *dates, const size_t *idx, size_t n, uint64_t ticket,
                             int64_t now_ms)
{
    struct bo_seat_state seats[SEATS_PER_SCHEDULE];
    int64_t read_mono = bo_time_mono_ms();
    struct store_seat_row *rows = NULL;
    size_t nrows = 0;
    int rc = seat_maps_fetch(st, store_live_seats_many, dates, idx, n, &rows, &nrows);

    for (size_t k = 0; rc == BO_OK && k < n; k++) {
        struct schedule *d = &dates[idx[k]];
        uint64_t held_concert = 0;
        size_t got = 0;

        if (bo_seatmap_table_read(m->table, d->id, bo_time_mono_ms(), INT64_MAX, &held_concert,
                                  seats, SEATS_PER_SCHEDULE, &got) != BO_OK) {
            /* Dropped from the table meanwhile: read it whole. */
            rc = seat_maps_read_whole(m, st, concert_id, dates, &idx[k], 1, ticket, now_ms);
            continue;
        }
        for (size_t i = 0; i < got; i++) {
            seats[i].status = BO_SEAT_AVAILABLE;
            seats[i].reservation_id = 0;
            seats[i].held_until_ms = 0;
        }
        for (size_t r = seat_maps_rows_find(rows, nrows, d->id);
             r < nrows && rows[r].schedule_id == d->id; r++) {
            uint32_t no = rows[r].seat.seat_no;
            if (no >= 1 && no <= got) {
                int64_t price = seats[no - 1].price;
                seats[no - 1] = rows[r].seat;
                seats[no - 1].price = price;
            }
        }
        seat_maps_keep(m, d, concert_id, seats, got, ticket, read_mono, now_ms);
    }
    free(rows);
    return rc;
}

/* bsearch's order of seat counts: by date. */
static int seat_maps_count_cmp(const void *key, const void *elem)
{
    uint64_t id = *(const uint64_t *)key,
             other = ((const struct store_seat_count *)elem)->schedule_id;

    return id < other ? -1 : id > other;
}

/* seat_maps_count_unheld counts the seats of dates[idx[0..n)], whose maps the table does not
 * hold, in PostgreSQL in one query, without reading the maps: a list of dates is often of more
 * dates than are looked at, and their maps, read whole and kept, pushed out of the table the
 * maps that are (in a sale of thousands of dates, most of PostgreSQL's time went on that). */
static int seat_maps_count_unheld(struct store *st, struct schedule *dates, const size_t *idx,
                                  size_t n)
{
    struct store_seat_count *counts = NULL;
    size_t ncounts = 0;
    char *ids = NULL;
    int rc = seat_maps_ids(dates, idx, n, &ids);

    if (rc == BO_OK) {
        rc = store_seat_counts_many(st, ids, &counts, &ncounts);
    }
    for (size_t k = 0; rc == BO_OK && k < n; k++) {
        struct schedule *d = &dates[idx[k]];
        const struct store_seat_count *c =
            ncounts > 0 ? bsearch(&d->id, counts, ncounts, sizeof(*counts), seat_maps_count_cmp)
                        : NULL;
        metrics_seat_map_read(0);
        d->available_seats = c != NULL ? c->available : 0;
        d->total_seats = c != NULL ? c->total : 0;
    }
    free(counts);
    free(ids);
    return rc;
}

/* seat_maps_reread reads the maps of dates[stale[0..nstale)] again, at most two queries: the
 * maps the table holds by their live reservations; the others are only counted. */
static int seat_maps_reread(struct seat_maps *m, struct store *st, uint64_t concert_id,
                            struct schedule *dates, const size_t *stale, size_t nstale,
                            uint64_t ticket, int64_t now_ms)
{
    struct bo_seat_state seats[SEATS_PER_SCHEDULE];
    size_t *held, nheld = 0, *whole, nwhole = 0;
    int rc = BO_OK;

    if ((held = malloc(2 * nstale * sizeof(*held))) == NULL) {
        return BO_E_NOMEM;
    }
    whole = held + nstale;
    for (size_t k = 0; k < nstale; k++) {
        uint64_t held_concert = 0;
        size_t got = 0;
        if (m != NULL &&
            bo_seatmap_table_read(m->table, dates[stale[k]].id, bo_time_mono_ms(), INT64_MAX,
                                  &held_concert, seats, SEATS_PER_SCHEDULE, &got) == BO_OK) {
            held[nheld++] = stale[k];
        } else {
            whole[nwhole++] = stale[k];
        }
    }
    if (nwhole > 0) {
        rc = seat_maps_count_unheld(st, dates, whole, nwhole);
    }
    if (rc == BO_OK && nheld > 0) {
        rc = seat_maps_refresh(m, st, concert_id, dates, held, nheld, ticket, now_ms);
    }
    free(held);
    return rc;
}

int seat_maps_count_dates(struct seat_maps *m, struct store *st, struct venue_cache *venues,
                          uint64_t concert_id, struct schedule *dates, size_t n, int64_t now_ms)
{
    uint64_t ticket = 0;
    size_t *stale, nstale = 0;
    int rc = BO_OK;

    if (n == 0) {
        return BO_OK;
    }
    if ((stale = malloc(n * sizeof(*stale))) == NULL) {
        return BO_E_NOMEM;
    }
    if (m != NULL) {
        ticket = bo_seatmap_table_begin(m->table); /* before any map is found missing */
    }
    for (size_t i = 0; i < n && rc == BO_OK; i++) {
        struct seat_maps_count c = {.now_ms = now_ms};
        if (dates[i].venue_id != 0) {
            /* A venue date: counted in place, read alone when missing (a big map). */
            struct venue v;
            if ((rc = venue_cache_get(venues, st, dates[i].venue_id, &v)) == BO_OK &&
                (rc = seat_maps_venue_read(m, st, dates[i].id, concert_id, &v, seat_maps_count_view,
                                           &c)) == BO_OK) {
                dates[i].available_seats = c.available;
                dates[i].total_seats = c.total;
            }
            continue;
        }
        rc = m == NULL
                 ? BO_E_NOT_FOUND
                 : bo_seatmap_table_view(m->table, dates[i].id, bo_time_mono_ms(),
                                         SEAT_MAPS_COUNT_MAX_AGE_MS, seat_maps_count_view, &c);
        if (rc == BO_OK) {
            metrics_seat_map_read(1);
            dates[i].available_seats = c.available;
            dates[i].total_seats = c.total;
        } else if (rc == BO_E_NOT_FOUND) {
            stale[nstale++] = i;
            rc = BO_OK;
        }
    }
    if (rc == BO_OK && nstale > 0) {
        rc = seat_maps_reread(m, st, concert_id, dates, stale, nstale, ticket, now_ms);
    }
    free(stale);
    return rc;
}

void seat_maps_change(struct seat_maps *m, uint64_t schedule_id, uint64_t concert_id,
                      const struct bo_seat_state *changes, size_t n)
{
    if (m == NULL) {
        return;
    }
    bo_seatmap_table_apply(m->table, schedule_id, changes, n, NULL);
    events_publish_seats(m->events, schedule_id, concert_id, changes, n);
}

uint64_t seat_maps_received(const struct seat_maps *m)
{
    return m != NULL ? bo_feed_received(m->feed) : 0;
}
