/*
 * seat_maps: the seat maps of the dates this instance serves, held in memory once per process
 * and shared by every worker.
 *
 * A map is read from PostgreSQL when it is missing or was read more than
 * BO_SEATMAP_REFRESH_MS ago; in between it is kept current by the instance's own writes
 * (seat_maps_change, before the write replies) and by the SeatEvents of the peer instances,
 * which a feed thread (bo_feed) applies. The same feed hands ended-token events to the token
 * memory. PostgreSQL stays the truth of holds and payments: a map only answers reads.
 */
#ifndef SVC_SEAT_MAPS_H
#define SVC_SEAT_MAPS_H

#include "bo_seatmap.h"
#include "events.h"
#include "store.h"
#include "token_memory.h"
#include "venue_cache.h"

/* Most dates whose maps one instance holds; the least recently read is dropped beyond. */
#define SEAT_MAPS_MAX 4096

struct seat_maps;

/* seat_maps_open makes an empty set of maps whose changes are published on events and which
 * follows the seat and ended-token events of the instances at peer_urls (comma-separated,
 * may be empty; own_url, this instance's events address, is left out), forgetting ended tokens
 * in tokens. events and tokens (either may be NULL) are borrowed until seat_maps_close.
 * BO_E_INVALID_ARGUMENT for a bad address, BO_E_NOMEM. */
__attribute__((warn_unused_result)) int seat_maps_open(const char *peer_urls, const char *own_url,
                                                       struct events *events,
                                                       struct token_memory *tokens,
                                                       struct seat_maps **out);

/* seat_maps_close stops the feed, then frees the maps; safe on NULL. */
void seat_maps_close(struct seat_maps *m);

/* seat_maps_read copies the map of schedule_id, a date of concert_id, into out[0..max) (*n
 * seats, seat 1 first, statuses as stored: a HELD seat may have lapsed), from memory when it
 * is fresh enough, else read with st (the calling worker's connection) and kept. With m NULL
 * the map is read from st every time. Codes of store_seat_states_list; BO_E_INVALID_ARGUMENT
 * when max is too small. */
__attribute__((warn_unused_result)) int seat_maps_read(struct seat_maps *m, struct store *st,
                                                       uint64_t schedule_id, uint64_t concert_id,
                                                       struct bo_seat_state *out, size_t max,
                                                       size_t *n);

/* seat_maps_read_kept is seat_maps_read from memory alone: BO_E_NOT_FOUND when the map is
 * missing or too old (or m is NULL), where seat_maps_read would read it from PostgreSQL. */
__attribute__((warn_unused_result)) int seat_maps_read_kept(struct seat_maps *m,
                                                            uint64_t schedule_id,
                                                            struct bo_seat_state *out, size_t max,
                                                            size_t *n);

/* seat_maps_count_dates fills the seat counts of dates[0..n), dates of concert_id: how many
 * seats are available at now_ms (wall clock) and how many there are, from the maps in memory;
 * the hall's maps missing or too old are read again with st all in one query, a venue date's
 * alone (its venue from venues, which may be NULL), and kept. With m NULL every map is read.
 * Codes of store_seat_states_many, venue_cache_get, BO_E_NOMEM. */
__attribute__((warn_unused_result)) int
seat_maps_count_dates(struct seat_maps *m, struct store *st, struct venue_cache *venues,
                      uint64_t concert_id, struct schedule *dates, size_t n, int64_t now_ms);

/* seat_maps_count_sections sets the available seats (at now_ms, wall clock) of each section of
 * v, the venue of schedule_id (a date of concert_id), from the map in memory when fresh, else
 * read whole and kept. */
__attribute__((warn_unused_result)) int
seat_maps_count_sections(struct seat_maps *m, struct store *st, uint64_t schedule_id,
                         uint64_t concert_id, struct venue *v, int64_t now_ms);

/* seat_maps_read_range copies seats first..first + count - 1 of schedule_id, a date of
 * concert_id on venue v, into out[0..count) (statuses as stored), from memory when fresh, else
 * read whole from st and kept. BO_E_INVALID_ARGUMENT for a range outside the venue. */
__attribute__((warn_unused_result)) int
seat_maps_read_range(struct seat_maps *m, struct store *st, uint64_t schedule_id,
                     uint64_t concert_id, const struct venue *v, uint32_t first, size_t count,
                     struct bo_seat_state *out);

/* seat_maps_change applies changes[0..n), the new states of seats of schedule_id (a date of
 * concert_id) that a committed write set, to the map in memory and publishes them as a
 * SeatEvent; call it before the write replies. Does nothing when m is NULL. */
void seat_maps_change(struct seat_maps *m, uint64_t schedule_id, uint64_t concert_id,
                      const struct bo_seat_state *changes, size_t n);

/* seat_maps_received says how many events of the peers the feed has handed over. */
uint64_t seat_maps_received(const struct seat_maps *m);

#endif
