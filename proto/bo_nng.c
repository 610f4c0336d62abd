/* bo_nng: shared NNG socket and context set-up (see bo_nng.h). */
#include "bo_nng.h"

#include "bo_error.h"

#include <string.h>

/* The longest list of URLs bo_nng_connect takes. */
#define BO_NNG_URLS_MAX 2048

int bo_nng_open(struct bo_nng *s, int (*open_fn)(nng_socket *))
{
    if (open_fn(&s->sock) != 0) {
        return BO_E_INTERNAL;
    }
    s->open = 1;
    return BO_OK;
}

int bo_nng_connect(struct bo_nng *s, int (*open_fn)(nng_socket *),
                   int (*setup)(nng_socket sock, const void *arg), const void *arg,
                   const char *urls)
{
    char buf[BO_NNG_URLS_MAX];
    char *save = NULL;
    int rc;

    if ((rc = bo_nng_open(s, open_fn)) != BO_OK ||
        (setup != NULL && (rc = setup(s->sock, arg)) != BO_OK)) {
        return rc;
    }
    if (nng_socket_set_ms(s->sock, NNG_OPT_RECONNMINT, 50) != 0 ||
        nng_socket_set_ms(s->sock, NNG_OPT_RECONNMAXT, 1000) != 0) {
        return BO_E_INTERNAL;
    }
    if (strlen(urls) >= sizeof(buf)) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(buf, urls, strlen(urls) + 1);
    for (char *url = strtok_r(buf, ", ", &save); url != NULL; url = strtok_r(NULL, ", ", &save)) {
        if (s->ndialers == BO_NNG_MAX_URLS ||
            nng_dial(s->sock, url, &s->dialers[s->ndialers], NNG_FLAG_NONBLOCK) != 0) {
            return BO_E_INVALID_ARGUMENT;
        }
        s->ndialers++;
    }
    return s->ndialers > 0 ? BO_OK : BO_E_INVALID_ARGUMENT;
}

void bo_nng_close(struct bo_nng *s)
{
    if (!s->open) {
        return;
    }
    for (int i = 0; i < s->ndialers; i++) {
        nng_dialer_close(s->dialers[i]);
    }
    nng_close(s->sock);
    s->open = 0;
    s->ndialers = 0;
}

int bo_nng_ctx_open(struct bo_nng_ctx *c, nng_socket sock, nng_duration timeout_ms)
{
    if (nng_ctx_open(&c->ctx, sock) != 0) {
        return BO_E_INTERNAL;
    }
    c->open = 1;
    if (nng_aio_alloc(&c->aio, NULL, NULL) != 0) {
        return BO_E_NOMEM;
    }
    nng_aio_set_timeout(c->aio, timeout_ms);
    return BO_OK;
}

void bo_nng_ctx_close(struct bo_nng_ctx *c)
{
    if (c->open) {
        nng_ctx_close(c->ctx);
        c->open = 0;
    }
    if (c->aio != NULL) {
        nng_aio_free(c->aio);
        c->aio = NULL;
    }
}

int bo_nng_ctx_send(struct bo_nng_ctx *c, nng_msg *msg)
{
    nng_aio_set_msg(c->aio, msg);
    nng_ctx_send(c->ctx, c->aio);
    nng_aio_wait(c->aio);
    return nng_aio_result(c->aio);
}

int bo_nng_ctx_recv(struct bo_nng_ctx *c, nng_msg **msg)
{
    int rv;

    nng_ctx_recv(c->ctx, c->aio);
    nng_aio_wait(c->aio);
    if ((rv = nng_aio_result(c->aio)) != 0) {
        return rv;
    }
    *msg = nng_aio_get_msg(c->aio);
    return 0;
}
