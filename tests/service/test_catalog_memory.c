/*
 * test_catalog_memory: what every worker of a process remembers of the catalog. A date must
 * give back the concert it was kept with and nothing else (a wrong concert would let a token
 * of one concert act on another's date, or refuse a right one), an opening time is trusted
 * for its time to live only, and a slow read never puts back what a newer one replaced.
 */
#include "bo_error.h"
#include "catalog_memory.h"
#include "support.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>

START_TEST(a_kept_date_is_known_and_no_other)
{
    struct catalog_memory *m = NULL;
    uint64_t concert = 0, venue = 0;

    ck_assert_int_eq(catalog_memory_open(&m), BO_OK);
    ck_assert_int_eq(catalog_memory_date(m, 7, &concert, &venue), 0);
    catalog_memory_keep_date(m, 7, 3, 11);
    ck_assert_int_eq(catalog_memory_date(m, 7, &concert, &venue), 1);
    ck_assert_uint_eq(concert, 3);
    ck_assert_uint_eq(venue, 11);
    ck_assert_int_eq(catalog_memory_date(m, 8, &concert, &venue), 0);
    /* Another date of the same slot takes it: the first is read from the store again. */
    catalog_memory_keep_date(m, 7 + CATALOG_MEMORY_DATES, 4, 0);
    ck_assert_int_eq(catalog_memory_date(m, 7, &concert, &venue), 0);
    ck_assert_int_eq(catalog_memory_date(m, 7 + CATALOG_MEMORY_DATES, &concert, &venue), 1);
    ck_assert_uint_eq(concert, 4);
    ck_assert_uint_eq(venue, 0);
    catalog_memory_close(m);
}
END_TEST

START_TEST(an_opening_is_trusted_for_its_time_to_live)
{
    struct catalog_memory *m = NULL;
    int64_t opens = -1;

    ck_assert_int_eq(catalog_memory_open(&m), BO_OK);
    catalog_memory_keep_opens(m, 5, 1700000000000, 1000);
    ck_assert_int_eq(catalog_memory_opens(m, 5, 1000 + CATALOG_MEMORY_OPENS_TTL_MS - 1, &opens), 1);
    ck_assert_int_eq(opens, 1700000000000);
    ck_assert_int_eq(catalog_memory_opens(m, 5, 1000 + CATALOG_MEMORY_OPENS_TTL_MS, &opens), 0);
    ck_assert_int_eq(catalog_memory_opens(m, 5 + CATALOG_MEMORY_CONCERTS, 1000, &opens), 0);
    catalog_memory_close(m);
}
END_TEST

START_TEST(an_older_read_does_not_undo_a_newer_setting)
{
    struct catalog_memory *m = NULL;
    int64_t opens = -1;

    ck_assert_int_eq(catalog_memory_open(&m), BO_OK);
    /* A worker starts reading at 100; an admin sets "open now" at 150; the read ends after. */
    catalog_memory_keep_opens(m, 9, 0, 150);
    catalog_memory_keep_opens(m, 9, 1800000000000, 100);
    ck_assert_int_eq(catalog_memory_opens(m, 9, 160, &opens), 1);
    ck_assert_int_eq(opens, 0);
    /* A read started later replaces it. */
    catalog_memory_keep_opens(m, 9, 1900000000000, 200);
    ck_assert_int_eq(catalog_memory_opens(m, 9, 210, &opens), 1);
    ck_assert_int_eq(opens, 1900000000000);
    catalog_memory_close(m);
}
END_TEST

START_TEST(no_memory_knows_nothing)
{
    uint64_t concert = 0, venue = 0;
    int64_t opens = 0;

    catalog_memory_keep_date(NULL, 1, 2, 3);
    catalog_memory_keep_opens(NULL, 1, 2, 3);
    ck_assert_int_eq(catalog_memory_date(NULL, 1, &concert, &venue), 0);
    ck_assert_int_eq(catalog_memory_opens(NULL, 1, 3, &opens), 0);
    catalog_memory_close(NULL);
}
END_TEST

#define RACE_THREADS 4
#define RACE_ROUNDS  200000

/* race_worker keeps and reads dates of one slot whose concert and venue follow from the id: a
 * reader must never get one date's concert with another's venue or id. */
static void *race_worker(void *arg)
{
    struct catalog_memory *m = arg;
    intptr_t bad = 0;

    for (uint64_t i = 0; i < RACE_ROUNDS; i++) {
        uint64_t id = 1 + (i % 8) * CATALOG_MEMORY_DATES, concert = 0, venue = 0;
        catalog_memory_keep_date(m, id, id * 3, id * 5);
        uint64_t other = 1 + ((i + 3) % 8) * CATALOG_MEMORY_DATES;
        if (catalog_memory_date(m, other, &concert, &venue) &&
            (concert != other * 3 || venue != other * 5)) {
            bad++;
        }
    }
    return (void *)bad;
}

START_TEST(concurrent_workers_never_see_a_mixed_entry)
{
    struct catalog_memory *m = NULL;
    pthread_t t[RACE_THREADS];
    intptr_t bad = 0;

    ck_assert_int_eq(catalog_memory_open(&m), BO_OK);
    for (int i = 0; i < RACE_THREADS; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_worker, m), 0);
    }
    for (int i = 0; i < RACE_THREADS; i++) {
        void *r = NULL;
        ck_assert_int_eq(pthread_join(t[i], &r), 0);
        bad += (intptr_t)r;
    }
    ck_assert_int_eq(bad, 0);
    catalog_memory_close(m);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        a_kept_date_is_known_and_no_other,           an_opening_is_trusted_for_its_time_to_live,
        an_older_read_does_not_undo_a_newer_setting, no_memory_knows_nothing,
        concurrent_workers_never_see_a_mixed_entry,  NULL};

    return support_tests_run("catalog_memory", "core", tests);
}
