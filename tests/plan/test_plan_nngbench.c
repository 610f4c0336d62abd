/*
 * test_plan_nngbench: the native bench writes its points to InfluxDB.
 *
 * Run by influx_roundtrip.py, which starts a private influxd and passes its URL in
 * BOXOFFICE_TEST_INFLUX_URL (and the run id in BOXOFFICE_TEST_RUN_ID); this suite starts
 * the throwaway PostgreSQL, Redis and one service instance, runs boxoffice-nngbench from
 * the build tree for two seconds of the tokens scenario with --influx, and checks it
 * exits 0. With BOXOFFICE_TEST_METRICS_OUT set it then saves the instance's /metrics
 * (served on --metrics-listen) to that file, so the script can check that the series the
 * dashboards name are the ones the service writes. The script then reads the points back
 * from influxd.
 */
#include "testenv.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct testenv env;
static char metrics_listen[64]; /* host:port of the instance's GET /metrics */

static void suite_setup(void)
{
    char arg[96];
    const char *args[] = {arg, NULL};

    snprintf(metrics_listen, sizeof metrics_listen, "127.0.0.1:%d", testenv_free_port());
    snprintf(arg, sizeof arg, "--metrics-listen=%s", metrics_listen);
    ck_assert_int_eq(testenv_start(&env, TESTENV_SEED), 0);
    ck_assert_int_eq(testenv_service_start(&env, 1, args), 0);
}

static void suite_teardown(void)
{
    testenv_stop(&env);
}

/* run_child runs argv[0] with argv, waiting at most timeout_s seconds (then kills it);
 * returns its wait status, or -1 when it could not be started. */
static int run_child(char *const argv[], int timeout_s)
{
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s) {
            fprintf(stderr, "%s still running after %d s: killing it\n", argv[0], timeout_s);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return status;
        }
        usleep(50 * 1000);
    }
}

START_TEST(test_nngbench_writes_influx)
{
    const char *influx = getenv("BOXOFFICE_TEST_INFLUX_URL");
    const char *run_id = getenv("BOXOFFICE_TEST_RUN_ID");
    const char *bin_dir = getenv("BOXOFFICE_BINARY_DIR");
    char bench[1024], rpc[sizeof env.rpc_urls + 16], key[sizeof env.admin_key + 16];
    char influx_arg[512], run_arg[128];
    struct stat st;

    ck_assert_msg(influx != NULL && influx[0] != '\0',
                  "BOXOFFICE_TEST_INFLUX_URL is not set: run this through influx_roundtrip.py");
    ck_assert_msg(bin_dir != NULL, "BOXOFFICE_BINARY_DIR is not set");
    snprintf(bench, sizeof bench, "%s/bench/boxoffice-nngbench", bin_dir);
    ck_assert_msg(stat(bench, &st) == 0 && (st.st_mode & S_IXUSR),
                  "%s is not built (bench/nngbench, target boxoffice-nngbench)", bench);
    snprintf(rpc, sizeof rpc, "--rpc-url=%s", env.rpc_urls);
    snprintf(key, sizeof key, "--admin-key=%s", env.admin_key);
    snprintf(influx_arg, sizeof influx_arg, "--influx=%s", influx);
    snprintf(run_arg, sizeof run_arg, "--run-id=%s", run_id != NULL ? run_id : "test");

    char *argv[] = {bench,
                    rpc,
                    key,
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
                strncmp(argv[i], "--admin-key=", 12) == 0 ? "--admin-key=..." : argv[i]);
    }
    fprintf(stderr, "\n");
    int status = run_child(argv, 90);
    ck_assert_msg(status != -1, "could not start %s", bench);
    ck_assert_msg(WIFEXITED(status), "nngbench did not exit normally (status 0x%x)",
                  (unsigned)status);
    ck_assert_msg(WEXITSTATUS(status) == 0, "nngbench exited with %d", WEXITSTATUS(status));

    const char *out = getenv("BOXOFFICE_TEST_METRICS_OUT");
    if (out != NULL && out[0] != '\0') {
        char url[128];
        snprintf(url, sizeof url, "http://%s/metrics", metrics_listen);
        char *curl[] = {"/usr/bin/curl", "-fsS", "--max-time", "5", "-o", (char *)out, url, NULL};
        status = run_child(curl, 10);
        ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "GET %s failed (service --metrics-listen)", url);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan_nngbench");
    TCase *tc = tcase_create("influx");
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_nngbench_writes_influx);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
