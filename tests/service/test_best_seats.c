/* Unit suite for best_seats: which free seats a best-available hold is offered, in which order,
 * together in one row or apart, and none when the section has not as many. */
#include "best_seats.h"
#include "bo_error.h"
#include "support.h"

#include <check.h>

#define NOW_MS 1800000000000LL

/* Section A: 3 rows of 6 seats, seats 1..18; seat 1 is row 1 (nearest the stage), number 1. */
static const struct section A = {"A", 3, 6, 1000, 1, 18};

static void all_free(struct bo_seat_state seats[18])
{
    for (uint32_t i = 0; i < 18; i++) {
        seats[i] =
            (struct bo_seat_state){.seat_no = i + 1, .status = BO_SEAT_AVAILABLE, .price = 1000};
    }
}

static void take(struct bo_seat_state seats[18], uint32_t seat_no, int status)
{
    seats[seat_no - 1].status = status;
    seats[seat_no - 1].reservation_id = seat_no;
    seats[seat_no - 1].held_until_ms = status == BO_SEAT_HELD ? NOW_MS + 60000 : 0;
}

START_TEST(together_nearest_the_stage_then_the_middle)
{
    struct bo_seat_state seats[18];
    struct best_seats b;

    all_free(seats);
    take(seats, 3, BO_SEAT_HELD);
    ck_assert_int_eq(best_seats_find(&A, seats, 18, 2, 1, NOW_MS, &b), BO_OK);
    /* Row 1: 1-2 and 4-5 are free pairs (3 is held); 4-5 is nearer the middle. */
    ck_assert_uint_ge(b.n, 3);
    ck_assert_uint_eq(b.seat_nos[0][0], 4);
    ck_assert_uint_eq(b.seat_nos[0][1], 5);
    ck_assert_uint_eq(b.seat_nos[1][0], 1);
    ck_assert_uint_eq(b.seat_nos[1][1], 2);
    /* Then row 2, its middle pair first. */
    ck_assert_uint_eq(b.seat_nos[2][0], 9);
    ck_assert_uint_eq(b.seat_nos[2][1], 10);
    /* No two candidates share a seat. */
    for (size_t i = 0; i < b.n; i++) {
        for (size_t j = 0; j < i; j++) {
            ck_assert(b.seat_nos[i][0] != b.seat_nos[j][0] &&
                      b.seat_nos[i][0] != b.seat_nos[j][1] && b.seat_nos[i][1] != b.seat_nos[j][0]);
        }
    }
}
END_TEST

START_TEST(a_lapsed_hold_is_free_and_a_sold_seat_is_not)
{
    struct bo_seat_state seats[18];
    struct best_seats b;

    all_free(seats);
    for (uint32_t s = 1; s <= 18; s++) {
        take(seats, s, BO_SEAT_SOLD);
    }
    take(seats, 16, BO_SEAT_HELD);
    seats[15].held_until_ms = NOW_MS - 1; /* lapsed: free again */
    seats[16] = (struct bo_seat_state){.seat_no = 17, .status = BO_SEAT_AVAILABLE};
    ck_assert_int_eq(best_seats_find(&A, seats, 18, 2, 1, NOW_MS, &b), BO_OK);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_uint_eq(b.seat_nos[0][0], 16);
    ck_assert_uint_eq(b.seat_nos[0][1], 17);
    ck_assert_int_eq(best_seats_find(&A, seats, 18, 3, 1, NOW_MS, &b), BO_OK);
    ck_assert_uint_eq(b.n, 0); /* not as many together: NOT_ENOUGH_SEATS */
}
END_TEST

START_TEST(apart_takes_the_best_seats_one_by_one)
{
    struct bo_seat_state seats[18];
    struct best_seats b;

    all_free(seats);
    take(seats, 3, BO_SEAT_SOLD);
    ck_assert_int_eq(best_seats_find(&A, seats, 18, 3, 0, NOW_MS, &b), BO_OK);
    ck_assert_uint_ge(b.n, 1);
    /* Row 1 by distance from the middle: 4, then 2 and 5, lowest seat first in the block. */
    ck_assert_uint_eq(b.seat_nos[0][0], 2);
    ck_assert_uint_eq(b.seat_nos[0][1], 4);
    ck_assert_uint_eq(b.seat_nos[0][2], 5);
    ck_assert_int_eq(best_seats_find(&A, seats, 18, 0, 0, NOW_MS, &b), BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(best_seats_find(&A, seats, 17, 2, 0, NOW_MS, &b), BO_E_INVALID_ARGUMENT);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {together_nearest_the_stage_then_the_middle,
                            a_lapsed_hold_is_free_and_a_sold_seat_is_not,
                            apart_takes_the_best_seats_one_by_one, NULL};
    const struct support_case cases[] = {{"best_seats", tests, NULL, NULL, NULL, NULL, 30}};

    return SUPPORT_RUN("best_seats", cases, 0);
}
