/*
 * fuzz_http: a REST request read from fuzzer bytes, and the civetweb calls the bridge makes on
 * its connection (mg_get_header, mg_read, mg_write) answered from it, with no socket.
 *
 * The bytes are "METHOD PATH[?QUERY]\n", then header lines "Name: value\n" (at most
 * FUZZ_HTTP_HEADERS), an empty line and the body; without the empty line there is no body.
 * The body has a Content-Length unless a header "Transfer-Encoding" is sent (then -1, as
 * civetweb says of a chunked body). The peer is 127.0.0.1.
 *
 * Every response the bridge writes is checked: one response per request, a status line with
 * the status the handler returned, a Content-Length equal to the body's length and, for JSON,
 * a body that parses.
 */
#ifndef FUZZ_HTTP_H
#define FUZZ_HTTP_H

#include <civetweb.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_HTTP_HEADERS 24

/* The connection civetweb keeps opaque: here, the request's body being read and what was
 * answered. */
struct mg_connection {
    const struct mg_request_info *ri;
    const char *body;
    size_t body_len;
    size_t body_off;
    int responses; /* mg_write calls */
    int status;    /* the status line's code of the response */
};

/* One request: the request info civetweb would fill, the connection, the text they point to. */
struct fuzz_http {
    struct mg_request_info ri;
    struct mg_connection conn;
    char *text; /* owned: a NUL-terminated copy of the bytes, cut into pieces */
};

/* fuzz_http_parse reads data[0..size) into *h (free with fuzz_http_free); -1 when the bytes
 * are no request of the form above (then nothing needs freeing). */
int fuzz_http_parse(struct fuzz_http *h, const uint8_t *data, size_t size);

/* fuzz_http_free frees what fuzz_http_parse made. */
void fuzz_http_free(struct fuzz_http *h);

#endif
