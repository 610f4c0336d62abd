/* bridge_proc: the bridge as a child process (see bridge_proc.h). */
#include "bridge_proc.h"

#include "http_client.h"
#include "testenv.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void bridge_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int bridge_proc_start(struct bridge_proc *b, const char *rpc_urls, int request_timeout_ms,
                      const char *logdir)
{
    const char *bin = getenv("BOXOFFICE_BINARY_DIR");
    const char *src = getenv("BOXOFFICE_SOURCE_DIR");
    char exe[1024], listen[64], rpc[1200], timeout[64], web[1100];

    memset(b, 0, sizeof(*b));
    if (bin == NULL || src == NULL) {
        fprintf(stderr, "bridge_proc: BOXOFFICE_BINARY_DIR and BOXOFFICE_SOURCE_DIR must be set\n");
        return -1;
    }
    b->port = testenv_free_port();
    snprintf(exe, sizeof(exe), "%s/bridge/boxoffice-bridge", bin);
    snprintf(listen, sizeof(listen), "--listen=127.0.0.1:%d", b->port);
    snprintf(rpc, sizeof(rpc), "--rpc-urls=%s", rpc_urls);
    snprintf(timeout, sizeof(timeout), "--request-timeout-ms=%d", request_timeout_ms);
    snprintf(web, sizeof(web), "--web-root=%s/bridge/web", src);
    snprintf(b->log, sizeof(b->log), "%s/bridge-%d.log", logdir != NULL ? logdir : "/tmp", b->port);
    /* Push stays off unless the suite configured it (BOXOFFICE_PUSH_LISTEN), so a test bridge
     * never competes for the default push port with a running stack. */
    char *argv[] = {exe,
                    listen,
                    rpc,
                    timeout,
                    web,
                    "--threads=64",
                    getenv("BOXOFFICE_PUSH_LISTEN") == NULL ? "--push-listen=" : NULL,
                    NULL};

    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        int fd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(exe, argv);
        _exit(127);
    }
    b->pid = pid;
    for (int i = 0; i < 200; i++) {
        struct http_resp r;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "bridge_proc: %s exited at start (see %s)\n", exe, b->log);
            b->pid = 0;
            return -1;
        }
        if (http_request(b->port, "GET", "/healthz", NULL, NULL, 1000, &r) == 0) {
            int ok = r.status == 200;
            http_resp_free(&r);
            if (ok) {
                return 0;
            }
        }
        bridge_sleep_ms(50);
    }
    fprintf(stderr, "bridge_proc: no /healthz answer on port %d (see %s)\n", b->port, b->log);
    bridge_proc_stop(b);
    return -1;
}

int bridge_proc_stop(struct bridge_proc *b)
{
    int status = 0;

    if (b->pid <= 0) {
        return 0;
    }
    kill(b->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
            b->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        bridge_sleep_ms(50);
    }
    kill(b->pid, SIGKILL);
    waitpid(b->pid, &status, 0);
    b->pid = 0;
    return -1;
}
