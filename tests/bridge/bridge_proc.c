/* bridge_proc: the bridge as a child process (see bridge_proc.h). */
#include "bridge_proc.h"

#include "http_client.h"
#include "support.h"
#include "testenv.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BRIDGE_START_WAIT_MS 15000
#define BRIDGE_STOP_WAIT_MS  5000

/* bridge_healthy holds once the bridge answers GET /healthz with 200, or has exited. */
static int bridge_healthy(void *arg)
{
    struct bridge_proc *b = arg;
    struct http_resp r;
    int ok;

    if (!support_child_alive(&b->child)) {
        return 1;
    }
    if (http_request(b->port, "GET", "/healthz", NULL, NULL, 1000, &r) != 0) {
        return 0;
    }
    ok = r.status == 200;
    http_resp_free(&r);
    return ok;
}

int bridge_proc_start(struct bridge_proc *b, const char *rpc_urls, int request_timeout_ms,
                      const char *logdir)
{
    return bridge_proc_start_args(b, rpc_urls, request_timeout_ms, logdir, NULL);
}

int bridge_proc_start_args(struct bridge_proc *b, const char *rpc_urls, int request_timeout_ms,
                           const char *logdir, const char *const *extra_args)
{
    enum { BRIDGE_EXTRA_MAX = 8 };
    char exe[1024], listen[64], rpc[1200], timeout[64], web[1100];

    memset(b, 0, sizeof(*b));
    if (support_build_exe("bridge/boxoffice-bridge", exe, sizeof(exe)) != 0) {
        fprintf(stderr, "bridge_proc: %s is not built\n", exe);
        return -1;
    }
    b->port = testenv_free_port();
    snprintf(listen, sizeof(listen), "--listen=127.0.0.1:%d", b->port);
    snprintf(rpc, sizeof(rpc), "--rpc-urls=%s", rpc_urls);
    snprintf(timeout, sizeof(timeout), "--request-timeout-ms=%d", request_timeout_ms);
    snprintf(web, sizeof(web), "--web-root=%s/bridge/web", support_source_dir());
    snprintf(b->log, sizeof(b->log), "%s/bridge-%d.log", logdir != NULL ? logdir : "/tmp", b->port);
    unlink(b->log);
    /* Push stays off unless the suite configured it (BOXOFFICE_PUSH_LISTEN), so a test bridge
     * never competes for the default push port with a running stack; events likewise
     * (BOXOFFICE_EVENTS_URLS, or an --events-urls among extra_args), so it never follows a
     * running stack's seat events. */
    char *argv[10 + BRIDGE_EXTRA_MAX] = {exe, listen, rpc, timeout, web, "--threads=64"};
    size_t k = 6;
    if (getenv("BOXOFFICE_PUSH_LISTEN") == NULL) {
        argv[k++] = "--push-listen=";
    }
    if (getenv("BOXOFFICE_EVENTS_URLS") == NULL) {
        argv[k++] = "--events-urls=";
    }
    for (size_t e = 0; extra_args != NULL && extra_args[e] != NULL; e++) {
        if (e == BRIDGE_EXTRA_MAX) {
            fprintf(stderr, "bridge_proc: more than %d extra arguments\n", BRIDGE_EXTRA_MAX);
            return -1;
        }
        argv[k++] = (char *)extra_args[e];
    }
    argv[k] = NULL;
    struct support_spawn how = {.log = b->log};

    if (support_spawn(argv, &how, &b->child) != 0) {
        return -1;
    }
    b->pid = b->child.pid;
    if (support_wait_until(bridge_healthy, b, BRIDGE_START_WAIT_MS) != 0) {
        fprintf(stderr, "bridge_proc: no /healthz answer on port %d (see %s)\n", b->port, b->log);
        bridge_proc_stop(b);
        return -1;
    }
    if (!support_child_alive(&b->child)) {
        fprintf(stderr, "bridge_proc: %s exited at start (see %s)\n", exe, b->log);
        b->pid = 0;
        return -1;
    }
    return 0;
}

int bridge_proc_stop(struct bridge_proc *b)
{
    if (b->pid <= 0) {
        return 0;
    }
    b->pid = 0;
    return support_child_stop(&b->child, SIGTERM, BRIDGE_STOP_WAIT_MS);
}
