/*
 * bo_seatmap: the seat maps of many dates held in memory by a service instance or a bridge,
 * kept current by seat changes (from its own writes and from SeatEvents of other instances)
 * and by snapshots read again from the truth at least every BO_SEATMAP_REFRESH_MS.
 *
 * Order: a seat's state is about one reservation, and (reservation_id, stage) orders the
 * states of one seat: stage 0 no reservation, 1 HELD, 2 SOLD, 3 AVAILABLE again (after a
 * release, a lapse, or a refund of the sale). A change is applied only when it is newer than the
 * seat's state, so events that arrive late, twice or from several instances in any order change
 * nothing wrongly. A snapshot replaces every seat, except a seat that a newer change set after the
 * snapshot was begun (the snapshot may have been read before that change committed); that
 * holds for a date read for the first time too (changes of dates not held are kept a while).
 *
 * Time: held_until_ms is wall-clock (Unix ms); a HELD seat reads AVAILABLE from then on, so
 * lapsing holds need no event. Ages of snapshots are measured on the monotonic clock.
 *
 * Parts: a map holds a whole date (seats 1..n) or a part of one, a section of a venue
 * (seats first..first + n - 1, installed and rendered by the _part functions); a change
 * applies to every map that holds its seat.
 *
 * Threads: every function may be called from any thread; each map has its own lock, the
 * table a read-write lock taken for writing only to add or drop a map. The table holds at
 * most max_maps maps and drops the least recently read one to make room.
 */
#ifndef BO_SEATMAP_H
#define BO_SEATMAP_H

#include <stddef.h>
#include <stdint.h>

/* A map read from the truth this long ago is read again before it is answered from. Two
 * holders in a chain (an instance, then a bridge reading that instance) stay within 1 s. */
#define BO_SEATMAP_REFRESH_MS 400

/* Most seats of one date. */
#define BO_SEATMAP_MAX_SEATS 100000

/* Renderings kept per map: a map may be rendered in this many forms (full, compact), each
 * kept until out of date. */
#define BO_SEATMAP_FORMS 2

/* Statuses use boxoffice.proto's SeatStatus numbers. */
enum bo_seat_status { BO_SEAT_AVAILABLE = 1, BO_SEAT_HELD = 2, BO_SEAT_SOLD = 3 };

/* One seat's state, as a snapshot row or as a change. */
struct bo_seat_state {
    uint32_t seat_no; /* 1..number of seats of the date */
    int status;       /* enum bo_seat_status, as stored (a HELD seat may have lapsed) */
    int64_t price;
    int64_t held_until_ms;   /* HELD: when the hold lapses */
    uint64_t reservation_id; /* the reservation the state is about; 0: none (AVAILABLE) */
};

/* A rendering of one map (say, its JSON), kept with the map until a change or a lapsing hold
 * makes it out of date, and shared by readers: each holder of a pointer owns one reference. */
struct bo_seatmap_blob {
    _Atomic int refs;       /* managed by the table and bo_seatmap_blob_unref */
    uint64_t version;       /* the map's version it renders */
    int64_t valid_until_ms; /* wall clock: the first lapse of a hold it shows (INT64_MAX none) */
    size_t len;
    char data[]; /* len bytes, then a NUL */
};

/* bo_seatmap_render_fn renders seats[0..n) of schedule_id (concert_id) as seen at now_ms into a
 * new blob made by bo_seatmap_blob_new (*out, data and len filled; the table sets version and
 * valid_until_ms); returns BO_OK or an error (nothing kept). */
typedef int (*bo_seatmap_render_fn)(void *arg, uint64_t schedule_id, uint64_t concert_id,
                                    const struct bo_seat_state *seats, size_t n, int64_t now_ms,
                                    struct bo_seatmap_blob **out);

struct bo_seatmap_table;

/* bo_seat_status_at returns the status a reader sees at now_ms (wall clock): a HELD seat whose
 * hold has lapsed is AVAILABLE. */
int bo_seat_status_at(const struct bo_seat_state *s, int64_t now_ms);

/* bo_seat_state_newer says whether change is newer than cur (the same seat), by (reservation_id,
 * stage). */
int bo_seat_state_newer(const struct bo_seat_state *change, const struct bo_seat_state *cur);

/* bo_seatmap_table_open makes an empty table of at most max_maps maps (>= 1); close it with
 * bo_seatmap_table_close. */
__attribute__((warn_unused_result)) int bo_seatmap_table_open(size_t max_maps,
                                                              struct bo_seatmap_table **out);

/* bo_seatmap_table_close frees the table and its maps (renderings still referenced by readers
 * live on until their last unref); safe on NULL. */
void bo_seatmap_table_close(struct bo_seatmap_table *t);

/* bo_seatmap_table_apply applies changes[0..n) (seats of schedule_id) to its map when the table
 * holds it; a change of a seat the map does not have, or not newer than its state, is skipped.
 * A map not held is not made: it is read whole when first asked for. *applied (may be NULL)
 * receives how many seats changed. */
void bo_seatmap_table_apply(struct bo_seatmap_table *t, uint64_t schedule_id,
                            const struct bo_seat_state *changes, size_t n, size_t *applied);

/* bo_seatmap_table_begin returns a ticket to pass to bo_seatmap_table_install with the snapshot
 * the caller reads next (changes applied after it are kept when newer than the snapshot). */
uint64_t bo_seatmap_table_begin(struct bo_seatmap_table *t);

/* bo_seatmap_table_install puts the snapshot seats[0..n) (seat_no 1..n in order, n <=
 * BO_SEATMAP_MAX_SEATS) of schedule_id, a date of concert_id, into the table as read at
 * now_mono_ms, merged as the file comment says. BO_E_INVALID_ARGUMENT for seats out of order,
 * BO_E_NOMEM. */
__attribute__((warn_unused_result)) int
bo_seatmap_table_install(struct bo_seatmap_table *t, uint64_t schedule_id, uint64_t concert_id,
                         const struct bo_seat_state *seats, size_t n, uint64_t ticket,
                         int64_t now_mono_ms);

/* bo_seatmap_table_install_part is bo_seatmap_table_install for a part of a date: seats[0..n)
 * are seats first_seat_no.. in order. One date may have several parts held, each its own map
 * (one of them may be the whole date, first_seat_no 1). */
__attribute__((warn_unused_result)) int bo_seatmap_table_install_part(
    struct bo_seatmap_table *t, uint64_t schedule_id, uint32_t first_seat_no, uint64_t concert_id,
    const struct bo_seat_state *seats, size_t n, uint64_t ticket, int64_t now_mono_ms);

/* bo_seatmap_view_fn looks at seats[0..n) (seat order) of a map of a date of concert_id, in
 * place: it runs under the map's lock, so it must be quick and must not call into the table.
 * Its return is the caller's. */
typedef int (*bo_seatmap_view_fn)(void *arg, uint64_t concert_id, const struct bo_seat_state *seats,
                                  size_t n);

/* bo_seatmap_table_view calls view on the map of schedule_id in place, when the table holds it
 * and it was read from the truth at most max_age_ms before now_mono_ms; returns view's return,
 * or BO_E_NOT_FOUND when not held or older. For big maps: nothing is copied. */
__attribute__((warn_unused_result)) int
bo_seatmap_table_view(struct bo_seatmap_table *t, uint64_t schedule_id, int64_t now_mono_ms,
                      int64_t max_age_ms, bo_seatmap_view_fn view, void *arg);

/* bo_seatmap_table_read copies the map of schedule_id into out[0..max) (*n seats, in seat order)
 * with its concert when the table holds it, read from the truth at most max_age_ms before
 * now_mono_ms: BO_OK. BO_E_NOT_FOUND when not held or older (read the truth and install it);
 * BO_E_INVALID_ARGUMENT when max is too small. */
__attribute__((warn_unused_result)) int
bo_seatmap_table_read(struct bo_seatmap_table *t, uint64_t schedule_id, int64_t now_mono_ms,
                      int64_t max_age_ms, uint64_t *concert_id, struct bo_seat_state *out,
                      size_t max, size_t *n);

/* bo_seatmap_table_rendered gives the rendering of schedule_id's map (one more reference in
 * *out, the caller unrefs it) and its concert, under the same conditions as
 * bo_seatmap_table_read; it calls render (under the map's lock) when the kept rendering is
 * missing, of an older version or past its valid_until_ms at now_ms. BO_E_NOT_FOUND as for
 * read; render's error. */
__attribute__((warn_unused_result)) int
bo_seatmap_table_rendered(struct bo_seatmap_table *t, uint64_t schedule_id, int64_t now_mono_ms,
                          int64_t now_ms, int64_t max_age_ms, bo_seatmap_render_fn render,
                          void *arg, uint64_t *concert_id, struct bo_seatmap_blob **out);

/* bo_seatmap_table_rendered_part is bo_seatmap_table_rendered for the part of schedule_id from
 * first_seat_no, in form (< BO_SEATMAP_FORMS: each form's rendering is kept apart);
 * bo_seatmap_table_rendered is its whole map (part 1) in form 0. */
__attribute__((warn_unused_result)) int
bo_seatmap_table_rendered_part(struct bo_seatmap_table *t, uint64_t schedule_id,
                               uint32_t first_seat_no, unsigned form, int64_t now_mono_ms,
                               int64_t now_ms, int64_t max_age_ms, bo_seatmap_render_fn render,
                               void *arg, uint64_t *concert_id, struct bo_seatmap_blob **out);

/* bo_seatmap_blob_new allocates a blob of len bytes (plus a NUL) with one reference, for render
 * functions; NULL when out of memory. */
struct bo_seatmap_blob *bo_seatmap_blob_new(size_t len);

/* bo_seatmap_blob_unref drops one reference, freeing the blob with the last; safe on NULL. */
void bo_seatmap_blob_unref(struct bo_seatmap_blob *b);

#endif
