/* store_fixture: the servers and the store the store suites share (see store_fixture.h). */
#include "store_fixture.h"

struct testenv env;
struct store *db;

static int env_up;

void store_fixture_suite_setup(void)
{
    env_up = testenv_start(&env, TESTENV_SEED) == 0;
}

void store_fixture_suite_teardown(void)
{
    testenv_stop(&env);
}

void store_fixture_setup(void)
{
    ck_assert_msg(env_up, "testenv did not start (see stderr)");
    ASSERT_RC(store_open(env.database_url, &db), BO_OK);
}

void store_fixture_teardown(void)
{
    store_close(db);
    db = NULL;
}
