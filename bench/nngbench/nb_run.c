/* nb_run: VU threads, the controller, progress and per-second points (see nb_run.h). */
#include "nb_run.h"

#include "nb_rpc.h"

#include "bo_error.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NB_VU_STACK  (256 * 1024)
#define NB_TICK_MS   50
#define NB_PARKED_MS 10

/* A VU thread's view: its VU, the shared context and the current target. */
struct nb_vu_thread {
    struct nb_vu *vu;
    struct nb_scenario_ctx *ctx;
    atomic_int *target;
    pthread_t thread;
    int started;
};

static void nb_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void nb_run_block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int nb_run_interrupted(void)
{
    sigset_t pending;

    return sigpending(&pending) == 0 &&
           (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1);
}

static void *nb_vu_main(void *arg)
{
    struct nb_vu_thread *t = arg;
    while (!atomic_load_explicit(&t->ctx->stop, memory_order_relaxed)) {
        if (t->vu->index >= atomic_load_explicit(t->target, memory_order_relaxed)) {
            nb_sleep_ms(NB_PARKED_MS); /* parked */
            continue;
        }
        nb_scenario_iterate(t->ctx, t->vu);
    }
    return NULL;
}

static int64_t nb_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sums every VU's counters into *out (the controller's snapshot). */
static void nb_collect(struct nb_vu *vus, int n, struct nb_totals *out)
{
    nb_totals_init(out);
    for (int i = 0; i < n; i++) {
        nb_totals_add(out, &vus[i].stats);
    }
}

static void nb_progress(double elapsed, int vus, const struct nb_totals *all,
                        const struct nb_totals *win, double win_seconds)
{
    fprintf(stderr, "[%5.1fs] vus=%-4d requests=%-9llu rate=%.0f/s p95=%.2fms failures=%llu\n",
            elapsed, vus, (unsigned long long)all->requests,
            win_seconds > 0 ? (double)win->requests / win_seconds : 0.0,
            nb_hist_plain_percentile(&win->hist, 95.0) / 1000.0, (unsigned long long)all->failures);
}

int nb_run(struct nb_scenario_ctx *ctx, const struct nb_plan *plan, struct nb_vu *vus,
           struct nb_async *async, struct nb_influx *influx, struct nb_result *out)
{
    int n = plan->vus_max, started = 0, vus_max = 0, rc = BO_OK;
    struct nb_vu_thread *threads = calloc((size_t)(n > 0 ? n : 1), sizeof(*threads));
    struct nb_totals *prev = malloc(sizeof(*prev));
    struct nb_totals *now = malloc(sizeof(*now));
    struct nb_totals *win = malloc(sizeof(*win));
    pthread_attr_t attr;
    atomic_int target;

    if (threads == NULL || prev == NULL || now == NULL || win == NULL) {
        free(threads);
        free(prev);
        free(now);
        free(win);
        return BO_E_NOMEM;
    }
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, NB_VU_STACK);
    atomic_init(&target, 0);
    atomic_store(&ctx->stop, 0);
    nb_totals_init(prev);

    uint64_t t0 = nb_now_us(), last = t0;
    for (;;) {
        double elapsed = (double)(nb_now_us() - t0) / 1e6;
        if (elapsed >= plan->total_seconds) {
            break;
        }
        if (nb_run_interrupted()) {
            fprintf(stderr, "nngbench: interrupted after %.1f s: stopping the VUs\n", elapsed);
            out->interrupted = 1;
            break;
        }
        int want = nb_plan_vus_at(plan, elapsed);
        if (want > n) {
            want = n;
        }
        atomic_store_explicit(&target, want, memory_order_relaxed);
        while (async != NULL && started < want) {
            nb_async_start(async, started++, &target);
        }
        while (started < want) {
            struct nb_vu_thread *t = &threads[started];
            t->vu = &vus[started];
            t->ctx = ctx;
            t->target = &target;
            if (pthread_create(&t->thread, &attr, nb_vu_main, t) != 0) {
                fprintf(stderr, "nngbench: could not start VU thread %d\n", started);
                rc = BO_E_NOMEM;
                break;
            }
            t->started = 1;
            started++;
        }
        if (rc != BO_OK) {
            break;
        }
        if (want > vus_max) {
            vus_max = want;
        }
        uint64_t tnow = nb_now_us();
        if (tnow - last >= 1000000) {
            double win_s = (double)(tnow - last) / 1e6;
            nb_collect(vus, started, now);
            nb_totals_diff(now, prev, win);
            nb_progress((double)(tnow - t0) / 1e6, want, now, win, win_s);
            if (influx != NULL) {
                nb_influx_write_second(influx, nb_wall_ms(), win, want);
            }
            struct nb_totals *swap = prev;
            prev = now;
            now = swap;
            last = tnow;
        }
        nb_sleep_ms(NB_TICK_MS);
    }
    atomic_store(&ctx->stop, 1);
    out->seconds = (double)(nb_now_us() - t0) / 1e6;
    if (async != NULL) {
        nb_async_wait(async);
    }
    for (int i = 0; i < started; i++) {
        if (threads[i].started) {
            pthread_join(threads[i].thread, NULL);
        }
    }
    pthread_attr_destroy(&attr);
    nb_collect(vus, started, &out->totals);
    if (influx != NULL) {
        nb_totals_diff(&out->totals, prev, win);
        nb_influx_write_second(influx, nb_wall_ms(), win, 0);
    }
    out->vus = plan->stages[plan->nstages - 1].target;
    out->vus_max = vus_max;
    free(threads);
    free(prev);
    free(now);
    free(win);
    return rc;
}
