/*
 * nb_http: the smallest HTTP client nngbench needs — one POST per connection
 * (Connection: close), 2 s send and receive timeouts, the status line read back.
 * No library: a socket, getaddrinfo and one request.
 */
#ifndef NB_HTTP_H
#define NB_HTTP_H

#include <stddef.h>

/* nb_http_post sends one POST of body (len bytes) to http://host:port/path; *status gets the
 * HTTP status. Returns BO_OK, or BO_E_UNAVAILABLE when no answer came. */
__attribute__((warn_unused_result)) int nb_http_post(const char *host, const char *port,
                                                     const char *path, const char *body, size_t len,
                                                     int *status);

#endif
