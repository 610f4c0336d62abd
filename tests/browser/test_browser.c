/*
 * test_browser: the waiting-room page (bridge/web) end to end in headless Chromium.
 *
 * The fixture starts a throwaway stack: PostgreSQL, Redis and one service instance (seeded,
 * from tests/support), and a bridge serving the page from the source tree with its push
 * listener on a free port, dialling the instance's admission events. Admission is set to
 * one active user at a time. The test then runs tests/browser/flow.mjs with node
 * (playwright-core driving /usr/bin/chromium; see that file for the steps: sign-in as demo
 * users, a wrong password, sign-up, the whole purchase, a sale that opens later, leaving the
 * line, signing out, a session refused mid-flow; then, in arena.mjs, the seed's arena: sections
 * with their availability, a section's grid, several seats held, paid and refunded, a seat taken
 * meanwhile, best available on a phone) and expects exit 0. Screenshots of every step land in
 * <build>/tests/browser/screenshots.
 *
 * playwright-core is installed into <build>/tests/browser by tests/support/npm_ci.sh (npm ci
 * from the committed package-lock.json) when it is missing or the lock changed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge_proc.h"
#include "http_client.h"
#include "support.h"
#include "support_proc.h"
#include "testenv.h"

#define FLOW_TIMEOUT_S 230 /* flow.mjs gives up by itself after 210 s */

static struct testenv env;
static struct bridge_proc bridge;
static int env_ok;
static char src_dir[1024];
static char bin_dir[1024];
static char work_dir[1100]; /* <build>/tests/browser: node_modules, screenshots, logs */

/* run_wait runs argv (looked up on PATH; with envp added to the environment, NULL-terminated,
 * may be NULL) in a process group of its own, waits up to timeout_s, then stops the whole group
 * (SIGTERM, then SIGKILL) so nothing it started outlives it. Returns the exit status,
 * 128 + signal, or -1. */
static int run_wait(char *const argv[], char *const envp[], int timeout_s)
{
    struct support_spawn how = {.search_path = 1, .env = envp};
    return support_run(argv, &how, (long)timeout_s * 1000);
}

/* ---- fixture ------------------------------------------------------------------ */

static void stack_start(void)
{
    static char push_env[96], events_env[200];
    char hdr[256];
    struct http_resp r;

    env_ok = 0;
    if (testenv_start(&env, TESTENV_SEED) != 0 || testenv_service_start(&env, 1, NULL) != 0) {
        return;
    }
    /* bridge_proc passes the common flags; the push options reach the bridge through its
     * BOXOFFICE_* environment, which the child inherits. */
    snprintf(push_env, sizeof(push_env), "BOXOFFICE_PUSH_LISTEN=127.0.0.1:%d", testenv_free_port());
    snprintf(events_env, sizeof(events_env), "BOXOFFICE_EVENTS_URLS=%s", env.events_url[0]);
    putenv(push_env);
    putenv(events_env);
    if (bridge_proc_start(&bridge, env.rpc_urls, 5000, work_dir) != 0) {
        return;
    }
    snprintf(hdr, sizeof(hdr), "Admin-Key: %s\r\nContent-Type: application/json\r\n",
             env.admin_key);
    if (http_request(bridge.port, "PUT", "/api/v1/admin/admission", hdr,
                     "{\"maxActive\":1,\"ratePerSecond\":100}", 10000, &r) != 0) {
        fprintf(stderr, "test_browser: PUT /api/v1/admin/admission: no answer\n");
        return;
    }
    if (r.status != 200) {
        fprintf(stderr, "test_browser: PUT /api/v1/admin/admission: %d %s\n", r.status, r.body);
        http_resp_free(&r);
        return;
    }
    http_resp_free(&r);
    env_ok = 1;
}

static void stack_stop(void)
{
    int rc = bridge_proc_stop(&bridge);
    if (rc != 0) {
        fprintf(stderr, "test_browser: the bridge did not stop cleanly (%d), log %s\n", rc,
                bridge.log);
    }
    testenv_stop(&env);
}

/* ---- the test ----------------------------------------------------------------- */

START_TEST(test_page_flow)
{
    char flow[1200], base[64], shots[1200];
    char base_env[96], shots_env[1250], node_env[1150], admin_env[128];

    ck_assert_msg(env_ok, "the test stack did not start (see stderr; bridge log %s)", bridge.log);
    snprintf(flow, sizeof(flow), "%s/tests/browser/flow.mjs", src_dir);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", bridge.port);
    snprintf(shots, sizeof(shots), "%s/screenshots", work_dir);
    snprintf(base_env, sizeof(base_env), "BASE_URL=%s", base);
    snprintf(shots_env, sizeof(shots_env), "SCREENSHOT_DIR=%s", shots);
    snprintf(node_env, sizeof(node_env), "BROWSER_NODE_DIR=%s", work_dir);
    snprintf(admin_env, sizeof(admin_env), "ADMIN_KEY=%s", env.admin_key);
    char *argv[] = {"node", flow, NULL};
    char *envp[] = {base_env, shots_env, node_env, admin_env, NULL};

    fprintf(stderr, "test_browser: node %s against %s (screenshots in %s)\n", flow, base, shots);
    int rc = run_wait(argv, envp, FLOW_TIMEOUT_S);
    ck_assert_msg(rc == 0,
                  "flow.mjs failed (exit %d): see its output above, the screenshots in %s "
                  "and the bridge log %s",
                  rc, shots, bridge.log);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {test_page_flow, NULL};
    const struct support_case cases[] = {
        {"page", tests, stack_start, stack_stop, NULL, NULL, FLOW_TIMEOUT_S + 30}};
    const char *src = getenv("BOXOFFICE_SOURCE_DIR");
    const char *bin = getenv("BOXOFFICE_BINARY_DIR");

    if (src == NULL || bin == NULL) {
        fprintf(stderr, "test_browser: BOXOFFICE_SOURCE_DIR and BOXOFFICE_BINARY_DIR must be set "
                        "(ctest sets them)\n");
        return EXIT_FAILURE;
    }
    snprintf(src_dir, sizeof(src_dir), "%s", src);
    snprintf(bin_dir, sizeof(bin_dir), "%s", bin);
    snprintf(work_dir, sizeof(work_dir), "%s/tests/browser", bin_dir);
    mkdir(work_dir, 0755);

    if (access("/usr/bin/chromium", X_OK) != 0 && getenv("CHROMIUM") == NULL) {
        fprintf(stderr, "test_browser: /usr/bin/chromium is missing (apt-get install chromium)\n");
        return EXIT_FAILURE;
    }
    char npm_script[1200];
    char pkg_dir[1100];
    snprintf(npm_script, sizeof(npm_script), "%s/tests/support/npm_ci.sh", src_dir);
    snprintf(pkg_dir, sizeof(pkg_dir), "%s/tests/browser", src_dir);
    char *npm_argv[] = {"bash",  npm_script, "browser npm_ci",
                        pkg_dir, work_dir,   "node_modules/playwright-core/package.json",
                        NULL};
    if (run_wait(npm_argv, NULL, 300) != 0) {
        fprintf(stderr, "test_browser: installing playwright-core failed\n");
        return EXIT_FAILURE;
    }
    return SUPPORT_RUN("browser", cases, 0);
}
