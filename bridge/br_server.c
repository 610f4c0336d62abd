/*
 * br_server: civetweb set-up and per-thread state (see br_server.h).
 *
 * Start-up order: client, seat-map memory (its events), civetweb (threads
 * open sessions lazily). Shut-down in reverse: mg_stop joins every worker
 * (each closing its session in exit_thread) before the memory and the client
 * close.
 */
#include "br_server.h"

#include "bo_error.h"
#include "bo_log.h"
#include "boxoffice/client.h"
#include "br_call.h"
#include "br_http.h"
#include "br_metrics.h"
#include "br_router.h"
#include "br_seatmaps.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct br_server {
    struct br_shared shared;
    struct mg_context *mg;
    int mg_library;
};

static int64_t br_server_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* br_server_begin_request answers the routes, leaving other paths to civetweb's file serving. */
static int br_server_begin_request(struct mg_connection *conn)
{
    static const char no_thread[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                                    "Cache-Control: no-store\r\n\r\n";
    const struct mg_request_info *ri = mg_get_request_info(conn);
    struct br_req r;
    int route;
    int status;

    if (ri == NULL || ri->local_uri == NULL || !br_router_owns(ri->local_uri)) {
        return 0;
    }
    memset(&r, 0, sizeof(r));
    r.conn = conn;
    r.ri = ri;
    r.t = mg_get_thread_pointer(conn);
    r.path = ri->local_uri;
    if (r.t == NULL) {
        mg_write(conn, no_thread, sizeof(no_thread) - 1);
        return 500;
    }
    int64_t start = br_server_mono_us();
    status = br_router_dispatch(&r, &route);
    br_http_end(&r);
    br_metrics_observe(route, status, br_server_mono_us() - start);
    return status;
}

/* br_server_init_thread gives each worker thread its state; other threads get none. */
static void *br_server_init_thread(const struct mg_context *ctx, int thread_type)
{
    struct br_server *s = mg_get_user_data(ctx);
    struct br_thread *t;

    if (thread_type != 1) {
        return NULL;
    }
    if ((t = calloc(1, sizeof(*t))) == NULL) {
        BO_ERR("out of memory starting a worker thread");
        return NULL;
    }
    t->shared = &s->shared;
    br_buf_init(&t->out);
    return t;
}

/* br_server_exit_thread closes the thread's session and frees its state. */
static void br_server_exit_thread(const struct mg_context *ctx, int thread_type, void *ptr)
{
    struct br_thread *t = ptr;

    if (t == NULL) {
        return;
    }
    br_call_thread_fini(t);
    br_buf_fini(&t->out);
    free(t->body);
    free(t);
}

static int br_server_log_message(const struct mg_connection *conn, const char *message)
{
    BO_WARN("civetweb: %s", message);
    return 1;
}

int br_server_start(const struct br_config *cfg, br_seatmaps_admission_fn admission,
                    void *admission_arg, struct br_server **out)
{
    struct mg_callbacks cb;
    struct br_server *s;
    struct stat st;
    char threads[24];
    char request_ms[24];
    char keep_ms[24];
    const char *options[32];
    int n = 0;
    int rc;

    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return BO_E_NOMEM;
    }
    s->shared.cfg = cfg;
    rc = bo_client_open(cfg->rpc_urls, (int)cfg->request_timeout_ms, &s->shared.client);
    if (rc != BO_OK) {
        BO_ERR("cannot dial the service at %s: %s", cfg->rpc_urls, bo_error_message(rc));
        s->shared.client = NULL;
        br_server_stop(s);
        return rc;
    }
    rc = br_seatmaps_open(cfg->events_urls, admission, admission_arg, &s->shared.seatmaps);
    if (rc != BO_OK) {
        BO_ERR("cannot follow the seat events at '%s': %s", cfg->events_urls, bo_error_message(rc));
        s->shared.seatmaps = NULL;
        br_server_stop(s);
        return rc;
    }
    snprintf(threads, sizeof(threads), "%lld", (long long)cfg->threads);
    snprintf(request_ms, sizeof(request_ms), "%lld", (long long)cfg->request_timeout_ms);
    snprintf(keep_ms, sizeof(keep_ms), "%lld", (long long)cfg->keep_alive_ms);
    options[n++] = "listening_ports";
    options[n++] = cfg->listen;
    options[n++] = "num_threads";
    options[n++] = threads;
    options[n++] = "tcp_nodelay";
    options[n++] = "1"; /* without it Nagle and delayed ACKs add 40 ms to every response */
    options[n++] = "enable_keep_alive";
    options[n++] = "yes";
    options[n++] = "keep_alive_timeout_ms";
    options[n++] = keep_ms;
    options[n++] = "request_timeout_ms";
    options[n++] = request_ms;
    options[n++] = "listen_backlog";
    options[n++] = "4096"; /* an opening rush connects all at once */
    options[n++] = "enable_directory_listing";
    options[n++] = "no";
    if (stat(cfg->web_root, &st) == 0 && S_ISDIR(st.st_mode)) {
        options[n++] = "document_root";
        options[n++] = cfg->web_root;
    } else {
        BO_WARN("web-root %s is not a folder: the page is not served", cfg->web_root);
    }
    options[n] = NULL;

    memset(&cb, 0, sizeof(cb));
    cb.begin_request = br_server_begin_request;
    cb.init_thread = br_server_init_thread;
    cb.exit_thread = br_server_exit_thread;
    cb.log_message = br_server_log_message;

    mg_init_library(0);
    s->mg_library = 1;
    s->mg = mg_start(&cb, s, options);
    if (s->mg == NULL) {
        BO_ERR("cannot start the HTTP server on %s (address in use or invalid?)", cfg->listen);
        br_server_stop(s);
        return BO_E_UNAVAILABLE;
    }
    BO_INFO("listening on http://%s with %lld threads, service at %s", cfg->listen,
            (long long)cfg->threads, cfg->rpc_urls);
    *out = s;
    return BO_OK;
}

void br_server_stop(struct br_server *s)
{
    if (s == NULL) {
        return;
    }
    if (s->mg != NULL) {
        mg_stop(s->mg);
    }
    if (s->mg_library) {
        mg_exit_library();
    }
    br_seatmaps_close(s->shared.seatmaps);
    bo_client_close(s->shared.client);
    free(s);
}
