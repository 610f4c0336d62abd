/* boxoffice-bridge: REST and the web page in front of the boxoffice service. */
#include "bo_error.h"
#include "bo_futex.h"
#include "bo_log.h"
#include "br_config.h"
#include "br_push.h"
#include "br_server.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

/* How often the main thread gives memory freed by the workers back to the system. */
#define BR_MAIN_TRIM_SECONDS 10

/* br_main_wait_stop waits for a stop signal (its number in *sig), giving free memory back every
 * BR_MAIN_TRIM_SECONDS meanwhile. A rush of big answers on 1,000 connections at once fills
 * glibc's per-thread arenas with hundreds of MB that are free again a moment later but stay
 * resident: glibc gives back only the top of an arena by itself; malloc_trim walks them all. */
static void br_main_wait_stop(const sigset_t *stop, int *sig)
{
    const struct timespec every = {.tv_sec = BR_MAIN_TRIM_SECONDS};

    for (;;) {
        int got = sigtimedwait(stop, NULL, &every);

        if (got > 0) {
            *sig = got;
            return;
        }
        if (errno == EAGAIN) {
            malloc_trim(0);
        }
    }
}

int main(int argc, char **argv)
{
    struct br_config cfg;
    struct br_server *server = NULL;
    struct br_push *push = NULL;
    char err[512];
    sigset_t stop;
    int exit_now = 0;
    int level = BO_LOG_INFO;
    int sig = 0;

    if (br_config_load(&cfg, argc, argv, &exit_now, err, sizeof(err)) != BO_OK) {
        fprintf(stderr, "boxoffice-bridge: %s\n", err);
        return 2;
    }
    if (exit_now) {
        return 0;
    }
    if (bo_log_level_parse(cfg.log_level, &level) != BO_OK) {
        level = BO_LOG_INFO;
    }
    bo_log_setup("bridge", level);
    br_config_log(&cfg);
    /* civetweb's workers, plus push, nng and the admission feed's few */
    bo_futex_hash_size((unsigned)cfg.threads + 64);

    /* Block the stop signals before any thread starts, so every thread inherits the mask and
     * only sigwait below receives them. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Push first: the server's event feed hands it the admission events (one subscription
     * for the whole bridge), and stops before it. */
    if (br_push_start(&cfg, &push) != BO_OK) {
        return 1;
    }
    if (br_server_start(&cfg, push != NULL ? br_push_admission : NULL, push, &server) != BO_OK) {
        br_push_stop(push);
        return 1;
    }
    br_main_wait_stop(&stop, &sig);
    BO_INFO("signal %d: stopping", sig);
    br_server_stop(server);
    br_push_stop(push);
    BO_INFO("stopped");
    return 0;
}
