/*
 * br_push: the push listener's life cycle (see br_push.h): the libwebsockets
 * context, the event loop thread, the periodic work, start and stop.
 * Connections and their I/O are br_push_conn's; the bytes they send,
 * br_push_frame's; the listen address and public URL come from br_config.
 *
 * Threads: the loop thread runs every lws callback, owns the hub and every
 * connection; br_push_events' threads do the blocking work and hand results
 * back through br_push_events_take after waking the loop with
 * lws_cancel_service.
 */
#include "br_push.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"
#include "br_push_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* TouchTokens for the tokens of open connections this often (the service skips waiting
 * tokens nobody asked about for 60 s). */
#define BR_PUSH_TOUCH_MS 20000
/* Look for waiting tokens that heard nothing for BR_PUSH_QUIET_MS this often, and read again
 * at most a share of the connections each time (what spreads them over the quiet period, or
 * BR_PUSH_STALE_MIN): 10,000 connections opened together all fall quiet together, and read
 * again at once they were 10,000 GetTokens in one burst. */
#define BR_PUSH_STALE_EVERY_MS 1000
#define BR_PUSH_QUIET_MS       10000
#define BR_PUSH_STALE_MIN      256

/* ---- periodic work -------------------------------------------------------------------- */

static void br_push_touch_due(lws_sorted_usec_list_t *sul)
{
    struct br_push *p = lws_container_of(sul, struct br_push, touch_sul);
    char **texts = NULL;
    size_t n = 0;

    if (br_push_hub_tokens(p->hub, &texts, &n) == BO_OK) {
        br_push_events_touch(p->ev, texts, n);
    }
    BO_DEBUG("push: %zu connections (%zu let in), %zu tokens followed", p->nconns,
             br_push_caps_total(p->caps), n);
    lws_sul_schedule(p->ctx, 0, &p->touch_sul, br_push_touch_due,
                     (lws_usec_t)BR_PUSH_TOUCH_MS * LWS_US_PER_MS);
}

static void br_push_stale_due(lws_sorted_usec_list_t *sul)
{
    struct br_push *p = lws_container_of(sul, struct br_push, stale_sul);
    size_t max = p->nconns * BR_PUSH_STALE_EVERY_MS / BR_PUSH_QUIET_MS + 1;
    char **texts = NULL;
    size_t n = 0;

    if (max < BR_PUSH_STALE_MIN) {
        max = BR_PUSH_STALE_MIN;
    }
    if (br_push_hub_stale(p->hub, bo_time_mono_ms(), BR_PUSH_QUIET_MS, max, &texts, &n) == BO_OK) {
        br_push_events_recheck(p->ev, texts, n);
    }
    lws_sul_schedule(p->ctx, 0, &p->stale_sul, br_push_stale_due,
                     (lws_usec_t)BR_PUSH_STALE_EVERY_MS * LWS_US_PER_MS);
}

/* ---- life cycle ------------------------------------------------------------------- */

/* br_push_log sends lws's errors and warnings to our log. */
static void br_push_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        n--;
    }
    if (level & LLL_ERR) {
        BO_ERR("lws: %.*s", (int)n, line);
    } else {
        BO_WARN("lws: %.*s", (int)n, line);
    }
}

/* br_push_wake_loop is called by the push threads when results wait. */
static void br_push_wake_loop(void *arg)
{
    struct br_push *p = arg;
    lws_cancel_service(p->ctx);
}

static void *br_push_loop(void *arg)
{
    struct br_push *p = arg;

    while (!atomic_load(&p->stop)) {
        if (lws_service(p->ctx, 0) < 0) {
            BO_ERR("push: the event loop failed");
            break;
        }
    }
    return NULL;
}

/* br_push_nofile raises the open-files limit to its hard limit: every push connection is a
 * socket. */
static void br_push_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            BO_WARN("push: cannot raise the open-files limit to %llu",
                    (unsigned long long)rl.rlim_max);
        }
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 11000) {
        BO_WARN("push: the open-files limit is %llu: fewer push connections fit",
                (unsigned long long)rl.rlim_cur);
    }
}

int br_push_start(const struct br_config *cfg, struct br_push **out)
{
    struct lws_context_creation_info info;
    struct bo_hostport hp;
    struct br_push *p;
    int rc;

    *out = NULL;
    if (cfg->push_listen[0] == '\0') {
        BO_INFO("push is off (push-listen is empty)");
        return BO_OK;
    }
    if (br_config_push_addr(cfg, &hp) != BO_OK) {
        BO_ERR("push-listen %s cannot be read", cfg->push_listen);
        return BO_E_INVALID_ARGUMENT;
    }
    br_push_nofile();
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        return BO_E_NOMEM;
    }
    p->cfg = cfg;
    br_buf_init(&p->out);
    atomic_init(&p->stop, 0);
    if ((rc = br_push_hub_create(br_push_conn_wake, p, &p->hub)) != BO_OK ||
        (rc = br_push_caps_create(&p->caps)) != BO_OK) {
        br_push_stop(p);
        return rc;
    }

    lws_set_log_level(LLL_ERR | LLL_WARN, br_push_log);
    memset(&info, 0, sizeof(info));
    info.port = hp.port;
    info.iface = br_config_any_host(&hp) ? NULL : hp.host;
    info.protocols = br_push_conn_protocols;
    info.user = p;
    info.count_threads = 1;
    info.timeout_secs = 10;
    /* Header storage is taken per request and handed back at once: no fixed pool. */
    info.max_http_header_pool = 0;
    info.max_http_header_data = 4096;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (strcmp(hp.host, "0.0.0.0") == 0) {
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    }
    p->ctx = lws_create_context(&info);
    if (p->ctx == NULL) {
        BO_ERR("push: cannot listen on %s (address in use or invalid?)", cfg->push_listen);
        br_push_stop(p);
        return BO_E_UNAVAILABLE;
    }
    if ((rc = br_push_events_start(cfg, br_push_wake_loop, p, &p->ev)) != BO_OK) {
        p->ev = NULL;
        br_push_stop(p);
        return rc;
    }
    lws_sul_schedule(p->ctx, 0, &p->touch_sul, br_push_touch_due,
                     (lws_usec_t)BR_PUSH_TOUCH_MS * LWS_US_PER_MS);
    lws_sul_schedule(p->ctx, 0, &p->stale_sul, br_push_stale_due,
                     (lws_usec_t)BR_PUSH_STALE_EVERY_MS * LWS_US_PER_MS);
    br_push_conn_keepalives_start(p);
    if (pthread_create(&p->loop, NULL, br_push_loop, p) != 0) {
        BO_ERR("push: cannot start the event loop thread");
        br_push_stop(p);
        return BO_E_INTERNAL;
    }
    p->loop_started = 1;
    BO_INFO("push listening on http://%s (WebSocket and SSE at %s), events from %s, at most "
            "%lld connections (0: no cap)",
            cfg->push_listen, BR_PUSH_PATH, cfg->events_urls, (long long)cfg->push_max_connections);
    *out = p;
    return BO_OK;
}

void br_push_admission(void *p, const Boxoffice__V1__AdmissionEvent *e)
{
    br_push_events_admission(((struct br_push *)p)->ev, e);
}

void br_push_stop(struct br_push *p)
{
    if (p == NULL) {
        return;
    }
    atomic_store(&p->stop, 1);
    if (p->loop_started) {
        lws_cancel_service(p->ctx);
        pthread_join(p->loop, NULL);
    }
    /* The loop is gone: stop the workers (their wake-ups still find a live context), settle
     * the verifications they hand back, then let lws close and free every connection. */
    if (p->ev != NULL) {
        br_push_conn_results(p, br_push_events_stop(p->ev));
        p->ev = NULL;
    }
    if (p->ctx != NULL) {
        lws_sul_cancel(&p->touch_sul);
        lws_sul_cancel(&p->stale_sul);
        lws_context_destroy(p->ctx);
    }
    br_push_hub_destroy(p->hub);
    br_push_caps_destroy(p->caps);
    br_buf_fini(&p->out);
    free(p);
}
