/*
 * bo_nng: the NNG socket set-up every process repeats, in one place.
 *
 * A struct bo_nng is a socket with the dialers it opened: the client and the subscriber dial
 * every service instance of a comma-separated list, the service listens. A struct bo_nng_ctx
 * is a context of a socket with the aio its one thread waits on (a client session, a server
 * worker). Both are safe to close when zeroed or half-opened, so every failure path of their
 * owner calls the one close. The send and receive helpers return nng's own code, so callers
 * can tell a timeout from a closed socket.
 */
#ifndef BO_NNG_H
#define BO_NNG_H

#include <nng/nng.h>

/* Service instances one socket dials at most. */
#define BO_NNG_MAX_URLS 32

/* A socket and the dialers it opened; zeroed means not open. */
struct bo_nng {
    nng_socket sock;
    int open;
    nng_dialer dialers[BO_NNG_MAX_URLS];
    int ndialers;
};

/* A context of a socket and the aio its thread waits on; zeroed means not open. */
struct bo_nng_ctx {
    nng_ctx ctx;
    int open;
    nng_aio *aio;
};

/* bo_nng_open opens s->sock with open_fn (nng_req0_open, nng_rep0_open, ...): BO_OK or
 * BO_E_INTERNAL. Close with bo_nng_close. */
__attribute__((warn_unused_result)) int bo_nng_open(struct bo_nng *s, int (*open_fn)(nng_socket *));

/* bo_nng_connect opens s->sock with open_fn (nng_req0_open, ...), lets setup (NULL: none) set
 * the protocol's options with arg, then dials every URL of urls (separated by commas or spaces)
 * without waiting: each dialer retries in the background, 50 ms after a failure growing to 1 s,
 * until its instance is up. BO_E_INVALID_ARGUMENT when urls names none, more than
 * BO_NNG_MAX_URLS, or one that cannot be dialled; else BO_E_INTERNAL or setup's code. Close
 * with bo_nng_close, after a failure too. */
__attribute__((warn_unused_result)) int
bo_nng_connect(struct bo_nng *s, int (*open_fn)(nng_socket *),
               int (*setup)(nng_socket sock, const void *arg), const void *arg, const char *urls);

/* bo_nng_close closes the dialers, then the socket (libnng 1.5 can deadlock closing a socket
 * with live pipes, nanomsg/nng#1543); safe on a zeroed or already closed s. */
void bo_nng_close(struct bo_nng *s);

/* bo_nng_ctx_open opens a context on sock and its aio, whose waits end after timeout_ms:
 * BO_OK, BO_E_INTERNAL or BO_E_NOMEM. Close with bo_nng_ctx_close, after a failure too. */
__attribute__((warn_unused_result)) int bo_nng_ctx_open(struct bo_nng_ctx *c, nng_socket sock,
                                                        nng_duration timeout_ms);

/* bo_nng_ctx_close frees the aio and closes the context; safe on a zeroed or half-opened c. */
void bo_nng_ctx_close(struct bo_nng_ctx *c);

/* bo_nng_ctx_send sends msg on the context and waits: 0 when nng took msg, else nng's error
 * (NNG_ETIMEDOUT, NNG_ECLOSED, ...), msg then still the caller's. */
__attribute__((warn_unused_result)) int bo_nng_ctx_send(struct bo_nng_ctx *c, nng_msg *msg);

/* bo_nng_ctx_recv waits for a message on the context: 0 with *msg set (caller frees it), else
 * nng's error. */
__attribute__((warn_unused_result)) int bo_nng_ctx_recv(struct bo_nng_ctx *c, nng_msg **msg);

#endif
