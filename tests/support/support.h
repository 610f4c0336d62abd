/*
 * support: what every Check suite shares beside the servers of testenv: the clock, waiting on
 * a condition with a deadline, threads run at once, table tests, and running a suite from a
 * table of test cases.
 *
 * The rule the suites follow: wait on conditions, never on fixed sleeps. support_wait_until
 * polls a condition (a few ms at first, backing off to 100 ms) until it holds or its deadline
 * passes; support_sleep_ms is only for time that is itself the thing tested ("let a hold
 * expire", "send a byte every N ms").
 */
#ifndef SUPPORT_H
#define SUPPORT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* ---- time ----------------------------------------------------------------------------- */

/* support_now_ms returns the monotonic clock in milliseconds. */
int64_t support_now_ms(void);

/* support_sleep_ms sleeps ms milliseconds, through signals; see the top for when it is right. */
void support_sleep_ms(long ms);

/* ---- waiting on a condition ------------------------------------------------------------ */

/* A condition: nonzero when it holds. It may fail the test with a ck_assert. */
typedef int (*support_cond_fn)(void *arg);

/* support_wait_until calls cond(arg) until it holds and returns 0, or returns -1 once timeout_ms
 * passed (cond was tried once more at the deadline). */
int support_wait_until(support_cond_fn cond, void *arg, long timeout_ms);

/* SUPPORT_WAIT waits like support_wait_until and fails the test with the printf-style message
 * when the deadline passes. */
#define SUPPORT_WAIT(cond, arg, timeout_ms, ...)                                                   \
    ck_assert_msg(support_wait_until((cond), (arg), (timeout_ms)) == 0, __VA_ARGS__)

/* ---- threads ---------------------------------------------------------------------------- */

/* support_threads_run runs fn on each of the n records of size bytes at args, all at once (at
 * most 256), and returns once every one has returned; fails the test when one cannot start. */
void support_threads_run(void *(*fn)(void *), void *args, size_t size, int n);

/* ---- table tests ------------------------------------------------------------------------ */

/* SUPPORT_TABLE_TEST defines the Check test name, which calls check(&table[i]) for every row i
 * in order; the check names its row in its failure messages. */
#define SUPPORT_TABLE_TEST(name, table, check)                                                     \
    START_TEST(name)                                                                               \
    {                                                                                              \
        for (size_t row_ = 0; row_ < sizeof(table) / sizeof((table)[0]); row_++) {                 \
            check(&(table)[row_]);                                                                 \
        }                                                                                          \
    }                                                                                              \
    END_TEST

/* ---- suites ----------------------------------------------------------------------------- */

/* One test case of a suite: a row of support_suite_run's table. */
struct support_case {
    const char *name;
    const TTest *const *tests;      /* NULL-terminated, in running order */
    SFun setup, teardown;           /* unchecked fixture, once per case; may be NULL */
    SFun each_setup, each_teardown; /* checked fixture, around every test; may be NULL */
    int timeout_s;                  /* per test; 0 keeps Check's default */
};

enum support_run_flags {
    SUPPORT_NOFORK = 1 << 0,  /* run the tests in this process (CK_NOFORK) */
    SUPPORT_VERBOSE = 1 << 1, /* name every test as it passes (CK_VERBOSE) */
};

/* support_suite_run builds suite name from cases[0..n) and runs it; returns EXIT_SUCCESS when
 * every test passed, else EXIT_FAILURE (a suite's exit code). */
int support_suite_run(const char *name, const struct support_case *cases, size_t n, int flags);

/* SUPPORT_RUN is support_suite_run over a whole array of cases. */
#define SUPPORT_RUN(name, cases, flags)                                                            \
    support_suite_run((name), (cases), sizeof(cases) / sizeof((cases)[0]), (flags))

/* support_tests_run runs suite name of one case, tcase, holding tests (NULL-terminated) with
 * no fixture: the suite of a pure module. Returns as support_suite_run. */
int support_tests_run(const char *name, const char *tcase, const TTest *const *tests);

/* ---- environment ------------------------------------------------------------------------- */

/* support_source_dir returns the source tree: BOXOFFICE_SOURCE_DIR, else the one this was built
 * from. */
const char *support_source_dir(void);

/* support_binary_dir returns the build tree: BOXOFFICE_BINARY_DIR, else the one this was built
 * in. */
const char *support_binary_dir(void);

/* support_build_exe writes the path of rel (e.g. "clients/boxoffice-cli") in the build tree
 * into out; returns 0 when it is executable, -1 when not (built yet?). */
int support_build_exe(const char *rel, char *out, size_t outlen);

/* support_env_scrub unsets every BOXOFFICE_* variable except BOXOFFICE_SOURCE_DIR,
 * BOXOFFICE_BINARY_DIR and BOXOFFICE_TEST_*, so nothing from the caller's shell steers the
 * children a suite starts. */
void support_env_scrub(void);

/* support_url_port returns the port of an address such as tcp://127.0.0.1:5555 or
 * 127.0.0.1:8080, or -1 when it names none. */
int support_url_port(const char *url);

#endif
