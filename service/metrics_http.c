/* metrics_http: the /metrics endpoint over nng's HTTP server (see metrics_http.h). */
#include "metrics_http.h"

#include "bo_error.h"
#include "bo_log.h"
#include "metrics.h"

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <stdio.h>
#include <stdlib.h>

struct metrics_http {
    nng_http_server *server;
    int started;
};

/* Runs on an nng thread: rendering only reads atomics, so it never blocks. */
static void metrics_http_serve(nng_aio *aio)
{
    nng_http_res *res = NULL;
    char *text = NULL;
    size_t len = 0;

    if (metrics_render(&text, &len) != BO_OK || nng_http_res_alloc(&res) != 0 ||
        nng_http_res_set_header(res, "Content-Type", "text/plain; version=0.0.4") != 0 ||
        nng_http_res_copy_data(res, text, len) != 0) {
        free(text);
        if (res != NULL) {
            nng_http_res_free(res);
        }
        nng_aio_finish(aio, NNG_ENOMEM);
        return;
    }
    free(text);
    nng_aio_set_output(aio, 0, res);
    nng_aio_finish(aio, 0);
}

int metrics_http_start(const char *listen, struct metrics_http **out)
{
    struct metrics_http *m;
    nng_http_handler *h = NULL;
    nng_url *url = NULL;
    char text[300];
    int rv;

    if ((m = calloc(1, sizeof(*m))) == NULL) {
        return BO_E_NOMEM;
    }
    snprintf(text, sizeof(text), "http://%s", listen);
    if ((rv = nng_url_parse(&url, text)) != 0 ||
        (rv = nng_http_server_hold(&m->server, url)) != 0) {
        BO_ERR("metrics: bad listen address %s: %s", listen, nng_strerror(rv));
        nng_url_free(url);
        free(m);
        return BO_E_INVALID_ARGUMENT;
    }
    nng_url_free(url);
    if (nng_http_handler_alloc(&h, "/metrics", metrics_http_serve) != 0 ||
        nng_http_handler_set_method(h, "GET") != 0 || nng_http_server_add_handler(m->server, h)) {
        if (h != NULL) {
            nng_http_handler_free(h);
        }
        metrics_http_stop(m);
        return BO_E_INTERNAL;
    }
    if ((rv = nng_http_server_start(m->server)) != 0) {
        BO_ERR("metrics: cannot listen on %s: %s", listen, nng_strerror(rv));
        metrics_http_stop(m);
        return BO_E_INVALID_ARGUMENT;
    }
    m->started = 1;
    BO_INFO("metrics on http://%s/metrics", listen);
    *out = m;
    return BO_OK;
}

void metrics_http_stop(struct metrics_http *m)
{
    if (m == NULL) {
        return;
    }
    if (m->started) {
        nng_http_server_stop(m->server);
    }
    nng_http_server_release(m->server);
    free(m);
}
