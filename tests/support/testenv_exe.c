/*
 * testenv_exe: the suite of a program from the build tree (the CLI, the bench), run as a child
 * by its tests: a "local" case needing no servers and a "service" case against a seeded stack
 * with one service instance (see testenv.h).
 */
#include "testenv.h"

#include "support.h"

#include <check.h>
#include <signal.h>

/* The suite testenv_exe_main runs, for the fixtures (which take no argument). */
static const struct testenv_exe_suite *testenv_exe_running;

/* testenv_exe_find writes the program's path and fails the test unless it is executable. */
static void testenv_exe_find(void)
{
    const struct testenv_exe_suite *s = testenv_exe_running;
    int rc = support_build_exe(s->rel, s->path, s->path_size);

    ck_assert_msg(rc == 0, "%s is not executable", s->path);
}

static void testenv_exe_up(void)
{
    testenv_exe_find();
    testenv_up(testenv_exe_running->env, TESTENV_SEED, 1, NULL);
}

static void testenv_exe_down(void)
{
    testenv_stop(testenv_exe_running->env);
}

int testenv_exe_main(const struct testenv_exe_suite *suite)
{
    const struct support_case cases[] = {
        {"local", suite->local, testenv_exe_find, NULL, NULL, NULL, 0},
        {"service", suite->service, testenv_exe_up, testenv_exe_down, NULL, NULL,
         suite->service_timeout_s},
    };

    testenv_exe_running = suite;
    /* The children inherit the environment: nothing from the caller's shell may steer them. */
    support_env_scrub();
    signal(SIGPIPE, SIG_IGN);
    return SUPPORT_RUN(suite->name, cases, 0);
}
