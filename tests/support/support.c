/* support: clock, condition waits, threads and the suite runner shared by every suite (see
 * support.h). */
#include "support.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The most threads support_threads_run starts. */
#define SUPPORT_THREADS_MAX 256

/* The first pause between two tries of a condition, and the longest. */
#define SUPPORT_POLL_FIRST_MS 2
#define SUPPORT_POLL_MAX_MS   100

/* Where the suites find the trees when ctest did not say (running a suite by hand). */
#ifndef SUPPORT_DEFAULT_SOURCE_DIR
#define SUPPORT_DEFAULT_SOURCE_DIR "."
#endif
#ifndef SUPPORT_DEFAULT_BINARY_DIR
#define SUPPORT_DEFAULT_BINARY_DIR "."
#endif

extern char **environ;

int64_t support_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void support_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int support_wait_until(support_cond_fn cond, void *arg, long timeout_ms)
{
    int64_t deadline = support_now_ms() + timeout_ms;
    long pause = SUPPORT_POLL_FIRST_MS;

    for (;;) {
        if (cond(arg)) {
            return 0;
        }
        int64_t left = deadline - support_now_ms();
        if (left <= 0) {
            return cond(arg) ? 0 : -1;
        }
        support_sleep_ms(pause < left ? pause : (long)left);
        pause = pause * 2 < SUPPORT_POLL_MAX_MS ? pause * 2 : SUPPORT_POLL_MAX_MS;
    }
}

void support_threads_run(void *(*fn)(void *), void *args, size_t size, int n)
{
    pthread_t threads[SUPPORT_THREADS_MAX];

    ck_assert_int_le(n, SUPPORT_THREADS_MAX);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(pthread_create(&threads[i], NULL, fn, (char *)args + (size_t)i * size), 0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
    }
}

int support_suite_run(const char *name, const struct support_case *cases, size_t n, int flags)
{
    Suite *s = suite_create(name);
    SRunner *sr;
    int failed;

    for (size_t i = 0; i < n; i++) {
        const struct support_case *c = &cases[i];
        TCase *tc = tcase_create(c->name);
        if (c->setup != NULL || c->teardown != NULL) {
            tcase_add_unchecked_fixture(tc, c->setup, c->teardown);
        }
        if (c->each_setup != NULL || c->each_teardown != NULL) {
            tcase_add_checked_fixture(tc, c->each_setup, c->each_teardown);
        }
        if (c->timeout_s > 0) {
            tcase_set_timeout(tc, c->timeout_s);
        }
        for (size_t t = 0; c->tests[t] != NULL; t++) {
            tcase_add_test(tc, c->tests[t]);
        }
        suite_add_tcase(s, tc);
    }
    sr = srunner_create(s);
    if (flags & SUPPORT_NOFORK) {
        srunner_set_fork_status(sr, CK_NOFORK);
    }
    srunner_run_all(sr, (flags & SUPPORT_VERBOSE) ? CK_VERBOSE : CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int support_tests_run(const char *name, const char *tcase, const TTest *const *tests)
{
    const struct support_case one = {tcase, tests, NULL, NULL, NULL, NULL, 0};

    return support_suite_run(name, &one, 1, 0);
}

const char *support_source_dir(void)
{
    const char *d = getenv("BOXOFFICE_SOURCE_DIR");
    return d != NULL && d[0] != '\0' ? d : SUPPORT_DEFAULT_SOURCE_DIR;
}

const char *support_binary_dir(void)
{
    const char *d = getenv("BOXOFFICE_BINARY_DIR");
    return d != NULL && d[0] != '\0' ? d : SUPPORT_DEFAULT_BINARY_DIR;
}

int support_build_exe(const char *rel, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", support_binary_dir(), rel);
    return access(out, X_OK) == 0 ? 0 : -1;
}

/* support_env_keep tells whether the BOXOFFICE_* variable in entry ("NAME=value") stays. */
static int support_env_keep(const char *entry)
{
    static const char *const keep[] = {
        "BOXOFFICE_SOURCE_DIR=", "BOXOFFICE_BINARY_DIR=", "BOXOFFICE_TEST_"};

    if (strncmp(entry, "BOXOFFICE_", 10) != 0) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        if (strncmp(entry, keep[i], strlen(keep[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

void support_env_scrub(void)
{
    char name[256];

    /* unsetenv moves environ's entries: start again after each one. */
    for (size_t i = 0; environ[i] != NULL;) {
        const char *eq = strchr(environ[i], '=');
        size_t len = eq != NULL ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        if (support_env_keep(environ[i]) || len >= sizeof(name)) {
            i++;
            continue;
        }
        memcpy(name, environ[i], len);
        name[len] = '\0';
        unsetenv(name);
        i = 0;
    }
}

int support_url_port(const char *url)
{
    const char *colon = strrchr(url, ':');
    char *end = NULL;
    long port;

    if (colon == NULL) {
        return -1;
    }
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end != '\0' && *end != '/') || port <= 0 || port > 65535) {
        return -1;
    }
    return (int)port;
}
