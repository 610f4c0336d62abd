/*
 * store_fixture: what the store suites share. One PostgreSQL and Redis per suite (testenv,
 * started in Check's parent by the unchecked fixture, seeded) and the store of the running
 * test (opened by the checked fixture), with the assertion on a store call's error code.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include "bo_error.h"
#include "store.h"
#include "testenv.h"

#include <check.h>

/* The suite's servers, and the store of the running test. */
extern struct testenv env;
extern struct store *db;

/* The unchecked fixture: starts and stops env. */
void store_fixture_suite_setup(void);
void store_fixture_suite_teardown(void);

/* The checked fixture: opens and closes db (fails the test when env did not start). */
void store_fixture_setup(void);
void store_fixture_teardown(void);

/* ASSERT_RC fails the test unless expr returns want, naming both. */
#define ASSERT_RC(expr, want)                                                                      \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        ck_assert_msg(rc_ == (want), "%s: got %s, want %s", #expr, bo_error_name(rc_),             \
                      bo_error_name(want));                                                        \
    } while (0)

/* sql_i64 runs a one-value query (printf format) and returns it as an integer. */
#define sql_i64(...) testenv_sql_i64(&env, __VA_ARGS__)

#endif
