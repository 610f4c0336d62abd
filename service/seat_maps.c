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

#include <stdlib.h>

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
    struct bo_feed_handlers h = {seat_maps_on_seats, seat_maps_on_ended, NULL};
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

int seat_maps_read(struct seat_maps *m, struct store *st, uint64_t schedule_id, uint64_t concert_id,
                   struct bo_seat_state *out, size_t max, size_t *n)
{
    uint64_t ticket, held_concert = 0;
    size_t got = 0;
    int rc;

    if (m == NULL) {
        return store_seat_states_list(st, schedule_id, out, max, n);
    }
    rc = bo_seatmap_table_read(m->table, schedule_id, bo_time_mono_ms(), BO_SEATMAP_REFRESH_MS,
                               &held_concert, out, max, n);
    if (rc != BO_E_NOT_FOUND) {
        if (rc == BO_OK) {
            metrics_seat_map_read(1);
        }
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
