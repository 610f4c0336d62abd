/*
 * test_plan_nngbench: the native bench writes its points to InfluxDB.
 *
 * Run by influx_roundtrip.py, which starts a private influxd and passes its URL in
 * BOXOFFICE_TEST_INFLUX_URL (and the run id in BOXOFFICE_TEST_RUN_ID); this suite starts
 * the throwaway PostgreSQL, Redis and one service instance, runs boxoffice-nngbench from
 * the build tree for two seconds of the tokens scenario with --influx (its users proven with
 * JWTs it mints with the instance's --jwt-secret), and checks it
 * exits 0. With BOXOFFICE_TEST_METRICS_OUT set it then saves the instance's /metrics
 * (served on --metrics-listen) to that file, so the script can check that the series the
 * dashboards name are the ones the service writes. The script then reads the points back
 * from influxd.
 */
#include "support.h"
#include "support_proc.h"
#include "testenv.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct testenv env;
static char metrics_listen[64]; /* host:port of the instance's GET /metrics */

static void suite_setup(void)
{
    char arg[96];
    const char *args[] = {arg, NULL};

    snprintf(metrics_listen, sizeof metrics_listen, "127.0.0.1:%d", testenv_free_port());
    snprintf(arg, sizeof arg, "--metrics-listen=%s", metrics_listen);
    testenv_up(&env, TESTENV_SEED, 1, args);
}

static void suite_teardown(void)
{
    testenv_stop(&env);
}

START_TEST(test_nngbench_writes_influx)
{
    const char *influx = getenv("BOXOFFICE_TEST_INFLUX_URL");
    const char *run_id = getenv("BOXOFFICE_TEST_RUN_ID");
    char bench[1024], rpc[sizeof env.rpc_urls + 16], key[sizeof env.admin_key + 16];
    char jwt[sizeof env.jwt_secret + 16];
    char influx_arg[512], run_arg[128];

    ck_assert_msg(influx != NULL && influx[0] != '\0',
                  "BOXOFFICE_TEST_INFLUX_URL is not set: run this through influx_roundtrip.py");
    ck_assert_msg(support_build_exe("bench/boxoffice-nngbench", bench, sizeof bench) == 0,
                  "%s is not built (bench/nngbench, target boxoffice-nngbench)", bench);
    snprintf(rpc, sizeof rpc, "--rpc-url=%s", env.rpc_urls);
    snprintf(key, sizeof key, "--admin-key=%s", env.admin_key);
    snprintf(jwt, sizeof jwt, "--jwt-secret=%s", env.jwt_secret);
    snprintf(influx_arg, sizeof influx_arg, "--influx=%s", influx);
    snprintf(run_arg, sizeof run_arg, "--run-id=%s", run_id != NULL ? run_id : "test");

    char *argv[] = {bench,
                    rpc,
                    key,
                    jwt,
                    "--scenario=tokens",
                    "--type=load",
                    "--quick",
                    "--duration=2",
                    influx_arg,
                    "--influx-db=boxoffice",
                    run_arg,
                    NULL};
    fprintf(stderr, "running:");
    for (int i = 0; argv[i] != NULL; i++) {
        fprintf(stderr, " %s",
                strncmp(argv[i], "--admin-key=", 12) == 0    ? "--admin-key=..."
                : strncmp(argv[i], "--jwt-secret=", 13) == 0 ? "--jwt-secret=..."
                                                             : argv[i]);
    }
    fprintf(stderr, "\n");
    int code = support_run(argv, NULL, 90 * 1000);
    ck_assert_msg(code != -1, "could not start %s", bench);
    ck_assert_msg(code == 0, "nngbench exited with %d (128 + n: signal n)", code);

    const char *out = getenv("BOXOFFICE_TEST_METRICS_OUT");
    if (out != NULL && out[0] != '\0') {
        char url[128];
        snprintf(url, sizeof url, "http://%s/metrics", metrics_listen);
        char *curl[] = {"/usr/bin/curl", "-fsS", "--max-time", "5", "-o", (char *)out, url, NULL};
        ck_assert_msg(support_run(curl, NULL, 10 * 1000) == 0,
                      "GET %s failed (service --metrics-listen)", url);
    }
}
END_TEST

int main(void)
{
    const TTest *tests[] = {test_nngbench_writes_influx, NULL};
    const struct support_case cases[] = {
        {"influx", tests, suite_setup, suite_teardown, NULL, NULL, 180}};

    return SUPPORT_RUN("plan_nngbench", cases, 0);
}
