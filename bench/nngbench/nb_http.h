/*
 * nb_http: the smallest HTTP client nngbench needs — one request per connection
 * (Connection: close), 2 s send and receive timeouts: a POST whose status line is read
 * back, a GET whose whole answer is.
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

/* nb_http_get sends one GET of path to http://host:port with the extra header lines headers
 * ("Name: value\r\n"*, may be ""), and reads the whole answer, head and body, into buf
 * (buflen bytes, NUL-terminated, cut when longer); *status gets the HTTP status. Returns
 * BO_OK, or BO_E_UNAVAILABLE when no answer came. */
__attribute__((warn_unused_result)) int nb_http_get(const char *host, const char *port,
                                                    const char *path, const char *headers,
                                                    int *status, char *buf, size_t buflen);

#endif
