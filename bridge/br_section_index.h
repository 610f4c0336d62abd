/*
 * br_section_index: where each section of a venue date lies among the date's seats, as the
 * bridge learned it from the service's section replies, so that a section read can find the
 * section's map in memory (br_seatmaps) and render its seats' places without asking.
 *
 * A section's seats are first_seat_no .. first_seat_no + seats - 1, row by row from the stage,
 * seats_per_row to a row (migration 006): seat p is in row (p - first) / seats_per_row + 1, at
 * number (p - first) % seats_per_row + 1. Sections of a venue never change, so an entry is
 * never wrong, only missing.
 *
 * Layout: a fixed direct-mapped table placed by the hash of (date, name), behind one
 * read-write lock; an entry placed on a taken slot replaces it (that section is learned again
 * from its next reply). Nothing is allocated after br_section_index_create. Every function may
 * be called from any thread.
 */
#ifndef BR_SECTION_INDEX_H
#define BR_SECTION_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* The longest section name (migration 006: 1-16 letters and digits). */
#define BR_SECTION_NAME_MAX 16

/* Where one section of one date lies. */
struct br_section_place {
    uint32_t first_seat_no;
    uint32_t seats;
    uint32_t seats_per_row;
};

struct br_section_index;

/* br_section_index_create makes an empty index of capacity slots (rounded up to a power of
 * two); free it with br_section_index_destroy. BO_E_INVALID_ARGUMENT for 0 or more than 2^24,
 * BO_E_NOMEM. */
__attribute__((warn_unused_result)) int br_section_index_create(size_t capacity,
                                                                struct br_section_index **out);

/* br_section_index_destroy frees x; safe on NULL. */
void br_section_index_destroy(struct br_section_index *x);

/* br_section_index_put records where section name of schedule_id lies. BO_E_INVALID_ARGUMENT
 * for a name of more than BR_SECTION_NAME_MAX characters, no seats, or no seats per row. */
__attribute__((warn_unused_result)) int br_section_index_put(struct br_section_index *x,
                                                             uint64_t schedule_id, const char *name,
                                                             const struct br_section_place *p);

/* br_section_index_get finds where section name of schedule_id lies: BO_OK with *p, or
 * BO_E_NOT_FOUND. */
__attribute__((warn_unused_result)) int br_section_index_get(struct br_section_index *x,
                                                             uint64_t schedule_id, const char *name,
                                                             struct br_section_place *p);

/* br_section_place_of writes the row and the number in it of seat seat_no of section p. */
void br_section_place_of(const struct br_section_place *p, uint32_t seat_no, uint32_t *row,
                         uint32_t *number);

#endif
