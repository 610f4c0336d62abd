/*
 * nb_venue: the scenarios on venues (issue 11).
 *
 * Both make, with the admin key, a venue of their own like the seed's arena: sections A..J of
 * 20 rows x 100 seats (20,000 seats a date; A-B 150,000, C-F 120,000, G-J 90,000), so a run
 * never depends on what earlier runs sold. Without the admin key they use the seed's arena
 * (concert 4, dates 16 and 17).
 *
 * bigmap: ListSeats of one section (--section, default A: 2,000 seats; --compact: one letter
 *         a seat) of one date on that venue, with the VU's own ACTIVE token (set-up: a
 *         concert with that one date, a token per VU, users 1..N, all ACTIVE), like seats.
 * arena:  the flow with best available: IssueToken (fresh user) -> GetToken until ACTIVE ->
 *         ListSchedules -> ListSections -> HoldSeat of the best 2 together in a random
 *         section with seats left (SEAT_TAKEN: the race for that block was lost, tried again;
 *         NOT_ENOUGH_SEATS: another section, then another date) -> ChargePoints -> Pay.
 *         Set-up makes --arena-dates dates (0: sized from the plan, its VUs at 100
 *         purchases/s each, at most 2,000/s in all, x 2 seats x 1.5, so it never sells out)
 *         on concerts of 40 dates; after the run the seats seen SOLD must be 2 x the payments.
 */
#ifndef NB_VENUE_H
#define NB_VENUE_H

#include "nb_scenario.h"

/* nb_venue_setup_bigmap prepares bigmap over s (see the top): the venue, its date, a token per
 * VU of vus[0..nvus), all ACTIVE; says on stderr what failed. */
__attribute__((warn_unused_result)) int nb_venue_setup_bigmap(struct nb_scenario_ctx *ctx,
                                                              struct bo_session *s,
                                                              struct nb_vu *vus, int nvus);

/* nb_venue_setup_arena prepares arena over s (see the top): the venue and the dates the plan
 * needs; says on stderr what failed. */
__attribute__((warn_unused_result)) int nb_venue_setup_arena(struct nb_scenario_ctx *ctx,
                                                             struct bo_session *s);

/* nb_venue_iterate_bigmap makes one lookup of the section as vu. */
void nb_venue_iterate_bigmap(struct nb_scenario_ctx *ctx, struct nb_vu *vu);

/*
 * nb_venue_hold_best is arena's hold (nb_scenario.c makes the rest of the purchase): on one of
 * concert's dates with seats left, the best 2 seats together in a random section with seats
 * left, with token as vu; after SEAT_TAKEN the same section again, after NOT_ENOUGH_SEATS
 * another section or date, 8 holds at most. Sets *reservation and *price (the total); returns
 * BO_OK, BO_E_NOT_FOUND when nothing is left, BO_E_TIMEOUT when the run ended first, or the code
 * of a call that failed.
 */
__attribute__((warn_unused_result)) int nb_venue_hold_best(struct nb_scenario_ctx *ctx,
                                                           struct nb_vu *vu, uint64_t concert,
                                                           const char *token, uint64_t *reservation,
                                                           int64_t *price);

/* nb_venue_count_date adds the SOLD, HELD and AVAILABLE seats of venue date schedule to out,
 * a section at a time (compact maps), with the ACTIVE token over s (unmeasured). */
__attribute__((warn_unused_result)) int nb_venue_count_date(struct bo_session *s, const char *token,
                                                            uint64_t schedule,
                                                            struct nb_flow_check *out);

#endif
