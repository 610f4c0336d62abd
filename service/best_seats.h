/*
 * best_seats: the best free seats of one section for a hold of quantity seats, chosen from a
 * seat map: adjacent in one row when together, nearest the stage first (row 1), then nearest
 * the middle of the row. Pure: no I/O, so racing buyers' choices can be spread and tested.
 */
#ifndef SVC_BEST_SEATS_H
#define SVC_BEST_SEATS_H

#include "bo_seatmap.h"
#include "model.h"

/* Candidates a choice offers at most: racing buyers pick among them at random, so they spread
 * over the best few blocks instead of all reaching for the first. */
#define BEST_SEATS_CANDIDATES 16

/* Blocks of seats, best first: seat_nos[i][0..quantity) is candidate i, lowest seat first. */
struct best_seats {
    size_t n;
    size_t quantity;
    uint32_t seat_nos[BEST_SEATS_CANDIDATES][HOLD_SEATS_MAX];
};

/* best_seats_find offers up to BEST_SEATS_CANDIDATES blocks of quantity (1..HOLD_SEATS_MAX)
 * free seats of section sec, whose seats are seats[0..n) (seat sec->first_seat_no first; a seat
 * is free when AVAILABLE at now_ms). Together: each block is adjacent in one row, runs of free
 * seats cut into blocks from their start, so no two blocks share a seat. Apart: the best seats
 * one by one make the first block; later blocks take the next best. out->n is 0 when the
 * section has not as many free seats (together). BO_E_INVALID_ARGUMENT for a bad quantity or a
 * map of another size than the section. */
__attribute__((warn_unused_result)) int best_seats_find(const struct section *sec,
                                                        const struct bo_seat_state *seats, size_t n,
                                                        size_t quantity, int together,
                                                        int64_t now_ms, struct best_seats *out);

/* best_seats_drop removes from b every block holding one of taken[0..n) (found taken by a
 * hold), keeping the others in order. */
void best_seats_drop(struct best_seats *b, const uint32_t *taken, size_t n);

#endif
