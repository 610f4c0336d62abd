/*
 * table_test: one Check test per table of cases, for the bridge's unit suites.
 *
 * A table test runs a check function on every row, in order; the check names
 * its row in its failure messages.
 */
#ifndef TABLE_TEST_H
#define TABLE_TEST_H

#include <check.h>
#include <stddef.h>

/* TABLE_TEST defines the Check test name, which calls check(&table[i]) for every row i. */
#define TABLE_TEST(name, table, check)                                                             \
    START_TEST(name)                                                                               \
    {                                                                                              \
        for (size_t row_ = 0; row_ < sizeof(table) / sizeof((table)[0]); row_++) {                 \
            check(&(table)[row_]);                                                                 \
        }                                                                                          \
    }                                                                                              \
    END_TEST

#endif
